import type { EventKind, SequencedEvent, SequencedEventOf } from '../protocol/events';
import type { IncidentSummary } from '../protocol/messages';
import type { IncidentState } from './incidentState';

/** The summary of a folded incident. */
export function summarize(s: IncidentState): IncidentSummary {
  return {
    id: s.id, title: s.title, severity: s.severity, status: s.status, declaredAt: s.declaredAt,
    commander: s.roles.commander.holder, headSeq: s.headSeq,
  };
}

/** How one kind of event changes a summary. */
interface SummaryRule<K extends EventKind> {
  /** Whether this event changes what a summary shows (title, severity, status, commander), so it is announced. */
  readonly changes: (e: SequencedEventOf<K>) => boolean;
  /** The summary after an event that `changes` it (headSeq is advanced by the caller); null while there is none. */
  readonly apply: (summary: IncidentSummary | null, incidentId: string, e: SequencedEventOf<K>) => IncidentSummary | null;
}

/**
 * Which event kinds change a summary, and how: the one place the server's index (`reduceSummary`), its
 * announcements (`changesSummary`) and the file store's recovery (`canChangeSummary`) learn it from.
 * `null`: events of that kind only advance headSeq.
 */
export const SUMMARY_RULES = {
  'incident.declared': {
    changes: () => true,
    // A second declaration refounds nothing (as in the reducer) but is still an event the log holds.
    apply: (summary, incidentId, e) =>
      summary ?? { id: incidentId, title: e.data.title, severity: e.data.severity, status: 'investigating', declaredAt: e.at, commander: e.actor, headSeq: e.seq },
  },
  'incident.updated': {
    changes: (e) => e.data.title !== undefined,
    apply: (summary, _id, e) => (summary && e.data.title !== undefined ? { ...summary, title: e.data.title } : summary),
  },
  'severity.changed': { changes: () => true, apply: (summary, _id, e) => (summary ? { ...summary, severity: e.data.severity } : null) },
  'status.changed': { changes: () => true, apply: (summary, _id, e) => (summary ? { ...summary, status: e.data.status } : null) },
  'role.assigned': {
    changes: (e) => e.data.role === 'commander',
    apply: (summary, _id, e) => (summary && e.data.role === 'commander' ? { ...summary, commander: e.data.user } : summary),
  },
  'note.added': null,
  'note.retagged': null,
  'deploy.flagged': null,
  'mitigation.started': null,
  'mitigation.finished': null,
  'update.posted': null,
  'action.added': null,
  'action.updated': null,
  'triage.recorded': null,
  'signal.linked': null,
  'signal.resolved': null,
  'escalation.requested': null,
  'mitigation.assessed': null,
  'workstream.opened': null,
  'workstream.updated': null,
  'resolution.checked': null,
  'terminal.command': null,
} as const satisfies { readonly [K in EventKind]: SummaryRule<K> | null };

// The table's entries are checked per kind above; looked up by an event's kind, the pairing is lost to TypeScript.
const ruleFor = (e: SequencedEvent): SummaryRule<EventKind> | null => SUMMARY_RULES[e.kind] as SummaryRule<EventKind> | null;

/** Whether events of this kind can ever change a summary (the only payloads the file store's recovery parses). */
export const canChangeSummary = (kind: EventKind): boolean => SUMMARY_RULES[kind] !== null;

/**
 * Advance a summary by one event without keeping the log (the server's per-incident index).
 * `changesSummary` tells whether the change is worth announcing to the channel.
 */
export function reduceSummary(summary: IncidentSummary | null, incidentId: string, e: SequencedEvent): IncidentSummary | null {
  if (summary && e.seq <= summary.headSeq) return summary;
  const rule = ruleFor(e);
  const next = rule?.changes(e) ? rule.apply(summary, incidentId, e) : summary;
  return next ? { ...next, headSeq: e.seq } : null;
}

/** Whether an event changes what a summary shows (title, severity, status, commander), so it is announced. */
export function changesSummary(e: SequencedEvent): boolean {
  return ruleFor(e)?.changes(e) ?? false;
}
