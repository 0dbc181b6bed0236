import type { ErrorCode } from '../protocol/codes';
import type { IncidentSummary, LostSeqs } from '../protocol/messages';

/*
 * Server → client frames, built as strings. Events are serialized once when they are sequenced (that JSON is also
 * what the store keeps), and batches are assembled by concatenation, so neither fan-out nor replay re-serializes an
 * event, and one frame string is shared by every subscriber.
 */

/** `events`: a replay chunk or a live batch, in seq order; `lost` names seqs in its range the store can no longer send. */
export const eventsFrame = (incidentId: string, eventJsons: readonly string[], headSeq: number, lost: readonly LostSeqs[] = []): string =>
  `{"type":"events","incidentId":${JSON.stringify(incidentId)},"events":[${eventJsons.join(',')}],"headSeq":${headSeq}${lost.length > 0 ? `,"lost":${JSON.stringify(lost)}` : ''}}`;

/** `event`: one live event. */
export const eventFrame = (incidentId: string, eventJson: string): string =>
  `{"type":"event","incidentId":${JSON.stringify(incidentId)},"event":${eventJson}}`;

export const ackFrame = (requestId: string, incidentId: string, eventId: string, seq: number, duplicate: boolean): string =>
  JSON.stringify({ type: 'ack', requestId, incidentId, eventId, seq, duplicate });

export const declaredFrame = (requestId: string, incidentId: string): string =>
  JSON.stringify({ type: 'declared', requestId, incidentId, seq: 1 });

export const incidentFrame = (summary: IncidentSummary): string => JSON.stringify({ type: 'incident', summary });

export const errorFrame = (code: ErrorCode, message: string, requestId?: string): string =>
  JSON.stringify(requestId === undefined ? { type: 'error', code, message } : { type: 'error', requestId, code, message });
