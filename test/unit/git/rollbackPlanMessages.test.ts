import * as assert from 'node:assert/strict';
import { type RollbackPlanResult, type RollbackSettings, validateRollbackSettings } from '../../../src/git/rollbackPlan';
import { commit, facts, plan, revert, sha } from './rollbackFacts';

// What a responder reads before one-click rollback runs: each refusal's words, each warning, the push step and
// the summary. The codes alone (rollbackPlan.test.ts) do not say whether the message names the right thing.

const messages = (r: RollbackPlanResult) => (r.ok ? [] : r.refusals.map((x) => `${x.code}: ${x.message}`));
const head = sha('9');

describe('git/rollbackPlan: what the responder reads', () => {
  it('names the bad value in each refusal of the deploy, the previous deploy and the incident', () => {
    assert.deepEqual(messages(plan({ settings: { ...revert, strategy: 'nuke' as RollbackSettings['strategy'] } })), ['NotConfigured: Unknown rollback strategy "nuke".']);
    assert.deepEqual(messages(plan({ incidentId: 'inc 7' })), ['InvalidIncidentId: Incident id "inc 7" is not of the form INC-n.']);
    assert.deepEqual(messages(plan({ facts: facts({ deploy: { ref: 'deploy/42', sha: 'HEAD~1', label: 'deploy/42' } }) })).slice(0, 1),
      ['InvalidRefName: The deploy\'s commit id "HEAD~1" is not a commit id.']);
    assert.deepEqual(messages(plan({ facts: facts({ previous: { ref: 'deploy/41', sha: '--all', label: 'deploy/41' } }) })),
      ['InvalidRefName: The previous deploy\'s commit id "--all" is not a commit id.']);
    assert.deepEqual(messages(plan({ facts: facts({ previous: undefined }) })), ['MissingPrevious: There is no deploy before deploy/42 to roll back to.']);
    assert.deepEqual(messages(plan({ facts: facts({ previous: { ref: 'deploy/41', sha: sha('d'), label: 'deploy/41' } }) })),
      ['NothingToRevert: deploy/42 changed nothing since deploy/41: there is nothing to roll back.']);
    assert.deepEqual(messages(plan({ facts: facts({ previousTree: sha('e') }) })),
      ['NothingToRevert: deploy/42 changed nothing since deploy/41: there is nothing to roll back.']);
  });

  it('says what is wrong with the work tree, listing at most five changed paths', () => {
    const dirty = (changedPaths: string[]) => messages(plan({ facts: facts({ workTree: { clean: false, changedPaths, branch: 'main', head } }) }));
    assert.deepEqual(dirty(['a.ts', 'b.ts']), ['DirtyWorkTree: The work tree has uncommitted changes (a.ts, b.ts); commit or stash them first — the revert strategy switches branches.']);
    assert.deepEqual(dirty(['1', '2', '3', '4', '5']), ['DirtyWorkTree: The work tree has uncommitted changes (1, 2, 3, 4, 5); commit or stash them first — the revert strategy switches branches.']);
    assert.deepEqual(dirty(['1', '2', '3', '4', '5', '6']), ['DirtyWorkTree: The work tree has uncommitted changes (1, 2, 3, 4, 5, …); commit or stash them first — the revert strategy switches branches.']);
    assert.deepEqual(messages(plan({ facts: facts({ workTree: { clean: true, changedPaths: [], operationInProgress: 'cherry-pick', branch: 'main', head } }) })),
      ['MergeConflict: A cherry-pick is in progress in this repository; finish or abort it first.']);
    assert.deepEqual(messages(plan({ facts: facts({ workTree: { clean: true, changedPaths: [], branch: 'main' } }) })), ['RefNotFound: HEAD does not point at a commit.']);
    assert.deepEqual(messages(plan({ facts: facts({ workTree: undefined }) })), ['Unknown: The state of the work tree is unknown.']);
  });

  it('refuses more commits than it reverts one by one, and none at all, in words', () => {
    assert.deepEqual(messages(plan({ maxRevertCommits: 1 })),
      ['TooManyCommits: deploy/42 has 2 commits to revert one by one (more than 1); use the branch or command strategy.']);
    assert.ok(plan({ maxRevertCommits: 2 }).ok, 'exactly the limit is planned');
    const many = Array.from({ length: 101 }, (_, i) => commit(String.fromCharCode(97 + (i % 6)), ['a']));
    assert.match(messages(plan({ facts: facts({ firstParentCommits: many }) }))[0] ?? '', /has 101 commits to revert one by one \(more than 100\)/);
    assert.ok(plan({ facts: facts({ firstParentCommits: many.slice(0, 100) }) }).ok, 'the default limit is 100');
    assert.deepEqual(messages(plan({ facts: facts({ firstParentCommits: [] }) })),
      ['NothingToRevert: deploy/42 has no commits of its own since deploy/41 (it is an ancestor of it): there is nothing to revert.']);
  });

  it('on a deploy branch: refuses one it is not on, warns of commits that landed since (one or several)', () => {
    const onBranch = (landedSince: number, containsDeploy = true) => plan({ deployBranch: 'main', facts: facts({ deployBranch: { name: 'main', sha: sha('7'), containsDeploy, landedSince } }) });
    assert.deepEqual(messages(onBranch(0, false)), ['NotOnDeployBranch: deploy/42 is not on the deploy branch "main"; reverting it there would not undo it.']);
    assert.deepEqual(messages(plan({ deployBranch: 'production', facts: facts({ deployBranch: undefined }) })), ['RefNotFound: The deploy branch "production" was not found.']);
    const one = onBranch(1);
    assert.ok(one.ok);
    assert.deepEqual(one.warnings, ['1 commit landed on main since deploy/42; the rollback keeps it, so its tree will not equal deploy/41\'s.']);
    assert.equal(one.revert?.expectTree, undefined, 'no tree to check the result against');
    assert.equal(one.steps[0]?.title, `Create rollback/INC-7-deploy-42 at ${sha('7').slice(0, 8)} (main)`);
    const none = onBranch(0);
    assert.ok(none.ok);
    assert.deepEqual(none.warnings, []);
    assert.equal(none.revert?.expectTree, sha('f'), 'nothing landed: the result must equal the previous deploy');
    assert.equal(none.revert?.baseSha, sha('7'));
  });

  it('warns when the previous deploy is off the first-parent line, and checks no tree then', () => {
    const r = plan({ facts: facts({ previousOnFirstParentLine: false }) });
    assert.ok(r.ok);
    assert.deepEqual(r.warnings, ['deploy/41 is not on deploy/42\'s first-parent line: the result may differ from it.']);
    assert.equal(r.revert?.expectTree, undefined);
  });

  it('pushes only when asked, to a remote the repository has, named in the step and the summary', () => {
    const pushed = plan({ settings: { ...revert, push: true, remote: 'upstream' }, facts: facts({ remotes: ['origin', 'upstream'] }) });
    assert.ok(pushed.ok);
    assert.deepEqual(pushed.steps.map((s) => s.title), [
      `Create rollback/INC-7-deploy-42 at ${sha('d').slice(0, 8)}`,
      `Revert ${sha('d').slice(0, 8)} commit d`,
      `Revert merge ${sha('c').slice(0, 8)} commit c`,
      'Push rollback/INC-7-deploy-42 to upstream',
      'Return to main',
    ]);
    assert.deepEqual(pushed.steps[3]?.argv, ['git', 'push', '--porcelain', '--end-of-options', 'upstream', 'refs/heads/rollback/INC-7-deploy-42:refs/heads/rollback/INC-7-deploy-42']);
    assert.ok(pushed.steps.slice(1, 3).every((s) => s.emptyIsOk === true), 'a revert that changes nothing (already reverted) is not a failure');
    assert.equal(pushed.summary, 'Roll back deploy/42 to deploy/41: revert 2 commits on rollback/INC-7-deploy-42 and push to upstream');
    assert.deepEqual(pushed.revert?.remote, 'upstream');
    assert.deepEqual(messages(plan({ settings: { ...revert, push: true, remote: 'backup' } })),
      ['RemoteNotFound: There is no remote named "backup" in this repository (incidentRoom.rollback.remote).']);
    assert.deepEqual(messages(plan({ settings: { ...revert, push: true, remote: 'a b' } })), ['InvalidRefName: Refusing remote name "a b" (incidentRoom.rollback.remote).']);
    assert.deepEqual(messages(plan({ settings: { ...revert, push: true, remote: '' }, facts: facts({ remotes: ['upstream'] }) })),
      ['RemoteNotFound: There is no remote named "origin" in this repository (incidentRoom.rollback.remote).'], 'no remote set means origin');
    const local = plan({ settings: { ...revert, push: false, remote: 'nowhere' } });
    assert.ok(local.ok, 'a remote that is not pushed to is not checked');
    assert.ok(!local.steps.some((s) => s.argv.includes('push')));
    const one = plan({ facts: facts({ firstParentCommits: [commit('d', ['a'])] }) });
    assert.ok(one.ok);
    assert.equal(one.summary, 'Roll back deploy/42 to deploy/41: revert 1 commit on rollback/INC-7-deploy-42');
  });

  it('names the rollback branch after the deploy: a branch deploy by its short commit id, a tag by its name', () => {
    const branchDeploy = plan({ facts: facts({ deploy: { ref: sha('d'), sha: sha('d'), label: 'production' } }) });
    assert.equal(branchDeploy.ok && branchDeploy.revert?.branch, 'rollback/INC-7-dddddddd');
    const longTag = plan({ facts: facts({ deploy: { ref: `v-${sha('d')}`, sha: sha('d'), label: 'v' } }) });
    assert.equal(longTag.ok && longTag.revert?.branch, `rollback/INC-7-v-${sha('d')}`, 'a name that only contains a commit id is kept whole');
    // A taken name under which another branch nests (rollback/INC-7-deploy-42/x) cannot be created either.
    const nested = plan({ facts: facts({ existingBranches: ['rollback/INC-7-deploy-42/old'] }) });
    assert.equal(nested.ok && nested.revert?.branch, 'rollback/INC-7-deploy-42-2');
    const prefixOnly = plan({ facts: facts({ existingBranches: ['old/rollback/INC-7-deploy-42/'] }) });
    assert.equal(prefixOnly.ok && prefixOnly.revert?.branch, 'rollback/INC-7-deploy-42', 'a branch that merely ends with the name does not take it');
  });

  describe('the branch strategy', () => {
    const branch: RollbackSettings = { strategy: 'branch', push: false, remote: 'origin', environmentBranch: 'env/prod' };
    const atDeploy = { remote: 'origin', branch: 'env/prod', sha: sha('d') };

    it('moves the environment branch back only if it is still where it was seen, in words', () => {
      const r = plan({ settings: branch, facts: facts({ remoteBranch: atDeploy }) });
      assert.ok(r.ok);
      assert.deepEqual(r.steps, [{
        kind: 'git',
        title: `Move env/prod on origin from ${sha('d').slice(0, 8)} to deploy/41 (${sha('a').slice(0, 8)}), only if it is still at ${sha('d').slice(0, 8)}`,
        argv: ['git', 'push', '--porcelain', `--force-with-lease=refs/heads/env/prod:${sha('d')}`, '--end-of-options', 'origin', `${sha('a')}:refs/heads/env/prod`],
      }]);
      assert.equal(r.summary, `Roll back deploy/42 to deploy/41: move env/prod on origin back to ${sha('a').slice(0, 8)}`);
      assert.deepEqual(r.warnings, []);
      assert.equal(r.undoes.commits.length, 3, 'what the deploy shipped');
      assert.equal(r.needsCleanWorkTree, false);
      // Same tree as the previous deploy does not matter here: the branch still points at the deploy's commit.
      assert.ok(plan({ settings: branch, facts: facts({ remoteBranch: atDeploy, previousTree: sha('e') }) }).ok);
    });

    it('warns when the branch moved on since the deploy, and says what moving it back undoes', () => {
      const moved = { remote: 'origin', branch: 'env/prod', sha: sha('8'), undoes: { commits: [commit('8', ['d']), commit('d', ['c'])], truncated: true, files: [] } };
      const r = plan({ settings: branch, facts: facts({ remoteBranch: moved }) });
      assert.ok(r.ok);
      assert.deepEqual(r.warnings, [`env/prod on origin is at ${sha('8').slice(0, 8)}, not at deploy/42 (${sha('d').slice(0, 8)}): moving it to deploy/41 undoes everything deployed since.`]);
      assert.deepEqual(r.undoes, { commits: moved.undoes.commits, commitsTruncated: true, files: [] });
      assert.deepEqual(r.lease, { remote: 'origin', branch: 'env/prod', expectedSha: sha('8'), newSha: sha('a') });
      const unknown = plan({ settings: branch, facts: facts({ remoteBranch: { remote: 'origin', branch: 'env/prod', sha: sha('8') } }) });
      assert.ok(unknown.ok);
      assert.equal(unknown.warnings[1], `${sha('8').slice(0, 8)} is not in this clone; fetch origin to see exactly what moving back undoes.`);
      assert.equal(unknown.undoes.commits.length, 3, 'without the commits, the deploy\'s own are shown');
    });

    it('refuses, naming the branch, the remote or the value', () => {
      assert.deepEqual(messages(plan({ settings: { ...branch, environmentBranch: undefined } })),
        ['NotConfigured: The branch strategy needs incidentRoom.rollback.environmentBranch (the branch your environment deploys from).']);
      assert.deepEqual(messages(plan({ settings: { ...branch, environmentBranch: 'env prod' } })), ['InvalidRefName: Refusing environment branch "env prod": not a valid branch name.']);
      assert.deepEqual(messages(plan({ settings: { ...branch, environmentBranch: 'env/pröd' } })), ['InvalidRefName: Refusing environment branch "env/pröd": not a valid branch name.']);
      assert.deepEqual(messages(plan({ settings: branch, facts: facts({ remoteBranch: undefined }) })), ['RemoteBranchMissing: origin has no branch "env/prod" to move back.']);
      assert.deepEqual(messages(plan({ settings: branch, facts: facts({ remoteBranch: { remote: 'origin', branch: 'env/prod', sha: 'garbage' } }) })), ['Unknown: origin reported "garbage" for env/prod.']);
      assert.deepEqual(messages(plan({ settings: branch, facts: facts({ remoteBranch: { ...atDeploy, sha: sha('a') } }) })), ['NothingToRevert: env/prod on origin is already at deploy/41.']);
      assert.deepEqual(messages(plan({ settings: { ...branch, remote: 'backup' }, facts: facts({ remoteBranch: atDeploy }) })),
        ['RemoteNotFound: There is no remote named "backup" in this repository (incidentRoom.rollback.remote).']);
      assert.deepEqual(messages(plan({ settings: branch, facts: facts({ remoteBranch: atDeploy, previous: undefined }) })), ['MissingPrevious: There is no deploy before deploy/42 to roll back to.']);
    });
  });

  describe('settings as read from settings.json', () => {
    it('keeps what is usable and says why the rest was dropped', () => {
      assert.deepEqual(validateRollbackSettings(undefined), { strategy: 'revert', push: false, remote: 'origin', problems: [] });
      assert.deepEqual(validateRollbackSettings({ strategy: 'branch', push: true, remote: 'upstream', environmentBranch: 'env/prod' }),
        { strategy: 'branch', push: true, remote: 'upstream', environmentBranch: 'env/prod', problems: [] });
      assert.deepEqual(validateRollbackSettings({ strategy: 'nuke' }).problems, ['Unknown rollback strategy "nuke"; using "revert".']);
      assert.equal(validateRollbackSettings({ push: 'true' }).push, false, 'only true pushes');
      assert.equal(validateRollbackSettings({ remote: '' }).remote, 'origin');
      assert.equal(validateRollbackSettings({ remote: 7 }).remote, 'origin');
      assert.equal('environmentBranch' in validateRollbackSettings({ environmentBranch: '' }), false);
      assert.equal('environmentBranch' in validateRollbackSettings({ environmentBranch: 3 }), false);
      const mixed = validateRollbackSettings({ strategy: 'command', command: ['./rollback.sh', 42] });
      assert.equal(mixed.command, undefined);
      assert.deepEqual(mixed.problems, ['incidentRoom.rollback.command must be a list of strings.']);
      assert.deepEqual(validateRollbackSettings({ command: './deploy.sh ${previousRef}' }).problems,
        ['incidentRoom.rollback.command must be a list of arguments (e.g. ["./deploy.sh", "${previousRef}"]), not one string: it is never run through a shell.']);
      assert.deepEqual(validateRollbackSettings({ command: 5 }).problems, ['incidentRoom.rollback.command must be a list of strings.'], 'a number is not silently ignored');
      assert.deepEqual(validateRollbackSettings({ command: null }).problems, [], 'null is the setting left unset');
    });
  });
});
