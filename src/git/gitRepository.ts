import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigCache } from './configCache';
import { listDeployCommits, type CommitListing } from './deployCommits';
import { listDeployFiles, type DiffListing } from './deployDiff';
import { readDeployChanges, readDeployCommitsByFile, splitLines, type CommitsByFile, type DeployChanges } from './deployLens';
import { CommitDetailsCache, listDeploys, type Deploy, type DeployList } from './deployDiscovery';
import type { DeploySettings } from './deploySettings';
import { readFileAtRevision, type FileAtRevision } from './fileAtRevision';
import { GitRunner, type GitRunnerOptions } from './gitRunner';
import { OperationQueue, type QueueState } from './operationQueue';
import { RefsWatcher } from './refsWatcher';
import { buildFileGitContext, pathInRepository, readFileStatusAndHead, readHead, readRemoteReading, type FileGitContext, type RepositoryLocation } from './repository';

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
const DEPLOY_CHANGES_MAX = 20;
/** Files at a deploy kept for the lens: 32 of at most 1 MiB each bounds what they hold (about 32 MiB at worst). */
const REVISION_LINES_MAX = 32;
/** Files larger than this get no deploy lens (a generated bundle, a lock file). */
const LENS_FILE_MAX_BYTES = 1024 * 1024;

const rangeKey = (deploy: Pick<Deploy, 'sha' | 'previous'>): string => `${deploy.previous?.sha ?? ''}..${deploy.sha}`;

/**
 * A promise kept by key in a map of at most `max` (the oldest dropped first), made once and shared by concurrent
 * callers; a rejected one is forgotten so the next call tries again.
 */
function kept<T>(map: Map<string, Promise<T>>, max: number, key: string, make: () => Promise<T>): Promise<T> {
  const known = map.get(key);
  if (known) return known;
  const current = make();
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, current);
  current.catch(() => {
    if (map.get(key) === current) map.delete(key);
  });
  return current;
}

/** A deploy list kept by {@link GitRepository.listDeploys}. */
interface KeptList {
  promise: Promise<DeployList>;
  /** The list once read. */
  list?: DeployList;
  /** Dropped (a ref changed) or read while a change ran: served only until that change ends. */
  stale: boolean;
}

/**
 * One repository's git state, with one owner (CONVENTIONS "One owner per piece of state"; VS Code git's
 * `Repository`): its runner and operation queue, what it has read and may keep, and its refs watcher.
 *
 * - Reads whose answer depends on refs (the deploy list; the facts of a rollback plan, through {@link read}) run as
 *   queue reads: never during a change such as a rollback, which runs alone (`executeRollback(repository.runner, …)`
 *   queues itself on the runner). The rollback modules are not imported here: they load with the commands.
 *   The one exception is the deploy list asked for while a change runs: the view and the deploy picker must not
 *   hang for minutes behind a rollback's deploy command, so the last list is served, or one is read outside the
 *   queue (reads change nothing), and listeners hear of it again when the change ends ({@link listDeploys}).
 *   Reads of immutable objects by commit id (a deploy's files and commits, a file at a revision) and the scribe's
 *   one-file status don't queue: they must not wait minutes behind a rollback's deploy command.
 * - Kept: the deploy lists until a ref changes or a change finishes; commit details and deploy file listings
 *   (immutable); the remote and the filter drivers while the config files are unchanged. HEAD is not kept: the
 *   scribe reads it with the file's status, in the same git process, so a note never cites a commit the refs
 *   watcher has not told us about (fs.watch is silent on network file systems, WSL's /mnt, at inotify's limits).
 * - The refs watcher runs only while someone listens ({@link onDidChange}: the deploys view, for the repositories
 *   it lists); a repository opened for the scribe alone watches nothing.
 * - The operation queue may be shared: {@link GitRepositories} keeps one per root, so a repository closed and
 *   opened again while a change runs still queues behind that change.
 */
export class GitRepository implements GitDisposable {
  readonly root: string;
  /** The runner every git call of this repository goes through; changes queue on {@link queue}. */
  readonly runner: GitRunner;
  private readonly queue: OperationQueue;
  private readonly queueSubscription: GitDisposable;
  private readonly commitDetails = new CommitDetailsCache();
  private readonly remoteCache: ConfigCache<{ name: string; url: string } | undefined>;
  private readonly deployLists = new Map<string, KeptList>();
  private readonly deployFiles = new Map<string, Promise<DiffListing>>();
  private readonly deployChangeSets = new Map<string, Promise<DeployChanges>>();
  private readonly deployCommitSets = new Map<string, Promise<CommitsByFile>>();
  private readonly revisionLines = new Map<string, Promise<readonly string[] | undefined>>();
  /** A deploy list was answered while a change ran: listeners are told again when it ends. */
  private answeredDuringChange = false;
  private watcher: RefsWatcher | undefined;
  private readonly listeners = new Set<{ listener: () => void }>();
  private disposed = false;

  /** `queue`: the root's operation queue when it outlives this object (GitRepositories); default a new one. */
  constructor(readonly location: RepositoryLocation, private readonly options: GitRepositoryOptions = {}, queue = new OperationQueue()) {
    this.root = location.root;
    this.queue = queue;
    this.queueSubscription = queue.onDidMutate(() => this.changeEnded());
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
  }

  /**
   * Called (debounced) when the repository's refs changed (what depended on them has been dropped already), and
   * when a change ends during which a deploy list was answered. The refs watcher runs while anyone listens.
   */
  onDidChange(listener: () => void): GitDisposable {
    const entry = { listener };
    this.listeners.add(entry);
    this.startWatching();
    return {
      dispose: () => {
        if (this.listeners.delete(entry) && this.listeners.size === 0) this.stopWatching();
      },
    };
  }

  /** Whether the refs watcher runs (someone listens, watching is not turned off, not disposed). */
  get watching(): boolean {
    return this.watcher !== undefined;
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

  /**
   * The newest deploys (see {@link listDeploys}), kept until a ref changes; a call with a signal reads afresh.
   * A queue read, except while a change (a rollback: a push and the deploy command, maybe minutes) runs: then the
   * last list is served if one was kept, even one dropped by a ref change since, or else the list is read outside
   * the queue, as before the queue existed (reads change nothing; the list may show the change half done). Either
   * way listeners are told when the change ends, and the next call reads the list afresh.
   */
  listDeploys(settings: DeploySettings, options: { limit?: number; signal?: AbortSignal } = {}): Promise<DeployList> {
    const changing = this.queue.state.running !== undefined;
    const direct = (): Promise<DeployList> => listDeploys(this.runner, settings, { ...options, commitDetails: this.commitDetails });
    const read = (): Promise<DeployList> => (changing ? direct() : this.read('list deploys', direct));
    if (changing) this.answeredDuringChange = true;
    if (options.signal) return read();
    const key = JSON.stringify([settings.sources, settings.tagPatterns, settings.deployBranch ?? null, options.limit ?? null]);
    const kept = this.deployLists.get(key);
    if (changing && kept?.list) return Promise.resolve(kept.list);
    // Not changing, a kept entry is fresh (stale ones live only while a change runs); changing, it is one already
    // read outside the queue (its promise does not wait for the change either).
    if (kept && (!changing || kept.stale)) return kept.promise;
    const entry: KeptList = { promise: read(), stale: changing };
    this.deployLists.set(key, entry);
    entry.promise.then(
      (list) => {
        entry.list = list;
      },
      () => {
        if (this.deployLists.get(key) === entry) this.deployLists.delete(key);
      },
    );
    return entry.promise;
  }

  /** The files a deploy changed since the previous one (commit ids: kept). */
  listDeployFiles(deploy: Pick<Deploy, 'sha' | 'previous'>, options: { signal?: AbortSignal } = {}): Promise<DiffListing> {
    if (options.signal) return listDeployFiles(this.runner, deploy, options);
    return kept(this.deployFiles, DEPLOY_FILES_MAX, rangeKey(deploy), () => listDeployFiles(this.runner, deploy));
  }

  /** Every hunk a deploy shipped, file by file (commit ids: kept). */
  deployChanges(deploy: Pick<Deploy, 'sha' | 'previous'>): Promise<DeployChanges> {
    return kept(this.deployChangeSets, DEPLOY_CHANGES_MAX, rangeKey(deploy), () => readDeployChanges(this.runner, deploy));
  }

  /** The commits of a deploy's range that touched each file (kept), for the lens's hover. */
  deployCommitsByFile(deploy: Pick<Deploy, 'sha' | 'previous'>): Promise<CommitsByFile> {
    return kept(this.deployCommitSets, DEPLOY_CHANGES_MAX, rangeKey(deploy), () => readDeployCommitsByFile(this.runner, deploy));
  }

  /** A text file's lines at a commit (kept: a commit's content never changes); undefined when binary or too large. */
  linesAtRevision(sha: string, filePath: string): Promise<readonly string[] | undefined> {
    return kept(this.revisionLines, REVISION_LINES_MAX, `${sha}:${filePath}`, async () => {
      const file = await readFileAtRevision(this.runner, sha, filePath, { maxBytes: LENS_FILE_MAX_BYTES });
      return file.kind === 'text' ? splitLines(file.bytes.toString('utf8')) : undefined;
    });
  }

  /** The commits a deploy shipped since the previous one. */
  listDeployCommits(deploy: Pick<Deploy, 'sha' | 'previous'>, options: { limit?: number; signal?: AbortSignal } = {}): Promise<CommitListing> {
    return listDeployCommits(this.runner, deploy, options);
  }

  /** A file at a revision, for the diff view. */
  readFileAtRevision(rev: string, filePath: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<FileAtRevision> {
    return readFileAtRevision(this.runner, rev, filePath, options);
  }

  /** The HEAD commit (undefined on an unborn branch), read each time: one git process. */
  headCommit(): Promise<string | undefined> {
    return readHead(this.runner);
  }

  /** `origin` if it exists, else the first remote; kept while the repository's and the user's config are unchanged. */
  remote(): Promise<{ name: string; url: string } | undefined> {
    return this.remoteCache.get(() => readRemoteReading(this.runner));
  }

  /**
   * What the scribe needs to cite a file of this repository; undefined for a file outside its work tree. Warm, one
   * git process: the file's status, which also reports HEAD (read every time, never kept: see the class comment);
   * the remote and the filter drivers are kept.
   */
  async fileContext(filePath: string): Promise<FileGitContext | undefined> {
    const relativePath = pathInRepository(this.location, filePath);
    if (relativePath === undefined) return undefined;
    const [remote, { head, status }] = await Promise.all([this.remote(), readFileStatusAndHead(this.runner, relativePath)]);
    return buildFileGitContext(this.root, relativePath, head, remote, status);
  }

  /**
   * Drop what depends on refs (the deploy lists). Called on every ref change and by an explicit refresh. While a
   * change runs the lists are only marked: they are served until it ends (see {@link listDeploys}).
   */
  invalidate(): void {
    if (this.queue.state.running === undefined) {
      this.deployLists.clear();
      return;
    }
    for (const kept of this.deployLists.values()) kept.stale = true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.queueSubscription.dispose();
    this.stopWatching();
    this.listeners.clear();
    this.deployLists.clear();
  }

  /** A change ended, however it ended: drop the lists; tell listeners if one was answered while it ran. */
  private changeEnded(): void {
    this.deployLists.clear();
    if (!this.answeredDuringChange) return;
    this.answeredDuringChange = false;
    this.fire();
  }

  private startWatching(): void {
    if (this.watcher || this.disposed || this.options.watch === false) return;
    const log = this.options.log;
    this.watcher = new RefsWatcher(this.location, () => this.fire(), {
      debounceMs: this.options.debounceMs ?? 500,
      onEvent: () => this.invalidate(),
      onError: (e) => log?.debug(`refs watcher of ${this.root}: ${String(e)}`),
    });
  }

  /** Nobody hears of ref changes any more: what depends on refs is dropped, not kept unwatched. */
  private stopWatching(): void {
    if (!this.watcher) return;
    this.watcher.dispose();
    this.watcher = undefined;
    this.invalidate();
  }

  private fire(): void {
    for (const { listener } of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One faulty listener must not keep the others from hearing of the change.
      }
    }
  }
}
