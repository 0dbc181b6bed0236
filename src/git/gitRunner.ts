import type { SimpleGit, SimpleGitOptions } from 'simple-git';
import type { ConfigCache, ConfigReading } from './configCache';
import { classifyGitStderr, formatGitCommand, GitError, summarizeStderr } from './gitError';
import { OperationQueue, type QueueState } from './operationQueue';

export type { QueueState } from './operationQueue';

/**
 * The one door every git call in Incident Room goes through (CONVENTIONS.md rule 7).
 *
 * - Built on simple-git, with its argv and environment guards left on: a value like `--upload-pack=…` that
 *   slipped past our own validation is still refused before a process starts.
 * - Every failure becomes a {@link GitError} whose `code` is classified from git's stderr.
 * - Commands that change the repository go through {@link GitRunner.run}, the repository's operation queue: its
 *   {@link GitRepository} hands the same queue to every runner it makes (a runner made on its own has a queue of
 *   its own).
 * - A call can be cancelled with an AbortSignal (the git process is killed; the error code is `Cancelled`).
 *
 * - A repository's own config must not choose what runs: every call that only reads (every subcommand but the
 *   few in {@link MUTATING_SUBCOMMANDS}) runs with the overrides of {@link readOnlyArgs}, which neutralise the
 *   programs a `.git/config`, a hook or an attributes file can name (fsmonitor, gpg, hooks, filters, external
 *   diff and textconv, pager). A cloned repository is data, and reading it must not execute it.
 *
 * Callers build argv themselves, starting with the subcommand (global options are the runner's alone); user or
 * repo data goes in only after validation (see refName.ts) and after `--end-of-options` or `--` where git
 * supports them.
 */
export interface GitRunnerOptions {
  /** Repository root (a work tree root or a bare repository). */
  cwd: string;
  /**
   * Extra environment for git, e.g. VS Code's askpass variables for a push. Keys named here pass simple-git's
   * environment guard, which otherwise strips every ambient `GIT_*`, `EDITOR`, `PAGER`, … from the child.
   */
  env?: Readonly<Record<string, string>>;
  /** Path of the git executable (default `git` on PATH). */
  binary?: string;
  /** Kill a git process that has printed nothing for this long. Default 120 s; 0 disables. */
  idleTimeoutMs?: number;
  /** At most this many git processes at once from this runner (default 4). */
  maxConcurrent?: number;
  /** Called with each command line before it runs (for the extension's log channel). */
  log?: (line: string) => void;
  /** Pass the ambient GIT_SSH_COMMAND, GIT_SSH, GIT_ASKPASS and SSH_ASKPASS through to git (default true). */
  inheritAuthEnvironment?: boolean;
  /** The repository's operation queue (its GitRepository's); default a new one for this runner alone. */
  queue?: OperationQueue;
  /**
   * Where the repository's filter-driver names are kept between calls (its GitRepository's, keyed to its config
   * files); without one they are read with a `git config` before each command that reads the work tree.
   */
  filterDriverCache?: ConfigCache<string[]>;
}

const AUTH_ENV_KEYS = ['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_ASKPASS', 'SSH_ASKPASS'] as const;

/**
 * The subcommands that change a repository (the rollback's steps and their cleanup). They run with the
 * repository's config as it is: in a trusted workspace, after a modal confirm, the user's hooks and signing apply.
 * Every other subcommand is treated as a read, so one that is missing here fails safe (its hooks do not run).
 */
export const MUTATING_SUBCOMMANDS: ReadonlySet<string> = new Set([
  'add', 'am', 'apply', 'branch', 'checkout', 'cherry-pick', 'clean', 'clone', 'commit', 'fetch', 'gc', 'init', 'merge',
  'mv', 'notes', 'pull', 'push', 'rebase', 'reset', 'restore', 'revert', 'rm', 'stash', 'submodule', 'switch', 'tag',
  'update-ref', 'worktree',
]);

/** A program path that can never exist (nothing lives under /dev/null), for settings that name a program. */
const NO_PROGRAM = '/dev/null/incident-room-runs-no-program';

/**
 * `-c` settings of every read: what a repository's config can make a read run, switched off.
 * - `core.fsmonitor`: a program run by anything that looks at the index (`status`, `diff`);
 * - `core.hooksPath`: `post-index-change` runs when `status` refreshes the index (also kept from writing it by
 *   `--no-optional-locks`);
 * - `log.showSignature` and the `gpg.*.program`s: `log` verifying a signed commit runs the configured gpg;
 * - `protocol.ext.allow`: the `ext::` transport runs a command as the "remote" (`ls-remote` of such a URL).
 */
export const READ_ONLY_CONFIG: readonly string[] = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'log.showSignature=false',
  `gpg.program=${NO_PROGRAM}`,
  `gpg.openpgp.program=${NO_PROGRAM}`,
  `gpg.x509.program=${NO_PROGRAM}`,
  `gpg.ssh.program=${NO_PROGRAM}`,
  'protocol.ext.allow=never',
];

// Options after the subcommand, where the program is chosen per path by .gitattributes (repository data):
// external diff drivers and textconv filters, and signature display; submodules are not entered (each has a
// config of its own, whose filter drivers the runner cannot see).
const READ_ONLY_SUBCOMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  log: ['--no-show-signature', '--no-ext-diff', '--no-textconv'],
  show: ['--no-show-signature', '--no-ext-diff', '--no-textconv'],
  diff: ['--no-ext-diff', '--no-textconv', '--ignore-submodules=all'],
  'diff-tree': ['--no-ext-diff', '--no-textconv'],
  'diff-index': ['--no-ext-diff', '--no-textconv', '--ignore-submodules=all'],
  'diff-files': ['--no-ext-diff', '--no-textconv', '--ignore-submodules=all'],
  status: ['--ignore-submodules=all'],
  // `remote.<name>.uploadpack` is the program run on the other end, which for a local or ssh remote means here
  'ls-remote': ['--upload-pack=git-upload-pack'],
};

// Subcommands that read work-tree files and so run the clean filter an attributes file names for them.
const READS_WORK_TREE = new Set(['status', 'diff', 'diff-index', 'diff-files']);

// What simple-git's argv guard must allow for READ_ONLY_CONFIG and the filter overrides: only ever the runner's
// own fixed values (caller argv cannot carry global options, see assertSubcommandFirst).
const READ_ONLY_UNSAFE = {
  allowUnsafeFsMonitor: true,
  allowUnsafeHooksPath: true,
  allowUnsafeGpgProgram: true,
  allowUnsafeProtocolOverride: true,
  allowUnsafeFilter: true,
  allowUnsafePack: true,
} as const;

/** Whether `git <args>` only reads (and so runs with {@link readOnlyArgs}). */
export function isReadOnly(args: readonly string[]): boolean {
  return !MUTATING_SUBCOMMANDS.has(args[0] ?? '');
}

/**
 * The full argv of a read: global options that keep git from running any program the repository's config or
 * attributes name, then the subcommand, the flags of {@link READ_ONLY_SUBCOMMAND_FLAGS}, and the caller's arguments.
 * `filterDrivers` are the filter driver names the repository's config defines (their clean/smudge/process
 * commands are emptied). Pure; exported for tests.
 */
export function readOnlyArgs(args: readonly string[], filterDrivers: readonly string[] = []): string[] {
  const [sub = '', ...rest] = args;
  const filters = filterDrivers.flatMap((name) => [
    '-c', `filter.${name}.clean=`, '-c', `filter.${name}.smudge=`, '-c', `filter.${name}.process=`, '-c', `filter.${name}.required=false`,
  ]);
  return [
    '--no-pager', '--no-optional-locks',
    ...READ_ONLY_CONFIG.flatMap((c) => ['-c', c]),
    ...filters,
    sub, ...(READ_ONLY_SUBCOMMAND_FLAGS[sub] ?? []), ...rest,
  ];
}

/**
 * The filter drivers the repository itself defines, from `git config --show-scope -z --name-only --get-regexp
 * ^filter\.` output (`scope NUL key NUL` pairs); pure. The user's own global and system drivers (git-lfs) are left
 * to work: emptying them would show every racily-clean LFS file as modified.
 */
export function parseFilterDrivers(out: string): string[] {
  const names = new Set<string>();
  const fields = out.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const scope = fields[i] as string;
    const m = /^filter\.(.+)\.[^.]+$/s.exec((fields[i + 1] as string).trim());
    if (m?.[1] !== undefined && scope !== 'global' && scope !== 'system') names.add(m[1]);
  }
  return [...names];
}

/**
 * Whether `git config --show-scope -z --name-only` output (as for {@link parseFilterDrivers}) has `include.*` or
 * `includeIf.*` keys of the repository's own scopes: then its filter drivers may come from files other than its
 * config, and a cache keyed to the config files could miss a change. Pure.
 */
export function hasRepositoryIncludes(out: string): boolean {
  const fields = out.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const scope = fields[i] as string;
    if (scope !== 'global' && scope !== 'system' && /^include(if)?\./i.test((fields[i + 1] as string).trim())) return true;
  }
  return false;
}

/** Per-call options. */
export interface ExecOptions {
  /** Kills the process when aborted; the call then rejects with a `Cancelled` GitError. */
  signal?: AbortSignal;
  /** Written to git's stdin. */
  input?: string | Buffer;
}

// Keys simple-git's environment guard checks for an explicit value, mapped to the `unsafe` flag that allows it
// (only ever set for keys the extension itself passes in `env`, never from repo or user data).
const UNSAFE_ENV_FLAGS: Readonly<Record<string, string>> = {
  git_askpass: 'allowUnsafeAskPass',
  ssh_askpass: 'allowUnsafeAskPass',
  git_ssh: 'allowUnsafeSshCommand',
  git_ssh_command: 'allowUnsafeSshCommand',
  git_config_global: 'allowUnsafeConfigPaths',
  git_config_system: 'allowUnsafeConfigPaths',
  git_config: 'allowUnsafeConfigPaths',
  git_proxy_command: 'allowUnsafeGitProxy',
};
const GUARDED_NON_GIT_KEYS = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass']);
const isGuardedKey = (key: string): boolean => {
  const k = key.toLowerCase().trim();
  return k.startsWith('git_') || GUARDED_NON_GIT_KEYS.has(k);
};

type ExitInfo = { exitCode: number; stderr: string; stdout: string };

type TaggedError = Error & { exitInfo?: ExitInfo; plugin?: string };

export class GitRunner {
  readonly cwd: string;
  private readonly env: Record<string, string>;
  private readonly allowEnvironment: string[];
  private readonly unsafe: Record<string, boolean>;
  private readonly options: GitRunnerOptions;
  private readonly queue: OperationQueue;
  private shared: SimpleGit | undefined;
  private sharedRead: SimpleGit | undefined;
  private active = 0;
  private readonly slots: Array<() => void> = [];

  constructor(options: GitRunnerOptions) {
    this.options = options;
    this.cwd = options.cwd;
    this.queue = options.queue ?? new OperationQueue();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !isGuardedKey(k)) env[k] = v;
    // English messages so stderr classification works whatever the user's locale; never prompt on a terminal
    // nobody sees (an auth failure must fail, not hang).
    env.LC_ALL = 'C';
    env.GIT_TERMINAL_PROMPT = '0';
    // The user's own ssh/askpass setup (their environment, not repo data) so pushes authenticate as in a
    // terminal; simple-git would strip these like any other ambient GIT_* variable.
    const extra: Record<string, string> = {};
    if (options.inheritAuthEnvironment !== false) {
      for (const k of AUTH_ENV_KEYS) {
        const v = process.env[k];
        if (v !== undefined && v !== '') extra[k] = v;
      }
    }
    Object.assign(extra, options.env ?? {});
    Object.assign(env, extra);
    this.env = env;
    this.allowEnvironment = ['GIT_TERMINAL_PROMPT', ...Object.keys(extra).filter(isGuardedKey)];
    this.unsafe = {};
    for (const k of Object.keys(extra)) {
      const flag = UNSAFE_ENV_FLAGS[k.toLowerCase()];
      if (flag) this.unsafe[flag] = true;
    }
  }

  /** Run `git <args>` and return stdout as text (untrimmed). Rejects with a classified {@link GitError}. */
  async exec(args: readonly string[], options: ExecOptions = {}): Promise<string> {
    assertSubcommandFirst(args);
    if (!isReadOnly(args)) return this.withSlot(args, options, 'write', (git) => git.raw([...args]));
    const drivers = READS_WORK_TREE.has(args[0] ?? '') ? await this.filterDrivers(options) : [];
    return this.withSlot(args, options, 'read', (git) => git.raw(readOnlyArgs(args, drivers)));
  }

  /**
   * Run `git cat-file <args>` and return stdout as exact bytes (the only command simple-git can return as a
   * Buffer; `cat-file blob REV:PATH` gives the same bytes as `git show REV:PATH`).
   */
  async catFileBuffer(args: readonly string[], options: ExecOptions = {}): Promise<Buffer> {
    // binaryCatFile builds its own argv: the read-only config comes from the instance (simple-git's `config`);
    // `cat-file blob` runs no filter, diff driver or hook.
    return this.withSlot(['cat-file', ...args], options, 'read', (git) => git.binaryCatFile([...args]));
  }

  /**
   * The filter drivers the repository's config defines (their names are needed to empty their commands): from the
   * repository's cache while its config files are unchanged, else read. Reading config runs nothing.
   */
  private filterDrivers(options: ExecOptions): Promise<string[]> {
    const cache = this.options.filterDriverCache;
    // A shared read runs without the caller's signal: one caller cancelling must not fail the others.
    return cache ? cache.get(() => this.readFilterDrivers({})) : this.readFilterDrivers(options).then((r) => r.value);
  }

  /** One `git config` for the filter drivers and whether config includes make the answer uncacheable. */
  private async readFilterDrivers(options: ExecOptions): Promise<ConfigReading<string[]>> {
    const args = ['config', '--show-scope', '-z', '--name-only', '--get-regexp', '^(filter|include|includeif)\\.'];
    let out: string;
    try {
      out = await this.withSlot(args, options, 'read', (git) => git.raw(readOnlyArgs(args)));
    } catch (e) {
      // Exit code 1: no such keys.
      if (e instanceof GitError && e.detail.exitCode === 1) return { value: [], cacheable: true };
      throw e;
    }
    const names = parseFilterDrivers(out);
    // A name git could read two ways on a command line is refused.
    const odd = names.find((n) => /[=\s\0]/.test(n));
    if (odd !== undefined) throw new GitError('UnsafeInput', `Refused to run git here: the repository config names a filter driver ${JSON.stringify(odd)}.`, { args });
    return { value: names, cacheable: !hasRepositoryIncludes(out) };
  }

  /**
   * Run `fn` as an operation that changes the repository, through its queue: it waits for the reads under way
   * and runs alone, so two changes never interleave. Failures propagate to the caller and don't block the queue.
   */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(operation, fn);
  }

  /** Run `fn` as a read through the repository's queue: alongside other reads, never during a change. */
  read<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.read(operation, fn);
  }

  /** The changing operation running in this repository's queue and the operations waiting. */
  get queueState(): QueueState {
    return this.queue.state;
  }

  private async withSlot<T>(args: readonly string[], options: ExecOptions, mode: 'read' | 'write', call: (git: SimpleGit) => Promise<T>): Promise<T> {
    if (options.signal?.aborted) throw new GitError('Cancelled', 'Cancelled before git started.', { args });
    if (this.active >= (this.options.maxConcurrent ?? 4)) await new Promise<void>((resolve) => this.slots.push(resolve));
    this.active++;
    try {
      this.options.log?.(formatGitCommand(args));
      return await call(this.instance(options, mode));
    } catch (e) {
      throw this.toGitError(e, args, options.signal);
    } finally {
      this.active--;
      this.slots.shift()?.();
    }
  }

  private instance(options: ExecOptions, mode: 'read' | 'write'): SimpleGit {
    // Reuse one simple-git instance per mode for plain calls (a new one per call costs a few ms of setup); a
    // signal or stdin is instance configuration in simple-git, so those calls get their own.
    if (!options.signal && options.input === undefined) {
      if (mode === 'read') return (this.sharedRead ??= this.create(options, mode));
      return (this.shared ??= this.create(options, mode));
    }
    return this.create(options, mode);
  }

  private create(options: ExecOptions, mode: 'read' | 'write'): SimpleGit {
    const input = options.input;
    const config: Partial<SimpleGitOptions> = {
      baseDir: this.cwd,
      binary: this.options.binary ?? 'git',
      maxConcurrentProcesses: this.options.maxConcurrent ?? 4,
      allowEnvironment: this.allowEnvironment,
      unsafe: mode === 'read' ? { ...this.unsafe, ...READ_ONLY_UNSAFE } : this.unsafe,
      // Reads get READ_ONLY_CONFIG here too, for the calls whose argv simple-git builds itself (binaryCatFile);
      // exec passes the same values in its argv (repeating a -c is harmless: the last one wins).
      ...(mode === 'read' ? { config: [...READ_ONLY_CONFIG] } : {}),
      // simple-git treats "exit code ≠ 0 with empty stderr" as success (e.g. `merge-base --is-ancestor`);
      // we want every non-zero exit to fail, carrying the exit code and both streams for classification.
      errors: (error, result) => {
        if (result.exitCode === 0 && !error) return undefined;
        if (error && (error as TaggedError).plugin) return error;
        const exitInfo: ExitInfo = {
          exitCode: result.exitCode,
          stderr: Buffer.concat(result.stdErr).toString('utf8'),
          stdout: Buffer.concat(result.stdOut).toString('utf8'),
        };
        return Object.assign(new (simpleGitChunk().GitError)(undefined, exitInfo.stderr || `exit code ${result.exitCode}`), { exitInfo });
      },
    };
    if (options.signal) config.abort = options.signal;
    if (input !== undefined) config.input = () => input;
    const idle = this.options.idleTimeoutMs ?? 120_000;
    if (idle > 0) config.timeout = { block: idle };
    return simpleGitChunk().simpleGit(config).env(this.env);
  }

  private toGitError(e: unknown, args: readonly string[], signal: AbortSignal | undefined): GitError {
    if (e instanceof GitError) return e;
    const err = e as TaggedError;
    const exitInfo = err?.exitInfo;
    if (err?.plugin === 'abort' || (signal?.aborted && !exitInfo)) {
      return new GitError('Cancelled', 'Cancelled.', { args, cause: e });
    }
    if (signal?.aborted) return new GitError('Cancelled', 'Cancelled.', { args, ...exitInfo, cause: e });
    if (err?.plugin === 'unsafe' || err?.plugin === 'allowEnvironment') {
      return new GitError('UnsafeInput', `Refused to run git: ${err.message}`, { args, cause: e });
    }
    if (err?.plugin === 'timeout') return new GitError('Unknown', 'git stopped responding and was stopped.', { args, cause: e });
    if (exitInfo) {
      const code = classifyGitStderr(`${exitInfo.stderr}\n${exitInfo.stdout}`, exitInfo.exitCode);
      const summary = summarizeStderr(exitInfo.stderr) || summarizeStderr(exitInfo.stdout) || `git exited with code ${exitInfo.exitCode}`;
      return new GitError(code, summary, { args, ...exitInfo, cause: e });
    }
    const message = err instanceof Error ? err.message : String(e);
    if (/ENOENT/.test(message) && /spawn/.test(message)) return new GitError('GitNotFound', 'git was not found on PATH.', { args, cause: e });
    if (/does not exist/.test(message)) return new GitError('NotARepository', message, { args, cause: e });
    return new GitError(classifyGitStderr(message), message.split('\n')[0] ?? message, { args, cause: e });
  }
}

/**
 * Caller argv starts with the subcommand: global options (`-c`, `-C`, `--git-dir`, …) are set by the runner alone,
 * so no caller can undo the read-only overrides or point git at another repository.
 */
function assertSubcommandFirst(args: readonly string[]): void {
  const sub = args[0] ?? '';
  if (!/^[a-z][a-z0-9-]*$/.test(sub)) {
    throw new GitError('UnsafeInput', `Refused to run git: the arguments must start with a subcommand, not ${JSON.stringify(sub)}.`, { args });
  }
  // Reads may pass simple-git's pack guard (for the runner's own --upload-pack), so the caller's argv is checked
  // here instead: a program to run on the other end is never the caller's to name.
  const remoteOps = new Set(['ls-remote', 'fetch', 'pull', 'clone', 'push', 'archive']);
  const pack = args.find((a) => /^(--upload-pack|--receive-pack|--exec)(=|$)/.test(a) || (remoteOps.has(sub) && /^-u/.test(a)));
  if (pack !== undefined) throw new GitError('UnsafeInput', `Refused to run git: ${JSON.stringify(pack)} names a program to run.`, { args });
}

/** simple-git, loaded on the first git command (a lazy chunk: it is not needed to activate the extension). */
function simpleGitChunk(): typeof import('../chunks/simpleGit') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../chunks/simpleGit') as typeof import('../chunks/simpleGit');
}
