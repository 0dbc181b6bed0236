import assert from 'node:assert/strict';
import { assessmentAsks, awaitingAssessment } from '../../../src/core/assessmentPolicy';
import type { IncidentState } from '../../../src/core/incidentState';
import { fold } from '../../../src/core/reducer';
import { ALICE, BOB, CAROL, Script, uuid } from './eventBuilder';

const M = uuid(7);
const RECHECK = 5;

/** Alice declares (commander), Bob runs a rollback from minute 2 to 4, then `more`. The events go through JSON, as they arrive. */
function incident(more: (s: Script) => void = () => undefined): { state: IncidentState; script: Script } {
  const script = new Script();
  script.declare({}, { at: 0, by: ALICE });
  script.add('mitigation.started', { mitigationId: M, action: 'rollback', description: 'Roll back v42' }, { at: 2, by: BOB });
  script.add('mitigation.finished', { mitigationId: M, result: 'succeeded' }, { at: 4, by: BOB });
  more(script);
  return { state: fold(script.incidentId, JSON.parse(JSON.stringify(script.events))), script };
}
const ms = (script: Script, minutes: number) => Date.parse(script.time(minutes));

describe('core/assessmentPolicy', () => {
  it('with the Commander seat empty, the one who ran it is still asked', () => {
    const { state, script } = incident((s) => s.add('role.assigned', { role: 'commander', user: null }, { at: 3, by: ALICE }));
    const now = ms(script, 4);
    assert.deepEqual(assessmentAsks(state, BOB, now, RECHECK).due.map((a) => a.mitigation.id), [M]);
    assert.deepEqual(assessmentAsks(state, ALICE, now, RECHECK).due, [], 'no longer Commander: not interrupted');
  });

  it('asks the one who ran it and the Commander once it finished, and nobody else', () => {
    const { state, script } = incident();
    const now = ms(script, 4);
    for (const who of [BOB, ALICE]) {
      const { due } = assessmentAsks(state, who, now, RECHECK);
      assert.deepEqual(due.map((a) => [a.mitigation.id, a.dueAt, a.again]), [[M, now, false]], who.name);
    }
    assert.deepEqual(assessmentAsks(state, CAROL, now, RECHECK).due, [], 'a watcher is not interrupted');
  });

  it('asks nothing while the mitigation runs', () => {
    const script = new Script();
    script.declare({}, { at: 0, by: ALICE });
    script.add('mitigation.started', { mitigationId: M, action: 'rollback', description: 'Roll back v42' }, { at: 2, by: ALICE });
    const state = fold(script.incidentId, script.events);
    assert.deepEqual(assessmentAsks(state, ALICE, ms(script, 30), RECHECK), { due: [], nextAt: undefined });
  });

  it('a new Commander is asked what is still unanswered; the one who handed it off only for what they ran', () => {
    const { state, script } = incident((s) => s.add('role.assigned', { role: 'commander', user: CAROL }, { at: 5, by: ALICE }));
    assert.equal(assessmentAsks(state, CAROL, ms(script, 6), RECHECK).due.length, 1);
    assert.equal(assessmentAsks(state, ALICE, ms(script, 6), RECHECK).due.length, 0);
  });

  it('too early re-asks after the recheck minutes, counted from the answer', () => {
    const { state, script } = incident((s) => s.add('mitigation.assessed', { mitigationId: M, assessment: 'too_early' }, { at: 6, by: BOB }));
    const before = assessmentAsks(state, BOB, ms(script, 10), RECHECK);
    assert.deepEqual(before.due, []);
    assert.equal(before.nextAt, ms(script, 11), 'the next ask is 5 minutes after the answer at minute 6');
    const after = assessmentAsks(state, BOB, ms(script, 11), RECHECK);
    assert.deepEqual(after.due.map((a) => [a.dueAt, a.again]), [[ms(script, 11), true]]);
    assert.equal(assessmentAsks(state, BOB, ms(script, 8), 2).due.length, 1, 'a shorter recheck asks sooner');
  });

  for (const answer of ['helped', 'no_change', 'worse'] as const) {
    it(`not again once answered ${answer}, also after too early`, () => {
      const { state, script } = incident((s) => {
        s.add('mitigation.assessed', { mitigationId: M, assessment: 'too_early' }, { at: 6, by: BOB });
        s.add('mitigation.assessed', { mitigationId: M, assessment: answer, evidence: '5xx back to 0.1%' }, { at: 12, by: CAROL });
      });
      assert.deepEqual(assessmentAsks(state, BOB, ms(script, 120), RECHECK), { due: [], nextAt: undefined });
      assert.equal(awaitingAssessment(state.mitigations[0]!, RECHECK), undefined);
    });
  }

  it('a failed run is asked too (it may have changed things half-way)', () => {
    const script = new Script();
    script.declare({}, { at: 0, by: ALICE });
    script.add('mitigation.started', { mitigationId: M, action: 'feature_flag', description: 'Flag off' }, { at: 2, by: ALICE });
    script.add('mitigation.finished', { mitigationId: M, result: 'failed', detail: 'exit 1' }, { at: 3, by: ALICE });
    assert.equal(assessmentAsks(fold(script.incidentId, script.events), ALICE, ms(script, 3), RECHECK).due.length, 1);
  });

  it('nobody is interrupted once the incident is resolved', () => {
    const { state, script } = incident((s) => s.add('status.changed', { status: 'resolved' }, { at: 9, by: ALICE }));
    assert.deepEqual(assessmentAsks(state, ALICE, ms(script, 10), RECHECK), { due: [], nextAt: undefined });
    assert.ok(awaitingAssessment(state.mitigations[0]!, RECHECK), 'the row still shows it unanswered');
  });

  it('several waiting: oldest first', () => {
    const n = uuid(8);
    const { state, script } = incident((s) => {
      s.add('mitigation.started', { mitigationId: n, action: 'scale', description: 'Scale out' }, { at: 1, by: BOB });
      s.add('mitigation.finished', { mitigationId: n, result: 'succeeded' }, { at: 3, by: BOB });
    });
    assert.deepEqual(assessmentAsks(state, BOB, ms(script, 5), RECHECK).due.map((a) => a.mitigation.id), [n, M]);
  });
});
