// Fold StrykerJS's JSON reports (test-output/mutation/<folder>/mutation.json and, for a folder measured in parts,
// test-output/mutation/<folder>/parts/*/mutation.json; written by `npm run test:mutation`)
// into bench/results/mutation.json, committed like the benchmark results: per folder the mutation score, the
// commit measured, how long it took with how many runners; every surviving mutant by file (line, mutator,
// replacement), so a reader sees which promises no test keeps without rerunning hours of mutants.
//
//   node bench/mutationSummary.mjs [folder...]   (default: every folder with a report)
// Folders not named keep what the file already says about them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTATION_FOLDERS } from '../stryker.config.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** A file as the project names it (`src/server/cli.ts`), however a report or run.json wrote it (absolute, relative). */
const projectPath = (f) => path.relative(root, path.resolve(root, f)).split(path.sep).join('/');
const target = path.join(root, 'bench', 'results', 'mutation.json');
const reportOf = (folder) => path.join(root, 'test-output', 'mutation', folder, 'mutation.json');

/** Stryker's score: detected (killed or timed out) over all that could be, with no coverage counting as undetected. */
function tally(mutants) {
  const n = (status) => mutants.filter((m) => m.status === status).length;
  return withScores({
    mutants: mutants.length, killed: n('Killed'), timeout: n('Timeout'), survived: n('Survived'), noCoverage: n('NoCoverage'),
    errors: n('CompileError') + n('RuntimeError'), ignored: n('Ignored'),
  });
}

/** A replacement as one short line (a removed block shows as `{}`; a long one is cut). */
const oneLine = (s) => {
  const flat = String(s ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
};

/**
 * A folder's reports: the whole folder's (test-output/mutation/<folder>/) and those of its parts (`folder:a,b`,
 * test-output/mutation/<folder>/parts/a+b/), each with its run.json, oldest first.
 */
function reportsOf(folder) {
  const dirs = [path.dirname(reportOf(folder))];
  const partsDir = path.join(path.dirname(reportOf(folder)), 'parts');
  if (existsSync(partsDir)) dirs.push(...readdirSync(partsDir).map((d) => path.join(partsDir, d)));
  return dirs.filter((d) => existsSync(path.join(d, 'mutation.json'))).map((d) => ({
    report: JSON.parse(readFileSync(path.join(d, 'mutation.json'), 'utf8')),
    run: existsSync(path.join(d, 'run.json')) ? JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8')) : {},
  })).sort((a, b) => String(a.run.startedAt ?? '').localeCompare(String(b.run.startedAt ?? '')));
}

// The files a folder's globs name (`dir/**/*.ts`, a file, `!file`): what a whole-folder run mutates.
function filesOf(folder) {
  const walk = (dir) => readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
  const globs = MUTATION_FOLDERS[folder];
  const named = globs.filter((g) => !g.startsWith('!')).flatMap((g) => (g.endsWith('/**/*.ts') ? walk(g.slice(0, -'/**/*.ts'.length)) : [g]));
  const left = new Set(globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1)));
  return [...new Set(named)].filter((f) => !left.has(f)).sort();
}

const COUNTS = ['mutants', 'killed', 'timeout', 'survived', 'noCoverage', 'errors', 'ignored'];
const add = (a, b, sign = 1) => Object.fromEntries(COUNTS.map((k) => [k, (a[k] ?? 0) + sign * (b[k] ?? 0)]));
const ZERO = Object.fromEntries(COUNTS.map((k) => [k, 0]));
const withScores = (c) => {
  const detected = c.killed + c.timeout;
  const pct = (a, b) => (b === 0 ? null : Math.round((1000 * a) / b) / 10);
  return { ...c, score: pct(detected, detected + c.survived + c.noCoverage), scoreCovered: pct(detected, detected + c.survived) };
};

/**
 * What bench/results/mutation.json says of a folder's files that none of this machine's reports measured (an earlier
 * session's, whose test-output/ is gone): kept as they were, with their runs and survivors, so a folder measured in
 * parts over several sessions adds up. Their counts: each file's own, or, for entries written before files had them,
 * the folder's totals less every file that has its own (then none of those older files may be measured again alone).
 */
function carriedOver(folder, prevSummary, prevSurvivors, measuredNow) {
  const prevFiles = prevSummary?.files ?? {};
  const kept = Object.keys(prevFiles).filter((f) => !measuredNow.has(f));
  if (kept.length === 0) return null;
  const exact = (f) => prevFiles[f].killed !== undefined;
  const older = Object.keys(prevFiles).filter((f) => !exact(f));
  const againOlder = older.filter((f) => measuredNow.has(f));
  if (againOlder.length > 0 && older.some((f) => !measuredNow.has(f))) {
    throw new Error(`src/${folder}: ${againOlder.join(', ')} measured again, but the committed counts of ${older.filter((f) => !measuredNow.has(f)).join(', ')} are only known together with it: measure those too (or the whole folder)`);
  }
  let counts = kept.filter(exact).reduce((c, f) => add(c, prevFiles[f]), ZERO);
  if (kept.some((f) => !exact(f))) {
    const olderTogether = Object.keys(prevFiles).filter(exact).reduce((c, f) => add(c, prevFiles[f], -1), add(ZERO, prevSummary));
    counts = add(counts, olderTogether);
  }
  const keptSet = new Set(kept);
  const runs = (prevSummary.runs ?? []).filter((r) => r.files === 'the whole folder' || r.files.some((f) => keptSet.has(projectPath(f))));
  return {
    counts,
    // Those files, and any other a kept run was asked for (a file of types only has no mutants).
    measured: new Set([...kept, ...runs.flatMap((r) => (Array.isArray(r.files) ? r.files.map(projectPath) : []))]),
    files: Object.fromEntries(kept.map((f) => [f, prevFiles[f]])),
    survivors: Object.fromEntries(Object.entries(prevSurvivors).filter(([f]) => keptSet.has(f))),
    runs,
    runSeconds: runs.reduce((n, r) => n + (r.seconds ?? 0), 0),
  };
}

function summarize(folder, prevSummary, prevSurvivors) {
  // Each file as its newest report measured it.
  const reports = reportsOf(folder);
  const byFile = {};
  for (const r of reports) for (const [file, entry] of Object.entries(r.report.files)) byFile[file] = { ...entry, run: r.run };
  const used = reports.filter((r) => Object.values(byFile).some((f) => f.run === r.run));
  const run = used[used.length - 1]?.run ?? {};
  const files = {};
  const survivors = {};
  const all = [];
  // Measured: a file a report has mutants of, or one a run was asked for (a file of types only has none), or any
  // file when a run took the whole folder.
  const measured = new Set([...Object.keys(byFile), ...reports.flatMap((r) => r.run.files ?? [])]
    .map(projectPath));
  const wholeFolder = reports.some((r) => !r.run.files);
  const carried = wholeFolder ? null : carriedOver(folder, prevSummary, prevSurvivors, measured);
  const notMeasured = wholeFolder ? [] : filesOf(folder).filter((f) => !measured.has(f) && !carried?.measured.has(f));
  for (const [file, { mutants }] of Object.entries(byFile).sort(([a], [b]) => a.localeCompare(b))) {
    const rel = projectPath(file);
    all.push(...mutants);
    const t = tally(mutants);
    files[rel] = { score: t.score, mutants: t.mutants, killed: t.killed, timeout: t.timeout, survived: t.survived, noCoverage: t.noCoverage, errors: t.errors, ignored: t.ignored };
    const left = mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
      .map((m) => ({ line: m.location.start.line, mutator: m.mutatorName, replacement: oneLine(m.replacement), ...(m.status === 'NoCoverage' ? { noCoverage: true } : {}) }));
    if (left.length) survivors[rel] = left;
  }
  const runs = [
    ...(carried?.runs ?? []),
    ...used.map((r) => ({
      files: r.run.files ?? 'the whole folder', commit: r.run.commit ?? null, date: r.run.startedAt ?? null, seconds: r.run.seconds ?? null,
      // Against only these tests (MUTATION_TESTS): a lower bound of the files' scores.
      ...(r.run.tests ? { tests: r.run.tests } : {}),
      // …and without the tests whose titles match this (MUTATION_SKIP_TESTS): a lower bound too.
      ...(r.run.skippedTests ? { skippedTests: r.run.skippedTests } : {}),
    })),
  ];
  const allFiles = Object.fromEntries(Object.entries({ ...carried?.files, ...files }).sort(([a], [b]) => a.localeCompare(b)));
  return {
    summary: {
      ...withScores(add(tally(all), carried?.counts ?? ZERO)),
      commit: run.commit ?? null, dirtyTree: run.dirty ?? null, date: run.startedAt ?? null,
      runSeconds: (carried?.runSeconds ?? 0) + used.reduce((n, r) => n + (r.run.seconds ?? 0), 0) || null, concurrency: run.concurrency ?? null, files: allFiles,
      // A folder measured in parts, not all of them yet: its score is only that of the files above.
      ...(notMeasured.length ? { notMeasured } : {}),
      // Measured in parts: which files each run measured, when, at which commit.
      ...(runs.length > 1 || used[0]?.run.files ? { runs } : {}),
    },
    survivors: { ...carried?.survivors, ...survivors },
  };
}

const asked = process.argv.slice(2);
const folders = (asked.length ? asked : Object.keys(MUTATION_FOLDERS)).filter((f) => reportsOf(f).length > 0);
const missing = asked.filter((f) => !folders.includes(f));
if (missing.length) console.error(`no report for ${missing.join(', ')} (run npm run test:mutation -- ${missing.join(' ')})`);

const previous = existsSync(target) ? JSON.parse(readFileSync(target, 'utf8')) : { folders: {}, survivors: {} };
const result = {
  about: 'StrykerJS mutation scores, each folder against its own unit tests (test/unit/<folder>/; npm run test:mutation; bench/mutationSummary.mjs). score = (killed + timeout) / (killed + timeout + survived + noCoverage), in %; scoreCovered leaves out mutants no test reaches. survivors: mutants no test noticed, by file.',
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
  folders: { ...previous.folders },
  notRun: [],
  // Written by hand (what a run could not say: a folder stopped part-way, a partial measurement); kept as is.
  notes: previous.notes ?? [],
  survivors: { ...previous.survivors },
};
for (const folder of folders) {
  const { summary, survivors } = summarize(folder, previous.folders?.[folder], previous.survivors ?? {});
  result.folders[folder] = summary;
  for (const file of Object.keys(result.survivors)) if (file.startsWith(`src/${folder}/`)) delete result.survivors[file];
  Object.assign(result.survivors, survivors);
}
result.notRun = Object.keys(MUTATION_FOLDERS).filter((f) => !result.folders[f]);
result.survivors = Object.fromEntries(Object.entries(result.survivors).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(target, `${JSON.stringify(result, null, 2)}\n`);
for (const [folder, s] of Object.entries(result.folders)) {
  console.log(`src/${folder}: ${s.score}% (${s.killed + s.timeout}/${s.killed + s.timeout + s.survived + s.noCoverage}; ${s.survived} survived, ${s.noCoverage} not covered)${s.runSeconds ? ` in ${s.runSeconds} s at concurrency ${s.concurrency}` : ''}, commit ${s.commit?.slice(0, 7)}${s.notMeasured ? `; not measured yet: ${s.notMeasured.length} of its files` : ''}`);
}
if (result.notRun.length) console.log(`not run: ${result.notRun.map((f) => `src/${f}`).join(', ')}`);
