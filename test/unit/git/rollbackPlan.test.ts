import * as assert from 'node:assert/strict';
import { formatArgv, validateRollbackSettings, type RollbackSettings } from '../../../src/git/rollbackPlan';
import { codes, facts, plan, revert, sha } from './rollbackFacts';

describe('git/rollbackPlan', () => {
  it('plans a revert: exact argv, -m 1 for merges only, expected tree, return step', () => {
    const r = plan();
    assert.ok(r.ok);
    assert.deepEqual(r.steps.map((s) => formatArgv(s.argv)), [
      `git switch --create rollback/INC-7-deploy-42 --end-of-options ${sha('d')}`,
      `git revert --no-edit --end-of-options ${sha('d')}`,
      `git revert --no-edit -m 1 --end-of-options ${sha('c')}`,
      'git switch --end-of-options main',
    ]);
    assert.equal(r.revert?.expectTree, sha('f'));
    assert.equal(r.needsCleanWorkTree, true);
    assert.equal(r.summary, 'Roll back deploy/42 to deploy/41: revert 2 commits on rollback/INC-7-deploy-42');
  });

  it('returns to a detached HEAD by commit, names branch deploys by short sha, avoids taken names', () => {
    const r = plan({
      facts: facts({
        deploy: { ref: sha('d'), sha: sha('d'), label: `production@${sha('d').slice(0, 8)}` },
        workTree: { clean: true, changedPaths: [], head: sha('9') },
        existingBranches: ['rollback/INC-7-dddddddd', 'rollback/INC-7-dddddddd-2'],
      }),
    });
    assert.ok(r.ok);
    assert.equal(r.revert?.branch, 'rollback/INC-7-dddddddd-3');
    assert.deepEqual(r.steps.at(-1)?.argv, ['git', 'switch', '--detach', '--end-of-options', sha('9')]);
  });

  it('refuses: dirty tree, operation in progress, no previous, nothing to revert, too many commits, bad incident id', () => {
    assert.deepEqual(codes(plan({ facts: facts({ workTree: { clean: false, changedPaths: ['a', 'b'], branch: 'main', head: sha('9') } }) })), ['DirtyWorkTree']);
    assert.deepEqual(codes(plan({ facts: facts({ workTree: { clean: true, changedPaths: [], operationInProgress: 'rebase', branch: 'main', head: sha('9') } }) })), ['MergeConflict']);
    assert.deepEqual(codes(plan({ facts: facts({ previous: undefined }) })), ['MissingPrevious']);
    assert.deepEqual(codes(plan({ facts: facts({ previousTree: sha('e') }) })), ['NothingToRevert']);
    assert.deepEqual(codes(plan({ facts: facts({ firstParentCommits: [] }) })), ['NothingToRevert']);
    assert.deepEqual(codes(plan({ maxRevertCommits: 1 })), ['TooManyCommits']);
    assert.deepEqual(codes(plan({ incidentId: 'INC-7; rm -rf /' })), ['InvalidIncidentId']);
    assert.deepEqual(codes(plan({ settings: { ...revert, push: true, remote: '--upload-pack=x' } })), ['InvalidRefName']);
  });

  it('warns when the result cannot equal the previous deploy', () => {
    const notAncestor = plan({ facts: facts({ previousIsAncestor: false }) });
    assert.ok(notAncestor.ok);
    assert.match(notAncestor.warnings[0] ?? '', /is not an ancestor/);
    assert.equal(notAncestor.revert?.expectTree, undefined);
    const landed = plan({ deployBranch: 'main', facts: facts({ deployBranch: { name: 'main', sha: sha('7'), containsDeploy: true, landedSince: 3 } }) });
    assert.ok(landed.ok);
    assert.equal(landed.revert?.baseSha, sha('7'));
    assert.match(landed.warnings[0] ?? '', /3 commits landed on main since deploy\/42; the rollback keeps them/);
    const missing = plan({ deployBranch: 'production', facts: facts({ deployBranch: undefined }) });
    assert.deepEqual(codes(missing), ['RefNotFound']);
  });

  it('plans the branch strategy and refuses when unconfigured or already there', () => {
    const settings: RollbackSettings = { strategy: 'branch', push: false, remote: 'origin', environmentBranch: 'env/prod' };
    const r = plan({ settings, facts: facts({ remoteBranch: { remote: 'origin', branch: 'env/prod', sha: sha('d') } }) });
    assert.ok(r.ok);
    assert.deepEqual(r.lease, { remote: 'origin', branch: 'env/prod', expectedSha: sha('d'), newSha: sha('a') });
    assert.deepEqual(codes(plan({ settings: { ...settings, environmentBranch: undefined } })), ['NotConfigured']);
    assert.deepEqual(codes(plan({ settings, facts: facts({ remoteBranch: { remote: 'origin', branch: 'env/prod', sha: sha('a') } }) })), ['NothingToRevert']);
    assert.deepEqual(codes(plan({ settings, facts: facts({ remoteBranch: { remote: 'origin', branch: 'env/prod' } }) })), ['RemoteBranchMissing']);
  });

  it('plans the command strategy from the template', () => {
    const settings: RollbackSettings = { strategy: 'command', push: false, remote: 'origin', command: ['kubectl', 'rollout', 'undo', 'deploy/web', '--to-revision=${previousRef}'] };
    const r = plan({ settings });
    assert.ok(r.ok);
    assert.deepEqual(r.steps, [{ kind: 'command', title: 'Run kubectl', argv: ['kubectl', 'rollout', 'undo', 'deploy/web', '--to-revision=deploy/41'] }]);
    assert.equal(r.needsCleanWorkTree, false);
    assert.deepEqual(codes(plan({ settings: { ...settings, command: ['x', '${nope}'] } })), ['UnsafeInput']);
  });

  it('formats argv for display with quoting, and validates raw settings', () => {
    assert.equal(formatArgv(['git', 'revert', 'a b', "it's", '$(x)']), `git revert 'a b' 'it'\\''s' '$(x)'`);
    const s = validateRollbackSettings({ strategy: 'nuke', command: './deploy.sh ${previousRef}', push: 'yes' });
    assert.equal(s.strategy, 'revert');
    assert.equal(s.push, false);
    assert.equal(s.command, undefined);
    assert.equal(s.problems.length, 2);
    assert.deepEqual(validateRollbackSettings({ strategy: 'command', command: ['./d.sh'] }), { strategy: 'command', push: false, remote: 'origin', command: ['./d.sh'], problems: [] });
  });
});
