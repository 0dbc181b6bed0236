import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listDeploys, type Deploy } from '../../../src/git/deployDiscovery';
import { executeRollback, mitigationFinishedData, mitigationStartedData, type RollbackProgress } from '../../../src/git/rollbackExecutor';
import { gatherRollbackFacts } from '../../../src/git/rollbackFacts';
import { planRollback, type RollbackPlan, type RollbackPlanResult, type RollbackSettings } from '../../../src/git/rollbackPlan';
import { Scratch, TempRepo } from './gitFixture';

/**
 * main:  c1 ── M1 ── c4          deploy/1 = c1, deploy/2 = c4
 *          └ c2 ─ c3 ┘            (feature merged with a merge commit)
 * pushed to a bare remote over file://, with env/production at deploy/2.
 */
function buildTemplate(scratch: Scratch, name: string) {
  const remote = TempRepo.init(scratch, `${name}-remote.git`, { bare: true });
  const repo = TempRepo.init(scratch, name);
  repo.commit('c1: service v1', { 'app.txt': 'version 1\n', 'config.txt': 'limit=10\n' });
  repo.tag('deploy/1', { message: 'deploy 1' });
  repo.git(['switch', '-q', '-c', 'feature']);
  repo.commit('c2: add cache', { 'cache.txt': 'cache on\n' });
  repo.commit('c3: bump version', { 'app.txt': 'version 2\n' });
  repo.git(['switch', '-q', 'main']);
  repo.merge('feature', 'M1: merge feature');
  const c4 = repo.commit('c4: raise limit', { 'config.txt': 'limit=1000\n' });
  repo.tag('deploy/2', { message: 'deploy 2' });
  repo.git(['remote', 'add', 'origin', `file://${remote.dir}`]);
  repo.git(['push', '-q', 'origin', 'main', '--tags']);
  repo.git(['push', '-q', 'origin', `${c4}:refs/heads/env/production`]);
  return { remote, repo };
}

let template: ReturnType<typeof buildTemplate> | undefined;

/** A fresh copy of the template repository and its remote (copying is much faster than rebuilding). */
function buildDeployRepo(scratch: Scratch, name: string) {
  template ??= buildTemplate(scratch, 'template');
  const remote = new TempRepo(scratch, path.join(scratch.root, `${name}-remote.git`));
  const repo = new TempRepo(scratch, path.join(scratch.root, name));
  fs.cpSync(template.remote.dir, remote.dir, { recursive: true });
  fs.cpSync(template.repo.dir, repo.dir, { recursive: true });
  repo.clock = template.repo.clock;
  repo.git(['remote', 'set-url', 'origin', `file://${remote.dir}`]);
  return { remote, repo, c1: repo.rev('deploy/1'), c4: repo.rev('deploy/2') };
}

async function makePlan(repo: TempRepo, settings: RollbackSettings, options: { ref?: string; deployBranch?: string } = {}): Promise<RollbackPlanResult> {
  const runner = repo.runner();
  const { deploys } = await listDeploys(runner, { sources: ['tags'], tagPatterns: ['deploy/*'] });
  const deploy = deploys.find((d) => d.ref === (options.ref ?? 'deploy/2')) as Deploy;
  const facts = await gatherRollbackFacts(runner, deploy, deploy.previous, { settings, deployBranch: options.deployBranch });
  return planRollback({ settings, incidentId: 'INC-7', facts, deployBranch: options.deployBranch });
}

function ok(result: RollbackPlanResult): RollbackPlan {
  if (!result.ok) assert.fail(`expected a plan, got refusals: ${result.refusals.map((r) => r.message).join(' | ')}`);
  return result;
}

const revert = (extra: Partial<RollbackSettings> = {}): RollbackSettings => ({ strategy: 'revert', push: false, remote: 'origin', ...extra });

describe('git/rollbackExecutor', function () {
  this.timeout(30_000);
  let scratch: Scratch;
  before(() => (scratch = new Scratch()));
  after(() => {
    template = undefined;
    scratch.cleanup();
  });

  describe('revert', () => {
    it('reverts the deploy (merge with -m 1) on a new branch whose tree equals the previous deploy, then returns', async () => {
      const { repo, c1 } = buildDeployRepo(scratch, 'rv-ok');
      const headBefore = repo.rev('HEAD');
      const plan = ok(await makePlan(repo, revert()));
      assert.deepEqual(
        plan.steps.map((s) => s.argv.join(' ')),
        [
          `git switch --create rollback/INC-7-deploy-2 --end-of-options ${repo.rev('deploy/2')}`,
          `git revert --no-edit --end-of-options ${repo.rev('deploy/2')}`,
          `git revert --no-edit -m 1 --end-of-options ${repo.rev('deploy/2~1')}`,
          'git switch --end-of-options main',
        ],
      );
      assert.deepEqual(plan.undoes.commits.map((c) => c.subject), ['c4: raise limit', 'M1: merge feature', 'c3: bump version', 'c2: add cache']);
      assert.deepEqual(plan.undoes.files.map((f) => `${f.status} ${f.path}`).sort(), ['added cache.txt', 'modified app.txt', 'modified config.txt']);
      assert.deepEqual(plan.warnings, []);

      const progress: RollbackProgress[] = [];
      const outcome = await executeRollback(repo.runner(), plan, { onProgress: (p) => progress.push(p) });
      assert.equal(outcome.result, 'succeeded', outcome.detail);
      assert.equal(outcome.treeMatchesPrevious, true);
      assert.equal(repo.tree('rollback/INC-7-deploy-2'), repo.tree(c1));
      assert.equal(repo.git(['branch', '--show-current']), 'main');
      assert.equal(repo.rev('HEAD'), headBefore);
      assert.equal(repo.git(['status', '--porcelain']), '');
      assert.deepEqual(repo.git(['log', '--format=%s', '-2', 'rollback/INC-7-deploy-2']).split('\n'), ['Revert "M1: merge feature"', 'Revert "c4: raise limit"']);
      assert.deepEqual(progress.filter((p) => p.state === 'done').map((p) => p.step), [0, 1, 2, 3]);
      assert.match(outcome.detail, /tree equals deploy\/1/);

      const started = mitigationStartedData(plan, '3b241101-e2bb-4255-8caf-4136c566a962');
      assert.equal(started.action, 'rollback');
      assert.deepEqual(started.target, { ref: 'deploy/2', sha: repo.rev('deploy/2') });
      assert.match(started.command ?? '', /^git switch --create rollback\/INC-7-deploy-2/);
      assert.equal(mitigationFinishedData(outcome, started.mitigationId).result, 'succeeded');

      // Planning again picks a fresh branch name instead of clobbering the first.
      assert.equal(ok(await makePlan(repo, revert())).revert?.branch, 'rollback/INC-7-deploy-2-2');
    });

    it('starts from the deploy branch, pushes over file://, and warns when commits landed since', async () => {
      const { repo, remote, c1 } = buildDeployRepo(scratch, 'rv-push');
      repo.commit('c5: unrelated docs', { 'docs.txt': 'docs\n' });
      const plan = ok(await makePlan(repo, revert({ push: true }), { deployBranch: 'main' }));
      assert.equal(plan.revert?.baseSha, repo.rev('main'));
      assert.equal(plan.revert?.expectTree, undefined);
      assert.match(plan.warnings[0] ?? '', /1 commit landed on main since deploy\/2/);
      assert.deepEqual(plan.steps.at(-2)?.argv, ['git', 'push', '--porcelain', '--end-of-options', 'origin', 'refs/heads/rollback/INC-7-deploy-2:refs/heads/rollback/INC-7-deploy-2']);
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'succeeded', outcome.detail);
      assert.equal(outcome.pushed, true);
      assert.equal(remote.rev('rollback/INC-7-deploy-2'), repo.rev('rollback/INC-7-deploy-2'));
      // Everything of deploy/2 is undone; the docs commit that landed since is kept.
      assert.equal(repo.git(['show', 'rollback/INC-7-deploy-2:config.txt']), repo.git(['show', `${c1}:config.txt`]));
      assert.equal(repo.git(['show', 'rollback/INC-7-deploy-2:docs.txt']), 'docs');
    });

    it('a revert conflict fails cleanly: revert aborted, original branch back, rollback branch deleted', async () => {
      const { repo } = buildDeployRepo(scratch, 'rv-conflict');
      repo.commit('c5: limit tuned again', { 'config.txt': 'limit=2000\n' });
      const headBefore = repo.rev('HEAD');
      const plan = ok(await makePlan(repo, revert(), { deployBranch: 'main' }));
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.error?.code, 'MergeConflict');
      assert.equal(outcome.failedStep, 1);
      assert.deepEqual(outcome.conflicts, ['config.txt']);
      assert.match(outcome.detail, /Conflicts in: config\.txt/);
      assert.match(outcome.detail, /aborted the revert; returned to main; deleted rollback\/INC-7-deploy-2/);
      assert.equal(repo.git(['branch', '--list', 'rollback/*']), '');
      assert.equal(repo.git(['branch', '--show-current']), 'main');
      assert.equal(repo.rev('HEAD'), headBefore);
      assert.equal(repo.git(['status', '--porcelain']), '');
      assert.equal(fs.existsSync(path.join(repo.dir, '.git', 'REVERT_HEAD')), false);
    });

    it('a rejected push fails, keeps the local branch for hand-off and returns to the original branch', async () => {
      const { repo, remote } = buildDeployRepo(scratch, 'rv-rejected');
      // Someone else already pushed a different branch of that name.
      const other = TempRepo.clone(scratch, `file://${remote.dir}`, 'rv-rejected-other');
      other.git(['switch', '-q', '-c', 'rollback/INC-7-deploy-2']);
      other.commit('their attempt', { 'theirs.txt': 't\n' });
      other.git(['push', '-q', 'origin', 'rollback/INC-7-deploy-2']);
      const plan = ok(await makePlan(repo, revert({ push: true })));
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.error?.code, 'PushRejected');
      assert.equal(outcome.branchKept, true);
      assert.match(outcome.detail, /kept locally/);
      assert.equal(repo.git(['branch', '--show-current']), 'main');
      assert.equal(remote.git(['log', '-1', '--format=%s', 'rollback/INC-7-deploy-2']), 'their attempt');
    });

    it('cancel mid-run stops between steps and leaves the repository as it was', async () => {
      const { repo } = buildDeployRepo(scratch, 'rv-cancel');
      const headBefore = repo.rev('HEAD');
      const plan = ok(await makePlan(repo, revert()));
      const ac = new AbortController();
      const outcome = await executeRollback(repo.runner(), plan, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.step === 1 && p.state === 'done') ac.abort();
        },
      });
      assert.equal(outcome.result, 'cancelled');
      assert.equal(outcome.stepsCompleted, 2);
      assert.equal(outcome.failedStep, 2);
      assert.match(outcome.detail, /Cancelled at step 3 of 4/);
      assert.equal(repo.git(['branch', '--list', 'rollback/*']), '');
      assert.equal(repo.git(['branch', '--show-current']), 'main');
      assert.equal(repo.rev('HEAD'), headBefore);
      assert.equal(repo.git(['status', '--porcelain']), '');
      assert.equal(mitigationFinishedData(outcome, '3b241101-e2bb-4255-8caf-4136c566a962').result, 'cancelled');
    });

    it('refuses a dirty work tree at plan time, and again at run time, running nothing', async () => {
      const { repo } = buildDeployRepo(scratch, 'rv-dirty');
      const clean = ok(await makePlan(repo, revert()));
      repo.write('app.txt', 'local edit\n');
      const refused = await makePlan(repo, revert());
      assert.equal(refused.ok, false);
      assert.deepEqual(!refused.ok && refused.refusals.map((r) => r.code), ['DirtyWorkTree']);
      assert.match(!refused.ok ? (refused.refusals[0]?.message ?? '') : '', /uncommitted changes \(app\.txt\)/);
      const lines: string[] = [];
      const runner = repo.runner({ log: (l) => lines.push(l) });
      const outcome = await executeRollback(runner, clean);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.error?.code, 'DirtyWorkTree');
      assert.equal(outcome.stepsCompleted, 0);
      assert.ok(lines.every((l) => !/ switch | revert /.test(l)), lines.join('\n'));
      assert.equal(repo.git(['branch', '--list', 'rollback/*']), '');
    });

    it('refuses without a previous deploy, and when the deploy is not on the deploy branch', async () => {
      const { repo } = buildDeployRepo(scratch, 'rv-refuse');
      const first = await makePlan(repo, revert(), { ref: 'deploy/1' });
      assert.deepEqual(!first.ok && first.refusals.map((r) => r.code), ['MissingPrevious']);
      repo.git(['branch', 'production', 'deploy/1']);
      const off = await makePlan(repo, revert(), { deployBranch: 'production' });
      assert.deepEqual(!off.ok && off.refusals.map((r) => r.code), ['NotOnDeployBranch']);
    });

    it('hostile deploy branch settings run nothing; a hostile tag name never reaches a branch name', async () => {
      const { repo } = buildDeployRepo(scratch, 'rv-hostile');
      const marker = path.join(scratch.root, 'rv-pwned');
      const lines: string[] = [];
      for (const deployBranch of [`--upload-pack=touch ${marker}`, 'main\ntouch pwned', '$(touch pwned) x', 'main;touch pwned', 'main`id`']) {
        const runner = repo.runner({ log: (l) => lines.push(l) });
        const { deploys } = await listDeploys(runner, { sources: ['tags'], tagPatterns: ['deploy/*'] });
        const d = deploys[0] as Deploy;
        const result = await gatherRollbackFacts(runner, d, d.previous, { settings: revert(), deployBranch }).then(
          (facts) => planRollback({ settings: revert(), incidentId: 'INC-7', facts, deployBranch }),
          (e: unknown) => e,
        );
        // Either refused up front (not a ref name) or the branch simply does not exist: never a plan.
        assert.ok(!(result as RollbackPlanResult).ok, deployBranch);
      }
      assert.ok(lines.every((l) => !/touch|upload-pack/.test(l) || /rev-parse --verify --end-of-options/.test(l)), lines.join('\n'));
      assert.equal(fs.existsSync(marker), false);
      assert.equal(fs.existsSync(path.join(repo.dir, 'pwned')), false);
      assert.equal(repo.git(['branch', '--list', 'rollback/*']), '');

      repo.commit('c5', { 'app.txt': 'version 3\n' });
      repo.tag('deploy/3;$(id)`x`', { message: 'odd but valid tag name' });
      const plan = ok(await makePlan(repo, revert(), { ref: 'deploy/3;$(id)`x`' }));
      assert.equal(plan.revert?.branch, 'rollback/INC-7-deploy-3-id-x');
      assert.ok(plan.steps.every((s) => s.argv.every((a) => !a.includes('$(') && !a.includes(';'))));
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'succeeded', outcome.detail);
    });
  });

  describe('branch (GitOps)', () => {
    const branch = (extra: Partial<RollbackSettings> = {}): RollbackSettings => ({ strategy: 'branch', push: false, remote: 'origin', environmentBranch: 'env/production', ...extra });

    it('moves the environment branch back with --force-with-lease against the sha it saw', async () => {
      const { repo, remote, c1, c4 } = buildDeployRepo(scratch, 'br-ok');
      const plan = ok(await makePlan(repo, branch()));
      assert.deepEqual(plan.steps[0]?.argv, [
        'git',
        'push',
        '--porcelain',
        `--force-with-lease=refs/heads/env/production:${c4}`,
        '--end-of-options',
        'origin',
        `${c1}:refs/heads/env/production`,
      ]);
      assert.equal(plan.needsCleanWorkTree, false);
      repo.write('app.txt', 'dirty is fine for this strategy\n');
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'succeeded', outcome.detail);
      assert.equal(remote.rev('env/production'), c1);
    });

    it('refuses to move it when the remote moved after the plan (stale lease), changing nothing', async () => {
      const { repo, remote } = buildDeployRepo(scratch, 'br-moved');
      const plan = ok(await makePlan(repo, branch()));
      const other = TempRepo.clone(scratch, `file://${remote.dir}`, 'br-moved-other');
      other.git(['switch', '-q', 'env/production']);
      const theirs = other.commit('hotfix deployed meanwhile', { 'hot.txt': 'fix\n' });
      other.git(['push', '-q', 'origin', 'env/production']);
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.error?.code, 'StaleLease');
      assert.match(outcome.detail, /env\/production on origin moved since the plan/);
      assert.equal(remote.rev('env/production'), theirs);
    });

    it('warns when the environment is not at the deploy, and lists what moving back undoes', async () => {
      const { repo, c4 } = buildDeployRepo(scratch, 'br-ahead');
      const c5 = repo.commit('c5: later deploy', { 'later.txt': 'l\n' });
      repo.git(['push', '-q', 'origin', `${c5}:refs/heads/env/production`]);
      const plan = ok(await makePlan(repo, branch()));
      assert.match(plan.warnings[0] ?? '', new RegExp(`is at ${c5.slice(0, 8)}, not at deploy/2 \\(${c4.slice(0, 8)}\\)`));
      assert.equal(plan.undoes.commits[0]?.subject, 'c5: later deploy');
      assert.ok(plan.undoes.files.some((f) => f.path === 'later.txt'));
    });

    it('refuses a missing environment branch, an unknown remote and hostile settings, running nothing', async () => {
      const { repo, remote } = buildDeployRepo(scratch, 'br-refuse');
      const before = remote.git(['for-each-ref']);
      const missing = await makePlan(repo, branch({ environmentBranch: 'env/staging' }));
      assert.deepEqual(!missing.ok && missing.refusals.map((r) => r.code), ['RemoteBranchMissing']);
      const noRemote = await makePlan(repo, branch({ remote: 'upstream' }));
      assert.deepEqual(!noRemote.ok && noRemote.refusals.map((r) => r.code), ['RemoteNotFound']);
      const marker = path.join(scratch.root, 'br-pwned');
      for (const hostile of [
        branch({ environmentBranch: `--upload-pack=touch ${marker}` }),
        branch({ environmentBranch: 'env/prod;touch pwned' }),
        branch({ environmentBranch: 'env/$(touch pwned)' }),
        branch({ environmentBranch: 'env/`touch pwned`' }),
        branch({ environmentBranch: 'env/prod\ntouch pwned' }),
        branch({ remote: `--receive-pack=touch ${marker}` }),
        branch({ remote: 'origin;touch pwned' }),
        branch({ remote: 'origin$(id)' }),
      ]) {
        const r = await makePlan(repo, hostile);
        assert.equal(r.ok, false, JSON.stringify(hostile));
        assert.ok(!r.ok && r.refusals.some((x) => x.code === 'InvalidRefName' || x.code === 'RemoteNotFound'), JSON.stringify(!r.ok && r.refusals));
      }
      assert.equal(fs.existsSync(marker), false);
      assert.equal(fs.existsSync(path.join(repo.dir, 'pwned')), false);
      assert.equal(remote.git(['for-each-ref']), before);
    });
  });

  describe('command', () => {
    let script: string;
    before(() => {
      script = path.join(scratch.root, 'record-args.js');
      fs.writeFileSync(
        script,
        [
          "const fs = require('fs');",
          'const [out, mode, ...rest] = process.argv.slice(2);',
          'fs.writeFileSync(out, JSON.stringify(rest));',
          "console.log('deploying', rest.join(' '));",
          "if (mode === 'fail') { console.error('boom: cluster unreachable'); process.exit(1); }",
          "if (mode === 'slow') setTimeout(() => {}, 60000);",
        ].join('\n'),
      );
    });
    const command = (out: string, mode: string, ...rest: string[]): RollbackSettings => ({
      strategy: 'command',
      push: false,
      remote: 'origin',
      command: [process.execPath, script, out, mode, ...rest],
    });

    it('substitutes placeholders into single arguments and runs the argv without a shell', async () => {
      const { repo, c1 } = buildDeployRepo(scratch, 'cmd-ok');
      const out = path.join(scratch.root, 'cmd-ok.json');
      const plan = ok(await makePlan(repo, command(out, 'ok', '${previousRef}', '--sha=${previousSha}', '${incidentId}', 'from ${ref}')));
      assert.deepEqual(plan.steps[0]?.argv.slice(3), ['ok', 'deploy/1', `--sha=${c1}`, 'INC-7', 'from deploy/2']);
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'succeeded', outcome.detail);
      assert.equal(outcome.exitCode, 0);
      assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), ['deploy/1', `--sha=${c1}`, 'INC-7', 'from deploy/2']);
    });

    it('reports a non-zero exit code with the output tail', async () => {
      const { repo } = buildDeployRepo(scratch, 'cmd-fail');
      const plan = ok(await makePlan(repo, command(path.join(scratch.root, 'cmd-fail.json'), 'fail', '${previousRef}')));
      const outcome = await executeRollback(repo.runner(), plan);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.exitCode, 1);
      assert.match(outcome.detail, /exited with code 1/);
      assert.match(outcome.detail, /boom: cluster unreachable/);
    });

    it('passes the command runner the exact argv (the VS Code task path) and uses its exit code', async () => {
      const { repo } = buildDeployRepo(scratch, 'cmd-task');
      const plan = ok(await makePlan(repo, { strategy: 'command', push: false, remote: 'origin', command: ['./scripts/deploy.sh', '${previousRef}'] }));
      const seen: Array<readonly string[]> = [];
      const outcome = await executeRollback(repo.runner(), plan, {
        runCommand: async (argv, o) => {
          seen.push(argv);
          assert.equal(o.cwd, repo.dir);
          return { exitCode: 3, cancelled: false };
        },
      });
      assert.deepEqual(seen, [['./scripts/deploy.sh', 'deploy/1']]);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.exitCode, 3);
    });

    it('cancels a running command', async () => {
      const { repo } = buildDeployRepo(scratch, 'cmd-cancel');
      const plan = ok(await makePlan(repo, command(path.join(scratch.root, 'cmd-cancel.json'), 'slow')));
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const started = Date.now();
      const outcome = await executeRollback(repo.runner(), plan, { signal: ac.signal });
      assert.equal(outcome.result, 'cancelled');
      assert.ok(Date.now() - started < 10_000);
    });

    it('refuses unknown placeholders, shell command lines and hostile refs, running nothing', async () => {
      const { repo } = buildDeployRepo(scratch, 'cmd-hostile');
      const out = path.join(scratch.root, 'cmd-hostile.json');
      const unknown = await makePlan(repo, command(out, 'ok', '${previousTag}'));
      assert.match(!unknown.ok ? (unknown.refusals[0]?.message ?? '') : '', /Unknown placeholder \$\{previousTag\}/);
      const shell = await makePlan(repo, { strategy: 'command', push: false, remote: 'origin', command: ['bash', '-c', './deploy.sh ${previousRef}'] });
      assert.match(!shell.ok ? (shell.refusals[0]?.message ?? '') : '', /call your script directly/);
      // Valid git ref names that carry shell syntax: never handed to a deploy command.
      for (const tag of ['deploy/3-$(touch_pwned)', 'deploy/3-`id`', 'deploy/3;id', 'deploy/3|id']) {
        repo.commit(`deploy ${tag}`, { 'n.txt': tag });
        repo.tag(tag, { message: 'x' });
        const r = await makePlan(repo, command(out, 'ok', '${ref}'), { ref: tag });
        assert.equal(r.ok, false, tag);
        assert.match(!r.ok ? (r.refusals[0]?.message ?? '') : '', /unsafe in a command argument/);
        repo.git(['tag', '-d', tag]);
      }
      assert.equal(fs.existsSync(out), false);
      assert.equal(fs.existsSync(path.join(repo.dir, 'touch_pwned')), false);
    });
  });
});
