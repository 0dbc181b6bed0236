import type { SequencedEvent } from '../protocol/events';
import type { IncidentSummary } from '../protocol/messages';
import type { IncidentState } from './incidentState';

/** The summary of a folded incident. */
export function summarize(s: IncidentState): IncidentSummary {
  return {
    id: s.id, title: s.title, severity: s.severity, status: s.status, declaredAt: s.declaredAt,
    commander: s.roles.commander.holder, headSeq: s.headSeq,
  };
}

/**
 * Advance a summary by one event without keeping the log (the server's per-incident index).
 * `changesSummary` tells whether the change is worth announcing to the channel.
 */
export function reduceSummary(summary: IncidentSummary | null, incidentId: string, e: SequencedEvent): IncidentSummary | null {
  if (summary && e.seq <= summary.headSeq) return summary;
  switch (e.kind) {
    case 'incident.declared':
      // A second declaration refounds nothing (as in the reducer) but is still an event the log holds.
      return summary ? bump(summary, e) : { id: incidentId, title: e.data.title, severity: e.data.severity, status: 'investigating', declaredAt: e.at, commander: e.actor, headSeq: e.seq };
    case 'incident.updated':
      return summary && e.data.title !== undefined ? { ...summary, title: e.data.title, headSeq: e.seq } : bump(summary, e);
    case 'severity.changed':
      return summary ? { ...summary, severity: e.data.severity, headSeq: e.seq } : null;
    case 'status.changed':
      return summary ? { ...summary, status: e.data.status, headSeq: e.seq } : null;
    case 'role.assigned':
      return summary && e.data.role === 'commander' ? { ...summary, commander: e.data.user, headSeq: e.seq } : bump(summary, e);
    default:
      return bump(summary, e);
  }
}

/** Whether an event changes what a summary shows (title, severity, status, commander), so it is announced. */
export function changesSummary(e: SequencedEvent): boolean {
  switch (e.kind) {
    case 'incident.declared': case 'severity.changed': case 'status.changed': return true;
    case 'incident.updated': return e.data.title !== undefined;
    case 'role.assigned': return e.data.role === 'commander';
    default: return false;
  }
}

function bump(summary: IncidentSummary | null, e: SequencedEvent): IncidentSummary | null {
  return summary ? { ...summary, headSeq: e.seq } : null;
}
