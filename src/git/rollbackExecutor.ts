import type { EventDataOf } from '../protocol/events';
import { Limits } from '../protocol/codes';
import { runArgv, type ArgvResult } from './argvProcess';
import { GitError, isGitError } from './gitError';
import type { GitRunner } from './gitRunner';
import { readWorkTree } from './rollbackFacts';
import { formatArgv, type RollbackPlan, type RollbackStep } from './rollbackPlan';

export type StepState = 'running' | 'done' | 'skipped' | 'failed';

export interface RollbackProgress {
  /** 0-based index into `plan.steps`. */
  step: number;
  total: number;
  title: string;
  state: StepState;
}

/** Runs a command step; the extension passes one that runs the argv as a VS Code task (ProcessExecution). */
export type CommandRunner = (argv: readonly string[], options: { cwd: string; signal?: AbortSignal }) => Promise<Pick<ArgvResult, 'exitCode' | 'cancelled'> & Partial<ArgvResult>>;

export interface ExecuteRollbackOptions {
  signal?: AbortSignal;
  onProgress?: (p: RollbackProgress) => void;
  /** Default: {@link runArgv} (no shell) in the repository root. */
  runCommand?: CommandRunner;
}

/** How a rollback ended; maps onto `mitigation.finished`. */
export interface RollbackOutcome {
  result: 'succeeded' | 'failed' | 'cancelled';
  /** A few sentences for the timeline: what ran, what failed, what was cleaned up. */
  detail: string;
  stepsCompleted: number;
  /** Index of the step that failed or was cancelled. */
  failedStep?: number;
  error?: GitError;
  /** command strategy: the command's exit code. */
  exitCode?: number | null;
  /** revert: files left in conflict when a revert failed (before cleanup). */
  conflicts?: string[];
  /** revert: whether the branch still exists after the run, and whether it was pushed. */
  branchKept?: boolean;
  pushed?: boolean;
  /** revert: the result's tree equals the previous deploy's (checked when nothing else landed since). */
  treeMatchesPrevious?: boolean;
  /** What was done to leave the repository as it was after a failure or cancel. */
  cleanup: string[];
  /** Revert steps that found nothing to revert (empty commits). */
  skipped: string[];
}

/**
 * Execute a plan from {@link planRollback} exactly as shown: each step's argv, in order, inside the runner's
 * one-at-a-time queue. Stops at the first failure or when `signal` aborts. For `revert`, a failure or cancel
 * before the push leaves the repository as it was (revert aborted, original branch checked out, rollback
 * branch deleted); after the push the branch is kept. Never throws for a git failure: it reports it.
 */
export function executeRollback(runner: GitRunner, plan: RollbackPlan, options: ExecuteRollbackOptions = {}): Promise<RollbackOutcome> {
  return runner.run(`rollback ${plan.deploy.label}`, () => execute(runner, plan, options));
}

async function execute(runner: GitRunner, plan: RollbackPlan, options: ExecuteRollbackOptions): Promise<RollbackOutcome> {
  const { signal } = options;
  const total = plan.steps.length;
  const outcome: RollbackOutcome = { result: 'succeeded', detail: '', stepsCompleted: 0, cleanup: [], skipped: [] };
  const report = (step: number, state: StepState) => options.onProgress?.({ step, total, title: (plan.steps[step] as RollbackStep).title, state });

  if (plan.needsCleanWorkTree) {
    try {
      const wt = await readWorkTree(runner, signal);
      if (!wt.clean || wt.operationInProgress) {
        const why = wt.operationInProgress ? `a ${wt.operationInProgress} is in progress` : `uncommitted changes (${wt.changedPaths.slice(0, 5).join(', ')})`;
        return fail(outcome, new GitError('DirtyWorkTree', `Nothing was run: the work tree changed since the plan — ${why}.`), undefined);
      }
      if (plan.revert && wt.head !== plan.revert.returnTo.sha) {
        return fail(outcome, new GitError('Unknown', 'Nothing was run: HEAD moved since the plan was made; plan again.'), undefined);
      }
    } catch (e) {
      return fail(outcome, asGitError(e), undefined);
    }
  }

  let branchCreated = false;
  let started = -1;
  for (let i = 0; i < total; i++) {
    const step = plan.steps[i] as RollbackStep;
    if (signal?.aborted) return await stop(new GitError('Cancelled', 'Cancelled.', {}), i);
    started = i;
    report(i, 'running');
    if (step.kind === 'command') {
      const run = options.runCommand ?? ((argv, o) => runArgv(argv, o));
      const r = await run(step.argv, { cwd: runner.cwd, ...(signal ? { signal } : {}) });
      outcome.exitCode = r.exitCode;
      if (r.cancelled || signal?.aborted) return await stop(new GitError('Cancelled', `Cancelled while running ${step.argv[0]}.`), i);
      if (r.exitCode !== 0) {
        const why = r.spawnError ?? (r.exitCode === null ? `was killed${r.signal ? ` (${r.signal})` : ''}` : `exited with code ${r.exitCode}`);
        const tail = r.outputTail ? `\nLast output:\n${r.outputTail.slice(-1500)}` : '';
        report(i, 'failed');
        outcome.result = 'failed';
        outcome.failedStep = i;
        outcome.detail = `${formatArgv(step.argv)} ${why}.${tail}`;
        return finish(outcome);
      }
    } else {
      if (step.argv[0] !== 'git') return fail(outcome, new GitError('UnsafeInput', `Step ${i + 1} is not a git command.`), i);
      try {
        await runner.exec(step.argv.slice(1), signal ? { signal } : {});
        if (i === 0 && plan.revert) branchCreated = true;
        if (plan.revert && step.argv[1] === 'push') outcome.pushed = true;
      } catch (e) {
        const err = asGitError(e);
        if (step.emptyIsOk && err.code === 'NothingToRevert') {
          outcome.skipped.push(step.argv[step.argv.length - 1] as string);
          report(i, 'skipped');
          outcome.stepsCompleted = i + 1;
          continue;
        }
        if (err.code === 'Cancelled' || signal?.aborted) return await stop(err, i);
        report(i, 'failed');
        if (plan.revert && err.code === 'MergeConflict') outcome.conflicts = await conflictedFiles(runner);
        outcome.failedStep = i;
        outcome.error = err;
        outcome.result = 'failed';
        // A failed push keeps the branch: the reverts are done and can be pushed by hand once auth or the
        // remote is sorted out. Any earlier failure leaves the repository as it was.
        if (plan.revert) await cleanupRevert(runner, plan, outcome, branchCreated ? (step.argv[1] === 'push' ? 'keep' : 'delete') : 'none');
        outcome.detail = failureDetail(plan, step, err, outcome);
        return finish(outcome);
      }
    }
    report(i, 'done');
    outcome.stepsCompleted = i + 1;
  }

  if (plan.revert) {
    outcome.branchKept = true;
    if (plan.revert.expectTree) {
      const tree = (await runner.exec(['rev-parse', '--verify', '--end-of-options', `refs/heads/${plan.revert.branch}^{tree}`])).trim();
      outcome.treeMatchesPrevious = tree === plan.revert.expectTree;
    }
  }
  outcome.detail = successDetail(plan, outcome);
  return finish(outcome);

  async function stop(err: GitError, i: number): Promise<RollbackOutcome> {
    report(i, 'failed');
    outcome.result = 'cancelled';
    outcome.failedStep = i;
    outcome.error = err;
    // Cancelled while `switch --create` ran: the branch may exist, at the base commit.
    if (plan.revert) await cleanupRevert(runner, plan, outcome, branchCreated ? 'delete' : started === i && i === 0 ? 'delete-if-at-base' : 'none');
    const cleaned = outcome.cleanup.length > 0 ? ` Cleaned up: ${outcome.cleanup.join('; ')}.` : '';
    outcome.detail = `Cancelled at step ${i + 1} of ${total} (${(plan.steps[i] as RollbackStep).title}) after ${outcome.stepsCompleted} completed.${cleaned}`;
    return finish(outcome);
  }
}

function fail(outcome: RollbackOutcome, err: GitError, step: number | undefined): RollbackOutcome {
  outcome.result = 'failed';
  outcome.error = err;
  if (step !== undefined) outcome.failedStep = step;
  outcome.detail = err.message;
  return finish(outcome);
}

function finish(outcome: RollbackOutcome): RollbackOutcome {
  if (outcome.detail.length > Limits.detailLength) outcome.detail = `${outcome.detail.slice(0, Limits.detailLength - 1)}…`;
  return outcome;
}

function asGitError(e: unknown): GitError {
  return e instanceof GitError ? e : new GitError('Unknown', e instanceof Error ? e.message : String(e), { cause: e });
}

async function conflictedFiles(runner: GitRunner): Promise<string[]> {
  try {
    return (await runner.exec(['diff', '--name-only', '-z', '--diff-filter=U'])).split('\0').filter((f) => f !== '');
  } catch {
    return [];
  }
}

/**
 * Put the repository back as it was after a failed or cancelled revert: abort a revert in progress, return
 * to the original branch, and delete the rollback branch unless it was pushed (then it is kept for hand-off).
 */
async function cleanupRevert(
  runner: GitRunner,
  plan: RollbackPlan,
  outcome: RollbackOutcome,
  branch: 'none' | 'delete' | 'delete-if-at-base' | 'keep',
): Promise<void> {
  const r = plan.revert;
  if (!r) return;
  const tryRun = async (args: string[], what: string, quietCodes: string[] = []) => {
    try {
      await runner.exec(args);
      outcome.cleanup.push(what);
      return true;
    } catch (e) {
      if (!(e instanceof GitError && quietCodes.includes(e.code))) outcome.cleanup.push(`could not ${what} (${asGitError(e).message})`);
      return false;
    }
  };
  const wt = await readWorkTree(runner).catch(() => undefined);
  if (wt?.operationInProgress === 'revert' || wt?.operationInProgress === 'cherry-pick') await tryRun(['revert', '--abort'], 'aborted the revert');
  else if (wt && !wt.clean) await tryRun(['reset', '--hard', '--quiet'], 'discarded the half-applied revert');
  const ret = r.returnTo.branch ? ['switch', '--end-of-options', r.returnTo.branch] : ['switch', '--detach', '--end-of-options', r.returnTo.sha];
  const current = await readWorkTree(runner).catch(() => undefined);
  if (current?.branch !== r.returnTo.branch || (!r.returnTo.branch && current?.head !== r.returnTo.sha)) {
    await tryRun(ret, `returned to ${r.returnTo.branch ?? r.returnTo.sha.slice(0, 8)}`);
  }
  if (branch === 'none') return;
  if (branch === 'keep' || outcome.pushed) {
    outcome.branchKept = true;
    return;
  }
  // Only ever delete the branch this run created: at the base commit if the create step was interrupted.
  const del =
    branch === 'delete'
      ? ['branch', '-D', '--end-of-options', r.branch]
      : ['update-ref', '-d', '--end-of-options', `refs/heads/${r.branch}`, r.baseSha];
  await tryRun(del, `deleted ${r.branch}`, ['RefNotFound', 'Unknown']);
  outcome.branchKept = await branchExists(runner, r.branch);
}

async function branchExists(runner: GitRunner, branch: string): Promise<boolean> {
  try {
    await runner.exec(['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${branch}`]);
    return true;
  } catch (e) {
    if (isGitError(e)) return false;
    throw e;
  }
}

function failureDetail(plan: RollbackPlan, step: RollbackStep, err: GitError, outcome: RollbackOutcome): string {
  const n = plan.steps.indexOf(step) + 1;
  const lines = [`Failed at step ${n} of ${plan.steps.length}: ${formatArgv(step.argv)}`, `${explain(err, plan)}`];
  if (outcome.conflicts && outcome.conflicts.length > 0) lines.push(`Conflicts in: ${outcome.conflicts.slice(0, 20).join(', ')}`);
  if (outcome.cleanup.length > 0) lines.push(`Cleaned up: ${outcome.cleanup.join('; ')}.`);
  if (plan.revert && outcome.branchKept && !outcome.pushed) lines.push(`${plan.revert.branch} is kept locally with the reverts; push it by hand once the cause is fixed.`);
  return lines.join('\n');
}

function explain(err: GitError, plan: RollbackPlan): string {
  switch (err.code) {
    case 'MergeConflict':
      return `The revert conflicts with later changes: ${err.message}`;
    case 'StaleLease':
      return plan.lease
        ? `${plan.lease.branch} on ${plan.lease.remote} moved since the plan (it was at ${plan.lease.expectedSha.slice(0, 8)}); nothing was changed there. Refresh and plan again.`
        : err.message;
    case 'PushRejected':
      return `The remote rejected the push: ${err.message}`;
    case 'AuthenticationFailed':
      return `Authentication with the remote failed: ${err.message}`;
    case 'RemoteNotFound':
      return `The remote could not be reached: ${err.message}`;
    default:
      return err.message;
  }
}

function successDetail(plan: RollbackPlan, outcome: RollbackOutcome): string {
  const lines = [`${plan.summary}: done (${outcome.stepsCompleted} step${outcome.stepsCompleted === 1 ? '' : 's'}).`];
  if (outcome.skipped.length > 0) lines.push(`Nothing to revert in ${outcome.skipped.map((s) => s.slice(0, 8)).join(', ')} (skipped).`);
  if (outcome.treeMatchesPrevious === true) lines.push(`The result's tree equals ${plan.previous.label}'s.`);
  if (outcome.treeMatchesPrevious === false) lines.push(`Warning: the result's tree differs from ${plan.previous.label}'s.`);
  if (outcome.exitCode !== undefined) lines.push(`Exit code ${outcome.exitCode}.`);
  return lines.join('\n');
}

/** `mitigation.started` data for a plan (the extension adds the event envelope). */
export function mitigationStartedData(plan: RollbackPlan, mitigationId: string): EventDataOf<'mitigation.started'> {
  const command = plan.steps.map((s) => formatArgv(s.argv)).join('\n');
  return {
    mitigationId,
    action: 'rollback',
    description: clip(plan.summary, Limits.shortTextLength),
    target: { ref: clip(plan.deploy.ref, 512), sha: plan.deploy.sha },
    command: clip(command, Limits.shortTextLength),
  };
}

/** `mitigation.finished` data for an outcome. */
export function mitigationFinishedData(outcome: RollbackOutcome, mitigationId: string): EventDataOf<'mitigation.finished'> {
  return { mitigationId, result: outcome.result, detail: clip(outcome.detail, Limits.detailLength) };
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
