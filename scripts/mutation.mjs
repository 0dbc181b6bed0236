// npm run test:mutation [-- folder[:file,file]...]: StrykerJS over each folder of stryker.config.mjs in turn (all of them
// when none is named), each with its own report and incremental file under test-output/mutation/<folder>/, then
// bench/mutationSummary.mjs folds the reports into bench/results/mutation.json.
//
// MUTATION_CONCURRENCY (default 1) sets Stryker's test runners; run it under `nice -n 19` on a shared machine.
// MUTATION_TIMEOUT_MS (default: stryker.config.mjs's timeoutMS) is the time a mutant's tests get on top of their
// unmutated run before it counts as a timeout: a folder whose mutants often hang (an append that never acks) is
// much quicker with a few seconds than with ten.
// MUTATION_TESTS=a,b measures against only test/unit/<folder>/a.test.ts and b.test.ts: for a part whose mutants the
// folder's slow tests also reach (hours), a quick lower bound of its score; run.json records which tests.
// MUTATION_SKIP_TESTS='title a|title b' (a regular expression) also leaves out the tests whose titles match it: a few
// slow tests in a file of quick ones; again a lower bound, and run.json records it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { MUTATION_FOLDERS } from '../stryker.config.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// `folder` measures the whole folder; `folder:a,b` only src/folder/a.ts and b.ts, as a part of the folder with a report
// of its own (test-output/mutation/<folder>/parts/a+b/): a folder too big for one sitting (src/server: hours) is
// measured a few files at a time, and bench/mutationSummary.mjs folds the newest report of each file together.
const asked = process.argv.slice(2).map((arg) => {
  const [folder, list] = arg.split(':');
  return { arg, folder, files: list === undefined ? null : list.split(',').filter(Boolean) };
});
const wrong = asked.flatMap(({ arg, folder, files }) => {
  if (!(folder in MUTATION_FOLDERS)) return [`${arg}: unknown folder ${folder}, one of ${Object.keys(MUTATION_FOLDERS).join(', ')}`];
  if (files !== null && files.length === 0) return [`${arg}: name the files after the colon (${folder}:a,b for src/${folder}/a.ts and b.ts)`];
  const missing = (files ?? []).filter((f) => !/^[A-Za-z0-9_]+$/.test(f) || !existsSync(path.join(root, 'src', folder, `${f}.ts`)));
  return missing.length ? [`${arg}: no src/${folder}/${missing[0]}.ts`] : [];
});
if (wrong.length) {
  console.error(wrong.join('\n'));
  process.exit(2);
}
const runs = asked.length ? asked : Object.keys(MUTATION_FOLDERS).map((folder) => ({ arg: folder, folder, files: null }));
const concurrency = Number(process.env.MUTATION_CONCURRENCY ?? 1);
const timeoutMs = process.env.MUTATION_TIMEOUT_MS;
const onlyTests = process.env.MUTATION_TESTS?.split(',').filter(Boolean);
const noTest = (onlyTests ?? []).flatMap((t) => runs.filter(({ folder }) => !/^[A-Za-z0-9_]+$/.test(t) || !existsSync(path.join(root, 'test', 'unit', folder, `${t}.test.ts`))).map(({ folder }) => `MUTATION_TESTS: no test/unit/${folder}/${t}.test.ts`));
if (noTest.length) {
  console.error(noTest[0]);
  process.exit(2);
}
const skipTests = process.env.MUTATION_SKIP_TESTS || undefined;
try {
  if (skipTests !== undefined) new RegExp(skipTests);
} catch (e) {
  console.error(`MUTATION_SKIP_TESTS=${skipTests}: not a regular expression (${e.message})`);
  process.exit(2);
}
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`MUTATION_CONCURRENCY=${process.env.MUTATION_CONCURRENCY}: a whole number of test runners, 1 or more`);
  process.exit(2);
}
if (timeoutMs !== undefined && !/^[1-9][0-9]*$/.test(timeoutMs)) {
  console.error(`MUTATION_TIMEOUT_MS=${timeoutMs}: milliseconds, a whole number above 0`);
  process.exit(2);
}
const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'test/unit'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
const stryker = path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
// In Stryker and in each of its test-runner processes (they inherit the environment): see the file.
const { clusterDirs, removeCluster } = await tsImport('../test/support/postgres.ts', import.meta.url);
const preload = [process.env.NODE_OPTIONS, `--require ${JSON.stringify(path.join(root, 'scripts', 'mochaCjsResolve.cjs'))}`].filter(Boolean).join(' ');

let failed = false;
for (const { folder, files } of runs) {
  const outRel = path.join('test-output', 'mutation', folder, ...(files ? ['parts', files.join('+')] : []));
  const out = path.join(root, outRel);
  mkdirSync(out, { recursive: true });
  console.log(`\n== mutation: src/${folder}${files ? ` (${files.map((f) => `${f}.ts`).join(', ')})` : ''} (concurrency ${concurrency}) ==`);
  const startedAt = new Date();
  const clustersBefore = new Set(clusterDirs());
  // INCIDENT_ROOM_TEST_PG_KEEP: each test runner keeps its PostgreSQL cluster from one mutant to the next
  // (test/support/postgres.ts); the clusters of runners Stryker killed are removed below.
  const args = [stryker, 'run', 'stryker.config.mjs', '--concurrency', String(concurrency), ...(timeoutMs ? ['--timeoutMS', timeoutMs] : [])];
  const run = spawnSync(process.execPath, args, {
    cwd: root, stdio: 'inherit',
    env: {
      ...process.env, MUTATION_FOLDER: folder, MUTATION_OUT: outRel, NODE_OPTIONS: preload, INCIDENT_ROOM_TEST_PG_KEEP: '1',
      ...(files ? { MUTATION_FILES: files.map((f) => `src/${folder}/${f}.ts`).join(',') } : {}),
      ...(onlyTests ? { MUTATION_TESTS: onlyTests.map((t) => `test/unit/${folder}/${t}.test.ts`).join(',') } : {}),
    },
  });
  const left = clusterDirs().filter((d) => !clustersBefore.has(d));
  if (left.length > 0) {
    for (const dir of left) removeCluster(dir);
    console.log(`removed ${left.length} PostgreSQL cluster(s) left by test runners Stryker stopped`);
  }
  const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  // What the summary needs besides Stryker's report: which code was measured, how long it took, with how many runners.
  writeFileSync(path.join(out, 'run.json'), `${JSON.stringify({ folder, files: files ? files.map((f) => `src/${folder}/${f}.ts`) : null, commit, dirty, startedAt: startedAt.toISOString(), seconds, concurrency, timeoutMs: timeoutMs ? Number(timeoutMs) : undefined, tests: onlyTests ? onlyTests.map((t) => `test/unit/${folder}/${t}.test.ts`) : undefined, skippedTests: skipTests, exitCode: run.status }, null, 2)}\n`);
  if (run.status !== 0) {
    failed = true;
    console.error(`stryker failed on src/${folder} (exit ${run.status})`);
  }
}
const summary = spawnSync(process.execPath, [path.join(root, 'bench', 'mutationSummary.mjs'), ...new Set(runs.map((r) => r.folder))], { cwd: root, stdio: 'inherit' });
process.exit(failed || summary.status !== 0 ? 1 : 0);
