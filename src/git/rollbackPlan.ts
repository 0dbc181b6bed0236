import { INCIDENT_ID_PATTERN } from '../protocol/codes';
import { substituteCommand, type CommandVariables } from './commandTemplate';
import type { CommitSummary } from './deployCommits';
import type { FileChange } from './deployDiff';
import type { GitErrorCode } from './gitError';
import { isHexSha, isValidBranchName, isValidRemoteName, toRefComponent } from './refName';

export const ROLLBACK_STRATEGIES = ['revert', 'command', 'branch'] as const;
export type RollbackStrategy = (typeof ROLLBACK_STRATEGIES)[number];

/**
 * Rollback settings (`incidentRoom.rollback.*`; restricted in untrusted workspaces).
 *
 * - `strategy`: `revert` (revert commits onto a new branch), `command` (run a configured argv), `branch`
 *   (GitOps: move an environment branch on the remote back with `--force-with-lease`).
 * - `push` (revert): push the rollback branch to `remote`.
 * - `remote` (revert, branch): default `origin`.
 * - `environmentBranch` (branch): the branch on `remote` that the environment deploys from.
 * - `command` (command): argv template, e.g. `["./scripts/deploy.sh", "${previousRef}"]`.
 */
export interface RollbackSettings {
  strategy: RollbackStrategy;
  push: boolean;
  remote: string;
  environmentBranch?: string | undefined;
  command?: readonly string[] | undefined;
}

export const DEFAULT_ROLLBACK_SETTINGS: RollbackSettings = { strategy: 'revert', push: false, remote: 'origin' };

/** A deploy as the rollback sees it. */
export interface DeployPoint {
  ref: string;
  sha: string;
  label: string;
}

/** Facts about the repository a plan is made from (gathered by `gatherRollbackFacts`, or built by hand in tests). */
export interface RollbackFacts {
  deploy: DeployPoint;
  previous?: DeployPoint | undefined;
  /** Every commit `previous..deploy` (what the rollback undoes), newest first. */
  commits: CommitSummary[];
  commitsTruncated: boolean;
  /** Files changed `previous → deploy`. */
  files: FileChange[];
  /** Tree ids, to tell "nothing to undo" and to check the revert result. */
  deployTree?: string | undefined;
  previousTree?: string | undefined;
  /** `previous` is an ancestor of `deploy`. */
  previousIsAncestor: boolean;
  /** revert: the first-parent commits `previous..deploy`, newest first (merges carry two parents). */
  firstParentCommits?: CommitSummary[] | undefined;
  /** revert: the oldest first-parent commit's first parent is `previous` (so reverting them gives its tree). */
  previousOnFirstParentLine?: boolean | undefined;
  /** revert: the work tree as it is now. */
  workTree?: WorkTreeState | undefined;
  /** revert: the deploy branch's tip, when one is configured. */
  deployBranch?: { name: string; sha: string; containsDeploy: boolean; landedSince: number } | undefined;
  /** revert: local branches and remote-tracking branches already under `rollback/`. */
  existingBranches?: string[] | undefined;
  /** Remotes configured in the repository. */
  remotes?: string[] | undefined;
  /** branch: the environment branch on the remote, as `ls-remote` saw it. */
  remoteBranch?: RemoteBranchState | undefined;
}

export interface WorkTreeState {
  /** No staged or unstaged changes to tracked files. */
  clean: boolean;
  /** A few of the changed paths, for the message. */
  changedPaths: string[];
  /** `merge`, `revert`, `cherry-pick`, `rebase` or `bisect` when one is in progress. */
  operationInProgress?: string | undefined;
  /** Current branch, undefined when HEAD is detached. */
  branch?: string | undefined;
  /** HEAD commit. */
  head?: string | undefined;
}

export interface RemoteBranchState {
  remote: string;
  branch: string;
  /** The sha `ls-remote` reported; undefined when the branch does not exist there. */
  sha?: string | undefined;
  /** The commits that moving it back to `previous` undoes (`previous..sha`), when `sha` is known locally. */
  undoes?: { commits: CommitSummary[]; truncated: boolean; files: FileChange[] } | undefined;
}

export interface RollbackStep {
  /** One line for the confirm dialog and progress. */
  title: string;
  /** The exact argv run: `git …` for git steps, the program and its arguments for a command step. */
  argv: string[];
  kind: 'git' | 'command';
  /** A revert step that may find nothing to revert (an empty commit): skipped, not failed. */
  emptyIsOk?: boolean;
}

export interface RollbackRefusal {
  code: GitErrorCode | 'MissingPrevious' | 'NotConfigured' | 'InvalidIncidentId' | 'TooManyCommits' | 'NotOnDeployBranch' | 'RemoteBranchMissing';
  message: string;
}

/** A plan that can be shown and executed as is. */
export interface RollbackPlan {
  ok: true;
  strategy: RollbackStrategy;
  incidentId: string;
  deploy: DeployPoint;
  previous: DeployPoint;
  steps: RollbackStep[];
  /** What the rollback undoes. */
  undoes: { commits: CommitSummary[]; commitsTruncated: boolean; files: FileChange[] };
  warnings: string[];
  /** One line for `mitigation.started` and the dialog title. */
  summary: string;
  /** revert: the branch created, where it starts, how to get back. */
  revert?: {
    branch: string;
    baseSha: string;
    push: boolean;
    remote: string;
    returnTo: { branch?: string | undefined; sha: string };
    /** When set, the result's tree must equal this (nothing else landed since the deploy). */
    expectTree?: string | undefined;
  };
  /** branch: the lease. */
  lease?: { remote: string; branch: string; expectedSha: string; newSha: string };
  /** The strategy needs a clean work tree (checked again right before running). */
  needsCleanWorkTree: boolean;
}

export type RollbackPlanResult = RollbackPlan | { ok: false; strategy: RollbackStrategy; refusals: RollbackRefusal[]; warnings: string[] };

export interface PlanRollbackInput {
  settings: RollbackSettings;
  incidentId: string;
  facts: RollbackFacts;
  /** The deploy branch setting (for the revert base and `${branch}`). */
  deployBranch?: string | undefined;
  /** Most revert steps allowed (default 100). */
  maxRevertCommits?: number;
}

/**
 * Make a rollback plan, purely from settings and facts: the exact argv of each step, what it undoes, warnings;
 * or refusals, when running anything would be wrong (dirty work tree for `revert`, no previous deploy, an
 * unknown placeholder, a name git would reject, …). Nothing runs here.
 */
export function planRollback(input: PlanRollbackInput): RollbackPlanResult {
  const { settings, facts, incidentId } = input;
  const refusals: RollbackRefusal[] = [];
  const warnings: string[] = [];
  const refuse = (code: RollbackRefusal['code'], message: string) => refusals.push({ code, message });

  if (!(ROLLBACK_STRATEGIES as readonly string[]).includes(settings.strategy)) {
    return { ok: false, strategy: settings.strategy, refusals: [{ code: 'NotConfigured', message: `Unknown rollback strategy ${JSON.stringify(settings.strategy)}.` }], warnings };
  }
  if (!INCIDENT_ID_PATTERN.test(incidentId)) refuse('InvalidIncidentId', `Incident id ${JSON.stringify(incidentId)} is not of the form INC-n.`);
  if (!isHexSha(facts.deploy.sha)) refuse('InvalidRefName', `The deploy's commit id ${JSON.stringify(facts.deploy.sha)} is not a commit id.`);
  const previous = facts.previous;
  if (!previous) {
    refuse('MissingPrevious', `There is no deploy before ${facts.deploy.label} to roll back to.`);
  } else if (!isHexSha(previous.sha)) {
    refuse('InvalidRefName', `The previous deploy's commit id ${JSON.stringify(previous.sha)} is not a commit id.`);
  } else if (previous.sha === facts.deploy.sha || (facts.deployTree && facts.deployTree === facts.previousTree && settings.strategy !== 'branch')) {
    refuse('NothingToRevert', `${facts.deploy.label} changed nothing since ${previous.label}: there is nothing to roll back.`);
  }
  // A bad id would also make a bad branch name: say it once.
  if (refusals.some((r) => r.code === 'InvalidIncidentId')) return { ok: false, strategy: settings.strategy, refusals, warnings };
  const undoes = { commits: facts.commits, commitsTruncated: facts.commitsTruncated, files: facts.files };

  const base = { strategy: settings.strategy, incidentId, deploy: facts.deploy } as const;
  let plan: RollbackPlan | undefined;
  if (settings.strategy === 'revert') plan = planRevert();
  else if (settings.strategy === 'branch') plan = planBranch();
  else plan = planCommand();
  if (refusals.length > 0 || !plan) return { ok: false, strategy: settings.strategy, refusals, warnings };
  return plan;

  function checkRemote(): string | undefined {
    const remote = settings.remote || 'origin';
    if (!isValidRemoteName(remote) || !/^[A-Za-z0-9._-]+$/.test(remote)) {
      refuse('InvalidRefName', `Refusing remote name ${JSON.stringify(remote)} (incidentRoom.rollback.remote).`);
      return undefined;
    }
    if (facts.remotes && !facts.remotes.includes(remote)) {
      refuse('RemoteNotFound', `There is no remote named "${remote}" in this repository (incidentRoom.rollback.remote).`);
      return undefined;
    }
    return remote;
  }

  function planRevert(): RollbackPlan | undefined {
    const wt = facts.workTree;
    if (!wt) refuse('Unknown', 'The state of the work tree is unknown.');
    else {
      if (wt.operationInProgress) refuse('MergeConflict', `A ${wt.operationInProgress} is in progress in this repository; finish or abort it first.`);
      if (!wt.clean) {
        const list = wt.changedPaths.slice(0, 5).join(', ');
        refuse('DirtyWorkTree', `The work tree has uncommitted changes (${list}${wt.changedPaths.length > 5 ? ', …' : ''}); commit or stash them first — the revert strategy switches branches.`);
      }
      if (!wt.head) refuse('RefNotFound', 'HEAD does not point at a commit.');
    }
    const fp = facts.firstParentCommits ?? [];
    const max = input.maxRevertCommits ?? 100;
    if (previous && previous.sha !== facts.deploy.sha && fp.length === 0) {
      refuse('NothingToRevert', `${facts.deploy.label} has no commits of its own since ${previous.label} (it is an ancestor of it): there is nothing to revert.`);
    }
    if (fp.length > max) refuse('TooManyCommits', `${facts.deploy.label} has ${fp.length} commits to revert one by one (more than ${max}); use the branch or command strategy.`);
    let baseSha = facts.deploy.sha;
    let expectTree = facts.previousTree;
    if (input.deployBranch) {
      const db = facts.deployBranch;
      if (!db) refuse('RefNotFound', `The deploy branch "${input.deployBranch}" was not found.`);
      else if (!db.containsDeploy) refuse('NotOnDeployBranch', `${facts.deploy.label} is not on the deploy branch "${db.name}"; reverting it there would not undo it.`);
      else {
        baseSha = db.sha;
        if (db.landedSince > 0) {
          expectTree = undefined;
          warnings.push(
            `${db.landedSince} commit${db.landedSince === 1 ? '' : 's'} landed on ${db.name} since ${facts.deploy.label}; the rollback keeps ${db.landedSince === 1 ? 'it' : 'them'}, so its tree will not equal ${previous?.label ?? 'the previous deploy'}'s.`,
          );
        }
      }
    }
    if (previous && !facts.previousIsAncestor) {
      expectTree = undefined;
      warnings.push(`${previous.label} is not an ancestor of ${facts.deploy.label}: reverting ${facts.deploy.label}'s own commits will not reproduce ${previous.label} exactly.`);
    } else if (facts.previousOnFirstParentLine === false) {
      expectTree = undefined;
      warnings.push(`${previous?.label ?? 'The previous deploy'} is not on ${facts.deploy.label}'s first-parent line: the result may differ from it.`);
    }
    const remote = settings.push ? checkRemote() : settings.remote || 'origin';
    const component = toRefComponent(/^[0-9a-f]{40,64}$/.test(facts.deploy.ref) ? facts.deploy.ref.slice(0, 8) : facts.deploy.ref);
    const stem = `rollback/${incidentId}-${component}`;
    const taken = new Set(facts.existingBranches ?? []);
    let branch = stem;
    for (let n = 2; taken.has(branch) || [...taken].some((t) => t.startsWith(`${branch}/`)); n++) branch = `${stem}-${n}`;
    if (!isValidBranchName(branch)) refuse('InvalidRefName', `Refusing branch name ${JSON.stringify(branch)}: git check-ref-format rejects it.`);
    if (refusals.length > 0 || !wt?.head || !previous || remote === undefined) return undefined;

    const steps: RollbackStep[] = [
      { kind: 'git', title: `Create ${branch} at ${baseSha.slice(0, 8)}${input.deployBranch ? ` (${input.deployBranch})` : ''}`, argv: ['git', 'switch', '--create', branch, '--end-of-options', baseSha] },
    ];
    for (const c of fp) {
      const merge = c.parents.length > 1;
      steps.push({
        kind: 'git',
        title: `Revert ${merge ? 'merge ' : ''}${c.sha.slice(0, 8)} ${c.subject}`,
        argv: ['git', 'revert', '--no-edit', ...(merge ? ['-m', '1'] : []), '--end-of-options', c.sha],
        emptyIsOk: true,
      });
    }
    if (settings.push) {
      steps.push({ kind: 'git', title: `Push ${branch} to ${remote}`, argv: ['git', 'push', '--porcelain', '--end-of-options', remote, `refs/heads/${branch}:refs/heads/${branch}`] });
    }
    steps.push(
      wt.branch
        ? { kind: 'git', title: `Return to ${wt.branch}`, argv: ['git', 'switch', '--end-of-options', wt.branch] }
        : { kind: 'git', title: `Return to ${wt.head.slice(0, 8)}`, argv: ['git', 'switch', '--detach', '--end-of-options', wt.head] },
    );
    const n = fp.length;
    return {
      ok: true,
      ...base,
      previous,
      steps,
      undoes,
      warnings,
      summary: `Roll back ${facts.deploy.label} to ${previous.label}: revert ${n} commit${n === 1 ? '' : 's'} on ${branch}${settings.push ? ` and push to ${remote}` : ''}`,
      revert: { branch, baseSha, push: settings.push, remote, returnTo: { branch: wt.branch, sha: wt.head }, expectTree },
      needsCleanWorkTree: true,
    };
  }

  function planBranch(): RollbackPlan | undefined {
    const env = settings.environmentBranch;
    if (!env) refuse('NotConfigured', 'The branch strategy needs incidentRoom.rollback.environmentBranch (the branch your environment deploys from).');
    else if (!isValidBranchName(env) || !/^[A-Za-z0-9._/-]+$/.test(env)) refuse('InvalidRefName', `Refusing environment branch ${JSON.stringify(env)}: not a valid branch name.`);
    const remote = checkRemote();
    const rb = facts.remoteBranch;
    if (env && remote && refusals.length === 0) {
      if (!rb || rb.sha === undefined) refuse('RemoteBranchMissing', `${remote} has no branch "${env}" to move back.`);
      else if (!isHexSha(rb.sha)) refuse('Unknown', `${remote} reported ${JSON.stringify(rb.sha)} for ${env}.`);
      else if (previous && rb.sha === previous.sha) refuse('NothingToRevert', `${env} on ${remote} is already at ${previous.label}.`);
    }
    if (refusals.length > 0 || !previous || !env || !remote || !rb?.sha) return undefined;
    let what = undoes;
    if (rb.sha !== facts.deploy.sha) {
      warnings.push(`${env} on ${remote} is at ${rb.sha.slice(0, 8)}, not at ${facts.deploy.label} (${facts.deploy.sha.slice(0, 8)}): moving it to ${previous.label} undoes everything deployed since.`);
      if (rb.undoes) what = { commits: rb.undoes.commits, commitsTruncated: rb.undoes.truncated, files: rb.undoes.files };
      else warnings.push(`${rb.sha.slice(0, 8)} is not in this clone; fetch ${remote} to see exactly what moving back undoes.`);
    }
    return {
      ok: true,
      ...base,
      previous,
      steps: [
        {
          kind: 'git',
          title: `Move ${env} on ${remote} from ${rb.sha.slice(0, 8)} to ${previous.label} (${previous.sha.slice(0, 8)}), only if it is still at ${rb.sha.slice(0, 8)}`,
          argv: ['git', 'push', '--porcelain', `--force-with-lease=refs/heads/${env}:${rb.sha}`, '--end-of-options', remote, `${previous.sha}:refs/heads/${env}`],
        },
      ],
      undoes: what,
      warnings,
      summary: `Roll back ${facts.deploy.label} to ${previous.label}: move ${env} on ${remote} back to ${previous.sha.slice(0, 8)}`,
      lease: { remote, branch: env, expectedSha: rb.sha, newSha: previous.sha },
      needsCleanWorkTree: false,
    };
  }

  function planCommand(): RollbackPlan | undefined {
    const vars: CommandVariables = { ref: facts.deploy.ref, sha: facts.deploy.sha, incidentId };
    if (previous) Object.assign(vars, { previousRef: previous.ref, previousSha: previous.sha });
    if (input.deployBranch) vars.branch = input.deployBranch;
    if (settings.remote) vars.remote = settings.remote;
    if (settings.environmentBranch) vars.environmentBranch = settings.environmentBranch;
    const sub = substituteCommand(settings.command, vars);
    if (!sub.ok) for (const p of sub.problems) refuse(/placeholder/i.test(p) ? 'UnsafeInput' : 'NotConfigured', p);
    if (refusals.length > 0 || !previous || !sub.ok) return undefined;
    return {
      ok: true,
      ...base,
      previous,
      steps: [{ kind: 'command', title: `Run ${sub.argv[0]}`, argv: sub.argv }],
      undoes,
      warnings,
      summary: `Roll back ${facts.deploy.label} to ${previous.label}: run ${sub.argv[0]}`,
      needsCleanWorkTree: false,
    };
  }
}

/** An argv as one line for display and logs (POSIX quoting where needed). Display only: never executed. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Validate raw rollback settings from settings.json; anything unusable is dropped with a reason (the planner
 * then refuses with a clear message rather than running something half-configured).
 */
export function validateRollbackSettings(raw: Partial<Record<keyof RollbackSettings, unknown>> | undefined): RollbackSettings & { problems: string[] } {
  const problems: string[] = [];
  const strategy = (ROLLBACK_STRATEGIES as readonly unknown[]).includes(raw?.strategy) ? (raw?.strategy as RollbackStrategy) : 'revert';
  if (raw?.strategy !== undefined && raw.strategy !== strategy) problems.push(`Unknown rollback strategy ${JSON.stringify(raw.strategy)}; using "revert".`);
  const push = raw?.push === true;
  const remote = typeof raw?.remote === 'string' && raw.remote !== '' ? raw.remote : 'origin';
  const out: RollbackSettings & { problems: string[] } = { strategy, push, remote, problems };
  if (typeof raw?.environmentBranch === 'string' && raw.environmentBranch !== '') out.environmentBranch = raw.environmentBranch;
  if (typeof raw?.command === 'string') {
    problems.push('incidentRoom.rollback.command must be a list of arguments (e.g. ["./deploy.sh", "${previousRef}"]), not one string: it is never run through a shell.');
  } else if (Array.isArray(raw?.command) && raw.command.every((a): a is string => typeof a === 'string')) {
    out.command = raw.command;
  } else if (raw?.command !== undefined && raw.command !== null) {
    // A list with something else in it, or neither a list nor a string (a number): named, never silently dropped.
    problems.push('incidentRoom.rollback.command must be a list of strings.');
  }
  return out;
}
