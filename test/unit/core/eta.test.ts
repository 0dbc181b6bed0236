import assert from 'node:assert/strict';
import { currentEta, etaMoved } from '../../../src/core/eta';
import { fold } from '../../../src/core/reducer';
import { composeStatusUpdate } from '../../../src/core/statusUpdateTemplate';
import { describeEvent } from '../../../src/core/timelineText';
import { ALICE, BOB, Script } from './eventBuilder';

/** Declared at 14:00 UTC; updates as they arrive (parsed from JSON), each with the given ETA (minutes after 14:00) or none. */
function incident(etas: readonly (number | null)[]) {
  const s = new Script('INC-9', '2026-12-02T14:00:00.000Z');
  s.declare({}, { at: 0, by: ALICE });
  etas.forEach((eta, k) => {
    const data = { audience: k % 2 ? 'internal' : 'external', text: `update ${k + 1}\nsecond line`, ...(eta === null ? {} : { eta: s.time(eta) }) };
    s.add('update.posted', JSON.parse(JSON.stringify(data)), { at: 10 + k * 10, by: k % 2 ? BOB : ALICE });
  });
  return { s, state: fold(s.incidentId, s.events) };
}

describe('core/eta', () => {
  it('the ETA in force is the latest given; an update without one leaves it standing', () => {
    const { s, state } = incident([60, 90, null]);
    assert.deepEqual(currentEta(state.updates), { eta: s.time(90), givenAt: s.time(20), movedFrom: s.time(60) });
    assert.deepEqual(currentEta(state.updates, state.updates[1]!.seq), { eta: s.time(60), givenAt: s.time(10) }, 'as it stood before the second update');
    assert.equal(currentEta(incident([null]).state.updates), undefined);
  });

  it('moved: another minute; the same minute restated (a few seconds apart) is not a move', () => {
    assert.equal(etaMoved('2026-12-02T15:00:00.000Z', '2026-12-02T15:30:00.000Z'), true);
    assert.equal(etaMoved('2026-12-02T15:00:10.000Z', '2026-12-02T15:00:50.000Z'), false);
    assert.equal(etaMoved(undefined, '2026-12-02T15:00:00.000Z'), false, 'the first ETA moves nothing');
    assert.equal(etaMoved('2026-12-02T15:00:00.000Z', undefined), false);
  });

  it('the timeline entry of an update that moved it says so on its first line; one that kept it states it', () => {
    const { s, state } = incident([60, 90, 90, null]);
    const lines = s.events.slice(1).map((e) => describeEvent(e, state).split('\n')[0]);
    assert.deepEqual(lines, [
      'External update (ETA 15:00 UTC): update 1',
      'Internal update (ETA moved from 15:00 UTC to 15:30 UTC): update 2',
      'External update (ETA 15:30 UTC): update 3',
      'Internal update: update 4',
    ]);
  });

  it('the next draft says the ETA moved, internal and external; a first ETA is stated; none, nothing', () => {
    const { s, state } = incident([60]);
    const now = new Date(s.time(20));
    const internal = composeStatusUpdate(state, 'internal', { now, eta: s.time(90) }).text;
    assert.match(internal, /^ETA moved from 15:00 UTC to 15:30 UTC \(estimate\)\.$/m);
    const external = composeStatusUpdate(state, 'external', { now, eta: s.time(90) }).text;
    assert.match(external, /^We expect to restore normal service by about 15:30 UTC \(ETA moved from 15:00 UTC to 15:30 UTC\)\. This is an estimate\.$/m);
    assert.match(composeStatusUpdate(state, 'internal', { now, eta: s.time(60) }).text, /^ETA: 15:00 UTC \(estimate\)\.$/m, 'the same ETA again is not a move');
    assert.doesNotMatch(composeStatusUpdate(state, 'external', { now }).text, /ETA|estimate/);
    const first = incident([]);
    assert.match(composeStatusUpdate(first.state, 'internal', { now, eta: s.time(45) }).text, /^ETA: 14:45 UTC \(estimate\)\.$/m);
  });
});
