import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fold } from '../../../src/core/reducer';
import type { SequencedEvent } from '../../../src/protocol/events';
import { RECENTLY_RESOLVED_MS, statusIncident, statusPage } from '../../../src/status/statusModel';
import { StatusPage } from '../../../src/status/statusSchema';

const T0 = Date.parse('2026-11-22T14:00:00.000Z');
const iso = (min: number) => new Date(T0 + min * 60_000).toISOString();
const alice = { id: 'alice@example.com', name: 'Alice' };

/** Events as they come off the wire: JSON text, parsed. */
function incident(id: string, events: [number, string, Record<string, unknown>][]) {
  let seq = 0;
  const wire = JSON.stringify(events.map(([min, kind, data]) => ({ seq: ++seq, id: randomUUID(), kind, at: iso(min), receivedAt: iso(min), actor: alice, via: 'payments-team', data })));
  return fold(id, JSON.parse(wire) as SequencedEvent[]);
}

const declared = (title: string, severity = 'SEV2'): [number, string, Record<string, unknown>] => [0, 'incident.declared', { title, severity, symptom: 'pool exhausted on db-7', scope: 'EU' }];

describe('status/statusModel: what stakeholders see of an incident', () => {
  it('keeps title, severity and its meaning, status and since when, and external updates newest first; nothing else', () => {
    const s = incident('INC-7', [
      declared('Checkout fails'),
      [1, 'note.added', { text: 'pool exhausted on db-7', tag: 'guess', source: { path: 'src/pool.ts', startLine: 1, endLine: 2, snippet: 'POOL=5' } }],
      [2, 'update.posted', { audience: 'external', text: 'We are investigating.', nextUpdateBy: iso(32) }],
      [3, 'update.posted', { audience: 'internal', text: 'Bob is rolling back', nextUpdateBy: iso(10) }],
      [5, 'status.changed', { status: 'mitigating', note: 'rollback of release-42' }],
      [6, 'update.posted', { audience: 'external', text: 'A fix is in progress.' }],
    ]);
    const out = statusIncident(s);
    assert.deepEqual({ ...out, updates: undefined, latestUpdate: undefined }, {
      id: 'INC-7', title: 'Checkout fails', severity: 'SEV2', severityLabel: 'Significant',
      severityMeaning: 'Partial outage or degraded service for a substantial segment',
      status: 'mitigating', statusSince: iso(5), startedAt: iso(0), declaredAt: iso(0), resolvedAt: null,
      // The latest external update promised nothing: the SEV2 cadence (30 min) from it; the internal one's promise does not count.
      nextUpdateDue: iso(36), updates: undefined, latestUpdate: undefined,
    });
    assert.deepEqual(out.updates.map((u) => [u.text, u.postedAt, u.nextUpdateBy]), [['A fix is in progress.', iso(6), null], ['We are investigating.', iso(2), iso(32)]]);
    assert.equal(out.latestUpdate, out.updates[0]);
    const text = JSON.stringify(out);
    for (const secret of ['db-7', 'src/pool.ts', 'POOL=5', 'Bob', 'Alice', 'alice@', 'release-42', 'payments-team', 'EU']) assert.ok(!text.includes(secret), secret);
  });

  it('a page lists open incidents most severe first, then those resolved in the last 72 hours, newest first', () => {
    const sev3 = incident('INC-1', [declared('Slow search', 'SEV3')]);
    const sev1 = incident('INC-2', [declared('Site down', 'SEV1')]);
    const resolvedLately = incident('INC-3', [declared('Login errors'), [20, 'status.changed', { status: 'resolved' }]]);
    const resolvedLong = incident('INC-4', [declared('Old one'), [10, 'status.changed', { status: 'resolved' }]]);
    const now = T0 + 10 * 60_000 + RECENTLY_RESOLVED_MS + 1;
    const page = statusPage('payments-oncall', [sev3, sev1, resolvedLately, resolvedLong], now);
    assert.ok(StatusPage.safeParse(JSON.parse(JSON.stringify(page))).success);
    assert.deepEqual(page.open.map((i) => i.id), ['INC-2', 'INC-1']);
    assert.deepEqual(page.recentlyResolved.map((i) => [i.id, i.resolvedAt, i.nextUpdateDue]), [['INC-3', iso(20), null]]);
  });
});
