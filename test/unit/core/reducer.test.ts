import assert from 'node:assert/strict';
import type { SequencedEvent } from '../../../src/protocol/events';
import type { IncidentState } from '../../../src/core/incidentState';
import { emptyIncident, fold, isDeclared, reduce, reduceLost } from '../../../src/core/reducer';
import { ALICE, BOB, CAROL, DAVE, deepFreeze, prng, randomLog, Script, uuid } from './eventBuilder';

const ID = 'INC-7';

/** A declared incident plus the events built by `more`. */
function incident(more: (s: Script) => void = () => undefined): { state: IncidentState; script: Script } {
  const script = new Script(ID);
  script.declare({}, { at: 0, by: ALICE });
  more(script);
  return { state: fold(ID, script.events), script };
}

describe('core/reducer', () => {
  describe('folds every event kind', () => {
    it('incident.declared founds the incident; the declarer is commander', () => {
      const s = new Script(ID);
      s.declare({ title: 'Checkout 5xx', severity: 'SEV2', symptom: '500s', scope: 'EU', impact: 'no payments', detectedAt: s.time(-2) }, { at: 0, by: BOB });
      const state = fold(ID, s.events);
      assert.equal(isDeclared(state), true);
      assert.equal(isDeclared(emptyIncident(ID)), false);
      assert.equal(state.id, ID);
      assert.equal(state.headSeq, 1);
      assert.equal(state.title, 'Checkout 5xx');
      assert.equal(state.severity, 'SEV2');
      assert.equal(state.symptom, '500s');
      assert.equal(state.scope, 'EU');
      assert.equal(state.impact, 'no payments');
      assert.equal(state.detectedAt, s.time(-2));
      assert.equal(state.declaredAt, s.time(0));
      assert.deepEqual(state.declaredBy, BOB);
      assert.equal(state.status, 'investigating');
      assert.deepEqual(state.severityHistory, [{ value: 'SEV2', at: s.time(0), seq: 1, by: BOB }]);
      assert.deepEqual(state.statusHistory, [{ value: 'investigating', at: s.time(0), seq: 1, by: BOB }]);
      assert.deepEqual(state.roles.commander.holder, BOB);
      assert.deepEqual(state.roles.commander.history, [{ user: BOB, assumedAt: s.time(0), assumedSeq: 1, assignedBy: BOB }]);
      assert.equal(state.roles.scribe.holder, null);
      assert.deepEqual(state.timeline, s.events);
    });

    it('incident.updated changes only the fields it carries', () => {
      const { state, script } = incident((s) => {
        s.add('incident.updated', { scope: 'EU', impactStartedAt: s.time(-10) }, { at: 1 });
        s.add('incident.updated', { title: 'Checkout down', detectedAt: s.time(-5) }, { at: 2 });
        s.add('incident.updated', { symptom: 'all requests fail', impact: 'nobody can pay' }, { at: 3 });
      });
      assert.equal(state.title, 'Checkout down');
      assert.equal(state.symptom, 'all requests fail');
      assert.equal(state.scope, 'EU');
      assert.equal(state.impact, 'nobody can pay');
      assert.equal(state.detectedAt, script.time(-5));
      assert.equal(state.impactStartedAt, script.time(-10));
      assert.equal(state.severity, 'SEV2', 'untouched');
    });

    it('severity.changed and status.changed keep their history with who, when and why', () => {
      const { state, script } = incident((s) => {
        s.add('severity.changed', { severity: 'SEV1', reason: 'all of EU' }, { at: 5, by: BOB });
        s.add('status.changed', { status: 'mitigating', note: 'rolling back' }, { at: 6, by: CAROL });
      });
      assert.equal(state.severity, 'SEV1');
      assert.deepEqual(state.severityHistory[1], { value: 'SEV1', at: script.time(5), seq: 2, by: BOB, note: 'all of EU' });
      assert.equal(state.status, 'mitigating');
      assert.deepEqual(state.statusHistory[1], { value: 'mitigating', at: script.time(6), seq: 3, by: CAROL, note: 'rolling back' });
    });

    it('note.added keeps text, tag, author and source; note.retagged changes the tag and keeps the history', () => {
      const source = { path: 'src/pay.ts', startLine: 3, endLine: 9, commit: 'abc1234', remoteUrl: 'https://example.com/x#L3-L9' };
      let noteId = '';
      const { state, script } = incident((s) => {
        noteId = s.add('note.added', { text: 'pool exhausted?', tag: 'guess', source }, { at: 2, by: BOB }).id;
        s.add('note.retagged', { noteId, tag: 'refuted' }, { at: 4, by: CAROL });
      });
      assert.equal(state.notes.length, 1);
      const note = state.notes[0];
      assert.ok(note);
      assert.deepEqual(
        { id: note.id, text: note.text, originalTag: note.originalTag, tag: note.tag, actor: note.actor, source: note.source, at: note.at },
        { id: noteId, text: 'pool exhausted?', originalTag: 'guess', tag: 'refuted', actor: BOB, source, at: script.time(2) },
      );
      assert.deepEqual(note.tagHistory, [
        { tag: 'guess', at: script.time(2), seq: 2, by: BOB },
        { tag: 'refuted', at: script.time(4), seq: 3, by: CAROL },
      ]);
    });

    it('a retag of an unknown note stays on the timeline only', () => {
      const { state } = incident((s) => s.add('note.retagged', { noteId: uuid(999), tag: 'fact' }));
      assert.equal(state.notes.length, 0);
      assert.equal(state.timeline.length, 2);
      assert.equal(state.headSeq, 2);
    });

    it('deploy.flagged records the suspect deploy', () => {
      const { state, script } = incident((s) => s.add('deploy.flagged', { ref: 'v2.14.0', sha: 'abc1234', reason: 'timing' }, { at: 3, by: BOB }));
      assert.deepEqual(state.flaggedDeploys, [{ ref: 'v2.14.0', sha: 'abc1234', reason: 'timing', at: script.time(3), seq: 2, by: BOB }]);
    });

    it('mitigation.started opens a mitigation; mitigation.finished closes it with its result', () => {
      const m = uuid(50);
      const { state, script } = incident((s) => {
        s.add('mitigation.started', { mitigationId: m, action: 'rollback', description: 'roll back', target: { ref: 'v1' }, command: './deploy.sh v1' }, { at: 4, by: BOB });
        s.add('mitigation.finished', { mitigationId: m, result: 'failed', detail: 'exit 1' }, { at: 7, by: CAROL });
      });
      assert.deepEqual(state.mitigations, [{
        id: m, action: 'rollback', description: 'roll back', target: { ref: 'v1' }, command: './deploy.sh v1',
        startedAt: script.time(4), startedSeq: 2, startedBy: BOB, state: 'failed', finishedAt: script.time(7), finishedBy: CAROL, detail: 'exit 1',
        assessments: [],
      }]);
    });

    it('a finish of an unknown mitigation stays on the timeline only', () => {
      const { state } = incident((s) => s.add('mitigation.finished', { mitigationId: uuid(51), result: 'succeeded' }));
      assert.deepEqual(state.mitigations, []);
      assert.equal(state.timeline.length, 2);
    });

    it('mitigation.assessed keeps every answer on its mitigation, latest last, with who, when and the evidence', () => {
      const m = uuid(52);
      const other = uuid(53);
      const { state, script } = incident((s) => {
        s.add('mitigation.started', { mitigationId: m, action: 'rollback', description: 'roll back' }, { at: 4, by: BOB });
        s.add('mitigation.started', { mitigationId: other, action: 'feature_flag', description: 'flag off' }, { at: 5, by: BOB });
        s.add('mitigation.finished', { mitigationId: m, result: 'succeeded' }, { at: 6, by: BOB });
        s.add('mitigation.assessed', { mitigationId: m, assessment: 'too_early' }, { at: 8, by: BOB });
        s.add('mitigation.assessed', { mitigationId: m, assessment: 'helped', evidence: 'errors back to 0.1%' }, { at: 14, by: CAROL });
      });
      assert.deepEqual(state.mitigations[0]?.assessments, [
        { assessment: 'too_early', at: script.time(8), seq: 5, by: BOB },
        { assessment: 'helped', evidence: 'errors back to 0.1%', at: script.time(14), seq: 6, by: CAROL },
      ]);
      assert.deepEqual(state.mitigations[1]?.assessments, [], 'the other mitigation is not touched');
    });

    it('an assessment of an unknown mitigation stays on the timeline only', () => {
      const { state } = incident((s) => s.add('mitigation.assessed', { mitigationId: uuid(54), assessment: 'worse', evidence: 'p99 up' }));
      assert.deepEqual(state.mitigations, []);
      assert.equal(state.timeline.length, 2);
    });

    it('update.posted records the update and its promised next time', () => {
      const { state, script } = incident((s) => s.add('update.posted', { audience: 'external', text: 'Working on it', nextUpdateBy: s.time(30) }, { at: 5, by: DAVE }));
      assert.equal(state.updates.length, 1);
      assert.deepEqual({ ...state.updates[0], id: undefined }, { id: undefined, seq: 2, at: script.time(5), by: DAVE, audience: 'external', text: 'Working on it', nextUpdateBy: script.time(30) });
    });

    it('action.added and action.updated: owner and due can be changed and cleared, done sets and clears doneAt', () => {
      let actionId = '';
      const { state: open, script } = incident((s) => {
        actionId = s.add('action.added', { title: 'Add alert', owner: BOB, due: '2026-12-01' }, { at: 10, by: ALICE }).id;
      });
      assert.deepEqual(open.actions, [{ id: actionId, seq: 2, title: 'Add alert', owner: BOB, due: '2026-12-01', done: false, createdAt: script.time(10), createdBy: ALICE }]);

      script.add('action.updated', { actionId, title: 'Add a 5xx alert', owner: CAROL, due: '2026-12-05' }, { at: 11 });
      let a = fold(ID, script.events).actions[0];
      assert.deepEqual([a?.title, a?.owner, a?.due], ['Add a 5xx alert', CAROL, '2026-12-05']);

      script.add('action.updated', { actionId, owner: null, due: null, done: true }, { at: 12 });
      a = fold(ID, script.events).actions[0];
      assert.ok(a);
      assert.equal('owner' in a, false);
      assert.equal('due' in a, false);
      assert.equal(a.done, true);
      assert.equal(a.doneAt, script.time(12));

      script.add('action.updated', { actionId, done: false }, { at: 13 });
      a = fold(ID, script.events).actions[0];
      assert.ok(a);
      assert.equal(a.done, false);
      assert.equal('doneAt' in a, false);
      assert.equal(a.title, 'Add a 5xx alert', 'fields not carried stay');
    });

    it('action.updated with issueUrl records the follow-up on the forge; a later one (the filed issue) replaces it', () => {
      let actionId = '';
      const { script } = incident((s) => { actionId = s.add('action.added', { title: 'Add alert' }, { at: 10 }).id; });
      script.add('action.updated', { actionId, issueUrl: 'https://github.com/acme/shop/issues/new?title=Add%20alert' }, { at: 11 });
      assert.equal(fold(ID, script.events).actions[0]?.issueUrl, 'https://github.com/acme/shop/issues/new?title=Add%20alert');
      script.add('action.updated', { actionId, done: true }, { at: 12 });
      script.add('action.updated', { actionId, issueUrl: 'https://github.com/acme/shop/issues/42' }, { at: 13 });
      const a = fold(ID, script.events).actions[0];
      assert.deepEqual([a?.issueUrl, a?.done, a?.title], ['https://github.com/acme/shop/issues/42', true, 'Add alert']);
    });

    it('an update of an unknown action stays on the timeline only', () => {
      const { state } = incident((s) => s.add('action.updated', { actionId: uuid(77), done: true }));
      assert.deepEqual(state.actions, []);
      assert.equal(state.timeline.length, 2);
    });

    it('triage.recorded: the latest record is the triage, every record stays in its history with seq, time and who', () => {
      // As it arrives: parsed from the wire, each record whole.
      const first = JSON.parse(`{"users":{"share":"some","text":"EU card payers","count":1200},"regions":["eu-west-1"],"routes":["/pay"],"tenants":[],
        "trend":"growing","customer":{"level":"confirmed","evidence":"31% 5xx on /pay"},"financial":{"level":"suspected"},"dataIntegrity":{"level":"none"}}`);
      const second = JSON.parse(`{"users":{"share":"few"},"regions":["eu-west-1","eu-central-1"],"routes":[],"tenants":["acme"],
        "trend":"shrinking","customer":{"level":"confirmed"},"financial":{"level":"none"},"dataIntegrity":{"level":"suspected","evidence":"2 orders charged twice"},"note":"after rollback"}`);
      const { state, script } = incident((s) => {
        s.add('note.added', { text: 'pool exhausted', tag: 'fact' }, { at: 2 });
        s.add('triage.recorded', first, { at: 5, by: BOB });
        s.add('triage.recorded', second, { at: 20, by: CAROL });
      });
      assert.deepEqual(state.triage, { ...second, seq: 4, at: script.time(20), by: CAROL });
      assert.deepEqual(state.triageHistory, [
        { ...first, seq: 3, at: script.time(5), by: BOB },
        { ...second, seq: 4, at: script.time(20), by: CAROL },
      ]);
      assert.equal(state.triage, state.triageHistory[1], 'the latest is the last of the history');
      assert.equal(state.severity, 'SEV2', 'triage suggests a severity, it never changes it');
      assert.equal(state.timeline.length, 4);
    });

    it('before any triage: none, and an empty history', () => {
      const { state } = incident();
      assert.equal(state.triage, null);
      assert.deepEqual(state.triageHistory, []);
    });

    it('workstream.opened opens a workstream with one owner; workstream.updated reassigns, closes and keeps the history', () => {
      // As it arrives: parsed from the wire.
      const opened = JSON.parse(`{"workstreamId":"${uuid(40)}","title":"Find what exhausts the pool","owner":{"id":"bob@example.com","name":"Bob Baker"},"kind":"investigate"}`);
      const { state, script } = incident((s) => {
        s.add('workstream.opened', opened, { at: 3, by: ALICE });
        s.add('workstream.opened', { workstreamId: uuid(41), title: 'Tell support', owner: DAVE, kind: 'communicate' }, { at: 4, by: ALICE });
        s.add('workstream.updated', { workstreamId: uuid(40), owner: CAROL, note: 'Bob is off shift' }, { at: 30, by: BOB });
        s.add('workstream.updated', { workstreamId: uuid(40), title: 'Find what exhausts the DB pool' }, { at: 35, by: CAROL });
        s.add('workstream.updated', { workstreamId: uuid(41), state: 'done', note: 'macro sent' }, { at: 40, by: DAVE });
      });
      assert.deepEqual(state.workstreams, [
        {
          id: uuid(40), title: 'Find what exhausts the DB pool', owner: CAROL, kind: 'investigate', state: 'open',
          openedAt: script.time(3), openedSeq: 2, openedBy: ALICE, updatedAt: script.time(35),
          history: [
            { at: script.time(30), seq: 4, by: BOB, owner: CAROL, note: 'Bob is off shift' },
            { at: script.time(35), seq: 5, by: CAROL },
          ],
        },
        {
          id: uuid(41), title: 'Tell support', owner: DAVE, kind: 'communicate', state: 'done',
          openedAt: script.time(4), openedSeq: 3, openedBy: ALICE, updatedAt: script.time(40),
          history: [{ at: script.time(40), seq: 6, by: DAVE, state: 'done', note: 'macro sent' }],
        },
      ]);
    });

    it('an update of an unknown workstream, or a second opening of a held one, stays on the timeline only', () => {
      const { state } = incident((s) => {
        s.add('workstream.updated', { workstreamId: uuid(77), state: 'done' });
        s.add('workstream.opened', { workstreamId: uuid(40), title: 'Bisect', owner: BOB, kind: 'investigate' });
        s.add('workstream.opened', { workstreamId: uuid(40), title: 'Something else', owner: CAROL, kind: 'mitigate' });
      });
      assert.equal(state.workstreams.length, 1);
      assert.equal(state.workstreams[0]?.title, 'Bisect');
      assert.deepEqual(state.workstreams[0]?.owner, BOB);
      assert.equal(state.timeline.length, 4);
    });

    it('before any workstream: none', () => {
      assert.deepEqual(incident().state.workstreams, []);
    });
  });

  describe('roles and handoffs', () => {
    it('records each holder with assumed and renounced times and the handoff brief', () => {
      const { state, script } = incident((s) => {
        s.add('role.assigned', { role: 'scribe', user: CAROL }, { at: 1, by: ALICE });
        s.add('role.assigned', { role: 'commander', user: BOB, note: 'Rollback running; next update 14:30' }, { at: 20, by: ALICE });
        s.add('role.assigned', { role: 'scribe', user: null, note: 'off shift' }, { at: 25, by: CAROL });
      });
      assert.deepEqual(state.roles.commander.holder, BOB);
      assert.deepEqual(state.roles.commander.history, [
        { user: ALICE, assumedAt: script.time(0), assumedSeq: 1, assignedBy: ALICE, renouncedAt: script.time(20), renouncedSeq: 3 },
        { user: BOB, assumedAt: script.time(20), assumedSeq: 3, assignedBy: ALICE, brief: 'Rollback running; next update 14:30' },
      ]);
      assert.equal(state.roles.scribe.holder, null, 'unassigned');
      assert.deepEqual(state.roles.scribe.history, [
        { user: CAROL, assumedAt: script.time(1), assumedSeq: 2, assignedBy: ALICE, renouncedAt: script.time(25), renouncedSeq: 4 },
      ]);
      assert.deepEqual(state.roles.tech_lead, { holder: null, history: [] });
    });

    it('assigning the current holder again changes nothing, unless it comes with a new brief', () => {
      const { state } = incident((s) => s.add('role.assigned', { role: 'commander', user: ALICE }));
      assert.equal(state.roles.commander.history.length, 1);
      assert.equal(state.roles.commander.history[0]?.renouncedAt, undefined);

      const { state: briefed } = incident((s) => s.add('role.assigned', { role: 'commander', user: ALICE, note: 'back from lunch' }, { at: 9 }));
      assert.equal(briefed.roles.commander.history.length, 2);
      assert.equal(briefed.roles.commander.history[1]?.brief, 'back from lunch');
    });

    it('unassigning an empty role records nothing', () => {
      const { state } = incident((s) => s.add('role.assigned', { role: 'scribe', user: null }));
      assert.deepEqual(state.roles.scribe, { holder: null, history: [] });
      assert.equal(state.timeline.length, 2);
    });
  });

  describe('ordering', () => {
    it('where two events disagree, the later seq wins and both stay on the timeline', () => {
      const { state } = incident((s) => {
        s.add('severity.changed', { severity: 'SEV1' }, { at: 1 });
        s.add('severity.changed', { severity: 'SEV3' }, { at: 1 });
        s.add('incident.updated', { title: 'first' }, { at: 2 });
        s.add('incident.updated', { title: 'second' }, { at: 2 });
      });
      assert.equal(state.severity, 'SEV3');
      assert.equal(state.title, 'second');
      const kinds = state.timeline.map((e) => e.kind);
      assert.deepEqual(kinds, ['incident.declared', 'severity.changed', 'severity.changed', 'incident.updated', 'incident.updated']);
    });

    it('the later seq wins even when its client clock says it happened earlier', () => {
      const { state } = incident((s) => {
        s.add('status.changed', { status: 'monitoring' }, { at: 10 });
        s.add('status.changed', { status: 'mitigating' }, { at: 5 });
      });
      assert.equal(state.status, 'mitigating');
    });

    it('a restart of a mitigation under the same id replaces it', () => {
      const m = uuid(60);
      const { state } = incident((s) => {
        s.add('mitigation.started', { mitigationId: m, action: 'restart', description: 'first try' }, { at: 1 });
        s.add('mitigation.finished', { mitigationId: m, result: 'failed' }, { at: 2 });
        s.add('mitigation.started', { mitigationId: m, action: 'restart', description: 'second try' }, { at: 3 });
      });
      assert.equal(state.mitigations.length, 1);
      assert.equal(state.mitigations[0]?.description, 'second try');
      assert.equal(state.mitigations[0]?.state, 'open');
    });

    it('events at or below headSeq are ignored by reduce and by fold', () => {
      const { state, script } = incident((s) => s.add('severity.changed', { severity: 'SEV1' }, { at: 1 }));
      const stale = script.events[1] as SequencedEvent;
      assert.equal(reduce(state, stale), state, 'the same state, not a copy');
      const replayedWithOtherData = { ...stale, data: { severity: 'SEV4' } } as SequencedEvent;
      assert.equal(reduce(state, replayedWithOtherData).severity, 'SEV1');
      const again = fold(ID, [...script.events, ...script.events]);
      assert.deepEqual(again, state);
      assert.equal(again.timeline.length, 2);
    });

    it('a second incident.declared is kept on the timeline but refounds nothing', () => {
      const { state } = incident((s) => s.add('incident.declared', { title: 'other', severity: 'SEV1', symptom: 'x' }, { at: 3, by: BOB }));
      assert.equal(state.title, 'Checkout 5xx');
      assert.equal(state.severity, 'SEV2');
      assert.deepEqual(state.roles.commander.holder, ALICE);
      assert.equal(state.timeline.length, 2);
      assert.equal(state.headSeq, 2);
    });
  });

  describe('purity', () => {
    it('reduce never mutates its input state, for any event kind', () => {
      const events = randomLog(3, 300);
      let state = deepFreeze(emptyIncident(ID));
      for (const e of events) {
        deepFreeze(e);
        const before = structuredClone(state);
        const next = reduce(state, e);
        assert.deepEqual(state, before, `reduce mutated its input on ${e.kind} #${e.seq}`);
        assert.notEqual(next, state);
        state = deepFreeze(next);
      }
    });

    it('fold never mutates the state it starts from, nor the events', () => {
      const events = randomLog(4, 120);
      const start = deepFreeze(fold(ID, events.slice(0, 60)));
      const startCopy = structuredClone(start);
      const rest = deepFreeze(events.slice(60));
      fold(ID, rest, start);
      assert.deepEqual(start, startCopy);
    });

    it('states handed out earlier do not change when later events are applied', () => {
      const { state, script } = incident((s) => s.add('role.assigned', { role: 'scribe', user: CAROL }, { at: 1 }));
      const snapshot = structuredClone(state);
      script.add('role.assigned', { role: 'scribe', user: BOB, note: 'handoff' }, { at: 2 });
      reduce(state, script.events[2] as SequencedEvent);
      assert.deepEqual(state, snapshot);
    });
  });

  describe('property: folding in steps equals folding whole', () => {
    const RUNS = 150;
    it(`for ${RUNS} random valid logs and random split points`, () => {
      for (let seed = 1; seed <= RUNS; seed++) {
        const rnd = prng(seed * 7919);
        const events = randomLog(seed, 1 + Math.floor(rnd() * 80));
        const cut = Math.floor(rnd() * (events.length + 1));
        const a = events.slice(0, cut);
        const b = events.slice(cut);
        const whole = fold(ID, [...a, ...b]);
        assert.deepEqual(fold(ID, b, fold(ID, a)), whole, `seed ${seed}, cut ${cut}: fold(b, fold(a)) differs`);
        assert.deepEqual(events.reduce(reduce, emptyIncident(ID)), whole, `seed ${seed}: reduce one by one differs`);
        // A batch overlapping what is already held (PROTOCOL.md: harmless) changes nothing either.
        const overlap = events.slice(Math.max(0, cut - Math.floor(rnd() * 5)));
        assert.deepEqual(fold(ID, overlap, fold(ID, a)), whole, `seed ${seed}, cut ${cut}: an overlapping batch differs`);
        assert.equal(whole.headSeq, events.length);
        assert.equal(whole.timeline.length, events.length);
      }
    });
  });

  describe('seqs the server declared lost', () => {
    function withHole() {
      const script = new Script();
      script.declare();
      for (let i = 2; i <= 10; i++) script.add('note.added', { text: `n${i}`, tag: 'note' });
      const before = fold(script.incidentId, script.events.slice(0, 3));
      return { script, before };
    }

    it('count as held: headSeq moves past them, the range is kept once, and the events after them fold on', () => {
      const { script, before } = withHole();
      const frozen = deepFreeze(before);
      const lost = reduceLost(frozen, { fromSeq: 4, toSeq: 6, reason: 'storage_damage' });
      assert.equal(lost.headSeq, 6);
      assert.deepEqual(lost.lost, [{ fromSeq: 4, toSeq: 6, reason: 'storage_damage' }]);
      assert.equal(lost.timeline.length, 3, 'not an event: the timeline of events is unchanged');
      assert.equal(lost.notes.length, 2, 'and nothing else changes');
      assert.deepEqual(frozen.lost, [], 'the input state is not changed');
      const after = fold(script.incidentId, script.events.slice(6), lost);
      assert.deepEqual(after.timeline.map((e) => e.seq), [1, 2, 3, 7, 8, 9, 10]);
      assert.deepEqual(after.notes.map((n) => n.text), ['n2', 'n3', 'n7', 'n8', 'n9', 'n10']);
      assert.deepEqual(after.lost, lost.lost, 'events leave the lost ranges alone');
    });

    it('a range said again, or at or below what is held, changes nothing; one after a missing seq is not applied', () => {
      const { before } = withHole();
      const lost = reduceLost(before, { fromSeq: 4, toSeq: 6, reason: 'storage_damage' });
      assert.equal(reduceLost(lost, { fromSeq: 4, toSeq: 6, reason: 'storage_damage' }), lost, 'accepted once');
      assert.equal(reduceLost(lost, { fromSeq: 2, toSeq: 5, reason: 'storage_damage' }), lost);
      assert.equal(reduceLost(before, { fromSeq: 5, toSeq: 6, reason: 'storage_damage' }), before, 'seq 4 is neither held nor lost');
      const overlapping = reduceLost(before, { fromSeq: 2, toSeq: 5, reason: 'storage_damage' });
      assert.deepEqual(overlapping.lost, [{ fromSeq: 4, toSeq: 5, reason: 'storage_damage' }], 'only what was not held');
    });
  });
});
