import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitRunner, type GitRunnerOptions } from './gitRunner';
import { GitRepository, type GitDisposable, type GitRepositoryOptions } from './gitRepository';
import { OperationQueue } from './operationQueue';
import { findRepository, type FileGitContext, type RepositoryLocation } from './repository';

const LOCATIONS_MAX = 500;

/** The user's git identity (`user.email`, `user.name`), each left out when unset. */
export interface GitIdentityConfig {
  email?: string;
  name?: string;
}

/**
 * Every repository the extension works with, one {@link GitRepository} per root (VS Code git's `Model`). The
 * extension's container creates it and disposes it: the deploys view, the diff documents, rollback, scribe
 * capture and the identity lookup all reach git through it, and its commands go to the extension's log.
 *
 * What each open repository costs: no refs watcher unless someone listens to it (`GitRepository.onDidChange`: the
 * deploys view, for the repositories it lists), so those the scribe finds (a note's file, opening a note's source)
 * cost a few small objects and no process or watch, kept until the extension ends. Listening is the switch rather
 * than closing unlisted repositories after a while: nothing to time, and a repository listed later is the same one.
 *
 * One operation queue per root, which outlives the repository objects: a repository closed while a change (a
 * rollback) still runs through it and opened again queues behind that change, so two changes on one root never
 * interleave. A queue is dropped with its repository when it is idle, else kept for the next one.
 */
export class GitRepositories implements GitDisposable {
  private readonly repositories = new Map<string, GitRepository>();
  /** Root → its operation queue (see the class comment). */
  private readonly queues = new Map<string, OperationQueue>();
  /** Directory (symlinks resolved) → the repository it is in; only hits are kept, checked on use. */
  private readonly locations = new Map<string, RepositoryLocation>();
  private disposed = false;

  constructor(private readonly options: GitRepositoryOptions = {}) {}

  /** The open repository with this root. */
  get(root: string): GitRepository | undefined {
    return this.repositories.get(root);
  }

  /** The repository at `location`, opened on first use (its refs watcher starts when someone listens to it). */
  open(location: RepositoryLocation): GitRepository {
    if (this.disposed) throw new Error('Incident Room: git repositories are disposed.');
    let repository = this.repositories.get(location.root);
    if (!repository) {
      let queue = this.queues.get(location.root);
      if (!queue) {
        queue = new OperationQueue();
        this.queues.set(location.root, queue);
      }
      repository = new GitRepository(location, this.options, queue);
      this.repositories.set(location.root, repository);
    }
    return repository;
  }

  /** The repository `dir` is in, or undefined; the lookup is kept for the directory. */
  async find(dir: string): Promise<GitRepository | undefined> {
    const location = await this.locate(dir);
    return location ? this.open(location) : undefined;
  }

  /** The repositories of a multi-root workspace, one per distinct root in the order of `folders`. */
  async findAll(folders: readonly string[]): Promise<{ repositories: GitRepository[]; notRepositories: string[] }> {
    const found = await Promise.all(folders.map((f) => this.find(f)));
    const repositories: GitRepository[] = [];
    const notRepositories: string[] = [];
    found.forEach((repository, i) => {
      if (!repository) notRepositories.push(folders[i] as string);
      else if (!repositories.includes(repository)) repositories.push(repository);
    });
    return { repositories, notRepositories };
  }

  /**
   * What the scribe needs to cite a file on disk (repository, path, HEAD, remote, status); undefined outside a
   * repository. A note in a repository seen before costs one git process.
   */
  async fileContext(filePath: string): Promise<FileGitContext | undefined> {
    const repository = await this.find(path.dirname(path.resolve(filePath)));
    return repository?.fileContext(filePath);
  }

  /**
   * `user.email` and `user.name` as git resolves them in `cwd`; with `globalOnly`, from the user's global config
   * alone (for Restricted Mode, where no repository's config may be read: pass a cwd outside the workspace).
   */
  async identity(cwd: string, options: { globalOnly?: boolean } = {}): Promise<GitIdentityConfig> {
    const runner = this.adHocRunner(cwd);
    let out: string;
    try {
      out = await runner.exec(['config', ...(options.globalOnly ? ['--global'] : []), '--null', '--get-regexp', '^user\\.(email|name)$']);
    } catch {
      // Exit code 1: neither is set; any other failure: no identity either.
      return {};
    }
    const identity: GitIdentityConfig = {};
    for (const entry of out.split('\0')) {
      const nl = entry.indexOf('\n');
      if (nl < 0) continue;
      const value = entry.slice(nl + 1).trim();
      // The last value wins, as with `git config --get`.
      if (entry.slice(0, nl) === 'user.email') {
        if (value) identity.email = value;
        else delete identity.email;
      } else if (entry.slice(0, nl) === 'user.name') {
        if (value) identity.name = value;
        else delete identity.name;
      }
    }
    return identity;
  }

  /**
   * Close repositories (their watchers stop, what they kept is dropped); reopened on next use. A change under
   * way goes on, and a repository opened again queues behind it (its queue is kept until then).
   */
  close(roots: Iterable<string>): void {
    for (const root of [...roots]) {
      this.repositories.get(root)?.dispose();
      this.repositories.delete(root);
      if (this.queues.get(root)?.idle) this.queues.delete(root);
    }
  }

  /** The roots of the open repositories. */
  get roots(): string[] {
    return [...this.repositories.keys()];
  }

  /** Forget which directory is in which repository (the workspace's folders changed). */
  forgetLocations(): void {
    this.locations.clear();
  }

  dispose(): void {
    this.disposed = true;
    this.close([...this.repositories.keys()]);
    this.queues.clear();
    this.locations.clear();
  }

  private async locate(dir: string): Promise<RepositoryLocation | undefined> {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      return undefined;
    }
    const known = this.locations.get(real);
    // A repository deleted since (or a nested one removed) is looked up again.
    if (known && fs.existsSync(known.gitDir)) return known;
    const location = await findRepository(real, this.runnerOptions());
    if (location) {
      if (this.locations.size >= LOCATIONS_MAX) this.locations.delete(this.locations.keys().next().value as string);
      this.locations.set(real, location);
    } else {
      this.locations.delete(real);
    }
    return location;
  }

  private adHocRunner(cwd: string): GitRunner {
    return new GitRunner({ ...this.runnerOptions(), cwd });
  }

  private runnerOptions(): Omit<GitRunnerOptions, 'cwd'> {
    const { env, binary, log } = this.options;
    return {
      ...(env ? { env } : {}),
      ...(binary ? { binary } : {}),
      ...(log ? { log: (line: string) => log.debug(line) } : {}),
    };
  }
}
