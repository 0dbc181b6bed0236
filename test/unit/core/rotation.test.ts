import assert from 'node:assert/strict';
import { fold } from '../../../src/core/reducer';
import { rotationsDue, tenureKey } from '../../../src/core/rotation';
import { ALICE, BOB, Script } from './eventBuilder';

const ID = 'INC-7';
const never = () => false;

/** Alice declares (commander from 14:00), Bob is Tech Lead from 14:30. */
function incident(severity: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4' = 'SEV1'): Script {
  const s = new Script(ID, '2026-11-22T14:00:00.000Z');
  s.declare({ severity }, { at: 0, by: ALICE });
  s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 30 });
  return s;
}

describe('core/rotation', () => {
  it('reminds the holder once the role has been held for the threshold, not a minute before', () => {
    const s = incident();
    const state = fold(ID, s.events);
    assert.deepEqual(rotationsDue(state, ALICE.id, Date.parse(s.time(119)), 120, never), []);
    assert.deepEqual(rotationsDue(state, ALICE.id, Date.parse(s.time(120)), 120, never), [
      { role: 'commander', key: tenureKey(ID, 'commander', 1), since: s.time(0), heldMinutes: 120 },
    ]);
    assert.deepEqual(rotationsDue(state, BOB.id, Date.parse(s.time(120)), 120, never), [], 'Bob has held his for 90 minutes');
    assert.equal(rotationsDue(state, BOB.id, Date.parse(s.time(150)), 120, never)[0]?.role, 'tech_lead');
  });

  it('once per tenure: a reminded tenure is not reminded again; a new tenure of the same role is', () => {
    const s = incident();
    const reminded = new Set<string>();
    const due = rotationsDue(fold(ID, s.events), BOB.id, Date.parse(s.time(160)), 120, (k) => reminded.has(k));
    assert.equal(due.length, 1);
    reminded.add(due[0]!.key);
    assert.deepEqual(rotationsDue(fold(ID, s.events), BOB.id, Date.parse(s.time(200)), 120, (k) => reminded.has(k)), []);
    // Bob hands off to Alice and takes it back: a new tenure, reminded again once it is long enough.
    s.add('role.assigned', { role: 'tech_lead', user: ALICE, note: 'brief' }, { at: 201, by: BOB });
    s.add('role.assigned', { role: 'tech_lead', user: BOB, note: 'back' }, { at: 230, by: ALICE });
    const again = fold(ID, s.events);
    assert.deepEqual(rotationsDue(again, BOB.id, Date.parse(s.time(300)), 120, (k) => reminded.has(k)), []);
    assert.deepEqual(rotationsDue(again, BOB.id, Date.parse(s.time(350)), 120, (k) => reminded.has(k)).map((d) => d.key), [tenureKey(ID, 'tech_lead', 4)]);
  });

  it('only SEV1 and SEV2, and never once resolved', () => {
    for (const [severity, expected] of [['SEV1', 1], ['SEV2', 1], ['SEV3', 0], ['SEV4', 0]] as const) {
      const s = incident(severity);
      assert.equal(rotationsDue(fold(ID, s.events), ALICE.id, Date.parse(s.time(200)), 120, never).length, expected, severity);
    }
    const s = incident('SEV3');
    s.add('severity.changed', { severity: 'SEV2' }, { at: 60 });
    assert.equal(rotationsDue(fold(ID, s.events), ALICE.id, Date.parse(s.time(200)), 120, never).length, 1, 'raised to SEV2: the time held counts from the tenure');
    s.add('status.changed', { status: 'resolved' }, { at: 190 });
    assert.deepEqual(rotationsDue(fold(ID, s.events), ALICE.id, Date.parse(s.time(200)), 120, never), []);
  });

  it('a threshold of 0 or none turns it off; roles someone else holds are not mine to be reminded of', () => {
    const s = incident();
    const state = fold(ID, s.events);
    assert.deepEqual(rotationsDue(state, ALICE.id, Date.parse(s.time(500)), 0, never), []);
    assert.deepEqual(rotationsDue(state, ALICE.id, Date.parse(s.time(500)), null, never), []);
    assert.deepEqual(rotationsDue(state, 'erin@example.com', Date.parse(s.time(500)), 120, never), []);
  });
});
