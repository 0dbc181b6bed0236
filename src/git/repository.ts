import * as fs from 'node:fs';
import * as path from 'node:path';
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

type RunnerFactory = (cwd: string) => GitRunner;
const defaultFactory =
  (base: Omit<GitRunnerOptions, 'cwd'> = {}): RunnerFactory =>
  (cwd) =>
    new GitRunner({ ...base, cwd });

/**
 * The repository containing `dir`, or undefined when it is not inside one. Symlinks are resolved so the same
 * repository reached two ways has one root.
 */
export async function findRepository(dir: string, runnerOptions: Omit<GitRunnerOptions, 'cwd'> = {}): Promise<RepositoryLocation | undefined> {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return undefined;
  }
  const runner = defaultFactory(runnerOptions)(real);
  let out: string;
  try {
    out = await runner.exec(['rev-parse', '--path-format=absolute', '--is-bare-repository', '--git-dir', '--git-common-dir']);
  } catch (e) {
    if (isGitError(e, 'NotARepository')) return undefined;
    throw e;
  }
  const [bareText, gitDir, commonDir] = out.split('\n') as [string, string, string];
  const bare = bareText === 'true';
  let root = gitDir;
  if (!bare) {
    try {
      root = (await runner.exec(['rev-parse', '--show-toplevel'])).trim();
    } catch (e) {
      // Inside .git itself: not a work tree; treat the git dir's parent as the root.
      if (!isGitError(e, 'NotARepository')) throw e;
      root = path.dirname(gitDir);
    }
  }
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

/** Gather {@link FileGitContext} for a file on disk; undefined when it is not inside a repository. */
export async function fileGitContext(filePath: string, runnerOptions: Omit<GitRunnerOptions, 'cwd'> = {}): Promise<FileGitContext | undefined> {
  const abs = path.resolve(filePath);
  const dir = path.dirname(abs);
  const loc = await findRepository(dir, runnerOptions);
  if (!loc || loc.bare) return undefined;
  const realFile = path.join(realOr(dir), path.basename(abs));
  const relativePath = path.relative(loc.root, realFile).split(path.sep).join('/');
  if (relativePath.startsWith('..') || path.isAbsolute(relativePath)) return undefined;
  const runner = new GitRunner({ ...runnerOptions, cwd: loc.root });

  const [head, remote, status] = await Promise.all([
    runner.exec(['rev-parse', '--verify', '--end-of-options', 'HEAD^{commit}']).then(
      (s) => s.trim(),
      (e: unknown) => {
        if (isGitError(e, 'RefNotFound', 'Unknown')) return undefined;
        throw e;
      },
    ),
    readRemote(runner),
    runner.exec(['status', '--porcelain=v1', '-z', '--branch', '--ignored=matching', '--untracked-files=all', '--', `:(literal)${relativePath}`]),
  ]);
  const entries = status.split('\0').filter((e) => e !== '' && !e.startsWith('## '));
  const untracked = entries.some((e) => e.startsWith('?? ') || e.startsWith('!! '));
  const ctx: FileGitContext = { repoRoot: loc.root, relativePath, tracked: !untracked, modified: entries.length > 0 && !untracked };
  if (head) ctx.head = head;
  if (remote) ctx.remote = remote;
  return ctx;
}

/** `origin`'s URL if it exists, else the first remote's in config order. */
export async function readRemote(runner: GitRunner): Promise<{ name: string; url: string } | undefined> {
  let out: string;
  try {
    out = await runner.exec(['config', '--null', '--get-regexp', '^remote\\..*\\.url$']);
  } catch (e) {
    // Exit code 1 with no output: no remote configured.
    if (e instanceof GitError && e.detail.exitCode === 1) return undefined;
    throw e;
  }
  const remotes: Array<{ name: string; url: string }> = [];
  for (const entry of out.split('\0')) {
    const nl = entry.indexOf('\n');
    if (nl < 0) continue;
    const key = entry.slice(0, nl);
    const m = /^remote\.(.+)\.url$/.exec(key);
    if (m?.[1] && !remotes.some((r) => r.name === m[1])) remotes.push({ name: m[1], url: entry.slice(nl + 1) });
  }
  return remotes.find((r) => r.name === 'origin') ?? remotes[0];
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
