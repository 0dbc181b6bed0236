import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitRepositories } from '../../../src/git/gitRepositories';
import type { GitRepository } from '../../../src/git/gitRepository';
import { Scratch, TempRepo } from './gitFixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tags = { sources: ['tags' as const], tagPatterns: ['deploy/*'] };

describe('git/gitRepository and gitRepositories', () => {
  let scratch: Scratch;
  let git: GitRepositories;
  let lines: string[];
  const commands = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;

  before(() => {
    scratch = new Scratch();
  });
  beforeEach(() => {
    lines = [];
    git = new GitRepositories({ env: scratch.env, debounceMs: 50, log: { debug: (l) => lines.push(l), warn: () => undefined } });
  });
  afterEach(() => git.dispose());
  after(() => scratch.cleanup());

  async function open(repo: TempRepo): Promise<GitRepository> {
    const r = await git.find(repo.dir);
    assert.ok(r, 'a repository');
    return r;
  }

  /** Resolves when the repository reports a ref change (or after 3 s). */
  function changed(r: GitRepository): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 3000);
      const sub = r.onDidChange(() => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
  }

  it('one repository per root: two folders of it give the same object, found with one git process each time at most', async () => {
    const repo = TempRepo.init(scratch, 'one-root');
    repo.commit('x', { 'a/b/f.txt': 'f' });
    const top = await open(repo);
    const sub = await git.find(path.join(repo.dir, 'a', 'b'));
    assert.equal(sub, top);
    assert.equal(commands('git rev-parse --path-format=absolute'), 2);
    lines.length = 0;
    assert.equal(await git.find(path.join(repo.dir, 'a', 'b')), top);
    assert.equal(commands('git '), 0, 'a directory seen before is not looked up again');
    const { repositories, notRepositories } = await git.findAll([repo.dir, path.join(repo.dir, 'a'), scratch.dir('one-root-none')]);
    assert.deepEqual(repositories, [top]);
    assert.equal(notRepositories.length, 1);
  });

  it('looks the filter drivers up once while the config is unchanged, and again (and empties the new one) when it changes', async function () {
    if (process.platform === 'win32') this.skip(); // the filter is an sh script
    const repo = TempRepo.init(scratch, 'filters');
    repo.commit('x', { 'app.txt': 'one\n' });
    const r = await open(repo);
    for (let i = 0; i < 3; i++) await r.runner.exec(['status', '--porcelain']);
    await r.runner.exec(['diff', '--name-only']);
    assert.equal(commands('git config --show-scope'), 1, 'one lookup for four commands that read the work tree');

    // A filter the repository's config names after the lookup: it must still be emptied, not run.
    const marker = path.join(scratch.root, 'filters-ran');
    const program = path.join(scratch.dir('filters-bin'), 'filter');
    fs.writeFileSync(program, `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\ncat\n`, { mode: 0o755 });
    repo.git(['config', 'filter.late.clean', program]);
    fs.writeFileSync(path.join(repo.dir, '.git', 'info', 'attributes'), '* filter=late\n');
    const t = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(repo.dir, 'app.txt'), t, t);
    await r.runner.exec(['status', '--porcelain']);
    assert.equal(commands('git config --show-scope'), 2, 'the changed config is read again');
    assert.equal(fs.existsSync(marker), false, 'the filter added later did not run');
    // The control: plain git does run it, so the check above can fail.
    repo.git(['status', '--porcelain']);
    assert.equal(fs.existsSync(marker), true);
  });

  it('reads the filter drivers every time when the repository config includes another file', async () => {
    const repo = TempRepo.init(scratch, 'includes');
    repo.commit('x', { 'app.txt': 'one\n' });
    fs.writeFileSync(path.join(scratch.root, 'includes.cfg'), '[core]\n\tautocrlf = false\n');
    repo.git(['config', 'include.path', path.join(scratch.root, 'includes.cfg')]);
    const r = await open(repo);
    await r.runner.exec(['status', '--porcelain']);
    await r.runner.exec(['status', '--porcelain']);
    assert.equal(commands('git config --show-scope'), 2, 'an included file can change without the config changing');
  });

  it('keeps the deploy list until a ref changes, then reads the new one', async () => {
    const repo = TempRepo.init(scratch, 'deploys');
    repo.commit('one');
    repo.tag('deploy/1', { message: 'first' });
    repo.commit('two');
    repo.tag('deploy/2', { message: 'second' });
    const r = await open(repo);
    const first = await r.listDeploys(tags);
    assert.deepEqual(first.deploys.map((d) => d.ref), ['deploy/2', 'deploy/1']);
    lines.length = 0;
    assert.equal(await r.listDeploys(tags), first);
    assert.equal(commands('git '), 0, 'kept');

    const heard = changed(r);
    repo.commit('three');
    repo.tag('deploy/3', { message: 'third' });
    await heard;
    const again = await r.listDeploys(tags);
    assert.deepEqual(again.deploys.map((d) => d.ref), ['deploy/3', 'deploy/2', 'deploy/1']);
    assert.equal(commands('git log --no-walk'), 1, 'only the new tag\'s commit details are read: the others are kept');
  });

  it('a change waits for the read under way, and a read asked for meanwhile waits for the change and sees it', async () => {
    const repo = TempRepo.init(scratch, 'exclusive');
    repo.commit('one');
    repo.tag('deploy/1');
    repo.commit('two');
    const r = await open(repo);
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const read = r.read('slow read', async () => {
      log.push('read start');
      await held;
      log.push('read end');
    });
    const change = r.mutate('tag', async (runner) => {
      log.push('change');
      await runner.exec(['tag', 'deploy/2']);
    });
    const later = r.listDeploys(tags).then((l) => {
      log.push('listed');
      return l;
    });
    await sleep(50);
    assert.deepEqual(log, ['read start']);
    assert.deepEqual(r.queueState, { running: undefined, waiting: ['tag', 'list deploys'] });
    release();
    await Promise.all([read, change]);
    const list = await later;
    assert.deepEqual(log, ['read start', 'read end', 'change', 'listed']);
    assert.deepEqual(list.deploys.map((d) => d.ref), ['deploy/2', 'deploy/1'], 'the list read after the change sees it');
  });

  it('a change drops the kept deploy list when it ends, without waiting for the refs watcher', async () => {
    const repo = TempRepo.init(scratch, 'unwatched');
    repo.commit('one');
    repo.tag('deploy/1');
    repo.commit('two');
    const ran: string[] = [];
    const unwatched = new GitRepositories({ env: scratch.env, watch: false, log: { debug: (l) => ran.push(l), warn: () => undefined } });
    try {
      const r = await unwatched.find(repo.dir);
      assert.ok(r);
      assert.deepEqual((await r.listDeploys(tags)).deploys.map((d) => d.ref), ['deploy/1']);
      ran.length = 0;
      assert.deepEqual((await r.listDeploys(tags)).deploys.map((d) => d.ref), ['deploy/1']);
      assert.deepEqual(ran, [], 'kept');
      await r.mutate('tag', (runner) => runner.exec(['tag', 'deploy/2']));
      assert.deepEqual((await r.listDeploys(tags)).deploys.map((d) => d.ref), ['deploy/2', 'deploy/1']);
    } finally {
      unwatched.dispose();
    }
  });

  it('cites a file with one git process once the repository, HEAD and remote are known; a new commit is seen', async () => {
    const repo = TempRepo.init(scratch, 'scribe');
    repo.commit('one', { 'src/app.ts': 'x\n' });
    repo.git(['remote', 'add', 'origin', 'git@github.com:org/repo.git']);
    const file = path.join(repo.dir, 'src', 'app.ts');
    const ctx = await git.fileContext(file);
    assert.equal(ctx?.relativePath, 'src/app.ts');
    assert.equal(ctx?.head, repo.rev('HEAD'));
    assert.deepEqual(ctx?.remote, { name: 'origin', url: 'git@github.com:org/repo.git' });
    lines.length = 0;
    const again = await git.fileContext(file);
    assert.deepEqual(again, ctx);
    assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['git status'], 'the second note runs git status only');

    const r = await open(repo);
    const heard = changed(r);
    const second = repo.commit('two', { 'src/app.ts': 'y\n' });
    await heard;
    assert.equal((await git.fileContext(file))?.head, second);
    repo.git(['remote', 'set-url', 'origin', 'https://example.com/org/repo.git']);
    assert.deepEqual((await git.fileContext(file))?.remote, { name: 'origin', url: 'https://example.com/org/repo.git' });
    assert.equal(await git.fileContext(path.join(scratch.dir('scribe-outside'), 'f.txt')), undefined);
  });

  it('reads the git identity of a folder, or of the user\'s global config alone', async () => {
    const repo = TempRepo.init(scratch, 'identity');
    assert.deepEqual(await git.identity(repo.dir), { email: 'test@example.com', name: 'Test User' });
    assert.deepEqual(await git.identity(repo.dir, { globalOnly: true }), {}, 'the repository\'s config is not read');
    fs.writeFileSync(path.join(scratch.home, '.gitconfig'), '[user]\n\tname = Global Person\n');
    try {
      assert.deepEqual(await git.identity(scratch.home, { globalOnly: true }), { name: 'Global Person' });
    } finally {
      fs.rmSync(path.join(scratch.home, '.gitconfig'));
    }
  });

  it('logs each git command line with the repository it ran in', async () => {
    const repo = TempRepo.init(scratch, 'logged');
    repo.commit('one');
    const r = await open(repo);
    lines.length = 0;
    await r.runner.exec(['log', '-1', '--format=%s']);
    assert.deepEqual(lines, [`git log -1 --format=%s  [${r.root}]`]);
  });

  it('closing a repository stops its watcher; reopening gives a fresh one', async () => {
    const repo = TempRepo.init(scratch, 'closed');
    repo.commit('one');
    const r = await open(repo);
    let heard = 0;
    r.onDidChange(() => heard++);
    git.close([r.root]);
    assert.equal(git.get(r.root), undefined);
    repo.tag('deploy/1');
    await sleep(200);
    assert.equal(heard, 0);
    const reopened = await open(repo);
    assert.notEqual(reopened, r);
  });
});
