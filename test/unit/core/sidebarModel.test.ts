import assert from 'node:assert/strict';
import { fold, reduceLost } from '../../../src/core/reducer';
import { incidentView, TIMELINE_PAGE, timelineEntries } from '../../../src/core/sidebarModel';
import type { EventDataOf } from '../../../src/protocol/events';
import { SidebarState } from '../../../src/protocol/webviewMessages';
import { ALICE, BOB, Script } from './eventBuilder';

function bigIncident(notes: number) {
  const script = new Script();
  script.declare({ title: 'Long one' });
  for (let i = 0; i < notes; i++) script.add('note.added', { text: `n${i}`, tag: i % 3 === 0 ? 'fact' : 'note' }, { at: 0 });
  return fold(script.incidentId, script.events);
}

describe('core/sidebarModel', () => {
  it('sends only the newest page of a long timeline, with the total', () => {
    const s = bigIncident(5000);
    const view = incidentView(s, ALICE, Date.parse('2026-11-22T15:00:00Z'));
    assert.equal(view.timelineTotal, 5001);
    assert.equal(view.timeline.length, TIMELINE_PAGE);
    assert.equal(view.timeline[0]?.text, 'n4999', 'newest first');
    assert.equal(view.timeline[0]?.tag, 'note');
    // The state a webview receives stays small and valid.
    const state = { connection: { status: 'online', text: 'online', queued: 0, mode: 'local' as const }, me: ALICE, incident: view, otherIncidents: [], pendingDeclarations: 0, rejected: 0 };
    const parsed = SidebarState.safeParse(state);
    assert.ok(parsed.success, parsed.error?.message);
    assert.ok(JSON.stringify(state).length < 100_000);
  });

  it('pages older entries without gaps or overlaps, queued events first', () => {
    const s = bigIncident(450);
    const queued = [{ id: 'q1', at: '2026-11-22T15:00:00Z', kind: 'note.added', text: 'waiting 1' }, { id: 'q2', at: '2026-11-22T15:00:01Z', kind: 'note.added', text: 'waiting 2' }];
    const pages = [0, 200, 400].map((offset) => timelineEntries(s, BOB, offset, 200, queued));
    const all = pages.flat();
    assert.equal(all.length, 451 + 2);
    assert.deepEqual(all.slice(0, 2).map((e) => [e.text, e.queued, e.actor]), [['waiting 2', true, 'Bob Baker'], ['waiting 1', true, 'Bob Baker']]);
    const seqs = all.slice(2).map((e) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: 451 }, (_, i) => 451 - i));
    assert.deepEqual(timelineEntries(s, BOB, 10_000, 200), []);
  });

  it('shows a retagged note with its current tag', () => {
    const script = new Script();
    script.declare();
    const guess = script.add('note.added', { text: 'pool exhausted?', tag: 'guess' });
    script.add('note.retagged', { noteId: guess.id, tag: 'refuted' });
    const view = incidentView(fold(script.incidentId, script.events), ALICE, Date.now());
    const entry = view.timeline.find((e) => e.noteId === guess.id);
    assert.equal(entry?.tag, 'refuted');
    assert.deepEqual(view.refuted.map((n) => n.text), ['pool exhausted?']);
  });

  it('shows seqs lost to storage damage as one entry where they were, not as anyone\'s event', () => {
    const script = new Script();
    script.declare({ title: 'Holes' });
    for (let i = 2; i <= 12; i++) script.add('note.added', { text: `n${i}`, tag: 'note' }, { at: i });
    let s = fold(script.incidentId, script.events.slice(0, 3));
    s = reduceLost(s, { fromSeq: 4, toSeq: 6, reason: 'storage_damage' });
    s = fold(script.incidentId, script.events.slice(6, 11), s);
    s = reduceLost(s, { fromSeq: 12, toSeq: 12, reason: 'storage_damage' });
    const view = incidentView(s, ALICE, Date.parse('2026-11-22T15:00:00Z'));
    assert.equal(view.timelineTotal, 8 + 2, '8 events and 2 lost ranges');
    const shown = view.timeline.map((e) => (e.seq === null ? e.text : e.seq));
    assert.deepEqual(shown, ['1 entry lost to storage damage', 11, 10, 9, 8, 7, '3 entries lost to storage damage', 3, 2, 1]);
    const hole = view.timeline.find((e) => e.text === '3 entries lost to storage damage')!;
    assert.deepEqual({ ...hole }, {
      key: 'lost:4-6', seq: null, at: script.events[2]!.at, actor: '', kind: 'lost', icon: 'warning', text: '3 entries lost to storage damage',
    }, 'no author, no seq, no tag: nobody appended it; placed at the time of the event before it');
    const state = { connection: { status: 'online', text: 'online', queued: 0, mode: 'local' as const }, me: ALICE, incident: view, otherIncidents: [], pendingDeclarations: 0, rejected: 0 };
    assert.ok(SidebarState.safeParse(state).success);
    // Paged one entry at a time, after a queued one: the same entries, each once.
    const queued = [{ id: 'q1', at: '2026-11-22T15:00:00Z', kind: 'note.added', text: 'waiting' }];
    const paged = Array.from({ length: 12 }, (_, offset) => timelineEntries(s, BOB, offset, 1, queued)).flat();
    assert.deepEqual(paged.map((e) => e.key), ['q:q1', ...view.timeline.map((e) => e.key)]);
  });
});

describe('core/sidebarModel: triage under the title', () => {
  const NOW = Date.parse('2026-11-22T15:00:00Z');
  const online = { status: 'online', text: 'online', queued: 0, mode: 'local' as const };
  /** As the wire brings it. */
  const wire = (json: string) => JSON.parse(json) as EventDataOf<'triage.recorded'>;

  it('none recorded: no triage (the sidebar asks for one) and no suggestion', () => {
    const script = new Script();
    script.declare({ severity: 'SEV2' });
    const view = incidentView(fold(script.incidentId, script.events), ALICE, NOW);
    assert.equal(view.triage, null);
    assert.equal(view.suggestion, null);
    assert.ok(SidebarState.safeParse({ connection: online, me: ALICE, incident: view, otherIncidents: [], pendingDeclarations: 0, rejected: 0 }).success);
  });

  it('the latest triage, compact: who with the count, where, trend, each impact with its evidence; the suggestion when it differs', () => {
    const script = new Script();
    script.declare({ severity: 'SEV2' });
    script.add('triage.recorded', wire('{"users":{"share":"few"},"regions":[],"routes":[],"tenants":[],"trend":"unknown","customer":{"level":"suspected"},"financial":{"level":"none"},"dataIntegrity":{"level":"none"}}'), { at: 3, by: ALICE });
    script.add('triage.recorded', wire(`{"users":{"share":"some","text":"EU card payers","count":1200},"regions":["eu-west-1"],"routes":["/pay"],"tenants":["acme"],
      "trend":"growing","customer":{"level":"confirmed","evidence":"31% 5xx on /pay"},"financial":{"level":"suspected"},
      "dataIntegrity":{"level":"confirmed","evidence":"12 orders charged twice"},"note":"refunds team told"}`), { at: 9, by: BOB });
    const view = incidentView(fold(script.incidentId, script.events), ALICE, NOW);
    assert.deepEqual(view.triage, {
      at: script.time(9), by: 'Bob Baker', who: 'Some users · ~1,200 · EU card payers', where: 'eu-west-1, /pay, tenant acme', trend: 'growing',
      impacts: [
        { kind: 'customer', label: 'Customer', level: 'confirmed', evidence: '31% 5xx on /pay' },
        { kind: 'financial', label: 'Financial', level: 'suspected' },
        { kind: 'dataIntegrity', label: 'Data integrity', level: 'confirmed', evidence: '12 orders charged twice' },
      ],
      note: 'refunds team told', records: 2,
    });
    assert.deepEqual(view.suggestion, { severity: 'SEV1', text: 'SEV1 suggested: data integrity impact confirmed' });
    assert.equal(view.severity, 'SEV2', 'shown beside the severity, never changing it');
    assert.ok(SidebarState.safeParse({ connection: online, me: ALICE, incident: view, otherIncidents: [], pendingDeclarations: 0, rejected: 0 }).success);
  });

  it('no suggestion when it agrees with the severity, nor once the incident is resolved', () => {
    const script = new Script();
    script.declare({ severity: 'SEV3' });
    script.add('triage.recorded', wire('{"users":{"share":"few"},"regions":[],"routes":[],"tenants":[],"trend":"stable","customer":{"level":"suspected"},"financial":{"level":"none"},"dataIntegrity":{"level":"none"}}'));
    assert.equal(incidentView(fold(script.incidentId, script.events), ALICE, NOW).suggestion, null, 'SEV3 suggested, SEV3 now');
    script.add('severity.changed', { severity: 'SEV1' });
    assert.equal(incidentView(fold(script.incidentId, script.events), ALICE, NOW).suggestion?.severity, 'SEV3', 'SEV3 suggested, SEV1 now');
    script.add('status.changed', { status: 'resolved' });
    const resolved = incidentView(fold(script.incidentId, script.events), ALICE, NOW);
    assert.equal(resolved.suggestion, null);
    assert.equal(resolved.triage?.who, 'Few users', 'the triage itself stays');
  });
});
