import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listDeployCommits } from '../../../src/git/deployCommits';
import { listDeployFiles } from '../../../src/git/deployDiff';
import { listDeploys } from '../../../src/git/deployDiscovery';
import { readFileAtRevision } from '../../../src/git/fileAtRevision';
import { classifyGitStderr, GitError, isGitError, summarizeStderr } from '../../../src/git/gitError';
import { GitRunner, parseFilterDrivers, readOnlyArgs } from '../../../src/git/gitRunner';
import { OperationQueue } from '../../../src/git/operationQueue';
import { fileGitContext } from '../../../src/git/repository';
import { readWorkTree } from '../../../src/git/rollbackFacts';
import { Scratch, TempRepo } from './gitFixture';

describe('git/gitRunner', () => {
  let scratch: Scratch;
  let repo: TempRepo;
  before(() => {
    scratch = new Scratch();
    repo = TempRepo.init(scratch, 'repo');
    repo.commit('first', { 'a.txt': 'a\n' });
    repo.commit('second', { 'a.txt': 'b\n' });
  });
  after(() => scratch.cleanup());

  describe('classifyGitStderr', () => {
    const table: Array<[string, string]> = [
      ['fatal: not a git repository (or any of the parent directories): .git', 'NotARepository'],
      ["fatal: ambiguous argument 'nope': unknown revision or path not in the working tree.", 'RefNotFound'],
      ["fatal: bad revision 'nope'", 'RefNotFound'],
      ["fatal: path 'x' does not exist in 'HEAD'", 'PathNotFound'],
      ['error: Your local changes to the following files would be overwritten by checkout:\n\ta.txt', 'DirtyWorkTree'],
      ['error: your local changes would be overwritten by revert.\nhint: commit your changes or stash them to proceed.', 'DirtyWorkTree'],
      ['error: could not revert 1234567... change\nhint: After resolving the conflicts, mark them with', 'MergeConflict'],
      [' ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs to', 'PushRejected'],
      [' ! [rejected]        production -> production (stale info)\nerror: failed to push some refs', 'StaleLease'],
      ["fatal: could not read Username for 'https://example.com': terminal prompts disabled", 'AuthenticationFailed'],
      ['git@example.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'AuthenticationFailed'],
      ["fatal: 'nowhere' does not appear to be a git repository\nfatal: Could not read from remote repository.", 'RemoteNotFound'],
      ['On branch main\nnothing to commit, working tree clean', 'NothingToRevert'],
      ["fatal: 'a..b' is not a valid branch name", 'InvalidRefName'],
      ["fatal: a branch named 'x' already exists", 'BranchExists'],
      ['something else entirely', 'Unknown'],
    ];
    for (const [stderr, code] of table) {
      it(`${code}: ${stderr.split('\n')[0]}`, () => assert.equal(classifyGitStderr(stderr), code));
    }
    it('summarizes to the fatal/error line, skipping hints', () => {
      assert.equal(summarizeStderr('hint: x\nerror: could not revert abc\nhint: y'), 'error: could not revert abc');
    });
  });

  it('returns stdout and fails every non-zero exit, even one with empty stderr, with its exit code', async () => {
    const runner = repo.runner();
    assert.match(await runner.exec(['rev-parse', 'HEAD']), /^[0-9a-f]{40}\n$/);
    await assert.rejects(runner.exec(['merge-base', '--is-ancestor', 'HEAD', 'HEAD~1']), (e: unknown) => {
      assert.ok(e instanceof GitError);
      assert.equal(e.detail.exitCode, 1);
      assert.deepEqual(e.detail.args, ['merge-base', '--is-ancestor', 'HEAD', 'HEAD~1']);
      return true;
    });
  });

  it('classifies real failures: not a repository, unknown ref', async () => {
    const outside = new GitRunner({ cwd: scratch.dir('plain'), env: { ...scratch.env, GIT_CEILING_DIRECTORIES: scratch.root } });
    await assert.rejects(outside.exec(['rev-parse', 'HEAD']), (e: unknown) => isGitError(e, 'NotARepository'));
    await assert.rejects(repo.runner().exec(['rev-parse', '--verify', '--end-of-options', 'nope']), (e: unknown) => isGitError(e, 'RefNotFound'));
    const missing = new GitRunner({ cwd: path.join(scratch.root, 'does-not-exist') });
    await assert.rejects(missing.exec(['status']), (e: unknown) => isGitError(e, 'NotARepository'));
  });

  it('refuses --upload-pack smuggled into argv before any process starts', async () => {
    const marker = path.join(scratch.root, 'pwned');
    const runner = repo.runner();
    for (const args of [
      ['ls-remote', `--upload-pack=touch ${marker}`, '.'],
      ['fetch', '--end-of-options', `--upload-pack=touch ${marker}`],
    ]) {
      await assert.rejects(runner.exec(args), (e: unknown) => isGitError(e, 'UnsafeInput'));
    }
    assert.equal(fs.existsSync(marker), false);
  });

  it('strips ambient GIT_* variables (a stray GIT_DIR cannot redirect it)', async () => {
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(scratch.root, 'elsewhere');
    try {
      assert.equal((await repo.runner().exec(['rev-parse', 'HEAD'])).trim(), repo.rev('HEAD'));
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });

  it("passes the user's own GIT_SSH_COMMAND through (and nothing else ambient)", async () => {
    // Two fake ssh programs: one named by the ambient GIT_SSH_COMMAND, one by the repo's core.sshCommand
    // (which git uses when the variable is absent). Neither reaches the network.
    const fake = (name: string) => {
      const script = path.join(scratch.root, `${name}.js`);
      fs.writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(path.join(scratch.root, name))}, 'x'); process.exit(1);`);
      return `${JSON.stringify(process.execPath)} ${JSON.stringify(script)}`;
    };
    const called = (name: string) => fs.existsSync(path.join(scratch.root, name));
    repo.git(['config', 'core.sshCommand', fake('config-ssh')]);
    const saved = process.env.GIT_SSH_COMMAND;
    process.env.GIT_SSH_COMMAND = fake('env-ssh');
    const url = 'ssh://git@example.invalid/org/repo.git';
    try {
      await assert.rejects(repo.runner().exec(['ls-remote', '--end-of-options', url]), (e: unknown) => isGitError(e));
      assert.deepEqual([called('env-ssh'), called('config-ssh')], [true, false]);
      fs.rmSync(path.join(scratch.root, 'env-ssh'));
      const strict = new GitRunner({ cwd: repo.dir, env: scratch.env, inheritAuthEnvironment: false });
      await assert.rejects(strict.exec(['ls-remote', '--end-of-options', url]), (e: unknown) => isGitError(e));
      assert.deepEqual([called('env-ssh'), called('config-ssh')], [false, true]);
    } finally {
      if (saved === undefined) delete process.env.GIT_SSH_COMMAND;
      else process.env.GIT_SSH_COMMAND = saved;
      repo.git(['config', '--unset', 'core.sshCommand']);
    }
  });

  it('cancels a running git process through an AbortSignal', async () => {
    const ac = new AbortController();
    // hash-object --stdin waits for input that never comes, until the signal kills it.
    const pending = repo.runner().exec(['hash-object', '--stdin'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(pending, (e: unknown) => isGitError(e, 'Cancelled'));
    await assert.rejects(repo.runner().exec(['status'], { signal: AbortSignal.abort() }), (e: unknown) => isGitError(e, 'Cancelled'));
  });

  it('passes stdin', async () => {
    const out = await repo.runner().exec(['hash-object', '--stdin'], { input: 'hello\n' });
    assert.equal(out.trim(), repo.git(['hash-object', '--stdin'], { input: 'hello\n' }));
  });

  it('runs queued operations one at a time, in order, and a failure does not block the queue', async () => {
    // Two runners given one repository's queue (as its GitRepository hands it to each runner it makes) share it.
    const queue = new OperationQueue();
    const runner = repo.runner({ queue });
    const other = repo.runner({ queue });
    const log: string[] = [];
    const op = (name: string, ms: number, fail = false) =>
      runner.run(name, async () => {
        log.push(`start ${name}`);
        assert.equal(runner.queueState.running, name);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const a = op('a', 30);
    const b = op('b', 5, true);
    const c = other.run('c', async () => {
      log.push('start c');
      await new Promise((r) => setTimeout(r, 1));
      log.push('end c');
      return 'c';
    });
    assert.deepEqual(other.queueState.waiting, ['a', 'b', 'c']);
    assert.equal(await a, 'a');
    await assert.rejects(b, /b failed/);
    assert.equal(await c, 'c');
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.deepEqual(runner.queueState, { running: undefined, waiting: [] });
  });

  it('logs each command line it runs', async () => {
    const lines: string[] = [];
    await repo.runner({ log: (l) => lines.push(l) }).exec(['log', '-1', '--format=%s']);
    assert.deepEqual(lines, ['git log -1 --format=%s']);
  });

  describe('a repository whose own config names programs (an untrusted clone)', () => {
    // Each program git could be told to run appends its name to one marker file. The plain-git control at the end
    // shows every one of them really runs without the runner's overrides, so the test can fail.
    const PROGRAMS = ['fsmonitor', 'gpg', 'post-index-change', 'filter', 'extdiff', 'textconv'] as const;
    let hostile: TempRepo;
    let marker: string;
    let program: (name: string) => string;
    let signed: string;
    const touch = () => {
      // A new mtime makes the index entry stale, so git compares content (through the clean filter).
      const t = new Date(Date.now() + 5000 + Math.floor(Math.random() * 1000) * 1000);
      fs.utimesSync(path.join(hostile.dir, 'app.txt'), t, t);
    };
    const ran = (): string[] => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').split('\n').filter((l) => l !== '') : []);

    before(function () {
      if (process.platform === 'win32') this.skip(); // the programs are sh scripts
      hostile = TempRepo.init(scratch, 'hostile');
      marker = path.join(scratch.root, 'hostile-ran');
      const bin = scratch.dir('hostile-bin');
      program = (name: string): string => {
        const file = path.join(bin, name);
        // Exits 0; the filter passes its input through, as a real one would.
        fs.writeFileSync(file, `#!/bin/sh\necho ${name} >> ${JSON.stringify(marker)}\n${name === 'filter' ? 'cat\n' : ''}exit 0\n`, { mode: 0o755 });
        return file;
      };
      hostile.commit('first', { 'app.txt': 'one\n', 'data.own': 'own data\n' });
      hostile.tag('deploy/1');
      hostile.commit('second', { 'app.txt': 'two\n' });
      // A commit carrying a (fake) signature: with log.showSignature git hands it to gpg.program to verify.
      const raw = [
        `tree ${hostile.tree('HEAD')}`, `parent ${hostile.rev('HEAD')}`,
        'author Mallory <m@example.com> 1700000600 +0000', 'committer Mallory <m@example.com> 1700000600 +0000',
        'gpgsig -----BEGIN PGP SIGNATURE-----', ' ', ' iQEzBAABCAAdFiEEfake', ' -----END PGP SIGNATURE-----', '', 'signed release', '',
      ].join('\n');
      signed = hostile.git(['hash-object', '-t', 'commit', '-w', '--stdin'], { input: raw });
      hostile.git(['update-ref', 'refs/heads/main', signed]);
      hostile.tag('deploy/2', { message: 'release 2', target: signed });
      hostile.git(['config', 'core.fsmonitor', program('fsmonitor')]);
      hostile.git(['config', 'log.showSignature', 'true']);
      hostile.git(['config', 'gpg.program', program('gpg')]);
      hostile.git(['config', 'diff.external', program('extdiff')]);
      hostile.git(['config', 'diff.evil.textconv', program('textconv')]);
      hostile.git(['config', 'filter.evil.clean', program('filter')]);
      hostile.git(['config', 'filter.evil.smudge', program('filter')]);
      fs.copyFileSync(program('post-index-change'), path.join(hostile.dir, '.git', 'hooks', 'post-index-change'));
      fs.writeFileSync(path.join(hostile.dir, '.git', 'info', 'attributes'), '* filter=evil diff=evil\n');
    });

    it('runs none of them for what the extension reads: deploys, commits, files, diffs, scribe context, work tree', async () => {
      const runner = hostile.runner();
      const { deploys } = await listDeploys(runner, { sources: ['tags'], tagPatterns: ['deploy/*'] });
      assert.deepEqual(deploys.map((d) => [d.ref, d.subject]), [['deploy/2', 'signed release'], ['deploy/1', 'first']], 'it still reads the repository');
      const [newest] = deploys;
      assert.ok(newest);
      await listDeployCommits(runner, newest);
      await listDeployFiles(runner, newest);
      await readFileAtRevision(runner, signed, 'app.txt');
      touch();
      const ctx = await fileGitContext(path.join(hostile.dir, 'app.txt'), { env: scratch.env });
      assert.equal(ctx?.head, signed);
      touch();
      await readWorkTree(runner);
      touch();
      await runner.exec(['status', '--porcelain']);
      touch();
      await runner.exec(['diff', '--name-only']);
      await runner.exec(['diff', 'deploy/1', 'HEAD']);
      await runner.exec(['log', '-p', '-3']);
      await runner.exec(['show', signed]);
      assert.deepEqual(ran(), [], 'no program named by the repository ran');

      // The control: plain git in the same repository runs every one of them.
      touch();
      hostile.git(['status', '--porcelain']);
      hostile.git(['log', '--no-walk', '--format=%H', signed]);
      hostile.git(['diff', 'deploy/1', 'HEAD']);
      hostile.git(['diff', '--no-ext-diff', 'deploy/1', 'HEAD']);
      assert.deepEqual([...new Set(ran())].sort(), [...PROGRAMS].sort());
    });

    it('ls-remote (rollback planning, before the confirm) does not run the upload-pack a remote of the repository names', async () => {
      fs.rmSync(marker, { force: true });
      const upstream = TempRepo.init(scratch, 'hostile-upstream');
      upstream.commit('base', { 'a.txt': 'a\n' });
      hostile.git(['remote', 'add', 'evil', upstream.dir]);
      hostile.git(['config', 'remote.evil.uploadpack', `${program('uploadpack')}; git-upload-pack`]);
      try {
        const out = await hostile.runner().exec(['ls-remote', '--end-of-options', 'evil', 'HEAD']);
        assert.match(out, /^[0-9a-f]{40}\tHEAD$/m, 'it still lists the remote');
        assert.deepEqual(ran(), [], 'the remote\'s upload-pack ran');
        hostile.git(['ls-remote', 'evil', 'HEAD']); // the control: plain git runs it
        assert.deepEqual(ran(), ['uploadpack']);
      } finally {
        hostile.git(['remote', 'remove', 'evil']);
        fs.rmSync(marker, { force: true });
      }
    });

    it("leaves the user's own filters alone (git-lfs in the global config keeps working): only the repository's are emptied", async () => {
      fs.rmSync(marker, { force: true });
      const attributes = path.join(hostile.dir, '.git', 'info', 'attributes');
      const before = fs.readFileSync(attributes, 'utf8');
      hostile.git(['config', '--global', 'filter.own.clean', program('own')]);
      fs.writeFileSync(attributes, `${before}*.own filter=own\n`);
      try {
        const t = new Date(Date.now() + 7000);
        fs.utimesSync(path.join(hostile.dir, 'data.own'), t, t);
        touch();
        await hostile.runner().exec(['status', '--porcelain']);
        assert.deepEqual([...new Set(ran())], ['own'], "the user's filter ran, the repository's did not");
      } finally {
        hostile.git(['config', '--global', '--unset', 'filter.own.clean']);
        fs.writeFileSync(attributes, before);
        fs.rmSync(marker, { force: true });
      }
    });

    it('leaves writes alone: a mutating subcommand runs with the repository config as it is', async () => {
      fs.rmSync(marker, { force: true });
      // `reset` refreshes and writes the index, which runs post-index-change: the user's hooks apply to the
      // rollback they confirmed in a trusted workspace.
      touch();
      await hostile.runner().exec(['reset', '--quiet']);
      assert.ok(ran().includes('post-index-change'));
    });

    it('refuses caller argv that starts with a global option instead of a subcommand', async () => {
      fs.rmSync(marker, { force: true });
      for (const args of [['-c', 'core.fsmonitor=true', 'status'], ['--git-dir=/tmp/x', 'log'], ['-C', '/', 'status']]) {
        await assert.rejects(hostile.runner().exec(args), (e: unknown) => isGitError(e, 'UnsafeInput'));
      }
      assert.deepEqual(ran(), []);
    });

    it('builds the read argv: overrides before the subcommand, its own flags after it', () => {
      const argv = readOnlyArgs(['log', '--format=%H', 'HEAD'], ['evil']);
      const sub = argv.indexOf('log');
      assert.deepEqual(argv.slice(sub), ['log', '--no-show-signature', '--no-ext-diff', '--no-textconv', '--format=%H', 'HEAD']);
      const globals = argv.slice(0, sub);
      for (const c of ['core.fsmonitor=false', 'core.hooksPath=/dev/null', 'log.showSignature=false', 'filter.evil.clean=', 'filter.evil.process=']) {
        assert.equal(globals[globals.indexOf(c) - 1], '-c', c);
      }
      assert.ok(globals.some((g) => g.startsWith('gpg.program=')));
      assert.ok(globals.includes('--no-pager') && globals.includes('--no-optional-locks'));
      assert.deepEqual(
        parseFilterDrivers('global\0filter.lfs.process\0local\0filter.evil.clean\0local\0filter.evil.smudge\0worktree\0filter.a.b.clean\0system\0filter.x.clean\0'),
        ['evil', 'a.b'],
      );
    });
  });
});
