import { GitError } from './gitError';

/**
 * `git check-ref-format` rules, in plain code so validating a ref costs no process (and so a hostile value is
 * refused before anything is spawned). The tests compare this against the real `git check-ref-format`.
 *
 * `allowOneLevel` mirrors `--allow-onelevel`; the name is otherwise expected to be a full ref (`refs/...`).
 */
export function isValidRefFormat(name: string, options: { allowOneLevel?: boolean } = {}): boolean {
  if (name.length === 0 || name === '@') return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // control characters, DEL, space ~ ^ : ? * [ \
    if (c < 0x20 || c === 0x7f || ' ~^:?*[\\'.includes(name[i] as string)) return false;
  }
  const parts = name.split('/');
  if (!options.allowOneLevel && parts.length < 2) return false;
  for (const part of parts) {
    if (part.length === 0 || part.startsWith('.') || part.endsWith('.lock')) return false;
  }
  return true;
}

/** A branch name (short, without `refs/heads/`) that git accepts and that can never be read as an option. */
export function isValidBranchName(name: string): boolean {
  return !name.startsWith('-') && name !== 'HEAD' && isValidRefFormat(`refs/heads/${name}`);
}

/** A tag name (short, without `refs/tags/`) that git accepts and that can never be read as an option. */
export function isValidTagName(name: string): boolean {
  return !name.startsWith('-') && isValidRefFormat(`refs/tags/${name}`);
}

/** A remote name: the same rules as git's `valid_remote_name` plus no leading dash. */
export function isValidRemoteName(name: string): boolean {
  return !name.startsWith('-') && isValidRefFormat(`refs/remotes/${name}/x`) && !name.includes('/');
}

const HEX_SHA = /^[0-9a-f]{4,64}$/;

/** A full or abbreviated object id in lowercase hex. */
export function isHexSha(s: string): boolean {
  return HEX_SHA.test(s);
}

/**
 * A revision we are willing to hand to git: a hex object id or a valid ref name (short or full). Because ref
 * names cannot hold `~ ^ : ..` nor start with `-` here, a value passing this names exactly one thing and is
 * never read as an option or as revision syntax.
 */
export function isSafeRevision(rev: string): boolean {
  if (isHexSha(rev)) return true;
  if (rev.startsWith('-')) return false;
  return isValidRefFormat(rev, { allowOneLevel: true });
}

/** Throws `InvalidRefName` unless `rev` passes {@link isSafeRevision}. */
export function assertSafeRevision(rev: string, what = 'revision'): string {
  if (!isSafeRevision(rev)) throw new GitError('InvalidRefName', `Refusing ${what} ${JSON.stringify(rev)}: not a valid git ref name or commit id.`);
  return rev;
}

/** Throws `InvalidRefName` unless `name` passes {@link isValidBranchName}. */
export function assertBranchName(name: string, what = 'branch name'): string {
  if (!isValidBranchName(name)) throw new GitError('InvalidRefName', `Refusing ${what} ${JSON.stringify(name)}: git check-ref-format rejects it.`);
  return name;
}

/** Throws `InvalidRefName` unless `name` passes {@link isValidRemoteName}. */
export function assertRemoteName(name: string): string {
  if (!isValidRemoteName(name)) throw new GitError('InvalidRefName', `Refusing remote name ${JSON.stringify(name)}.`);
  return name;
}

/**
 * A tag glob from settings (`deploy/*`, `release-*`, `v*`): ref-name characters plus `*`, `?` and `[...]`
 * classes, so it can only ever be a pattern under `refs/tags/`.
 */
export function isValidTagPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > 200 || pattern.startsWith('-')) return false;
  // Check it as a ref with each glob character replaced by a plain one.
  const probe = pattern.replace(/\[!?\]?[^\]]*\]/g, 'x').replace(/[*?]/g, 'x');
  if (probe.includes('[') || probe.includes(']')) return false;
  return isValidRefFormat(`refs/tags/${probe}`);
}

/**
 * Turn free text (a tag like `deploy/2024-05-01` or `v1.2`) into something safe inside one ref component:
 * `[A-Za-z0-9._-]`, no leading dot or dash, no `.lock` ending, at most `max` characters.
 */
export function toRefComponent(text: string, max = 60): string {
  let s = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+/, '')
    .slice(0, max)
    .replace(/[-.]+$/, '');
  if (s.endsWith('.lock')) s = s.slice(0, -5);
  return s.length > 0 ? s : 'x';
}
