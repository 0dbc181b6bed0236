// npm run bench:deploys — deploy discovery on a 100,000-commit / 2,000-tag repository against the raw git floor.
//
// Measures, in one run on one machine:
//   list   listDeploys(limit 50) with commit counts (src/git/deployDiscovery.ts, through simple-git), as on every
//          refresh; `listCold` is the first call of a session, before commit authors/subjects are cached
//   floor  what git alone needs for the same answer: `for-each-ref --sort=-creatordate --count=51` plus one
//          `rev-list` over the span of those deploys (plain child_process, no parsing)
//   naive  for contrast: for-each-ref plus one `rev-list --count` per deploy (the per-tag loop we avoid)
//   diff   listDeployFiles for the newest deploy (the diff view's file list), and its raw diff-tree floor
// Prints a table and writes bench/results/deploys.json. Targets: list ≤ 1.5× floor and ≤ 300 ms; diff ≤ 200 ms.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { benchGitEnv, ensureBenchRepo, SHAPE } from './deploysRepo.mjs';
import { round, time as timeBench, timeInterleaved as timeBenchInterleaved } from './timing.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const WARMUP = 3;
const LIMIT = 50;
const PATTERNS = ['deploy/*'];

const { listDeploys, CommitDetailsCache } = await tsImport('../src/git/deployDiscovery.ts', import.meta.url);
// The commit details a repository keeps between listings (src/git/gitRepository.ts owns one per repository).
const commitDetails = new CommitDetailsCache();
const { listDeployFiles } = await tsImport('../src/git/deployDiff.ts', import.meta.url);
const { GitRunner } = await tsImport('../src/git/gitRunner.ts', import.meta.url);

const repo = await ensureBenchRepo();
const env = benchGitEnv();
const git = async (...args) => (await run('git', args, { cwd: repo.dir, env, maxBuffer: 64 * 1024 * 1024 })).stdout;
const runner = new GitRunner({ cwd: repo.dir, env: { GIT_CONFIG_NOSYSTEM: '1', HOME: path.join(os.tmpdir(), 'incident-room-bench-home') } });
const settings = { sources: ['tags'], tagPatterns: PATTERNS };

async function floorList() {
  const refs = (await git('for-each-ref', '--sort=-creatordate', `--count=${LIMIT + 1}`, '--format=%(objectname) %(*objectname)', ...PATTERNS.map((p) => `refs/tags/${p}`)))
    .trim()
    .split('\n')
    .map((l) => l.split(' ').filter(Boolean).pop());
  const boundary = refs[refs.length - 1];
  const out = await git('rev-list', ...refs.slice(0, -1), `^${boundary}`);
  return { deploys: refs.length - 1, commits: out.split('\n').length - 1 };
}

async function naiveList() {
  const refs = (await git('for-each-ref', '--sort=-creatordate', `--count=${LIMIT + 1}`, '--format=%(objectname) %(*objectname)', ...PATTERNS.map((p) => `refs/tags/${p}`)))
    .trim()
    .split('\n')
    .map((l) => l.split(' ').filter(Boolean).pop());
  let total = 0;
  for (let i = 0; i < refs.length - 1; i++) total += Number((await git('rev-list', '--count', refs[i], `^${refs[i + 1]}`)).trim());
  return total;
}

const time = (fn, runs = RUNS) => timeBench(fn, runs, WARMUP);
const timeInterleaved = (fns, runs = RUNS) => timeBenchInterleaved(fns, runs, WARMUP);

// Correctness first: our counts must equal git's own `rev-list --count prev..this`.
const list = await listDeploys(runner, settings, { limit: LIMIT, commitDetails });
if (list.deploys.length !== LIMIT) throw new Error(`expected ${LIMIT} deploys, got ${list.deploys.length}`);
for (const d of list.deploys.slice(0, 5)) {
  const expected = Number((await git('rev-list', '--count', d.sha, `^${d.previous.sha}`)).trim());
  if (d.commitCount !== expected) throw new Error(`${d.ref}: counted ${d.commitCount}, git says ${expected}`);
}
const newest = list.deploys[0];
const files = (await listDeployFiles(runner, newest)).files;

const results = {};
[results.list, results.floor] = await timeInterleaved([() => listDeploys(runner, settings, { limit: LIMIT, commitDetails }), floorList]);
[results.diff, results.diffFloor] = await timeInterleaved([
  () => listDeployFiles(runner, newest),
  () => git('diff-tree', '-r', '-z', '--find-renames', '--raw', '--numstat', newest.previous.sha, newest.sha),
]);
results.naive = await time(naiveList, 5);
// The first listing of a session, before any commit details are cached: one more process (log --no-walk).
results.listCold = await time(() => listDeploys(runner, settings, { limit: LIMIT }));

const ratio = round(results.list.medianMs / results.floor.medianMs);
const targets = { listMaxMs: 300, listMaxRatio: 1.5, diffMaxMs: 200 };
const pass = {
  listUnder300ms: results.list.medianMs <= targets.listMaxMs,
  listWithin1_5xFloor: ratio <= targets.listMaxRatio,
  diffUnder200ms: results.diff.medianMs <= targets.diffMaxMs,
};
const gitVersion = (await git('--version')).trim();
const totalCommits = Number((await git('rev-list', '--count', '--all')).trim());
const totalTags = Number((await git('for-each-ref', '--format=x', 'refs/tags/')).split('\n').length - 1);
const report = {
  benchmark: 'deploys',
  generatedAt: new Date().toISOString(),
  machine: { platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', loadAverage: os.loadavg().map(round), node: process.version, git: gitVersion },
  repo: { commits: totalCommits, mainlineCommits: SHAPE.commits, deployTags: totalTags, cachedAt: repo.dir, builtThisRun: repo.built, buildMs: repo.buildMs },
  workload: { limit: LIMIT, patterns: PATTERNS, commitsSpanned: list.deploys.reduce((n, d) => n + (d.commitCount ?? 0), 0), diffFiles: files.length, newest: newest.ref },
  results: { ...results, listToFloorRatio: ratio },
  targets,
  pass,
};

const rows = [
  ['listDeploys (50, with counts)', results.list],
  ['listDeploys, first call (no cached details)', results.listCold],
  ['floor: for-each-ref + rev-list', results.floor],
  ['naive: for-each-ref + 50× rev-list --count', results.naive],
  ['diff file list (newest deploy)', results.diff],
  ['floor: diff-tree raw+numstat', results.diffFloor],
];
console.log(`\nDeploy discovery on ${totalCommits.toLocaleString('en')} commits / ${totalTags.toLocaleString('en')} tags (${gitVersion}, node ${process.version}, load ${os.loadavg()[0].toFixed(2)})\n`);
console.log(`${'measurement'.padEnd(46)}${'median'.padStart(10)}${'p90'.padStart(10)}${'min'.padStart(10)}`);
for (const [name, r] of rows) console.log(`${name.padEnd(46)}${`${r.medianMs} ms`.padStart(10)}${`${r.p90Ms} ms`.padStart(10)}${`${r.minMs} ms`.padStart(10)}`);
console.log(`\nlist / floor = ${ratio}× (target ≤ ${targets.listMaxRatio}×)   list ≤ ${targets.listMaxMs} ms: ${pass.listUnder300ms ? 'yes' : 'NO'}   diff ≤ ${targets.diffMaxMs} ms: ${pass.diffUnder200ms ? 'yes' : 'NO'}`);
console.log(`${report.workload.commitsSpanned} commits across the 50 deploys; newest deploy changed ${files.length} files\n`);

const outDir = path.join(here, 'results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'deploys.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'deploys.json'))}`);
