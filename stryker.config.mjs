// Mutation testing (#18): StrykerJS changes the code one small way at a time and runs the unit tests that cover
// each change; a change no test notices is a promise no test keeps. Run with `npm run test:mutation` (all
// folders, one after another) or `npm run test:mutation -- core` (scripts/mutation.mjs sets MUTATION_FOLDER and
// preloads scripts/mochaCjsResolve.cjs, which the mocha runner needs: run Stryker through it, not `npx stryker`);
// bench/mutationSummary.mjs turns the reports into bench/results/mutation.json. Not part of `npm test`: a folder
// takes minutes (core) to an hour or more (server) on two cores.

/** The folders measured and what in them is mutated. src/git: only the parts that run no git or process. */
export const MUTATION_FOLDERS = {
  protocol: ['src/protocol/**/*.ts'],
  core: ['src/core/**/*.ts'],
  store: ['src/store/**/*.ts'],
  // main.ts only starts the CLI: no unit test loads it.
  server: ['src/server/**/*.ts', '!src/server/main.ts'],
  sync: ['src/sync/**/*.ts'],
  git: [
    'src/git/commandTemplate.ts', 'src/git/deploySettings.ts', 'src/git/deployTooltip.ts', 'src/git/gitError.ts', 'src/git/mitigationCatalog.ts',
    'src/git/newIssueUrl.ts', 'src/git/operationQueue.ts', 'src/git/pathContainment.ts', 'src/git/permalink.ts', 'src/git/rollbackPlan.ts',
  ],
};

const folder = process.env.MUTATION_FOLDER;
if (folder !== undefined && !(folder in MUTATION_FOLDERS)) throw new Error(`MUTATION_FOLDER=${folder}: one of ${Object.keys(MUTATION_FOLDERS).join(', ')}`);
// scripts/mutation.mjs names the output folder, and for a part of a folder its files (`folder:a,b`).
const out = process.env.MUTATION_OUT ?? `test-output/mutation/${folder ?? 'all'}`;
const files = process.env.MUTATION_FILES?.split(',');
// MUTATION_TESTS (scripts/mutation.mjs): only these test files of the folder (a part whose mutants every slow server
// test reaches: the alert parsers run under the crash and replica tests too). Fewer tests can only kill fewer mutants,
// so such a score is a lower bound of the folder's; run.json names the tests used.
const tests = process.env.MUTATION_TESTS?.split(',');
// MUTATION_SKIP_TESTS (scripts/mutation.mjs): a pattern of test titles left out too, e.g. the signals tests that pace
// a slow reader at 1 MiB/s (20 s each): every mutant they reach would run them. A lower bound again; run.json says.
const skip = process.env.MUTATION_SKIP_TESTS;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/mocha-runner'],
  testRunner: 'mocha',
  // The unit suite as `npx mocha` runs it (.mocharc.json: tsx/cjs, test/unit/**/*.test.ts); the other suites
  // (code-server, Electron) are far too slow to run per mutant. Left out: packaging/ (builds and packs the
  // extension) and server/nginx (two replicas of dist/server.js behind nginx): they run everything in child
  // processes, from the build, so they reach no mutated code and only slow the first run.
  // `grep` leaves out tests that fail on time rather than on behaviour when the code is instrumented and the
  // machine busy (Stryker needs every test green first, and a test failing on time would count mutants as
  // killed that no assertion noticed): the cross-replica latency budget (p90 <= 50 ms) and the digest storm.
  // scripts/mutation.mjs preloads scripts/mochaCjsResolve.cjs (NODE_OPTIONS) so this runner finds mocha 12.
  // A folder is measured against its own unit tests (test/unit/<folder>/): a promise of the store must be kept by a
  // store test, not only noticed by a server test that happens to go through the store. It also keeps a folder's run
  // to minutes: with the whole suite every mutant of the file store ran most server tests (each covers it), and
  // src/store alone was heading for five hours at two runners; its own tests take 13 seconds.
  mochaOptions: {
    config: '.mocharc.json', spec: tests ?? [folder ? `test/unit/${folder}/**/*.test.ts` : 'test/unit/**/*.test.ts'],
    ignore: ['test/unit/packaging/**', 'test/unit/server/nginx.test.ts'],
    grep: `^(?!.*(within the latency budget of one server|a session that asks for digests is told a storm${skip ? `|${skip}` : ''}))`,
  },
  mutate: files ?? (folder ? MUTATION_FOLDERS[folder] : Object.values(MUTATION_FOLDERS).flat()),
  // Each mutant runs only the tests that reached its code in the first run.
  coverageAnalysis: 'perTest',
  // A static mutant (code run when a module loads: zod schemas, constant tables) is reached by no test in
  // particular, so each would rerun the whole unit suite (minutes); they are left out of the score and counted as
  // `ignored` in bench/results/mutation.json. What they change is still exercised by every test that parses.
  ignoreStatic: true,
  // Reruns reuse the results of mutants whose code and covering tests did not change. One file per folder, so
  // measuring one folder does not throw away another's; in test-output/ (not committed): it is large, changes on
  // every run, and a stale one is only slower, never wrong.
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ['html', 'json', 'progress'],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  tempDirName: 'test-output/stryker-tmp',
  cleanTempDir: 'always',
  // The sandbox copies the project: leave out builds, outputs and the suites Stryker does not run.
  ignorePatterns: ['dist', 'dist-test', 'dist-vsix', 'test-output', '.vscode-test', 'incident-room-data'],
  // A shared two-core machine: one runner unless asked (scripts/mutation.mjs passes MUTATION_CONCURRENCY).
  concurrency: 1,
  // The first run is the whole unit suite: ~4 minutes alone, longer on a busy machine (the default gives up at 5).
  dryRunTimeoutMinutes: 30,
  // Tests with real sockets and servers: a mutant is a timeout only well past the run it had unmutated.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 80, break: null },
};
