import * as z from 'zod';
import { SequencedEvent } from '../protocol/events';
import { IncidentId, IncidentSummary, parseWith, type ParseResult } from '../protocol/messages';
import { fold, isDeclared } from './reducer';
import { summarize } from './summary';

/** Format tag of an exported incident; readers check it before anything else. */
export const INCIDENT_EXPORT_FORMAT = 'incident-room/v1';

/** An incident as other tools read it: its summary and its whole log in seq order (plain JSON). */
export const IncidentExport = z.object({
  format: z.literal(INCIDENT_EXPORT_FORMAT),
  incident: IncidentSummary,
  events: z.array(SequencedEvent),
});
export type IncidentExport = z.infer<typeof IncidentExport>;

/**
 * Export an incident's log: events sorted by seq with repeats of a seq dropped (the first copy kept, as a fold
 * keeps it), and the summary folded from exactly those events. Throws when the log holds no declaration.
 */
export function exportIncident(id: string, events: Iterable<SequencedEvent>): IncidentExport {
  if (!IncidentId.safeParse(id).success) throw new RangeError(`cannot export "${id}": expected an incident id like INC-7`);
  const bySeq = new Map<number, SequencedEvent>();
  for (const e of events) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  // A structured clone detaches the export from the caller's objects, so later edits to either leave the other alone.
  const log = [...bySeq.values()].sort((a, b) => a.seq - b.seq).map((e) => structuredClone(e));
  const state = fold(id, log);
  if (!isDeclared(state)) throw new RangeError(`cannot export ${id}: its log has no incident.declared event`);
  return { format: INCIDENT_EXPORT_FORMAT, incident: summarize(state), events: log };
}

/** Read an export back (a JSON string or a parsed value), validating every event. */
export function parseIncidentExport(raw: string | unknown): ParseResult<IncidentExport> {
  return parseWith(IncidentExport, raw, 'export');
}
