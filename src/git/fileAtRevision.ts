import { GitError } from './gitError';
import type { GitRunner } from './gitRunner';
import { assertSafeRevision } from './refName';

/** Above this many bytes a file is "huge": described, not loaded into an editor (default 5 MiB). */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

/** How much of a file git itself looks at to decide it is binary. */
const BINARY_SNIFF_BYTES = 8000;

/** A file's content at a revision, or why it is not shown. */
export type FileAtRevision =
  | { kind: 'text'; size: number; bytes: Buffer }
  | { kind: 'binary'; size: number; bytes: Buffer }
  | { kind: 'huge'; size: number }
  | { kind: 'missing' };

function checkPath(filePath: string): string {
  if (filePath === '' || filePath.includes('\0') || filePath.startsWith('/')) {
    throw new GitError('UnsafeInput', `Refusing path ${JSON.stringify(filePath)}: expected a repository-relative path.`);
  }
  return filePath;
}

/**
 * The exact bytes of `git show REV:PATH` for a file (read with `git cat-file blob`, which for a blob gives the
 * same bytes without any conversion). Rejects with `PathNotFound` / `RefNotFound`.
 */
export async function showFileBytes(runner: GitRunner, rev: string, filePath: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  assertSafeRevision(rev);
  checkPath(filePath);
  return runner.catFileBuffer(['blob', '--end-of-options', `${rev}:${filePath}`], options.signal ? { signal: options.signal } : {});
}

/** True when `bytes` look binary the way git decides it: a NUL byte in the first 8000 bytes. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

/**
 * A file at a revision for the diff view: its size first (so a huge file is never read), then its bytes,
 * classified text or binary. A path that does not exist at `rev` (the left side of an added file) is `missing`.
 */
export async function readFileAtRevision(
  runner: GitRunner,
  rev: string,
  filePath: string,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<FileAtRevision> {
  assertSafeRevision(rev);
  checkPath(filePath);
  const exec = options.signal ? { signal: options.signal } : {};
  let size: number;
  try {
    size = Number((await runner.exec(['cat-file', '-s', '--end-of-options', `${rev}:${filePath}`], exec)).trim());
  } catch (e) {
    if (e instanceof GitError && e.code === 'PathNotFound') return { kind: 'missing' };
    throw e;
  }
  if (size > (options.maxBytes ?? DEFAULT_MAX_BYTES)) return { kind: 'huge', size };
  const bytes = await showFileBytes(runner, rev, filePath, options);
  return { kind: looksBinary(bytes) ? 'binary' : 'text', size, bytes };
}

/** A one-line description for a file shown as such instead of its content (`Binary file, 1.2 MB`). */
export function describeUnshownFile(file: FileAtRevision): string | undefined {
  switch (file.kind) {
    case 'binary':
      return `Binary file, ${formatBytes(file.size)}: not shown.`;
    case 'huge':
      return `Large file, ${formatBytes(file.size)}: not shown.`;
    case 'missing':
      return 'The file does not exist at this revision.';
    default:
      return undefined;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GB`;
}
