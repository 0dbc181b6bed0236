import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitRepositories } from '../../../src/git/gitRepositories';
import type { GitRepository } from '../../../src/git/gitRepository';
import { until } from '../../support/until';
import { Scratch, TempRepo } from './gitFixture';

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
    await until('the change and the list queued behind the read', () => r.queueState.waiting.length === 2 || undefined);
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
    assert.equal(r.watching, false, 'closed: no watcher is left to hear a ref change');
    repo.tag('deploy/1');
    assert.equal(heard, 0);
    const reopened = await open(repo);
    assert.notEqual(reopened, r);
  });
  describe('review fixes', () => {
    /** A repositories object whose repositories never watch refs (fs.watch silent: NFS, WSL /mnt, inotify limits). */
    function unwatched(): GitRepositories {
      return new GitRepositories({ env: scratch.env, watch: false, log: { debug: (l) => lines.push(l), warn: () => undefined } });
    }

    function gate(): { promise: Promise<void>; open: () => void } {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      return { promise, open };
    }

    /** `fn` on a repository (found, not watched) with deploy/1 and one commit after it. */
    async function onRepositoryWithADeploy(name: string, fn: (r: GitRepository) => Promise<void>): Promise<void> {
      const repo = TempRepo.init(scratch, name);
      repo.commit('one');
      repo.tag('deploy/1');
      repo.commit('two');
      const blind = unwatched();
      try {
        const r = await blind.find(repo.dir);
        assert.ok(r);
        await fn(r);
      } finally {
        blind.dispose();
      }
    }

    /** A change (a rollback tagging deploy/2) that holds until released; resolves once it is running. */
    async function holdChange(r: GitRepository): Promise<{ release(): Promise<void>; ended(): boolean }> {
      const held = gate();
      let ended = false;
      const change = r.mutate('rollback', async (runner) => {
        await runner.exec(['tag', 'deploy/2']);
        await held.promise;
      }).then(() => {
        ended = true;
      });
      await until('the change running', () => r.queueState.running === 'rollback' || undefined);
      return { release: async () => { held.open(); await change; }, ended: () => ended };
    }

    it('a note cites the new HEAD after a commit no watcher saw, still with one git process', async () => {
      const repo = TempRepo.init(scratch, 'head-unwatched');
      const first = repo.commit('one', { 'src/app.ts': 'x\n' });
      const blind = unwatched();
      try {
        const file = path.join(repo.dir, 'src', 'app.ts');
        assert.equal((await blind.fileContext(file))?.head, first);
        const r = await blind.find(repo.dir);
        assert.ok(r);
        assert.equal(await r.headCommit(), first);

        const second = repo.commit('two', { 'src/app.ts': 'y\n' });
        lines.length = 0;
        const ctx = await blind.fileContext(file);
        assert.equal(ctx?.head, second, 'HEAD is read with the status, not kept');
        assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['git status']);
        assert.equal(await r.headCommit(), second);

        // Detached at the first commit, then a new branch: each note sees where HEAD is now.
        repo.git(['checkout', '-q', '--detach', first]);
        assert.equal((await blind.fileContext(file))?.head, first);
        repo.git(['checkout', '-q', '-b', 'other', second]);
        const third = repo.commit('three', { 'src/app.ts': 'z\n' });
        assert.equal((await blind.fileContext(file))?.head, third);
        repo.git(['pack-refs', '--all']);
        assert.equal((await blind.fileContext(file))?.head, third, 'refs packed');
      } finally {
        blind.dispose();
      }
    });

    it('reads the status of a file from porcelain v2: tracked, modified, untracked, ignored, renamed; no HEAD when unborn', async () => {
      const repo = TempRepo.init(scratch, 'status-v2');
      const blind = unwatched();
      try {
        repo.write('new.txt', 'n\n');
        const unborn = await blind.fileContext(path.join(repo.dir, 'new.txt'));
        assert.equal(unborn?.head, undefined, 'an unborn branch has no HEAD');
        assert.equal(unborn?.tracked, false);
        fs.rmSync(path.join(repo.dir, 'new.txt'));

        repo.commit('one', { 'a.txt': 'a\n', 'b.txt': 'b\n', '.gitignore': 'ignored.log\n' });
        const at = async (rel: string) => {
          const ctx = await blind.fileContext(path.join(repo.dir, rel));
          return ctx && { tracked: ctx.tracked, modified: ctx.modified };
        };
        assert.deepEqual(await at('a.txt'), { tracked: true, modified: false });
        repo.write('a.txt', 'changed\n');
        assert.deepEqual(await at('a.txt'), { tracked: true, modified: true });
        repo.write('untracked.txt', 'u\n');
        assert.deepEqual(await at('untracked.txt'), { tracked: false, modified: false });
        repo.write('ignored.log', 'i\n');
        assert.deepEqual(await at('ignored.log'), { tracked: false, modified: false });
        repo.git(['mv', 'b.txt', 'renamed.txt']);
        assert.deepEqual(await at('renamed.txt'), { tracked: true, modified: true });
      } finally {
        blind.dispose();
      }
    });

    it('while a change runs, a deploy list is read without waiting for it; listeners hear when it ends', async () => {
      await onRepositoryWithADeploy('list-during-change', async (r) => {
        let heard = 0;
        r.onDidChange(() => heard++);
        const change = await holdChange(r);
        const during = await r.listDeploys(tags);
        assert.equal(change.ended(), false, 'the list came while the change still ran');
        assert.ok(during.deploys.length >= 1);
        assert.equal(await r.listDeploys(tags), during, 'kept while the change runs');
        await change.release();
        assert.equal(heard, 1, 'listeners are told the list they were shown may be out of date');
        assert.deepEqual((await r.listDeploys(tags)).deploys.map((d) => d.ref), ['deploy/2', 'deploy/1'], 'read afresh after the change');
      });
    });

    it('while a change runs, the kept list is served even once a ref change dropped it, and read afresh after', async () => {
      await onRepositoryWithADeploy('kept-during-change', async (r) => {
        const before = await r.listDeploys(tags);
        let heard = 0;
        r.onDidChange(() => heard++);
        const change = await holdChange(r);
        r.invalidate(); // what the refs watcher does when it sees the tag
        lines.length = 0;
        assert.equal(await r.listDeploys(tags), before, 'the last list, marked out of date');
        assert.equal(change.ended(), false);
        assert.equal(commands('git '), 0, 'served without reading');
        await change.release();
        assert.equal(heard, 1);
        assert.deepEqual((await r.listDeploys(tags)).deploys.map((d) => d.ref), ['deploy/2', 'deploy/1']);
      });
    });

    it('a repository closed while a change runs and opened again queues its changes behind that change', async () => {
      const repo = TempRepo.init(scratch, 'reopen-during-change');
      repo.commit('one');
      const first = await open(repo);
      const log: string[] = [];
      const held = gate();
      const change1 = first.mutate('first', async () => {
        log.push('first start');
        await held.promise;
        log.push('first end');
      });
      await until('the first change running', () => first.queueState.running === 'first' || undefined);
      git.close([first.root]);
      const second = await open(repo);
      assert.notEqual(second, first);
      assert.equal(second.queueState.running, 'first', 'the reopened repository sees the change under way');
      const change2 = second.mutate('second', async () => {
        log.push('second');
      });
      await until('the second change queued behind the first', () => second.queueState.waiting.includes('second') || undefined);
      assert.deepEqual(log, ['first start']);
      held.open();
      await Promise.all([change1, change2]);
      assert.deepEqual(log, ['first start', 'first end', 'second']);
      // Once idle, closing drops the queue: a repository opened after that starts afresh and works.
      git.close([second.root]);
      const third = await open(repo);
      assert.deepEqual(third.queueState, { running: undefined, waiting: [] });
      assert.equal(await third.mutate('third', async () => 3), 3);
    });

    it('a repository found for the scribe watches nothing; listening starts the watcher and the last listener stops it', async () => {
      const repo = TempRepo.init(scratch, 'watch-on-listen');
      repo.commit('one', { 'f.txt': 'f\n' });
      await git.fileContext(path.join(repo.dir, 'f.txt'));
      const r = await open(repo);
      assert.equal(r.watching, false, 'found by the scribe: no watcher');
      const a = r.onDidChange(() => undefined);
      const b = r.onDidChange(() => undefined);
      assert.equal(r.watching, true);
      a.dispose();
      assert.equal(r.watching, true, 'one listener is left');
      const heard = changed(r);
      repo.tag('deploy/1');
      await heard;
      b.dispose();
      assert.equal(r.watching, false);
      const none = await git.find(path.join(scratch.dir('watch-on-listen-none')));
      assert.equal(none, undefined);
      r.onDidChange(() => undefined);
      git.close([r.root]);
      assert.equal(r.watching, false, 'closing stops it');
    });
  });
});
