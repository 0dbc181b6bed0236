// npm run test:mutation [-- folder...]: StrykerJS over each folder of stryker.config.mjs in turn (all of them
// when none is named), each with its own report and incremental file under test-output/mutation/<folder>/, then
// bench/mutationSummary.mjs folds the reports into bench/results/mutation.json.
//
// MUTATION_CONCURRENCY (default 1) sets Stryker's test runners; run it under `nice -n 19` on a shared machine.
// MUTATION_TIMEOUT_MS (default: stryker.config.mjs's timeoutMS) is the time a mutant's tests get on top of their
// unmutated run before it counts as a timeout: a folder whose mutants often hang (an append that never acks) is
// much quicker with a few seconds than with ten.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { MUTATION_FOLDERS } from '../stryker.config.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const asked = process.argv.slice(2);
const unknown = asked.filter((f) => !(f in MUTATION_FOLDERS));
if (unknown.length) {
  console.error(`unknown folder ${unknown.join(', ')}: one of ${Object.keys(MUTATION_FOLDERS).join(', ')}`);
  process.exit(2);
}
const folders = asked.length ? asked : Object.keys(MUTATION_FOLDERS);
const concurrency = Number(process.env.MUTATION_CONCURRENCY ?? 1);
const timeoutMs = process.env.MUTATION_TIMEOUT_MS;
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
for (const folder of folders) {
  const out = path.join(root, 'test-output', 'mutation', folder);
  mkdirSync(out, { recursive: true });
  console.log(`\n== mutation: src/${folder} (concurrency ${concurrency}) ==`);
  const startedAt = new Date();
  const clustersBefore = new Set(clusterDirs());
  // INCIDENT_ROOM_TEST_PG_KEEP: each test runner keeps its PostgreSQL cluster from one mutant to the next
  // (test/support/postgres.ts); the clusters of runners Stryker killed are removed below.
  const args = [stryker, 'run', 'stryker.config.mjs', '--concurrency', String(concurrency), ...(timeoutMs ? ['--timeoutMS', timeoutMs] : [])];
  const run = spawnSync(process.execPath, args, {
    cwd: root, stdio: 'inherit', env: { ...process.env, MUTATION_FOLDER: folder, NODE_OPTIONS: preload, INCIDENT_ROOM_TEST_PG_KEEP: '1' },
  });
  const left = clusterDirs().filter((d) => !clustersBefore.has(d));
  if (left.length > 0) {
    for (const dir of left) removeCluster(dir);
    console.log(`removed ${left.length} PostgreSQL cluster(s) left by test runners Stryker stopped`);
  }
  const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  // What the summary needs besides Stryker's report: which code was measured, how long it took, with how many runners.
  writeFileSync(path.join(out, 'run.json'), `${JSON.stringify({ folder, commit, dirty, startedAt: startedAt.toISOString(), seconds, concurrency, timeoutMs: timeoutMs ? Number(timeoutMs) : undefined, exitCode: run.status }, null, 2)}\n`);
  if (run.status !== 0) {
    failed = true;
    console.error(`stryker failed on src/${folder} (exit ${run.status})`);
  }
}
const summary = spawnSync(process.execPath, [path.join(root, 'bench', 'mutationSummary.mjs'), ...folders], { cwd: root, stdio: 'inherit' });
process.exit(failed || summary.status !== 0 ? 1 : 0);
