import { Limits } from '../protocol/codes';
import type { EventDataOf } from '../protocol/events';
import { INCIDENT_ID_PATTERN } from '../protocol/codes';
import type { Risk } from '../protocol/vocabulary';
import { runArgv } from './argvProcess';
import { substituteCommand, type CommandVariables } from './commandTemplate';
import { KIND_ACTIONS, type MitigationEntry, type MitigationKind } from './mitigationCatalog';
import type { CommandRunner } from './rollbackExecutor';
import { formatArgv } from './rollbackPlan';

/** Kinds that can make things worse before better (a restart drops in-flight work and cold-starts caches and pools). */
const WIDENING_KINDS: ReadonlySet<MitigationKind> = new Set(['restart', 'failover']);
/** Words in a title or argv that mean a cache flush, which can stampede the store behind it. */
const FLUSH = /\b(flush|purge|invalidate|evict)/i;

/** A prepared mitigation ready to show and run: the exact argv and undo argv, with what the confirm must say. */
export interface MitigationPlan {
  ok: true;
  entry: MitigationEntry;
  incidentId: string;
  argv: string[];
  undo?: string[] | undefined;
  /** Why this can widen the damage (a restart, a failover, a cache flush), or undefined. */
  widens?: string | undefined;
  /** One line for `mitigation.started` and the dialog title. */
  summary: string;
}

export type MitigationPlanResult = MitigationPlan | { ok: false; problems: string[] };

/**
 * Substitute the incident's values into a catalog entry's argv (and undo), by the rollback command's rules: each
 * placeholder inside its one argument, values restricted to shell-inert characters, no placeholder in the program
 * or after an interpreter. Refuses with every problem listed; nothing runs here.
 */
export function planMitigation(entry: MitigationEntry, incidentId: string, vars: CommandVariables): MitigationPlanResult {
  const problems: string[] = [];
  if (!INCIDENT_ID_PATTERN.test(incidentId)) problems.push(`Incident id ${JSON.stringify(incidentId)} is not of the form INC-n.`);
  const all = { ...vars, incidentId };
  const what = `command of "${entry.id}"`;
  const run = substituteCommand(entry.argv, all, what);
  if (!run.ok) problems.push(...run.problems);
  const undo = entry.undo ? substituteCommand(entry.undo, all, `undo command of "${entry.id}"`) : undefined;
  if (undo && !undo.ok) problems.push(...undo.problems);
  if (problems.length > 0 || !run.ok) return { ok: false, problems: [...new Set(problems)] };
  let widens: string | undefined;
  if (WIDENING_KINDS.has(entry.kind)) widens = `A ${entry.kind} can widen the damage: it drops in-flight work and starts caches and connection pools cold.`;
  else if (FLUSH.test(`${entry.title} ${entry.argv.join(' ')}`)) widens = 'A cache flush can widen the damage: every miss goes to the store behind it at once.';
  return {
    ok: true, entry, incidentId, argv: run.argv, undo: undo?.ok ? undo.argv : undefined, widens,
    summary: `${entry.title} (${entry.kind}, ${entry.risk} risk)`,
  };
}

/** The modal confirm's text: the exact argv, risk, caution, undo, what to watch. */
export function confirmText(plan: MitigationPlan): { message: string; detail: string } {
  const { entry } = plan;
  const lines = [`Will run: ${formatArgv(plan.argv)}`, '', `Risk: ${entry.risk}. ${entry.caution}`];
  if (plan.widens) lines.push(`⚠ ${plan.widens}`);
  lines.push('', plan.undo ? `Undo: ${formatArgv(plan.undo)}` : 'Undo: none prepared.');
  lines.push(`Afterwards, watch: ${entry.verify.watch}${entry.verify.dashboard ? ` (${entry.verify.dashboard})` : ''}`);
  if (entry.services?.length) lines.push(`For: ${entry.services.join(', ')}`);
  return { message: `${entry.title}?`, detail: lines.join('\n') };
}

/** How a mitigation's command ended; maps onto `mitigation.finished`. */
export interface MitigationOutcome {
  result: 'succeeded' | 'failed' | 'cancelled';
  /** The command, how it ended, its last output: for the timeline. */
  detail: string;
  exitCode: number | null;
}

/**
 * Run the plan's argv (no shell) in `cwd` with `runCommand` (the extension's task runner, the one rollback uses;
 * default {@link runArgv}). Never throws for a failed command: it reports it, with the end of its output.
 */
export async function executeMitigation(plan: MitigationPlan, options: { cwd: string; signal?: AbortSignal; runCommand?: CommandRunner }): Promise<MitigationOutcome> {
  const run = options.runCommand ?? ((argv, o) => runArgv(argv, o));
  const r = await run(plan.argv, { cwd: options.cwd, ...(options.signal ? { signal: options.signal } : {}) });
  const shown = formatArgv(plan.argv);
  const tail = r.outputTail?.trim() ? `\nOutput:\n${r.outputTail.trim().slice(-1500)}` : '';
  const undo = plan.undo ? `\nUndo: ${formatArgv(plan.undo)}` : '';
  if (r.cancelled || options.signal?.aborted) return { result: 'cancelled', exitCode: r.exitCode, detail: clip(`${shown} was cancelled.${tail}${undo}`) };
  if (r.exitCode !== 0) {
    const why = r.spawnError ?? (r.exitCode === null ? `was killed${r.signal ? ` (${r.signal})` : ''}` : `exited with code ${r.exitCode}`);
    return { result: 'failed', exitCode: r.exitCode, detail: clip(`${shown} ${why}.${tail}${undo}`) };
  }
  return { result: 'succeeded', exitCode: 0, detail: clip(`${shown} exited with code 0.${tail}\nWatch: ${plan.entry.verify.watch}`) };
}

/** `mitigation.started` data for a plan: the wire's action for its kind, the catalog id and risk, the exact command. */
export function mitigationStartedData(plan: MitigationPlan, mitigationId: string): EventDataOf<'mitigation.started'> & { risk: Risk } {
  return {
    mitigationId,
    action: KIND_ACTIONS[plan.entry.kind],
    description: clip(plan.entry.title, Limits.shortTextLength),
    command: clip(formatArgv(plan.argv), Limits.shortTextLength),
    catalogId: plan.entry.id,
    risk: plan.entry.risk,
  };
}

function clip(s: string, max: number = Limits.detailLength): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
