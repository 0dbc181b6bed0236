// npm run bench:lens — the deploy-window lens on the 100,000-commit / 2,000-tag repository of bench:deploys.
//
// What the extension does when a file is opened during an incident (src/extension/deployLens.ts marksOf): list the
// deploys (kept by the repository until a ref changes), take the window (the deploy running at detection and the
// two before it), and place each window deploy's hunks of the file in its current text (src/git/deployLens.ts).
//   cold       the first file opened during the incident: a fresh GitRepository per sample whose deploy list was
//              read already (the Recent Deploys view reads it when the sidebar opens; the lens shares it), so the
//              three change sets and the file at each deploy are read from git. Judged on this.
//   coldAll    the same with nothing read at all: the deploy list (2,000 tags, with counts) too
//   warm       the same repository, a file of the window whose text changed since the last sample (an edit above
//              the hunks): the git reads are kept, the placement (line diff) runs again
//   untouched  the same repository, a file no deploy of the window touched: what every other file costs
//   floor      git alone for the cold case: the three `diff --unified=0` and `show` of the file, no parsing
// Prints a table and writes bench/results/deployLens.json. Targets: warm ≤ 100 ms, cold ≤ 300 ms, untouched ≤ 5 ms.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { benchGitEnv, ensureBenchRepo, SHAPE } from './deploysRepo.mjs';
import { round, timeInterleaved } from './timing.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const WINDOW = 3;
const settings = { sources: ['tags'], tagPatterns: ['deploy/*'] };

const { GitRepository } = await tsImport('../src/git/gitRepository.ts', import.meta.url);
const { lensMarks, lensWindow, splitLines } = await tsImport('../src/git/deployLens.ts', import.meta.url);

const repo = await ensureBenchRepo();
const env = benchGitEnv();
const git = async (...args) => (await run('git', args, { cwd: repo.dir, env, maxBuffer: 256 * 1024 * 1024 })).stdout;
const gitOptions = { env: { GIT_CONFIG_NOSYSTEM: '1', HOME: path.join(os.tmpdir(), 'incident-room-bench-home') }, watch: false };
const location = { root: repo.dir, gitDir: repo.dir, commonDir: repo.dir, bare: true };
const open = () => new GitRepository(location, gitOptions);

// The incident was detected a minute after the newest deploy: the window is the three newest.
const probe = open();
const list = await probe.listDeploys(settings, { limit: 50 });
const detectedAt = new Date((list.deploys[0].epochSeconds + 60) * 1000).toISOString();
const window = lensWindow(list.deploys, detectedAt, WINDOW);
const sets = await Promise.all(window.map((d) => probe.deployChanges(d)));
// The file of the window with the most hunks, as the responder would open it; its text as the newest deploy left it.
const touched = [...new Set(sets.flatMap((s) => [...s.hunks.keys()]))]
  .sort((a, b) => sets.reduce((n, s) => n + (s.hunks.get(b)?.length ?? 0), 0) - sets.reduce((n, s) => n + (s.hunks.get(a)?.length ?? 0), 0))[0];
if (!touched) throw new Error('the window changed no file');
const allFiles = (await git('ls-tree', '-r', '--name-only', window[0].sha)).trim().split('\n');
const untouched = allFiles.find((f) => !sets.some((s) => s.hunks.has(f)));
const textAt = async (file) => splitLines(await git('show', `${window[0].sha}:${file}`));
const touchedText = await textAt(touched);
const untouchedText = await textAt(untouched);
const expected = await lensMarks(probe, window, touched, touchedText);
if (expected.length === 0) throw new Error(`no marks on ${touched}`);
probe.dispose();

/** The first lens of the touched file in repository `r`, which is disposed afterwards. */
async function firstLens(r) {
  try {
    const l = await r.listDeploys(settings, { limit: 50 });
    const marks = await lensMarks(r, lensWindow(l.deploys, detectedAt, WINDOW), touched, touchedText);
    if (marks.length !== expected.length) throw new Error('cold: different marks');
  } finally {
    r.dispose();
  }
}
const coldAll = () => firstLens(open());

// Fresh repositories with the deploy list already read, one per cold sample (made outside the timed part).
const listed = [];
async function listedRepository() {
  const r = open();
  await r.listDeploys(settings, { limit: 50 });
  return r;
}
const cold = () => firstLens(listed.pop());

const warmRepo = open();
let edits = 0;
async function warm() {
  // A new line above the hunks each time: new text, so the placement runs again on every sample.
  const text = [`// edit ${++edits}`, ...touchedText];
  const l = await warmRepo.listDeploys(settings, { limit: 50 });
  const marks = await lensMarks(warmRepo, lensWindow(l.deploys, detectedAt, WINDOW), touched, text);
  if (marks.length !== expected.length || marks[0].start !== expected[0].start + 1) throw new Error('warm: marks did not follow the edit');
}
async function untouchedFile() {
  const l = await warmRepo.listDeploys(settings, { limit: 50 });
  const marks = await lensMarks(warmRepo, lensWindow(l.deploys, detectedAt, WINDOW), untouched, untouchedText);
  if (marks.length !== 0) throw new Error('untouched: marks on a file the window never touched');
}
async function floor() {
  await Promise.all(window.flatMap((d) => [git('diff', '--unified=0', '--no-color', d.previous.sha, d.sha), git('show', `${d.sha}:${touched}`)]));
}

const results = {};
for (let i = 0; i < RUNS + 3; i++) listed.push(await listedRepository());
[results.cold, results.floor] = await timeInterleaved([cold, floor], RUNS);
results.coldAll = (await timeInterleaved([coldAll], Math.min(RUNS, 11)))[0];
[results.warm, results.untouched] = await timeInterleaved([warm, untouchedFile], RUNS);
warmRepo.dispose();

const targets = { warmMaxMs: 100, coldMaxMs: 300, untouchedMaxMs: 5 };
const pass = { warm: results.warm.medianMs <= targets.warmMaxMs, cold: results.cold.medianMs <= targets.coldMaxMs, untouched: results.untouched.medianMs <= targets.untouchedMaxMs };
const gitVersion = (await git('--version')).trim();
const report = {
  benchmark: 'deployLens',
  generatedAt: new Date().toISOString(),
  machine: { platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', loadAverage: os.loadavg().map(round), node: process.version, git: gitVersion },
  repo: { mainlineCommits: SHAPE.commits, deployTags: SHAPE.tags, cachedAt: repo.dir },
  workload: {
    window: window.map((d) => ({ ref: d.ref, commits: d.commitCount, filesChanged: sets[window.indexOf(d)].hunks.size })),
    touchedFile: { path: touched, lines: touchedText.length, marks: expected.length }, untouchedFile: { path: untouched, lines: untouchedText.length },
  },
  results,
  targets,
  pass,
};
const rows = [
  ['cold: first file of the window (deploys listed)', results.cold],
  ['cold, nothing read: deploy list too', results.coldAll],
  ['floor: git diff ×3 + git show ×3', results.floor],
  ['warm: kept reads, edited file of the window', results.warm],
  ['untouched: a file the window never changed', results.untouched],
];
console.log(`\nDeploy lens on ${SHAPE.commits.toLocaleString('en')} commits / ${SHAPE.tags.toLocaleString('en')} tags (${gitVersion}, node ${process.version}, load ${os.loadavg()[0].toFixed(2)})`);
console.log(`window ${window.map((d) => d.ref).join(', ')}; ${touched} (${touchedText.length} lines, ${expected.length} marks)\n`);
console.log(`${'measurement'.padEnd(48)}${'median'.padStart(10)}${'p90'.padStart(10)}${'min'.padStart(10)}`);
for (const [name, r] of rows) console.log(`${name.padEnd(48)}${`${r.medianMs} ms`.padStart(10)}${`${r.p90Ms} ms`.padStart(10)}${`${r.minMs} ms`.padStart(10)}`);
console.log(`\nwarm ≤ ${targets.warmMaxMs} ms: ${pass.warm ? 'yes' : 'NO'}   cold ≤ ${targets.coldMaxMs} ms: ${pass.cold ? 'yes' : 'NO'}   untouched ≤ ${targets.untouchedMaxMs} ms: ${pass.untouched ? 'yes' : 'NO'}\n`);
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'deployLens.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log('wrote bench/results/deployLens.json');
