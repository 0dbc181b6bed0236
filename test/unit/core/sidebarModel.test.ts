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

describe('core/sidebarModel: mitigations and the ETA', () => {
  const M = '00000000-0000-4000-8000-0000000000a1';
  const N = '00000000-0000-4000-8000-0000000000a2';
  /** Declared 14:00; a rollback 14:05–14:08, a flag flip 14:20–14:21; events parsed from JSON as they arrive. */
  function incident(more: (s: Script) => void = () => undefined) {
    const s = new Script('INC-3', '2026-12-02T14:00:00.000Z');
    s.declare({}, { at: 0, by: ALICE });
    s.add('mitigation.started', { mitigationId: M, action: 'rollback', description: 'Roll back v42', target: { ref: 'v42' } }, { at: 5, by: BOB });
    s.add('mitigation.finished', { mitigationId: M, result: 'succeeded' }, { at: 8, by: BOB });
    s.add('mitigation.started', { mitigationId: N, action: 'feature_flag', description: 'new-pricing off' }, { at: 20, by: ALICE });
    s.add('mitigation.finished', { mitigationId: N, result: 'succeeded' }, { at: 21, by: ALICE });
    more(s);
    return { s, view: incidentView(fold(s.incidentId, JSON.parse(JSON.stringify(s.events))), ALICE, Date.parse(s.time(30))) };
  }
  const resolvedAt = (s: Script, alertname: string, at: number) =>
    s.add('signal.resolved', { fingerprint: `f${at}`.padEnd(16, '0'), alertname, startsAt: s.time(-5), endsAt: s.time(at) }, { at });

  it('a finished mitigation nobody answered asks on its row; an answer shows instead, with its evidence and who', () => {
    const { view } = incident((s) => s.add('mitigation.assessed', { mitigationId: M, assessment: 'helped', evidence: '5xx back to 0.2%' }, { at: 14, by: BOB }));
    const [rollback, flag] = view.mitigations;
    assert.deepEqual(rollback?.assessment, { value: 'helped', label: 'helped', evidence: '5xx back to 0.2%', by: 'Bob Baker', at: '2026-12-02T14:14:00.000Z' });
    assert.equal(rollback?.awaiting, undefined);
    assert.equal(flag?.assessment, undefined);
    assert.equal(flag?.awaiting, true);
  });

  it('too early keeps asking, and says when it is asked again (recheck minutes after the answer)', () => {
    const s = new Script('INC-3', '2026-12-02T14:00:00.000Z');
    s.declare({}, { at: 0 });
    s.add('mitigation.started', { mitigationId: M, action: 'rollback', description: 'Roll back v42' }, { at: 5 });
    s.add('mitigation.finished', { mitigationId: M, result: 'succeeded' }, { at: 8 });
    s.add('mitigation.assessed', { mitigationId: M, assessment: 'too_early' }, { at: 9 });
    const row = incidentView(fold(s.incidentId, s.events), ALICE, Date.parse(s.time(10)), undefined, [], 10).mitigations[0];
    assert.equal(row?.assessment?.label, 'too early to tell');
    assert.equal(row?.awaiting, true);
    assert.equal(row?.askAgainAt, '2026-12-02T14:19:00.000Z');
  });

  it('a linked alert that resolved after a mitigation is recorded beside the last one that finished before it', () => {
    const { view } = incident((s) => {
      resolvedAt(s, 'HighErrorRate', 14);
      resolvedAt(s, 'LatencyP99', 27);
      resolvedAt(s, 'Early', 4);
    });
    assert.deepEqual(view.mitigations.map((m) => m.resolvedAfter), [['HighErrorRate resolved 6 min after'], ['LatencyP99 resolved 6 min after']]);
  });

  it('the card shows the ETA in force and the one it replaced; none before the first', () => {
    assert.equal(incident().view.eta, undefined);
    const { view } = incident((s) => {
      s.add('update.posted', { audience: 'external', text: 'a', eta: s.time(60) }, { at: 22 });
      s.add('update.posted', { audience: 'internal', text: 'b', eta: s.time(90) }, { at: 25 });
      s.add('update.posted', { audience: 'internal', text: 'c' }, { at: 26 });
    });
    assert.deepEqual(view.eta, { at: '2026-12-02T15:30:00.000Z', givenAt: '2026-12-02T14:25:00.000Z', movedFrom: '2026-12-02T15:00:00.000Z' });
    const state = { connection: { status: 'online', text: 'online', queued: 0, mode: 'local' as const }, me: ALICE, incident: view, otherIncidents: [], pendingDeclarations: 0, rejected: 0 };
    assert.ok(SidebarState.safeParse(state).success, 'the webview accepts it');
  });
});

describe('core/sidebarModel: action items and their forge issue', () => {
  it('an item shows its issue drafted, or filed as #n, never its URL; the webview accepts it', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    const a = s.add('action.added', { title: 'Alert on 5xx' }, { at: 1 });
    const b = s.add('action.added', { title: 'Contract test' }, { at: 2 });
    s.add('action.added', { title: 'Runbook' }, { at: 3 });
    s.add('action.updated', { actionId: a.id, issueUrl: 'https://github.com/acme/shop/issues/new' }, { at: 4 });
    s.add('action.updated', { actionId: b.id, issueUrl: 'https://gitlab.com/acme/shop/-/issues/42' }, { at: 5 });
    const view = incidentView(fold('INC-7', s.events), ALICE, Date.parse(s.time(6)));
    assert.deepEqual(view.actions.map((x) => x.issue), [{ state: 'drafted', label: 'issue drafted' }, { state: 'filed', label: '#42' }, undefined]);
    const state = { connection: { status: 'online', text: 'online', queued: 0, mode: 'local' as const }, me: ALICE, incident: view, otherIncidents: [], pendingDeclarations: 0, rejected: 0 };
    assert.ok(SidebarState.safeParse(state).success, 'the webview accepts it');
    assert.ok(!JSON.stringify(view.actions).includes('https://'), 'no URL reaches the webview');
  });
});
