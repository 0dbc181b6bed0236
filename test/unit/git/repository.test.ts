import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileGitContext, findRepository, isOnRemoteBranch, refWatchPaths } from '../../../src/git/repository';
import { Scratch, TempRepo } from './gitFixture';

describe('git/repository', () => {
  let scratch: Scratch;
  let env: Record<string, string>;
  before(() => {
    scratch = new Scratch();
    env = { ...scratch.env, GIT_CEILING_DIRECTORIES: scratch.root };
  });
  after(() => scratch.cleanup());

  it('finds the root, git dir and common dir of a work tree, a linked worktree and a bare repository', async () => {
    const repo = TempRepo.init(scratch, 'loc');
    repo.commit('x', { 'sub/deeper/f.txt': 'f' });
    const real = fs.realpathSync(repo.dir);
    const loc = await findRepository(path.join(repo.dir, 'sub', 'deeper'), { env });
    assert.deepEqual(loc, { root: real, gitDir: path.join(real, '.git'), commonDir: path.join(real, '.git'), bare: false });

    const wt = path.join(scratch.root, 'loc-wt');
    repo.git(['worktree', 'add', '-q', wt, '-b', 'wt']);
    const wtLoc = await findRepository(wt, { env });
    assert.equal(wtLoc?.root, fs.realpathSync(wt));
    assert.equal(wtLoc?.commonDir, path.join(real, '.git'));
    assert.equal(wtLoc?.gitDir, path.join(real, '.git', 'worktrees', 'loc-wt'));
    assert.deepEqual(refWatchPaths(wtLoc as NonNullable<typeof wtLoc>), {
      refsDir: path.join(real, '.git', 'refs'),
      files: [path.join(real, '.git', 'packed-refs'), path.join(real, '.git', 'worktrees', 'loc-wt', 'HEAD'), path.join(real, '.git', 'HEAD')],
    });

    const bare = TempRepo.init(scratch, 'loc-bare', { bare: true });
    const bareLoc = await findRepository(bare.dir, { env });
    assert.equal(bareLoc?.bare, true);
    assert.equal(bareLoc?.root, fs.realpathSync(bare.dir));

    assert.equal(await findRepository(scratch.dir('loc-none'), { env }), undefined);
    assert.equal(await findRepository(path.join(scratch.root, 'nowhere'), { env }), undefined);
  });

  describe('fileGitContext', () => {
    let repo: TempRepo;
    before(() => {
      repo = TempRepo.init(scratch, 'ctx');
      repo.commit('x', { 'src/app.ts': 'a\nb\nc\n', 'README.md': 'r' });
    });

    it('gives repo root, relative path, HEAD and modified/tracked state', async () => {
      const ctx = await fileGitContext(path.join(repo.dir, 'src', 'app.ts'), { env });
      assert.deepEqual(ctx, { repoRoot: fs.realpathSync(repo.dir), relativePath: 'src/app.ts', head: repo.rev('HEAD'), tracked: true, modified: false });
      repo.write('src/app.ts', 'changed\n');
      assert.equal((await fileGitContext(path.join(repo.dir, 'src', 'app.ts'), { env }))?.modified, true);
      repo.git(['checkout', '--', 'src/app.ts']);
      repo.write('new.txt', 'n');
      assert.deepEqual(
        await fileGitContext(path.join(repo.dir, 'new.txt'), { env }).then((c) => [c?.tracked, c?.modified]),
        [false, false],
      );
    });

    it('picks origin, else the first remote; resolves symlinked paths', async () => {
      repo.git(['remote', 'add', 'upstream', 'https://user:secret@github.com/up/stream.git']);
      assert.deepEqual((await fileGitContext(path.join(repo.dir, 'README.md'), { env }))?.remote, {
        name: 'upstream',
        url: 'https://user:secret@github.com/up/stream.git',
      });
      repo.git(['remote', 'add', 'origin', 'git@github.com:org/repo.git']);
      assert.deepEqual((await fileGitContext(path.join(repo.dir, 'README.md'), { env }))?.remote, { name: 'origin', url: 'git@github.com:org/repo.git' });
      const link = path.join(scratch.root, 'ctx-link');
      fs.symlinkSync(repo.dir, link);
      assert.equal((await fileGitContext(path.join(link, 'src', 'app.ts'), { env }))?.relativePath, 'src/app.ts');
    });

    it('handles an unborn branch and a file outside any repository', async () => {
      const fresh = TempRepo.init(scratch, 'ctx-fresh');
      fresh.write('a.txt', 'a');
      const ctx = await fileGitContext(path.join(fresh.dir, 'a.txt'), { env });
      assert.equal(ctx?.head, undefined);
      assert.equal(ctx?.remote, undefined);
      const outside = scratch.dir('ctx-out');
      fs.writeFileSync(path.join(outside, 'f'), 'f');
      assert.equal(await fileGitContext(path.join(outside, 'f'), { env }), undefined);
    });

    it('tells whether a commit is on a remote branch', async () => {
      const bare = TempRepo.init(scratch, 'ctx-remote.git', { bare: true });
      const r = TempRepo.init(scratch, 'ctx-pushed');
      const first = r.commit('pushed');
      r.git(['remote', 'add', 'origin', `file://${bare.dir}`]);
      r.git(['push', '-q', 'origin', 'main']);
      const second = r.commit('local only');
      assert.equal(await isOnRemoteBranch(r.runner(), first), true);
      assert.equal(await isOnRemoteBranch(r.runner(), second), false);
    });
  });
});
