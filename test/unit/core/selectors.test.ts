import assert from 'node:assert/strict';
import type { IncidentState } from '../../../src/core/incidentState';
import { fold } from '../../../src/core/reducer';
import { decisions, facts, openGuesses, openMitigations, refutedGuesses, ROLE_LABELS, rolesOf } from '../../../src/core/selectors';
import { ALICE, BOB, CAROL, Script, uuid } from './eventBuilder';

describe('core/selectors', () => {
  const s = new Script();
  s.declare({}, { at: 0, by: ALICE });
  s.add('note.added', { text: 'error rate up', tag: 'fact' }, { at: 1 });
  const pool = s.add('note.added', { text: 'pool exhausted', tag: 'guess' }, { at: 2 });
  s.add('note.added', { text: 'bad deploy', tag: 'guess' }, { at: 3 });
  const confirmed = s.add('note.added', { text: 'cache cold', tag: 'guess' }, { at: 4 });
  s.add('note.added', { text: 'roll back', tag: 'decision' }, { at: 5 });
  s.add('note.retagged', { noteId: pool.id, tag: 'refuted' }, { at: 6 });
  s.add('note.retagged', { noteId: confirmed.id, tag: 'fact' }, { at: 7 });
  s.add('mitigation.started', { mitigationId: uuid(1), action: 'restart', description: 'restart pods' }, { at: 8 });
  s.add('mitigation.started', { mitigationId: uuid(2), action: 'scale', description: 'scale out' }, { at: 9 });
  s.add('mitigation.finished', { mitigationId: uuid(1), result: 'cancelled' }, { at: 10 });
  s.add('role.assigned', { role: 'scribe', user: BOB }, { at: 11 });
  s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 11 });
  // Folded for each test, not when the file loads (see core/postmortem's tests).
  let state: IncidentState;
  beforeEach(() => {
    state = fold('INC-7', s.events);
  });

  it('facts include guesses confirmed later', () => assert.deepEqual(facts(state).map((n) => n.text), ['error rate up', 'cache cold']));
  it('open guesses are neither confirmed nor refuted', () => assert.deepEqual(openGuesses(state).map((n) => n.text), ['bad deploy']));
  it('refuted guesses', () => assert.deepEqual(refutedGuesses(state).map((n) => n.text), ['pool exhausted']));
  it('decisions', () => assert.deepEqual(decisions(state).map((n) => n.text), ['roll back']));
  it('open mitigations exclude finished ones, cancelled included', () => assert.deepEqual(openMitigations(state).map((m) => m.description), ['scale out']));
  it('rolesOf lists the roles a user holds now', () => {
    assert.deepEqual(rolesOf(state, BOB.id).sort(), ['scribe', 'tech_lead']);
    assert.deepEqual(rolesOf(state, ALICE.id), ['commander']);
    assert.deepEqual(rolesOf(state, CAROL.id), []);
  });
  it('role labels read as people say them', () => {
    assert.deepEqual(ROLE_LABELS, { commander: 'Commander', tech_lead: 'Tech Lead', communications: 'Communications', scribe: 'Scribe' });
  });
});
