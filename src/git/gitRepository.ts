import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigCache } from './configCache';
import { listDeployCommits, type CommitListing } from './deployCommits';
import { listDeployFiles, type DiffListing } from './deployDiff';
import { CommitDetailsCache, listDeploys, type Deploy, type DeployList } from './deployDiscovery';
import type { DeploySettings } from './deploySettings';
import { readFileAtRevision, type FileAtRevision } from './fileAtRevision';
import { GitRunner, type GitRunnerOptions } from './gitRunner';
import { OperationQueue, type QueueState } from './operationQueue';
import { RefsWatcher } from './refsWatcher';
import { buildFileGitContext, pathInRepository, readFileStatus, readHead, readRemoteReading, type FileGitContext, type RepositoryLocation } from './repository';

/** Where git's command lines go: the extension passes its LogOutputChannel (which has these methods). */
export interface GitLog {
  debug(message: string): void;
  warn(message: string): void;
}

/** Something that can be released (vscode.Disposable has the same shape). */
export interface GitDisposable {
  dispose(): void;
}

/** How the repositories of a {@link GitRepositories} run git. */
export interface GitRepositoryOptions {
  /** Extra environment for git (tests: HOME and no system config). */
  env?: Readonly<Record<string, string>>;
  /** Path of the git executable (default `git` on PATH). */
  binary?: string;
  /** Each git command line, logged at debug level with the repository it runs in. */
  log?: GitLog;
  /** Watch refs: drop what depends on them and tell listeners (default true). */
  watch?: boolean;
  /** Wait this long after the last ref change before telling listeners (default 500 ms). */
  debounceMs?: number;
}

const DEPLOY_FILES_MAX = 100;

/**
 * One repository's git state, with one owner (CONVENTIONS "One owner per piece of state"; VS Code git's
 * `Repository`): its runner and operation queue, what it has read and may keep, and its refs watcher.
 *
 * - Reads whose answer depends on refs (the deploy list; the facts of a rollback plan, through {@link read}) run as
 *   queue reads: never during a change such as a rollback, which runs alone (`executeRollback(repository.runner, …)`
 *   queues itself on the runner). The rollback modules are not imported here: they load with the commands.
 *   Reads of immutable objects by commit id (a deploy's files and commits, a file at a revision) and the scribe's
 *   one-file status don't queue: they must not wait minutes behind a rollback's deploy command.
 * - Kept: the deploy lists until a ref changes or a change finishes; commit details and deploy file listings
 *   (immutable); HEAD until a ref changes; the remote and the filter drivers while the config files are unchanged.
 */
export class GitRepository implements GitDisposable {
  readonly root: string;
  /** The runner every git call of this repository goes through; changes queue on {@link queue}. */
  readonly runner: GitRunner;
  private readonly queue: OperationQueue;
  private readonly commitDetails = new CommitDetailsCache();
  private readonly remoteCache: ConfigCache<{ name: string; url: string } | undefined>;
  private readonly deployLists = new Map<string, Promise<DeployList>>();
  private readonly deployFiles = new Map<string, Promise<DiffListing>>();
  private head: Promise<string | undefined> | undefined;
  private readonly watcher: RefsWatcher | undefined;
  private readonly listeners = new Set<() => void>();
  private disposed = false;

  constructor(readonly location: RepositoryLocation, options: GitRepositoryOptions = {}) {
    this.root = location.root;
    this.queue = new OperationQueue(() => this.invalidate());
    const repoConfig = [path.join(location.commonDir, 'config'), path.join(location.gitDir, 'config.worktree')];
    const home = options.env?.HOME ?? os.homedir();
    const xdg = options.env?.XDG_CONFIG_HOME ?? process.env.XDG_CONFIG_HOME ?? path.join(home, '.config');
    // Remotes can be in the user's config too; filter drivers of the user's config are left to run (gitRunner.ts).
    this.remoteCache = new ConfigCache([...repoConfig, path.join(home, '.gitconfig'), path.join(xdg, 'git', 'config')]);
    const log = options.log;
    const runnerOptions: GitRunnerOptions = {
      cwd: location.root,
      queue: this.queue,
      filterDriverCache: new ConfigCache<string[]>(repoConfig),
      ...(options.env ? { env: options.env } : {}),
      ...(options.binary ? { binary: options.binary } : {}),
      ...(log ? { log: (line: string) => log.debug(`${line}  [${location.root}]`) } : {}),
    };
    this.runner = new GitRunner(runnerOptions);
    if (options.watch !== false) {
      this.watcher = new RefsWatcher(location, () => this.fire(), {
        debounceMs: options.debounceMs ?? 500,
        onEvent: () => this.invalidate(),
        onError: (e) => log?.debug(`refs watcher of ${location.root}: ${String(e)}`),
      });
    }
  }

  /** Called (debounced) when the repository's refs changed: what depended on them has been dropped already. */
  onDidChange(listener: () => void): GitDisposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Run `fn` as a read through the repository's queue (alongside other reads, never during a change). */
  read<T>(operation: string, fn: (runner: GitRunner) => Promise<T>): Promise<T> {
    return this.runner.read(operation, () => fn(this.runner));
  }

  /** Run `fn` as a change through the repository's queue (alone); what was kept is dropped when it ends. */
  mutate<T>(operation: string, fn: (runner: GitRunner) => Promise<T>): Promise<T> {
    return this.runner.run(operation, () => fn(this.runner));
  }

  /** The change running and the operations waiting. */
  get queueState(): QueueState {
    return this.queue.state;
  }

  /** The newest deploys (see {@link listDeploys}), kept until a ref changes; a call with a signal reads afresh. */
  listDeploys(settings: DeploySettings, options: { limit?: number; signal?: AbortSignal } = {}): Promise<DeployList> {
    const read = (): Promise<DeployList> =>
      this.read('list deploys', (runner) => listDeploys(runner, settings, { ...options, commitDetails: this.commitDetails }));
    if (options.signal) return read();
    const key = JSON.stringify([settings.sources, settings.tagPatterns, settings.deployBranch ?? null, options.limit ?? null]);
    let list = this.deployLists.get(key);
    if (!list) {
      const current = read();
      list = current;
      this.deployLists.set(key, current);
      current.catch(() => {
        if (this.deployLists.get(key) === current) this.deployLists.delete(key);
      });
    }
    return list;
  }

  /** The files a deploy changed since the previous one (commit ids: kept). */
  listDeployFiles(deploy: Pick<Deploy, 'sha' | 'previous'>, options: { signal?: AbortSignal } = {}): Promise<DiffListing> {
    if (options.signal) return listDeployFiles(this.runner, deploy, options);
    const key = `${deploy.previous?.sha ?? ''}..${deploy.sha}`;
    let listing = this.deployFiles.get(key);
    if (!listing) {
      const current = listDeployFiles(this.runner, deploy);
      listing = current;
      if (this.deployFiles.size >= DEPLOY_FILES_MAX) this.deployFiles.delete(this.deployFiles.keys().next().value as string);
      this.deployFiles.set(key, current);
      current.catch(() => {
        if (this.deployFiles.get(key) === current) this.deployFiles.delete(key);
      });
    }
    return listing;
  }

  /** The commits a deploy shipped since the previous one. */
  listDeployCommits(deploy: Pick<Deploy, 'sha' | 'previous'>, options: { limit?: number; signal?: AbortSignal } = {}): Promise<CommitListing> {
    return listDeployCommits(this.runner, deploy, options);
  }

  /** A file at a revision, for the diff view. */
  readFileAtRevision(rev: string, filePath: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<FileAtRevision> {
    return readFileAtRevision(this.runner, rev, filePath, options);
  }

  /** The HEAD commit (undefined on an unborn branch), kept until a ref changes. */
  headCommit(): Promise<string | undefined> {
    if (!this.head) {
      const current = readHead(this.runner);
      this.head = current;
      current.catch(() => {
        if (this.head === current) this.head = undefined;
      });
    }
    return this.head;
  }

  /** `origin` if it exists, else the first remote; kept while the repository's and the user's config are unchanged. */
  remote(): Promise<{ name: string; url: string } | undefined> {
    return this.remoteCache.get(() => readRemoteReading(this.runner));
  }

  /**
   * What the scribe needs to cite a file of this repository; undefined for a file outside its work tree. Warm, one
   * git process (the file's status); HEAD, remote and filter drivers are kept.
   */
  async fileContext(filePath: string): Promise<FileGitContext | undefined> {
    const relativePath = pathInRepository(this.location, filePath);
    if (relativePath === undefined) return undefined;
    const [head, remote, status] = await Promise.all([this.headCommit(), this.remote(), readFileStatus(this.runner, relativePath)]);
    return buildFileGitContext(this.root, relativePath, head, remote, status);
  }

  /** Drop what depends on refs (deploy lists, HEAD). Called on every ref change and after every change. */
  invalidate(): void {
    this.deployLists.clear();
    this.head = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.watcher?.dispose();
    this.listeners.clear();
    this.invalidate();
  }

  private fire(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One faulty listener must not keep the others from hearing of the change.
      }
    }
  }
}
