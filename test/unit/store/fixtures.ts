import { randomUUID } from 'node:crypto';
import type { SequencedEvent } from '../../../src/protocol/events';
import type { AppendRecord } from '../../../src/store/eventStore';

const actor = { id: 'alice@example.com', name: 'Alice' };

/** Sequenced records from..to of an incident; seq 1 is its declaration. */
export function records(channel: string, incidentId: string, from: number, to: number, text = 'note'): AppendRecord[] {
  const out: AppendRecord[] = [];
  for (let seq = from; seq <= to; seq++) {
    const at = new Date(Date.UTC(2026, 10, 22, 14, 0, seq % 60)).toISOString();
    const event = (seq === 1
      ? { seq, id: randomUUID(), kind: 'incident.declared', at, receivedAt: at, actor, data: { title: `${incidentId} title`, severity: 'SEV2', symptom: 's' } }
      : { seq, id: randomUUID(), kind: 'note.added', at, receivedAt: at, actor, data: { text: `${text} ${seq}`, tag: 'note' } }) as SequencedEvent;
    out.push({ channel, incidentId, seq, id: event.id, kind: event.kind, json: JSON.stringify(event), event });
  }
  return out;
}

/** A status change as the given seq. */
export function statusRecord(channel: string, incidentId: string, seq: number, status: 'mitigating' | 'resolved'): AppendRecord {
  const at = new Date().toISOString();
  const event = { seq, id: randomUUID(), kind: 'status.changed', at, receivedAt: at, actor, data: { status } } as SequencedEvent;
  return { channel, incidentId, seq, id: event.id, kind: event.kind, json: JSON.stringify(event), event };
}
