import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigReading } from './configCache';
import { GitError, isGitError } from './gitError';
import { GitRunner, type GitRunnerOptions } from './gitRunner';

/** Where a repository lives on disk. */
export interface RepositoryLocation {
  /** Work tree root; for a bare repository, the repository directory itself. */
  root: string;
  /** This work tree's git dir (`.git`, or `.git/worktrees/x` for a linked worktree). */
  gitDir: string;
  /** The git dir shared by all worktrees (where refs/ and packed-refs live). */
  commonDir: string;
  bare: boolean;
}

/**
 * The repository containing `dir`, or undefined when it is not inside one. Symlinks are resolved so the same
 * repository reached two ways has one root. One git process.
 */
export async function findRepository(dir: string, runnerOptions: Omit<GitRunnerOptions, 'cwd'> = {}): Promise<RepositoryLocation | undefined> {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return undefined;
  }
  const runner = new GitRunner({ ...runnerOptions, cwd: real });
  const locate = ['rev-parse', '--path-format=absolute', '--is-bare-repository', '--git-dir', '--git-common-dir'];
  let out: string;
  try {
    // One process: `--show-toplevel` comes last, so where it fails (a bare repository, inside .git) git has
    // already printed the rest.
    out = await runner.exec([...locate, '--show-toplevel']);
  } catch (e) {
    if (!isGitError(e, 'NotARepository')) throw e;
    const printed = (e.detail.stdout ?? '').split('\n').filter((l) => l !== '');
    if (printed.length < 3 || !/work tree/i.test(e.detail.stderr ?? '')) return undefined;
    out = printed.slice(0, 3).join('\n');
  }
  const [bareText, gitDir, commonDir, topLevel] = out.split('\n') as [string, string, string, string | undefined];
  if (topLevel) return { root: realOr(topLevel), gitDir: realOr(gitDir), commonDir: realOr(commonDir), bare: bareText === 'true' };
  const bare = bareText === 'true';
  // Inside .git itself (not a work tree): the git dir's parent is the root.
  const root = bare ? gitDir : path.dirname(gitDir);
  return { root: realOr(root), gitDir: realOr(gitDir), commonDir: realOr(commonDir), bare };
}

/**
 * The repositories of a multi-root workspace: one entry per distinct repository (two folders inside the same
 * repository give one), in the order of `folders`; folders outside any repository are listed apart.
 */
export async function findRepositories(
  folders: readonly string[],
  runnerOptions: Omit<GitRunnerOptions, 'cwd'> = {},
): Promise<{ repositories: RepositoryLocation[]; notRepositories: string[] }> {
  const found = await Promise.all(folders.map((f) => findRepository(f, runnerOptions)));
  const repositories: RepositoryLocation[] = [];
  const notRepositories: string[] = [];
  const seen = new Set<string>();
  found.forEach((loc, i) => {
    if (!loc) notRepositories.push(folders[i] as string);
    else if (!seen.has(loc.root)) {
      seen.add(loc.root);
      repositories.push(loc);
    }
  });
  return { repositories, notRepositories };
}

/**
 * The files and directories whose change means refs changed: `<common>/refs` (recursively), `<common>/packed-refs`,
 * and `HEAD` of this work tree (and of the main one when they differ).
 */
export function refWatchPaths(location: Pick<RepositoryLocation, 'gitDir' | 'commonDir'>): { refsDir: string; files: string[] } {
  const files = [path.join(location.commonDir, 'packed-refs'), path.join(location.gitDir, 'HEAD')];
  if (location.commonDir !== location.gitDir) files.push(path.join(location.commonDir, 'HEAD'));
  return { refsDir: path.join(location.commonDir, 'refs'), files };
}

/** What the scribe needs to cite a file: where it is in its repository, at which commit, and the remote. */
export interface FileGitContext {
  repoRoot: string;
  /** Path relative to the repository root, with `/` separators. */
  relativePath: string;
  /** HEAD commit, undefined on an unborn branch. */
  head?: string;
  /** `origin` if it exists, else the first remote in config order. */
  remote?: { name: string; url: string };
  /** The file is tracked by git (not untracked or ignored). */
  tracked: boolean;
  /** The file differs from HEAD (staged or not), so line numbers may not match the commit. */
  modified: boolean;
}

/**
 * Gather {@link FileGitContext} for a file on disk; undefined when it is not inside a repository. Standalone: every
 * call looks everything up again (a {@link GitRepositories} keeps the repository, HEAD and remote between notes).
 */
export async function fileGitContext(filePath: string, runnerOptions: Omit<GitRunnerOptions, 'cwd'> = {}): Promise<FileGitContext | undefined> {
  const loc = await findRepository(path.dirname(path.resolve(filePath)), runnerOptions);
  const relativePath = loc ? pathInRepository(loc, filePath) : undefined;
  if (!loc || relativePath === undefined) return undefined;
  const runner = new GitRunner({ ...runnerOptions, cwd: loc.root });
  const [remote, { head, status }] = await Promise.all([readRemote(runner), readFileStatusAndHead(runner, relativePath)]);
  return buildFileGitContext(loc.root, relativePath, head, remote, status);
}

/**
 * `filePath` relative to the repository root with `/` separators (its directory's symlinks resolved, as the root's
 * are); undefined for a bare repository or a file outside the work tree. Pure but for the realpath.
 */
export function pathInRepository(loc: RepositoryLocation, filePath: string): string | undefined {
  if (loc.bare) return undefined;
  const abs = path.resolve(filePath);
  const realFile = path.join(realOr(path.dirname(abs)), path.basename(abs));
  const relativePath = path.relative(loc.root, realFile).split(path.sep).join('/');
  if (relativePath.startsWith('..') || path.isAbsolute(relativePath)) return undefined;
  return relativePath;
}

/** The HEAD commit; undefined on an unborn branch. */
export async function readHead(runner: GitRunner): Promise<string | undefined> {
  try {
    return (await runner.exec(['rev-parse', '--verify', '--end-of-options', 'HEAD^{commit}'])).trim();
  } catch (e) {
    if (isGitError(e, 'RefNotFound', 'Unknown')) return undefined;
    throw e;
  }
}

/**
 * Whether one file is tracked and whether it differs from HEAD, and the HEAD commit, from one
 * `git status --porcelain=v2 --branch` (its `# branch.oid` header), so the commit cited is the one the status was
 * read against; `head` is undefined on an unborn branch.
 */
export async function readFileStatusAndHead(runner: GitRunner, relativePath: string): Promise<{ head: string | undefined; status: { tracked: boolean; modified: boolean } }> {
  const out = await runner.exec(['status', '--porcelain=v2', '-z', '--branch', '--ignored=matching', '--untracked-files=all', '--', `:(literal)${relativePath}`]);
  const fields = out.split('\0');
  let head: string | undefined;
  const kinds: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    if (field === '') continue;
    if (field.startsWith('# ')) {
      const oid = /^# branch\.oid (\S+)$/.exec(field)?.[1];
      if (oid !== undefined) head = oid === '(initial)' ? undefined : oid;
      continue;
    }
    kinds.push(field.charAt(0));
    // A rename or copy (`2 …`) is followed by its original path in a field of its own.
    if (field.startsWith('2 ')) i++;
  }
  // `?` untracked, `!` ignored; `1` changed, `2` renamed or copied, `u` unmerged.
  const untracked = kinds.some((k) => k === '?' || k === '!');
  return { head, status: { tracked: !untracked, modified: kinds.length > 0 && !untracked } };
}

/** Assemble a {@link FileGitContext} (optional fields left out when unknown); pure. */
export function buildFileGitContext(
  repoRoot: string,
  relativePath: string,
  head: string | undefined,
  remote: { name: string; url: string } | undefined,
  status: { tracked: boolean; modified: boolean },
): FileGitContext {
  const ctx: FileGitContext = { repoRoot, relativePath, ...status };
  if (head) ctx.head = head;
  if (remote) ctx.remote = remote;
  return ctx;
}

/** `origin`'s URL if it exists, else the first remote's in config order. */
export async function readRemote(runner: GitRunner): Promise<{ name: string; url: string } | undefined> {
  return (await readRemoteReading(runner)).value;
}

/**
 * {@link readRemote} with whether the answer depends only on the repository's and the user's config files (not
 * on files the repository's config includes), so a cache keyed to those files may keep it.
 */
export async function readRemoteReading(runner: GitRunner): Promise<ConfigReading<{ name: string; url: string } | undefined>> {
  let out: string;
  try {
    out = await runner.exec(['config', '--null', '--show-scope', '--get-regexp', '^(remote\\..+\\.url|include\\..+|includeif\\..+)$']);
  } catch (e) {
    // Exit code 1 with no output: no remote configured.
    if (e instanceof GitError && e.detail.exitCode === 1) return { value: undefined, cacheable: true };
    throw e;
  }
  return parseRemotes(out);
}

/**
 * Parse `git config --null --show-scope --get-regexp` output (`scope NUL key LF value NUL` entries) of remote URLs
 * and include keys: `origin` if it exists, else the first remote in config order; not cacheable when the
 * repository's own config includes other files. Pure.
 */
export function parseRemotes(out: string): ConfigReading<{ name: string; url: string } | undefined> {
  const remotes: Array<{ name: string; url: string }> = [];
  let cacheable = true;
  const fields = out.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const scope = fields[i] as string;
    const entry = fields[i + 1] as string;
    const nl = entry.indexOf('\n');
    const key = nl < 0 ? entry : entry.slice(0, nl);
    if (/^include(if)?\./i.test(key)) {
      if (scope !== 'global' && scope !== 'system') cacheable = false;
      continue;
    }
    if (nl < 0) continue;
    const m = /^remote\.(.+)\.url$/.exec(key);
    if (m?.[1] && !remotes.some((r) => r.name === m[1])) remotes.push({ name: m[1], url: entry.slice(nl + 1) });
  }
  return { value: remotes.find((r) => r.name === 'origin') ?? remotes[0], cacheable };
}

/** Whether `sha` is reachable from any remote-tracking branch (i.e. a permalink to it will resolve). */
export async function isOnRemoteBranch(runner: GitRunner, sha: string): Promise<boolean> {
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new GitError('InvalidRefName', `Not a commit id: ${JSON.stringify(sha)}`);
  const out = await runner.exec(['for-each-ref', '--count=1', `--contains=${sha}`, '--format=%(refname)', 'refs/remotes/']);
  return out.trim().length > 0;
}

function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}
