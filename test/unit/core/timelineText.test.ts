import assert from 'node:assert/strict';
import { type SharedTextKind, sharedEventText, type TextStyle } from '../../../src/core/eventText';
import { renderPostmortem } from '../../../src/core/postmortem';
import { fold } from '../../../src/core/reducer';
import { describeEvent, describeLost } from '../../../src/core/timelineText';
import type { EventDataOf, SequencedEvent, SequencedEventOf } from '../../../src/protocol/events';
import { ALICE, BOB, CAROL, DAVE, Script, uuid } from './eventBuilder';

describe('core/timelineText', () => {
  // Built as they arrive: parsed from JSON, not shared objects.
  const script = () => {
    const s = new Script('INC-5');
    const events = [
      s.declare(JSON.parse('{"title":"Pay *down*","severity":"SEV2","symptom":"5xx | timeouts"}'), { at: 0, by: ALICE }),
      s.add('severity.changed', JSON.parse('{"severity":"SEV1","reason":"all regions"}'), { at: 1 }),
      s.add('status.changed', JSON.parse('{"status":"mitigating"}'), { at: 2 }),
      s.add('role.assigned', { role: 'scribe', user: BOB, note: 'notes in the doc' }, { at: 3 }),
      s.add('role.assigned', JSON.parse('{"role":"commander","user":null,"note":"shift over"}'), { at: 4 }),
      s.add('note.added', JSON.parse('{"text":"pool_size is 5","tag":"fact","source":{"path":"src/db.ts","startLine":3,"endLine":4}}'), { at: 5 }),
    ] as SequencedEventOf<SharedTextKind>[];
    return { s, events };
  };

  it('describes the kinds it shares with the postmortem in plain words', () => {
    assert.deepEqual(script().events.map((e) => describeEvent(e)), [
      'Declared SEV2: Pay *down* — 5xx | timeouts',
      'Severity → SEV1 (all regions)',
      'Status → mitigating',
      'Scribe → Bob Baker — brief: notes in the doc',
      'Commander unassigned (shift over)',
      'Fact: pool_size is 5 (src/db.ts:3-4)',
    ]);
  });

  it('the postmortem timeline says the same as the sidebar for those kinds, in Markdown', () => {
    const { s, events } = script();
    const md = renderPostmortem(fold('INC-5', s.events), { now: new Date(s.time(10)), timeZone: 'UTC' });
    const cells = md.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split(' | ').at(-1)?.replace(/ \|$/, ''));
    assert.deepEqual(cells, [
      'Declared SEV2: **Pay \\*down\\*** — 5xx \\| timeouts',
      'Severity → **SEV1**: all regions',
      'Status → **mitigating**',
      'Scribe → Bob Baker — handoff brief: notes in the doc',
      'Commander unassigned: shift over',
      'Fact: pool\\_size is 5 — src/db.ts:3-4',
    ]);
    assert.equal(events.length, cells.length);
  });

  it('passes every piece of user text through the style, so Markdown escaping cannot be skipped for one kind', () => {
    const seen: string[] = [];
    const style: TextStyle = {
      text: (t) => (seen.push(t), `<${t}>`), strong: (t) => t, aside: (t) => ` [${t}]`, brief: (t) => ` [${t}]`, source: () => ' [src]',
    };
    const out = script().events.map((e) => sharedEventText(e, style));
    assert.deepEqual(out, [
      'Declared SEV2: <Pay *down*> — <5xx | timeouts>',
      'Severity → SEV1 [all regions]',
      'Status → mitigating',
      'Scribe → <Bob Baker> [notes in the doc]',
      'Commander unassigned [shift over]',
      'Fact: <pool_size is 5> [src]',
    ]);
    assert.deepEqual(seen, ['Pay *down*', '5xx | timeouts', 'Bob Baker', 'pool_size is 5']);
  });

  it('leaves out what an event of those kinds did not say: no symptom, reason, brief, note or source', () => {
    const s = new Script('INC-5');
    const events = [
      s.declare(JSON.parse('{"title":"Search slow","severity":"SEV3","symptom":""}'), { at: 0 }),
      s.add('severity.changed', JSON.parse('{"severity":"SEV2"}'), { at: 1 }),
      s.add('role.assigned', JSON.parse('{"role":"scribe","user":{"id":"bob@example.com","name":"Bob Baker"}}'), { at: 2 }),
      s.add('role.assigned', JSON.parse('{"role":"commander","user":null}'), { at: 3 }),
      s.add('note.added', JSON.parse('{"text":"index rebuild running","tag":"guess"}'), { at: 4 }),
      s.add('note.added', JSON.parse('{"text":"timeout is 5 s","tag":"fact","source":{"path":"src/search.ts","startLine":12,"endLine":12}}'), { at: 5 }),
    ];
    assert.deepEqual(events.map((e) => describeEvent(e)), [
      'Declared SEV3: Search slow',
      'Severity → SEV2',
      'Scribe → Bob Baker',
      'Commander unassigned',
      'Guess: index rebuild running',
      'Fact: timeout is 5 s (src/search.ts:12)',
    ]);
  });

  it('says how many seqs were lost and why, in the server\'s words when it is not storage damage', () => {
    assert.equal(describeLost({ fromSeq: 4, toSeq: 6, reason: 'storage_damage' }), '3 entries lost to storage damage');
    assert.equal(describeLost({ fromSeq: 9, toSeq: 9, reason: 'retention_expired' }), '1 entry lost (retention_expired)');
  });

  describe('every other kind, one line each', () => {
    const M = uuid(501);
    const W = uuid(502);
    /** A small incident with every kind the timeline words by itself, each event parsed from JSON as it arrives. */
    function incident() {
      const s = new Script('INC-8', '2026-12-02T14:00:00.000Z');
      const add = <K extends SequencedEvent['kind']>(kind: K, json: string, at: number, by = ALICE) =>
        s.add(kind, JSON.parse(json) as EventDataOf<K>, { at, by });
      const lines: [SequencedEvent, string][] = [];
      const expect = (e: SequencedEvent, line: string) => lines.push([e, line]);
      s.declare({}, { at: 0 });
      expect(add('incident.updated', '{"title":"Checkout 5xx after deploy","scope":"EU checkout"}', 1), 'Updated title: Checkout 5xx after deploy; scope: EU checkout');
      expect(add('incident.updated', '{}', 1), 'Updated details');
      const guess = add('note.added', '{"text":"pool exhausted","tag":"guess"}', 2);
      expect(add('note.retagged', `{"noteId":"${guess.id}","tag":"refuted"}`, 2), 'Retagged a note as refuted');
      expect(add('deploy.flagged', '{"ref":"v2.14.0","sha":"abc1234def5678","reason":"errors began a minute after rollout"}', 3, BOB),
        'Flagged deploy v2.14.0 (abc1234) as suspect: errors began a minute after rollout');
      expect(add('deploy.flagged', '{"ref":"v2.13.9","sha":"99887766aabbccdd"}', 3, BOB), 'Flagged deploy v2.13.9 (9988776) as suspect');
      expect(add('mitigation.started', `{"mitigationId":"${M}","action":"rollback","description":"Roll back to v2.13.2","target":{"ref":"v2.13.2"}}`, 5, BOB),
        'Mitigation started (rollback): Roll back to v2.13.2');
      expect(add('mitigation.finished', `{"mitigationId":"${M}","result":"succeeded"}`, 8, BOB), 'Mitigation succeeded');
      expect(add('mitigation.started', `{"mitigationId":"${uuid(503)}","action":"feature_flag","description":"new-pricing off","command":"flagctl off new-pricing"}`, 9),
        'Mitigation started (feature flag): new-pricing off\nflagctl off new-pricing');
      expect(add('mitigation.finished', `{"mitigationId":"${uuid(503)}","result":"failed","detail":"flag service timed out"}`, 10), 'Mitigation failed: flag service timed out');
      expect(add('mitigation.assessed', `{"mitigationId":"${M}","assessment":"worse","evidence":"errors back at 20%"}`, 11, BOB), 'Did it help? made it worse: errors back at 20%');
      expect(add('mitigation.assessed', `{"mitigationId":"${M}","assessment":"too_early"}`, 11, BOB), 'Did it help? too early to tell');
      expect(add('action.added', '{"title":"Alert on pool saturation","owner":{"id":"bob@example.com","name":"Bob Baker"},"due":"2026-12-09"}', 12),
        'Action item: Alert on pool saturation (owner Bob Baker), due 2026-12-09');
      const runbook = add('action.added', '{"title":"Runbook for revert"}', 12);
      expect(runbook, 'Action item: Runbook for revert');
      expect(add('action.updated', `{"actionId":"${runbook.id}","done":true}`, 13), 'Action item done');
      expect(add('action.updated', `{"actionId":"${runbook.id}","done":false}`, 13), 'Action item reopened');
      expect(add('action.updated', `{"actionId":"${runbook.id}","title":"Runbook: revert a release"}`, 13), 'Action item updated');
      expect(add('triage.recorded', `{"users":{"share":"some","text":"EU card payers","count":1200},"regions":["eu-west-1"],"routes":["/pay"],"tenants":[],
        "trend":"growing","customer":{"level":"confirmed"},"financial":{"level":"none"},"dataIntegrity":{"level":"suspected"}}`, 14, CAROL),
      'Triage: some users affected (~1,200, EU card payers); in eu-west-1, /pay; trend growing; customer impact confirmed, data integrity impact suspected');
      expect(add('signal.linked', '{"fingerprint":"c6fd86708fca2138","alertname":"HighErrorRate","summary":"5xx above 5%","startsAt":"2026-12-02T13:58:00.000Z"}', 14),
        'Alert HighErrorRate linked: 5xx above 5%');
      expect(add('signal.linked', '{"fingerprint":"8be1c47367d5ea2f","alertname":"DiskFull","startsAt":"2026-12-02T13:59:00.000Z"}', 14), 'Alert DiskFull linked');
      expect(add('signal.resolved', '{"fingerprint":"c6fd86708fca2138","alertname":"HighErrorRate","startsAt":"2026-12-02T13:58:00.000Z","endsAt":"2026-12-02T14:14:00.000Z"}', 15),
        'Alert HighErrorRate resolved, 4 min after feature flag change failed');
      expect(add('signal.resolved', '{"fingerprint":"8be1c47367d5ea2f","alertname":"DiskFull","startsAt":"2026-12-02T13:59:00.000Z","endsAt":"2026-12-02T14:04:00.000Z"}', 15),
        'Alert DiskFull resolved');
      expect(add('escalation.requested', '{"reason":"Payments team needed","summary":"INC-8 checkout 5xx","severity":"critical","dedupKey":"INC-8"}', 16),
        'Escalated (paged more help): Payments team needed');
      expect(add('workstream.opened', `{"workstreamId":"${W}","title":"Find what holds the connections","owner":{"id":"bob@example.com","name":"Bob Baker"},"kind":"investigate"}`, 17),
        'Workstream (investigate): Find what holds the connections — owner Bob Baker');
      expect(add('workstream.updated', `{"workstreamId":"${W}","owner":{"id":"dave@example.com","name":"Dave Diaz"},"note":"Bob is on the bridge"}`, 18),
        'Workstream updated, owner now Dave Diaz: Bob is on the bridge');
      expect(add('workstream.updated', `{"workstreamId":"${W}","state":"done"}`, 19, DAVE), 'Workstream done');
      expect(add('workstream.updated', `{"workstreamId":"${W}","title":"Find the connection leak"}`, 19, DAVE), 'Workstream updated');
      expect(add('resolution.checked', '{"impactStopped":true,"monitored":true,"rootCauseKnown":false,"followUpFiled":false,"firingSignals":["8be1c47367d5ea2f"],"note":"filing after the review"}', 20),
        'Resolve checklist: impact stopped: yes; monitored: yes; root cause known: no; follow-up filed: no; 1 linked alert still firing — filing after the review');
      return { state: fold('INC-8', s.events), lines };
    }

    it('each reads as the line a responder sees on the sidebar\'s timeline', () => {
      const { state, lines } = incident();
      for (const [e, line] of lines) assert.equal(describeEvent(e, state), line, `seq ${e.seq} (${e.kind})`);
    });

    it('a field the client left undefined is not listed as changed', () => {
      // As a command builds the event, before any JSON: the outbox shows it greyed with no round trip.
      const e = new Script('INC-8').add('incident.updated', { title: 'Checkout 5xx', symptom: undefined });
      assert.equal(describeEvent(e), 'Updated title: Checkout 5xx');
    });

    it('a queued update (no incident to read from) still shows the ETA it gives', () => {
      const s = new Script('INC-8', '2026-12-02T14:00:00.000Z');
      const e = s.add('update.posted', JSON.parse('{"audience":"external","text":"We are rolling back.","eta":"2026-12-02T15:30:00.000Z"}'), { at: 3 });
      assert.equal(describeEvent(e), 'External update (ETA 15:30 UTC): We are rolling back.');
      const plain = s.add('update.posted', JSON.parse('{"audience":"internal","text":"Rollback started."}'), { at: 4 });
      assert.equal(describeEvent(plain), 'Internal update: Rollback started.');
    });
  });
});
