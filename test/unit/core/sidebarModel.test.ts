import assert from 'node:assert/strict';
import { emptyIncident, fold, reduceLost } from '../../../src/core/reducer';
import { incidentView, TIMELINE_PAGE, timelineEntries } from '../../../src/core/sidebarModel';
import type { EventDataOf } from '../../../src/protocol/events';
import { SidebarState } from '../../../src/protocol/webviewMessages';
import { ALICE, BOB, Script, uuid } from './eventBuilder';

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

describe('core/sidebarModel: the card', () => {
  const NOW = Date.parse('2026-11-22T15:00:00Z');

  it('shows the scope, when it was detected, and the flagged deploys with their reason', () => {
    const s = new Script('INC-7');
    s.declare(JSON.parse('{"title":"Checkout 5xx","severity":"SEV2","symptom":"HTTP 500 on /pay","scope":"EU checkout","detectedAt":"2026-11-22T13:56:00.000Z"}'), { at: 0 });
    s.add('deploy.flagged', JSON.parse('{"ref":"v2.14.0","sha":"abc1234def5678","reason":"errors began a minute after rollout"}'), { at: 1 });
    s.add('deploy.flagged', JSON.parse('{"ref":"v2.13.9","sha":"99887766aabb"}'), { at: 2 });
    const view = incidentView(fold('INC-7', s.events), ALICE, NOW);
    assert.equal(view.scope, 'EU checkout');
    assert.equal(view.detectedAt, '2026-11-22T13:56:00.000Z');
    assert.equal(view.declaredAt, '2026-11-22T14:00:00.000Z');
    assert.deepEqual(view.flaggedDeploys, [
      { ref: 'v2.14.0', sha: 'abc1234def5678', reason: 'errors began a minute after rollout' },
      { ref: 'v2.13.9', sha: '99887766aabb' },
    ]);
  });

  it('action items show owner and due date; overdue only when open and due before today (UTC), not on the day', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    const item = (json: string) => s.add('action.added', JSON.parse(json), { at: 1 });
    const late = item('{"title":"Alert on pool saturation","owner":{"id":"bob@example.com","name":"Bob Baker"},"due":"2026-11-21"}');
    const today = item('{"title":"Runbook for revert","due":"2026-11-22"}');
    const tomorrow = item('{"title":"Contract test EU gateway","due":"2026-11-23"}');
    const undated = item('{"title":"Review retry budget","owner":{"id":"carol@example.com","name":"Carol Chen"}}');
    const doneLate = item('{"title":"Tell finance","due":"2026-11-20"}');
    s.add('action.updated', { actionId: doneLate.id, done: true }, { at: 2 });
    const view = incidentView(fold('INC-7', JSON.parse(JSON.stringify(s.events))), ALICE, NOW);
    assert.deepEqual(view.actions, [
      { id: late.id, title: 'Alert on pool saturation', done: false, overdue: true, owner: 'Bob Baker', due: '2026-11-21' },
      { id: today.id, title: 'Runbook for revert', done: false, overdue: false, due: '2026-11-22' },
      { id: tomorrow.id, title: 'Contract test EU gateway', done: false, overdue: false, due: '2026-11-23' },
      { id: undated.id, title: 'Review retry budget', done: false, overdue: false, owner: 'Carol Chen' },
      { id: doneLate.id, title: 'Tell finance', done: true, overdue: false, due: '2026-11-20' },
    ]);
  });

  it('an issue link shows its number even with an anchor after it, and just "issue" when it has none', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    const a = s.add('action.added', { title: 'Alert on 5xx' }, { at: 1 });
    const b = s.add('action.added', { title: 'Contract test' }, { at: 2 });
    s.add('action.updated', { actionId: a.id, issueUrl: 'https://github.com/acme/shop/issues/42#issuecomment-1717' }, { at: 3 });
    s.add('action.updated', { actionId: b.id, issueUrl: 'https://jira.example.com/browse/OPS-12' }, { at: 4 });
    const view = incidentView(fold('INC-7', s.events), ALICE, NOW);
    assert.deepEqual(view.actions.map((x) => x.issue), [{ state: 'filed', label: '#42' }, { state: 'filed', label: 'issue' }]);
  });

  it('lists the open workstreams, mine first, and counts the closed ones', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    const ws = (n: number, title: string, owner: string, kind: string) =>
      s.add('workstream.opened', JSON.parse(`{"workstreamId":"${uuid(n)}","title":"${title}","owner":${owner},"kind":"${kind}"}`), { at: 1 });
    const alice = '{"id":"alice@example.com","name":"Alice Archer"}';
    const bob = '{"id":"bob@example.com","name":"Bob Baker"}';
    ws(1, 'Tell payments partners', alice, 'communicate');
    ws(2, 'Roll back v2.14.0', bob, 'mitigate');
    ws(3, 'Find the leak', bob, 'investigate');
    ws(4, 'Check the CDN', alice, 'investigate');
    ws(5, 'Page the DBA', bob, 'communicate');
    s.add('workstream.updated', { workstreamId: uuid(2), state: 'done' }, { at: 2 });
    s.add('workstream.updated', { workstreamId: uuid(4), state: 'dropped' }, { at: 3 });
    const view = incidentView(fold('INC-7', s.events), BOB, NOW);
    assert.deepEqual(view.workstreams, [
      { id: uuid(3), title: 'Find the leak', owner: BOB, kind: 'investigate', isMine: true },
      { id: uuid(5), title: 'Page the DBA', owner: BOB, kind: 'communicate', isMine: true },
      { id: uuid(1), title: 'Tell payments partners', owner: ALICE, kind: 'communicate', isMine: false },
    ]);
    assert.equal(view.workstreamsClosed, 2);
  });
});

describe('core/sidebarModel: timeline entries', () => {
  it('a note pinned to code links to its file and lines; a queued event shows with a clock', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    const pinned = s.add('note.added', JSON.parse(`{"text":"pool_size is 5","tag":"fact",
      "source":{"path":"src/db.ts","startLine":3,"endLine":4,"commit":"abc1234def5678","remoteUrl":"https://github.com/acme/shop/blob/abc1234/src/db.ts#L3-L4"}}`), { at: 1 });
    const queued = [{ id: 'q1', at: '2026-11-22T14:02:00Z', kind: 'note.added', text: 'waiting' }];
    const [q, note] = timelineEntries(fold('INC-7', s.events), ALICE, 0, 2, queued);
    assert.deepEqual({ ...q }, { key: 'q:q1', seq: null, at: '2026-11-22T14:02:00Z', actor: 'Alice Archer', kind: 'note.added', icon: 'clock', text: 'waiting', queued: true });
    assert.deepEqual({ ...note }, {
      key: pinned.id, seq: 2, at: pinned.at, actor: 'Alice Archer', kind: 'note.added', icon: 'note', text: 'pool_size is 5',
      noteId: pinned.id, tag: 'fact', source: { path: 'src/db.ts', startLine: 3, endLine: 4 },
    });
  });

  it('without queued events a page is the log alone, newest first', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    s.add('status.changed', { status: 'mitigating' }, { at: 1 });
    assert.deepEqual(timelineEntries(fold('INC-7', s.events), ALICE, 0, 5).map((e) => [e.seq, e.text]), [[2, 'Status → mitigating'], [1, 'Declared SEV2: Checkout 5xx — HTTP 500 on /pay']]);
  });

  it('each lost range carries the time of the event before it; lost before any event, the time of the first one after', () => {
    const s = new Script('INC-7');
    s.declare({}, { at: 0 });
    for (let i = 2; i <= 6; i++) s.add('note.added', { text: `n${i}`, tag: 'note' }, { at: 10 * i });
    let state = fold('INC-7', s.events.slice(0, 2));
    state = reduceLost(state, { fromSeq: 3, toSeq: 3, reason: 'storage_damage' });
    state = fold('INC-7', s.events.slice(3, 4), state);
    state = reduceLost(state, { fromSeq: 5, toSeq: 6, reason: 'storage_damage' });
    const entries = timelineEntries(state, ALICE, 0, 10).map((e) => [e.seq ?? e.key, e.at]);
    assert.deepEqual(entries, [['lost:5-6', s.time(40)], [4, s.time(40)], ['lost:3-3', s.time(20)], [2, s.time(20)], [1, s.time(0)]]);

    // The server lost the first seqs, the declaration among them, in two reports: both carry the first event's time.
    let headless = reduceLost(emptyIncident('INC-7'), { fromSeq: 1, toSeq: 2, reason: 'storage_damage' });
    headless = reduceLost(headless, { fromSeq: 3, toSeq: 3, reason: 'storage_damage' });
    headless = fold('INC-7', s.events.slice(3), headless);
    assert.deepEqual(timelineEntries(headless, ALICE, 0, 10).map((e) => [e.seq ?? e.text, e.at]), [
      [6, s.time(60)], [5, s.time(50)], [4, s.time(40)], ['1 entry lost to storage damage', s.time(40)], ['2 entries lost to storage damage', s.time(40)],
    ]);
  });

  it('an incident of which nothing but lost seqs is held still lists them', () => {
    const state = reduceLost(emptyIncident('INC-7'), { fromSeq: 1, toSeq: 3, reason: 'storage_damage' });
    assert.deepEqual(timelineEntries(state, ALICE, 0, 10).map((e) => [e.key, e.text]), [['lost:1-3', '3 entries lost to storage damage']]);
  });
});
