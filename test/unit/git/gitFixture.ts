import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitRunner, type GitRunnerOptions } from '../../../src/git/gitRunner';

/** A scratch directory for one test file; removed by `cleanup()`. */
export class Scratch {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-git-'));
  readonly home = path.join(this.root, 'home');

  constructor() {
    fs.mkdirSync(this.home);
  }

  /** Environment for git in tests: no system or user config, fixed identity, English messages. */
  get env(): Record<string, string> {
    return { HOME: this.home, XDG_CONFIG_HOME: path.join(this.home, '.config'), GIT_CONFIG_NOSYSTEM: '1' };
  }

  dir(name: string): string {
    const d = path.join(this.root, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toUpperCase().startsWith('GIT_')) env[k] = v;
  return env;
};

/** A real git repository in a temp dir, driven by plain `git` (execFileSync, no shell) with fixed dates. */
export class TempRepo {
  /** Seconds since epoch used for the next commit/tag; each one advances by 60 s. */
  clock = 1_700_000_000;

  constructor(
    readonly scratch: Scratch,
    readonly dir: string,
  ) {}

  static init(scratch: Scratch, name: string, options: { bare?: boolean; branch?: string } = {}): TempRepo {
    const dir = scratch.dir(name);
    const repo = new TempRepo(scratch, dir);
    repo.git(['init', '-q', ...(options.bare ? ['--bare'] : []), '-b', options.branch ?? 'main', '.']);
    repo.git(['config', 'user.name', 'Test User']);
    repo.git(['config', 'user.email', 'test@example.com']);
    repo.git(['config', 'commit.gpgsign', 'false']);
    repo.git(['config', 'tag.gpgsign', 'false']);
    return repo;
  }

  static clone(scratch: Scratch, from: string, name: string): TempRepo {
    const dir = path.join(scratch.root, name);
    execFileSync('git', ['clone', '-q', from, dir], { env: { ...baseEnv(), ...scratch.env }, stdio: 'pipe' });
    const repo = new TempRepo(scratch, dir);
    repo.git(['config', 'user.name', 'Other User']);
    repo.git(['config', 'user.email', 'other@example.com']);
    return repo;
  }

  /** Run git here and return trimmed stdout. */
  git(args: string[], options: { input?: string | Buffer; date?: number; env?: Record<string, string> } = {}): string {
    return this.gitBuffer(args, options).toString('utf8').trim();
  }

  gitBuffer(args: string[], options: { input?: string | Buffer; date?: number; env?: Record<string, string> } = {}): Buffer {
    const date = `@${options.date ?? this.clock} +0000`;
    return execFileSync('git', args, {
      cwd: this.dir,
      input: options.input,
      env: { ...baseEnv(), ...this.scratch.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, LC_ALL: 'C', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
  }

  /** Write files (null deletes), stage everything and commit; returns the new commit id. */
  commit(message: string, files: Record<string, string | Buffer | null> = {}, options: { date?: number } = {}): string {
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(this.dir, rel);
      if (content === null) fs.rmSync(p, { force: true });
      else {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, content);
      }
    }
    this.git(['add', '-A']);
    const date = options.date ?? this.tick();
    this.git(['commit', '-q', '--allow-empty', '--no-verify', '-m', message], { date });
    return this.git(['rev-parse', 'HEAD']);
  }

  /** Tag `target` (default HEAD); annotated when a message is given. */
  tag(name: string, options: { message?: string; target?: string; date?: number } = {}): void {
    const date = options.date ?? this.tick();
    const target = options.target ?? 'HEAD';
    if (options.message !== undefined) this.git(['tag', '-a', '-m', options.message, name, target], { date });
    else this.git(['tag', name, target], { date });
  }

  /** Merge `branch` into the current branch with a merge commit. */
  merge(branch: string, message: string, options: { date?: number } = {}): string {
    this.git(['merge', '-q', '--no-ff', '-m', message, branch], { date: options.date ?? this.tick() });
    return this.git(['rev-parse', 'HEAD']);
  }

  rev(rev: string): string {
    return this.git(['rev-parse', '--verify', `${rev}^{commit}`]);
  }

  tree(rev: string): string {
    return this.git(['rev-parse', '--verify', `${rev}^{tree}`]);
  }

  write(rel: string, content: string | Buffer): void {
    fs.writeFileSync(path.join(this.dir, rel), content);
  }

  runner(options: Omit<GitRunnerOptions, 'cwd' | 'env'> = {}): GitRunner {
    return new GitRunner({ cwd: this.dir, env: this.scratch.env, ...options });
  }

  tick(seconds = 60): number {
    this.clock += seconds;
    return this.clock;
  }
}
