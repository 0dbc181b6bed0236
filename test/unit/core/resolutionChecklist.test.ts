import * as assert from 'node:assert/strict';
import { EventData } from '../../../src/protocol/events';
import type { Signal } from '../../../src/protocol/messages';
import { fold } from '../../../src/core/reducer';
import {
  checklistComplete, firingLinkedSignals, missingItems, recordedAnswers, resolutionChecklist, resolutionCheckedData,
} from '../../../src/core/resolutionChecklist';
import { BOB, Script } from './eventBuilder';
import { scriptedIncident } from './scriptedIncident';

const FP = 'a1b2c3d4e5f60718';
const OTHER = '0f0e0d0c0b0a0908';

// Signals arrive as JSON from the channel: parsed, not built from one shared object.
const signal = (over: Record<string, unknown>): Signal => JSON.parse(JSON.stringify({
  fingerprint: FP, status: 'firing', labels: { alertname: 'HighErrorRate' }, annotations: {},
  startsAt: '2026-11-22T14:01:00.000Z', endsAt: null, generatorURL: null, incidentId: 'INC-7',
  receivedAt: '2026-11-22T14:01:05.000Z', updatedAt: '2026-11-22T14:01:05.000Z', ...over,
})) as Signal;

/** A SEV2 declared at 14:02 with HighErrorRate linked; `steps` adds the rest. */
function incident(steps: (s: Script) => void = () => {}) {
  const s = new Script('INC-7');
  s.declare({}, { at: 2 });
  s.add('signal.linked', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(1) }, { at: 2 });
  steps(s);
  return fold('INC-7', s.events);
}

const at = (s: Script, minutes: number) => Date.parse(s.time(minutes));
const item = (c: ReturnType<typeof resolutionChecklist>, key: string) => c.items.find((i) => i.key === key)!;

describe('resolutionChecklist', () => {
  it('a bare incident: the linked alert still fires, never monitored, no root cause, nothing filed', () => {
    const s = new Script('INC-7');
    const c = resolutionChecklist(incident(), [signal({})], at(s, 30));
    assert.deepEqual(c.items.map((i) => [i.key, i.met]), [
      ['impactStopped', false], ['monitored', false], ['rootCauseKnown', false], ['followUpFiled', false],
    ]);
    assert.equal(item(c, 'impactStopped').detail, 'HighErrorRate still firing');
    assert.equal(item(c, 'monitored').detail, 'never in monitoring');
    assert.equal(item(c, 'rootCauseKnown').detail, 'no note tagged root-cause');
    assert.deepEqual(c.firingSignals.map((f) => f.fingerprint), [FP]);
  });

  it('all met: the alert resolved, 20 min in monitoring, a root-cause note, an action item with its issue', () => {
    let now = 0;
    const state = incident((s) => {
      s.add('status.changed', { status: 'monitoring' }, { at: 10 });
      s.add('note.added', { text: 'Pool size halved by the config change', tag: 'root-cause' }, { at: 12, by: BOB });
      const a = s.add('action.added', { title: 'Restore the pool size' }, { at: 13 });
      s.add('action.updated', { actionId: a.id, issueUrl: 'https://github.com/acme/shop/issues/42' }, { at: 14 });
      now = at(s, 30);
    });
    const c = resolutionChecklist(state, [signal({ status: 'resolved', endsAt: '2026-11-22T14:20:00.000Z' })], now);
    assert.ok(c.items.every((i) => i.met), JSON.stringify(c.items));
    assert.equal(item(c, 'monitored').detail, '20m in monitoring');
    assert.equal(item(c, 'rootCauseKnown').detail, '1 root-cause note');
    assert.equal(item(c, 'followUpFiled').detail, '1 action item, 1 open, 1 on the forge');
    assert.deepEqual(c.firingSignals, []);
  });

  it('asks the four questions in order, and says what the record shows when impact stopped', () => {
    const c = resolutionChecklist(incident(), [signal({ status: 'resolved', endsAt: '2026-11-22T14:20:00.000Z' })], at(new Script(), 30));
    assert.deepEqual(c.items.map((i) => i.label), ['Impact has stopped', 'Watched it hold in monitoring', 'Root cause known', 'Follow-up filed']);
    assert.deepEqual(item(c, 'impactStopped'), { key: 'impactStopped', label: 'Impact has stopped', met: true, detail: 'confirm users are fine again' });
    assert.deepEqual(item(c, 'followUpFiled'), { key: 'followUpFiled', label: 'Follow-up filed', met: false, detail: 'no action item' });
  });

  it('names every linked alert still firing', () => {
    const c = resolutionChecklist(incident(), [signal({}), signal({ fingerprint: OTHER, labels: { alertname: 'Latency' } })], 0);
    assert.equal(item(c, 'impactStopped').detail, 'HighErrorRate, Latency still firing');
  });

  it('counts root-cause notes and action items: how many, how many open, how many on the forge', () => {
    const state = incident((s) => {
      s.add('note.added', { text: 'Pool size halved', tag: 'root-cause' }, { at: 5, by: BOB });
      s.add('note.added', { text: 'No alert on pool usage', tag: 'root-cause' }, { at: 6, by: BOB });
      const a = s.add('action.added', { title: 'Restore the pool size' }, { at: 7 });
      s.add('action.added', { title: 'Alert on pool usage' }, { at: 8 });
      s.add('action.updated', { actionId: a.id, done: true }, { at: 9 });
    });
    const c = resolutionChecklist(state, [], 0);
    assert.equal(item(c, 'rootCauseKnown').detail, '2 root-cause notes');
    assert.equal(item(c, 'followUpFiled').detail, '2 action items, 1 open');
    const filed = incident((s) => {
      const a = s.add('action.added', { title: 'Restore the pool size' }, { at: 7 });
      const b = s.add('action.added', { title: 'Alert on pool usage' }, { at: 8 });
      s.add('action.updated', { actionId: a.id, done: true, issueUrl: 'https://github.com/acme/shop/issues/42' }, { at: 9 });
      s.add('action.updated', { actionId: b.id, done: true }, { at: 10 });
    });
    assert.equal(item(resolutionChecklist(filed, [], 0), 'followUpFiled').detail, '2 action items, 1 on the forge');
    const oneDone = incident((s) => {
      const a = s.add('action.added', { title: 'Restore the pool size' }, { at: 7 });
      s.add('action.updated', { actionId: a.id, done: true }, { at: 8 });
    });
    assert.equal(item(resolutionChecklist(oneDone, [], 0), 'followUpFiled').detail, '1 action item');
  });

  it('monitoring counts every stint, also one that ended (back to mitigating)', () => {
    let now = 0;
    const state = incident((s) => {
      s.add('status.changed', { status: 'monitoring' }, { at: 10 });
      s.add('status.changed', { status: 'mitigating' }, { at: 15 });
      s.add('status.changed', { status: 'monitoring' }, { at: 40 });
      now = at(s, 43);
    });
    assert.equal(item(resolutionChecklist(state, [], now), 'monitored').detail, '8m in monitoring');
  });

  it('a root cause retagged away no longer counts; a guess retagged root-cause does', () => {
    const state = incident((s) => {
      const rc = s.add('note.added', { text: 'DNS', tag: 'root-cause' }, { at: 5 });
      s.add('note.retagged', { noteId: rc.id, tag: 'refuted' }, { at: 6 });
    });
    assert.equal(item(resolutionChecklist(state, [], 0), 'rootCauseKnown').met, false);
    const later = incident((s) => {
      const g = s.add('note.added', { text: 'Pool too small', tag: 'guess' }, { at: 5 });
      s.add('note.retagged', { noteId: g.id, tag: 'root-cause' }, { at: 6 });
    });
    assert.equal(item(resolutionChecklist(later, [], 0), 'rootCauseKnown').met, true);
  });

  describe('firing linked signals', () => {
    it('local mode (no live signals): a linked alert fires until its signal.resolved', () => {
      const firing = incident();
      assert.deepEqual(firingLinkedSignals(firing, []).map((f) => f.name), ['HighErrorRate']);
      const resolved = incident((s) => s.add('signal.resolved', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(1), endsAt: s.time(20) }, { at: 20 }));
      assert.deepEqual(firingLinkedSignals(resolved, []), []);
    });

    it('an alert that fired again after its resolution (a later start) still fires', () => {
      const again = incident((s) => {
        s.add('signal.resolved', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(1), endsAt: s.time(20) }, { at: 20 });
        s.add('signal.linked', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(25) }, { at: 25 });
      });
      assert.deepEqual(firingLinkedSignals(again, []).map((f) => f.startsAt), [new Script().time(25)]);
    });

    it('a late resolution of an earlier firing does not end the alert that fired again', () => {
      const again = incident((s) => {
        s.add('signal.linked', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(25) }, { at: 25 });
        // The resolution of the first firing (started 14:01) is told after the alert was linked again.
        s.add('signal.resolved', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(1), endsAt: s.time(20) }, { at: 26 });
      });
      assert.deepEqual(firingLinkedSignals(again, []).map((f) => f.startsAt), [new Script().time(25)]);
    });

    it('a resolution of an alert the timeline never linked changes nothing', () => {
      const state = incident((s) => s.add('signal.resolved', { fingerprint: OTHER, alertname: 'Latency', startsAt: s.time(3), endsAt: s.time(9) }, { at: 9 }));
      assert.deepEqual(firingLinkedSignals(state, []).map((f) => f.name), ['HighErrorRate']);
    });

    it('the live signal decides over the timeline; alerts of other incidents or not firing are left out', () => {
      const state = incident();
      assert.deepEqual(firingLinkedSignals(state, [signal({ status: 'resolved', endsAt: '2026-11-22T14:20:00.000Z' })]), []);
      const others = [signal({ fingerprint: OTHER, incidentId: 'INC-8' }), signal({ fingerprint: FP, status: 'resolved', endsAt: '2026-11-22T14:20:00.000Z' })];
      assert.deepEqual(firingLinkedSignals(state, others), []);
      // Linked by the server to this incident, but not (yet) on the folded timeline: it still counts.
      assert.deepEqual(firingLinkedSignals(state, [signal({ fingerprint: OTHER, labels: { alertname: 'Latency' } }), signal({ status: 'resolved', endsAt: '2026-11-22T14:20:00.000Z' })]).map((f) => f.name), ['Latency']);
    });
  });

  describe('answers', () => {
    it('complete needs impact stopped, monitored, and the root cause or a follow-up', () => {
      const all = { impactStopped: true, monitored: true, rootCauseKnown: true, followUpFiled: true };
      assert.equal(checklistComplete(all), true);
      assert.equal(checklistComplete({ ...all, rootCauseKnown: false }), true, 'a follow-up filed is enough');
      assert.equal(checklistComplete({ ...all, followUpFiled: false }), true, 'a known root cause is enough');
      assert.equal(checklistComplete({ ...all, rootCauseKnown: false, followUpFiled: false }), false);
      assert.equal(checklistComplete({ ...all, monitored: false }), false);
      assert.equal(checklistComplete({ ...all, impactStopped: false }), false);
      assert.deepEqual(missingItems({ ...all, monitored: false, followUpFiled: false }), ['monitored', 'followUpFiled']);
    });

    it('the event carries the answers, the fingerprints still firing and the trimmed note; the wire schema accepts it', () => {
      const c = resolutionChecklist(incident(), [], 0);
      const data = resolutionCheckedData(c, { ...recordedAnswers(c), impactStopped: true }, '  never monitored: the fix was a config revert  ');
      assert.deepEqual(data, {
        impactStopped: true, monitored: false, rootCauseKnown: false, followUpFiled: false, firingSignals: [FP],
        note: 'never monitored: the fix was a config revert',
      });
      assert.ok(EventData['resolution.checked'].safeParse(data).success);
      const none = resolutionCheckedData(resolutionChecklist(incident((s) => s.add('signal.resolved', { fingerprint: FP, alertname: 'HighErrorRate', startsAt: s.time(1), endsAt: s.time(9) }, { at: 9 })), [], 0), recordedAnswers(c), ' ');
      assert.equal('firingSignals' in none, false);
      assert.equal('note' in none, false);
    });

    it('without a note the event has none; a storm of firing alerts and a long note are cut to what the wire schema takes', () => {
      const c = resolutionChecklist(incident(), [], 0);
      const plain = resolutionCheckedData(c, recordedAnswers(c));
      assert.equal('note' in plain, false);
      assert.ok(EventData['resolution.checked'].safeParse(plain).success);
      const storm = Array.from({ length: 130 }, (_, k) => signal({ fingerprint: `storm-${k}`, labels: { alertname: `Pod${k}Down` } }));
      const big = resolutionChecklist(incident(), storm, 0);
      const data = resolutionCheckedData(big, recordedAnswers(big), 'n'.repeat(2500));
      assert.equal(big.firingSignals.length, 131);
      assert.deepEqual(data.firingSignals, storm.slice(0, 100).map((x) => x.fingerprint));
      assert.equal(data.note, 'n'.repeat(2000));
      assert.ok(EventData['resolution.checked'].safeParse(data).success);
    });

    it('recorded answers of the scripted incident: monitored, impact stopped, a follow-up filed, no root-cause note', () => {
      const { id, events } = scriptedIncident();
      const state = fold(id, events);
      const answers = recordedAnswers(resolutionChecklist(state, [], Date.parse(state.timeline.at(-1)!.at)));
      assert.equal(answers.monitored, true);
      assert.equal(answers.impactStopped, true);
      assert.equal(answers.followUpFiled, true);
    });
  });
});
