// The facts of one revert rollback (deploy/42 over deploy/41, a merge among its commits), for the plan's tests.
import type { CommitSummary } from '../../../src/git/deployCommits';
import { planRollback, type PlanRollbackInput, type RollbackFacts, type RollbackPlanResult, type RollbackSettings } from '../../../src/git/rollbackPlan';

export const sha = (c: string) => c.repeat(40);
export const commit = (c: string, parents: string[], subject = `commit ${c}`): CommitSummary => ({
  sha: sha(c),
  parents: parents.map(sha),
  author: { name: 'A', email: 'a@x' },
  time: '2024-05-01T00:00:00.000Z',
  subject,
});

export function facts(extra: Partial<RollbackFacts> = {}): RollbackFacts {
  return {
    deploy: { ref: 'deploy/42', sha: sha('d'), label: 'deploy/42' },
    previous: { ref: 'deploy/41', sha: sha('a'), label: 'deploy/41' },
    commits: [commit('d', ['c']), commit('c', ['a', 'b']), commit('b', ['a'])],
    commitsTruncated: false,
    files: [],
    deployTree: sha('e'),
    previousTree: sha('f'),
    previousIsAncestor: true,
    firstParentCommits: [commit('d', ['c']), commit('c', ['a', 'b'])],
    previousOnFirstParentLine: true,
    workTree: { clean: true, changedPaths: [], branch: 'main', head: sha('9') },
    existingBranches: [],
    remotes: ['origin'],
    ...extra,
  };
}

export const revert: RollbackSettings = { strategy: 'revert', push: false, remote: 'origin' };
export const plan = (over: Partial<PlanRollbackInput> = {}): RollbackPlanResult => planRollback({ settings: revert, incidentId: 'INC-7', facts: facts(), ...over });
export const codes = (r: RollbackPlanResult) => (r.ok ? [] : r.refusals.map((x) => x.code));
