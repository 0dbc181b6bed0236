import type { Deploy } from './deployDiscovery';
import type { GitRunner } from './gitRunner';
import { assertSafeRevision } from './refName';

export type FileChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typeChanged';

/** One file a deploy changed relative to the previous deploy. */
export interface FileChange {
  status: FileChangeStatus;
  /** Path after the change (for `deleted`, the path that was removed). Repository-relative, `/`-separated. */
  path: string;
  /** Path before a rename or copy. */
  oldPath?: string;
  /** Lines added / removed; undefined for binary files. */
  additions?: number;
  deletions?: number;
  /** git considers the content binary (numstat `-  -`): show it as such, don't dump it. */
  binary: boolean;
  /** A submodule (gitlink) entry: there is no file content to show. */
  submodule: boolean;
  /** Rename/copy similarity in percent. */
  similarity?: number;
  oldMode: string;
  newMode: string;
  /** Blob ids; undefined on the side where the file does not exist. */
  oldBlob?: string;
  newBlob?: string;
}

/** The changed files between two commits, and the revisions to read each side from. */
export interface DiffListing {
  /** Left side: the previous deploy's commit, or the empty tree for a first deploy. */
  from: string;
  to: string;
  files: FileChange[];
}

const EMPTY_TREE: Record<string, string> = {
  40: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  64: '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321',
};

const STATUS: Record<string, FileChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'typeChanged' };

/**
 * The files changed from `from` to `to` (one `git diff-tree` with rename detection, raw + numstat in one pass).
 * `from` undefined means "since nothing": every file is added.
 */
export async function listChangedFiles(runner: GitRunner, from: string | undefined, to: string, options: { signal?: AbortSignal } = {}): Promise<DiffListing> {
  assertSafeRevision(to, 'commit');
  if (from !== undefined) assertSafeRevision(from, 'commit');
  const left = from ?? EMPTY_TREE[to.length] ?? (EMPTY_TREE[40] as string);
  const out = await runner.exec(
    ['diff-tree', '-r', '-z', '--find-renames', '--raw', '--numstat', '--no-textconv', '--no-ext-diff', '--no-color', '--end-of-options', left, to],
    options.signal ? { signal: options.signal } : {},
  );
  return { from: left, to, files: parseRawNumstat(out) };
}

/** The files a deploy shipped: its diff against the previous deploy (or against nothing for the first one). */
export function listDeployFiles(runner: GitRunner, deploy: Pick<Deploy, 'sha' | 'previous'>, options: { signal?: AbortSignal } = {}): Promise<DiffListing> {
  return listChangedFiles(runner, deploy.previous?.sha, deploy.sha, options);
}

/**
 * Parse `diff-tree -z --raw --numstat` output (raw records first, then one numstat record per file in the same
 * order); pure, exported for tests.
 */
export function parseRawNumstat(out: string): FileChange[] {
  const tokens = out.split('\0');
  let i = 0;
  const files: FileChange[] = [];
  // diff-tree with two tree-ish arguments prints no commit header: raw records start right away.
  while (i < tokens.length && (tokens[i] as string).startsWith(':')) {
    const meta = (tokens[i++] as string).slice(1).split(' ');
    const [oldMode = '', newMode = '', oldBlob = '', newBlob = '', statusField = ''] = meta;
    const letter = statusField.charAt(0);
    const status = STATUS[letter] ?? 'modified';
    const first = tokens[i++] ?? '';
    const change: FileChange = { status, path: first, binary: false, submodule: oldMode === '160000' || newMode === '160000', oldMode, newMode };
    if (letter === 'R' || letter === 'C') {
      change.oldPath = first;
      change.path = tokens[i++] ?? '';
      const sim = Number(statusField.slice(1));
      if (Number.isFinite(sim)) change.similarity = sim;
    }
    if (!/^0+$/.test(oldBlob)) change.oldBlob = oldBlob;
    if (!/^0+$/.test(newBlob)) change.newBlob = newBlob;
    files.push(change);
  }
  // numstat: "add\tdel\tpath" or, for renames, "add\tdel\t" followed by two path tokens.
  for (const change of files) {
    const rec = tokens[i++];
    if (rec === undefined) break;
    const [a, d, p] = rec.split('\t');
    if (p === '') i += 2;
    if (a === '-' && d === '-') change.binary = true;
    else {
      change.additions = Number(a);
      change.deletions = Number(d);
    }
  }
  return files;
}
