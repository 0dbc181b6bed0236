import type { EventKind } from '../protocol/events';
import type { IncidentState } from './incidentState';
import { DEFAULT_CADENCE, type CadencePolicy } from './severityPolicy';

/** When the next status update is due and whether it is late. */
export interface UpdateDue {
  readonly dueAt: string;
  readonly overdue: boolean;
  /** Whole minutes until due (negative when overdue). */
  readonly minutesLeft: number;
}

/**
 * Whether an event of each kind can move the time the next update is due: `nextUpdateDueAt` reads the declaration,
 * the status, the severity and the last update, nothing else. A new kind does not compile until it is listed.
 */
const MOVES_UPDATE_DUE = {
  'incident.declared': true, 'incident.updated': false, 'severity.changed': true, 'status.changed': true, 'role.assigned': false,
  'note.added': false, 'note.retagged': false, 'deploy.flagged': false, 'mitigation.started': false, 'mitigation.finished': false,
  'update.posted': true, 'action.added': false, 'action.updated': false, 'triage.recorded': false, 'signal.linked': false,
  'signal.resolved': false, 'escalation.requested': false, 'mitigation.assessed': false, 'workstream.opened': false,
  'workstream.updated': false, 'resolution.checked': false, 'terminal.command': false,
} as const satisfies Record<EventKind, boolean>;

/** Whether an event of this kind can change when the next status update is due. */
export const movesUpdateDue = (kind: EventKind): boolean => MOVES_UPDATE_DUE[kind];

/** The time the next status update is due, or null (resolved, or no cadence for this severity). */
export function nextUpdateDueAt(s: IncidentState, policy: CadencePolicy = DEFAULT_CADENCE): string | null {
  if (!s.declaredAt || s.status === 'resolved') return null;
  const last = s.updates[s.updates.length - 1];
  const change = s.severityHistory[s.severityHistory.length - 1];
  const minutes = policy[s.severity];
  // A severity change restarts the clock from the later of the last update and the change.
  const base = Math.max(Date.parse(last?.at ?? s.declaredAt), Date.parse(change?.at ?? s.declaredAt));
  const byCadence = minutes === null || minutes <= 0 ? null : new Date(base + minutes * 60_000).toISOString();
  if (last?.nextUpdateBy) {
    // The promised time holds, unless a severity change after it asks for an earlier update (an escalation).
    const escalatedSince = change !== undefined && change.seq > last.seq;
    return escalatedSince && byCadence && Date.parse(byCadence) < Date.parse(last.nextUpdateBy) ? byCadence : last.nextUpdateBy;
  }
  return byCadence;
}

/** Due time, lateness and minutes left at `now`; null when no update is due. */
export function updateDue(s: IncidentState, now: number, policy: CadencePolicy = DEFAULT_CADENCE): UpdateDue | null {
  const dueAt = nextUpdateDueAt(s, policy);
  if (!dueAt) return null;
  const left = Date.parse(dueAt) - now;
  return { dueAt, overdue: left < 0, minutesLeft: Math.ceil(left / 60_000) };
}
