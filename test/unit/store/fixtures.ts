import { randomUUID } from 'node:crypto';
import type { SequencedEvent } from '../../../src/protocol/events';
import type { Signal } from '../../../src/protocol/messages';
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

/**
 * A signal as the core hands it to a store: parsed from JSON, as it arrives (Alertmanager's fingerprint, labels and
 * annotations; nanosecond startsAt normalised to ms), with `over` replacing fields.
 */
export function signal(fingerprint: string, over: Partial<Signal> = {}): Signal {
  const json = `{
    "fingerprint": ${JSON.stringify(fingerprint)}, "status": "firing",
    "labels": { "alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "region": "eu-west-1" },
    "annotations": { "summary": "Checkout 5xx above 5%", "runbook_url": "https://runbooks.example.com/checkout" },
    "startsAt": "2026-11-22T14:02:00.123Z", "endsAt": null,
    "generatorURL": "http://prometheus:9090/graph?g0.expr=rate%28http_requests_total%5B5m%5D%29&g0.tab=1",
    "externalURL": "http://alertmanager:9093", "receiver": "incident-room", "incidentId": null,
    "receivedAt": "2026-11-22T14:02:05.000Z", "updatedAt": "2026-11-22T14:02:05.000Z"
  }`;
  return { ...(JSON.parse(json) as Signal), ...over };
}
