import type { CommitSummary } from './deployCommits';
import type { Deploy } from './deployDiscovery';
import type { GitRunner } from './gitRunner';
import { assertSafeRevision } from './refName';

/**
 * The deploy-window lens's git side (issue "The incident in the code"): which lines of a file the deploys of an
 * incident's window changed, and where those lines are in the text the responder is reading now.
 *
 * One git walk per deploy range, all files at once, kept per deploy (the range is immutable): `git diff
 * --unified=0` from the previous deploy to the deploy gives every hunk of every file with its new lines, and one
 * `git log --name-only` over the same range the commits that touched each file. A file no deploy of the window
 * touched is a map miss: it costs nothing. Placing a file's hunks in the current text needs the file at the deploy
 * (one `git show`, kept per deploy and path) and a line diff against the editor's text, so the marks follow edits
 * and vanish from a line that no longer matches.
 */

/** Lines a deploy added or changed in one file, as numbered in the file at the deploy's commit (0-based). */
export interface DeployHunk {
  readonly start: number;
  readonly lines: readonly string[];
}

/** What a deploy changed, file by file. */
export interface DeployChanges {
  /** Repository-relative path (`/`-separated) → its hunks, in line order. Deleted files are absent. */
  readonly hunks: ReadonlyMap<string, readonly DeployHunk[]>;
}

/** Path → the range's commits that touched it, newest first (subjects as git has them: escape before showing). */
export type CommitsByFile = ReadonlyMap<string, readonly CommitSummary[]>;

/** Hunks larger than this many lines (a generated or vendored file) are kept without their text: nothing to place. */
const MAX_HUNK_LINES = 5000;
const FORMAT = ['%H', '%P', '%an', '%ae', '%at', '%s'].join('%x00');
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Every hunk of a deploy's range, all files (one git process). */
export async function readDeployChanges(runner: GitRunner, deploy: Pick<Deploy, 'sha' | 'previous'>, options: { signal?: AbortSignal } = {}): Promise<DeployChanges> {
  assertSafeRevision(deploy.sha, 'commit');
  const from = deploy.previous?.sha;
  if (from !== undefined) assertSafeRevision(from, 'commit');
  const diff = await runner.exec(['diff', '--unified=0', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '--end-of-options', from ?? EMPTY_TREE, deploy.sha, '--'], options.signal ? { signal: options.signal } : {});
  return { hunks: parseZeroContextDiff(diff) };
}

/** The commits of a deploy's range that touched each file (one git process; read for the hover, not for the marks). */
export async function readDeployCommitsByFile(runner: GitRunner, deploy: Pick<Deploy, 'sha' | 'previous'>, options: { signal?: AbortSignal } = {}): Promise<CommitsByFile> {
  assertSafeRevision(deploy.sha, 'commit');
  const from = deploy.previous?.sha;
  if (from !== undefined) assertSafeRevision(from, 'commit');
  const log = await runner.exec(['log', '--no-renames', '--name-only', `--format=%x01${FORMAT}`, '--end-of-options', deploy.sha, ...(from ? [`^${from}`] : []), '--'], options.signal ? { signal: options.signal } : {});
  return parseNameOnlyLog(log);
}

/** `git diff --unified=0` → path → hunks of the new side (pure; exported for tests). */
export function parseZeroContextDiff(out: string): Map<string, DeployHunk[]> {
  const files = new Map<string, DeployHunk[]>();
  let current: DeployHunk[] | undefined;
  let hunk: { start: number; lines: string[]; left: number } | undefined;
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (hunk && hunk.left > 0) {
      if (line.startsWith('+')) {
        if (hunk.lines.length < MAX_HUNK_LINES) hunk.lines.push(line.slice(1).replace(/\r$/, ''));
        hunk.left--;
        continue;
      }
      if (line.startsWith('-') || line.startsWith('\\')) continue; // removed lines; "\ No newline at end of file"
    }
    if (line.startsWith('diff --git ')) {
      current = undefined;
      hunk = undefined;
    } else if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      if (target === '/dev/null') current = undefined;
      else {
        const p = unquote(target).replace(/^b\//, '');
        current = [];
        files.set(p, current);
      }
    } else if (line.startsWith('@@ ') && current) {
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) continue;
      const count = m[2] === undefined ? 1 : Number(m[2]);
      if (count === 0) {
        hunk = undefined; // lines only removed: no line of the new file to mark
        continue;
      }
      hunk = { start: Number(m[1]) - 1, lines: [], left: count };
      current.push(hunk);
    }
  }
  for (const [p, hunks] of files) {
    if (hunks.length === 0) files.delete(p);
    else files.set(p, hunks.map((h) => ({ start: h.start, lines: h.lines })));
  }
  return files;
}

/** `git log --name-only --format=%x01<FORMAT>` → path → commits (pure; exported for tests). */
export function parseNameOnlyLog(out: string): Map<string, CommitSummary[]> {
  const byPath = new Map<string, CommitSummary[]>();
  for (const block of out.split('\x01')) {
    if (block.trim() === '') continue;
    const [header = '', ...paths] = block.split('\n');
    const [sha = '', parents = '', name = '', email = '', at = '0', subject = ''] = header.split('\x00');
    const commit: CommitSummary = { sha, parents: parents ? parents.split(' ') : [], author: { name, email }, time: new Date(Number(at) * 1000).toISOString(), subject };
    for (const raw of paths) {
      if (raw === '') continue;
      const p = unquote(raw);
      const list = byPath.get(p);
      if (list) list.push(commit);
      else byPath.set(p, [commit]);
    }
  }
  return byPath;
}

/** git's C-style quoting of unusual path names (`"a\"b"`, `"\303\251"`), undone. */
function unquote(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"')) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(escapes[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Where each line of `before` is in `after`: its index, or -1 when it was changed or removed (pure). A Myers
 * shortest edit script over whole lines (the common prefix and suffix are matched first, so the usual case, an edit
 * in one place, costs one pass); O((N+M)·D) for D differing lines.
 */
export function mapLines(before: readonly string[], after: readonly string[]): Int32Array {
  const map = new Int32Array(before.length).fill(-1);
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) {
    map[start] = start;
    start++;
  }
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
    map[endB] = endA;
  }
  const n = endB - start;
  const m = endA - start;
  if (n === 0 || m === 0) return map;
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && before[start + x] === after[start + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace back from (n, m), recording the diagonal (matching) moves.
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      map[start + x] = start + y;
    }
    if (d > 0) {
      x = prevX;
      y = prevY;
    }
  }
  return map;
}

/** A run of current lines one deploy changed, still as the deploy left them (0-based, end exclusive). */
export interface PlacedRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Place a deploy's hunks of one file in the text the responder has now (pure): a hunk's lines that still read as
 * the deploy left them and sit where a line diff puts them; lines edited or removed since drop out, and a hunk
 * split by an edit gives two ranges. `atDeploy` is the whole file at the deploy's commit.
 */
export function placeHunks(hunks: readonly DeployHunk[], atDeploy: readonly string[], now: readonly string[]): PlacedRange[] {
  const map = atDeploy === now ? null : mapLines(atDeploy, now);
  const ranges: PlacedRange[] = [];
  for (const h of hunks) {
    let runStart = -1;
    let runEnd = -1;
    for (let i = 0; i < h.lines.length; i++) {
      const at = h.start + i;
      if (atDeploy[at] !== h.lines[i]) continue; // the hunk does not describe this file's text: mark nothing wrong
      const to = map ? map[at]! : at;
      if (to < 0) continue;
      if (runStart >= 0 && to === runEnd) runEnd = to + 1;
      else {
        if (runStart >= 0) ranges.push({ start: runStart, end: runEnd });
        runStart = to;
        runEnd = to + 1;
      }
    }
    if (runStart >= 0) ranges.push({ start: runStart, end: runEnd });
  }
  return ranges;
}

/** Split text into lines as an editor numbers them (`\r\n` and `\n`). */
export const splitLines = (text: string): string[] => text.split(/\r?\n/);

/**
 * The deploys of an incident's lens window, newest first (pure): the deploy running at detection and the ones
 * before it, `count` in all. Without a detection time, the newest deploy counts as the one running.
 */
export function lensWindow<D extends Pick<Deploy, 'epochSeconds'>>(deploys: readonly D[], detectedAt: string | undefined, count: number): D[] {
  const byTime = [...deploys].sort((a, b) => b.epochSeconds - a.epochSeconds);
  const t = detectedAt === undefined ? Infinity : Date.parse(detectedAt) / 1000;
  const running = byTime.findIndex((d) => d.epochSeconds <= t);
  return running < 0 ? [] : byTime.slice(running, running + Math.max(0, count));
}

/** Lines of the current text one deploy of the window changed, with that deploy. */
export interface LensMark<D = Deploy> extends PlacedRange {
  readonly deploy: D;
}

/** What {@link lensMarks} reads through (a GitRepository: kept per deploy and per commit and path). */
export interface LensSource {
  deployChanges(deploy: Pick<Deploy, 'sha' | 'previous'>): Promise<DeployChanges>;
  linesAtRevision(sha: string, filePath: string): Promise<readonly string[] | undefined>;
}

/**
 * The lens marks of one file (repository-relative path) in its current text: each deploy of the window, newest
 * first, marks the lines it changed that still read as it left them; a line changed by several deploys is the newest
 * one's. A file no deploy of the window touched reads nothing but the kept change sets (and its text is not split
 * when `now` is given as a function). A deploy with no previous one known marks nothing.
 */
export async function lensMarks<D extends Pick<Deploy, 'sha' | 'previous'>>(
  source: LensSource, window: readonly D[], filePath: string, now: readonly string[] | (() => readonly string[]),
): Promise<LensMark<D>[]> {
  // A deploy with no previous one known (the oldest listed) has no range: it would claim every line of every file.
  const sets = await Promise.all(window.map((d) => (d.previous ? source.deployChanges(d) : undefined)));
  // The file at each deploy that touched it, read together.
  const texts = await Promise.all(window.map((d, i) => (sets[i]?.hunks.has(filePath) ? source.linesAtRevision(d.sha, filePath) : undefined)));
  const marks: LensMark<D>[] = [];
  if (!texts.some(Boolean)) return marks;
  // The current text is split only for a file the window touched (`now` may be a function: the editor's text).
  const current = typeof now === 'function' ? now() : now;
  const claimed = new Set<number>();
  for (let i = 0; i < window.length; i++) {
    const hunks = sets[i]?.hunks.get(filePath);
    const atDeploy = texts[i];
    if (!hunks || !atDeploy) continue;
    const deploy = window[i]!;
    for (const r of placeHunks(hunks, atDeploy, current)) {
      // Lines a newer deploy already claimed split this range.
      let start = -1;
      for (let line = r.start; line <= r.end; line++) {
        const free = line < r.end && !claimed.has(line);
        if (free && start < 0) start = line;
        if (!free && start >= 0) {
          marks.push({ start, end: line, deploy });
          start = -1;
        }
      }
      for (let line = r.start; line < r.end; line++) claimed.add(line);
    }
  }
  return marks.sort((a, b) => a.start - b.start);
}
