import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Whether `candidate` is `base` itself or inside it, by the relation of the two paths (not by string prefix:
 * `/home/u/repo-secrets` is not inside `/home/u/repo`). Both are resolved first; no file system access.
 */
export function isInside(base: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(base), path.resolve(candidate));
  if (rel === '') return true;
  // `..` as the first segment leaves base; a file named `..foo` does not. On Windows another drive gives an
  // absolute result.
  return rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel);
}

/**
 * The real path of `relative` (a path with `/` separators, as it arrives from the channel) under `base`, when it
 * exists and stays inside `base` both as written and after following symlinks; undefined otherwise (an absolute
 * path, `..` out of `base`, a symlink to a file elsewhere, a NUL, nothing there).
 */
export async function resolveInside(base: string, relative: string): Promise<string | undefined> {
  if (relative === '' || relative.includes('\0')) return undefined;
  const native = relative.split('/').join(path.sep);
  if (path.isAbsolute(native) || path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative)) return undefined;
  const candidate = path.resolve(base, native);
  if (!isInside(base, candidate)) return undefined;
  let realBase: string;
  let realCandidate: string;
  try {
    [realBase, realCandidate] = await Promise.all([fs.realpath(base), fs.realpath(candidate)]);
  } catch {
    return undefined;
  }
  return isInside(realBase, realCandidate) ? realCandidate : undefined;
}
