import assert from 'node:assert/strict';
import { handoffBrief } from '../../../src/core/handoffBrief';
import { fold } from '../../../src/core/reducer';
import { ALICE, BOB, CAROL, DAVE, Script, uuid } from './eventBuilder';

const ID = 'INC-7';

/**
 * Bob is Tech Lead from 14:10. Before that: a fact, a guess, a rollback that helped, a workstream closed. During his
 * tenure: mitigating, another fact and guess, a flag flip that did not help, a restart still running, two workstreams
 * opened (one reassigned), an action item done and one open, an external update with an ETA.
 */
function incident(): Script {
  const s = new Script(ID, '2026-11-22T14:00:00.000Z');
  s.declare({ severity: 'SEV1' }, { at: 0, by: ALICE });
  s.add('note.added', { text: 'Pool exhausted: 200/200 in use', tag: 'fact' }, { at: 2, by: CAROL });
  s.add('note.added', { text: 'Stripe latency in eu-west-1', tag: 'guess' }, { at: 3, by: CAROL });
  s.add('mitigation.started', { mitigationId: uuid(10), action: 'rollback', description: 'Roll back v2.14.0' }, { at: 4 });
  s.add('mitigation.finished', { mitigationId: uuid(10), result: 'succeeded' }, { at: 6 });
  s.add('mitigation.assessed', { mitigationId: uuid(10), assessment: 'helped', evidence: '5xx 31% → 4%' }, { at: 8 });
  s.add('workstream.opened', { workstreamId: uuid(30), title: 'Page the payments team', owner: DAVE, kind: 'communicate' }, { at: 5 });
  s.add('workstream.updated', { workstreamId: uuid(30), state: 'done' }, { at: 7, by: DAVE });
  s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 10 });
  s.add('status.changed', { status: 'mitigating' }, { at: 12 });
  s.add('note.added', { text: 'Only card payments fail; PayPal is fine', tag: 'fact' }, { at: 13, by: BOB });
  s.add('note.added', { text: 'Retry storm from checkout-api keeps the pool full', tag: 'guess' }, { at: 14, by: BOB });
  s.add('mitigation.started', { mitigationId: uuid(11), action: 'feature_flag', description: 'Turn off payments.retries' }, { at: 15, by: BOB });
  s.add('mitigation.finished', { mitigationId: uuid(11), result: 'succeeded' }, { at: 16, by: BOB });
  s.add('mitigation.assessed', { mitigationId: uuid(11), assessment: 'no_change', evidence: 'waiters still 1,400' }, { at: 25, by: BOB });
  s.add('mitigation.started', { mitigationId: uuid(12), action: 'restart', description: 'Restart payments-gateway pods' }, { at: 40, by: BOB });
  s.add('workstream.opened', { workstreamId: uuid(31), title: 'Find what holds the connections', owner: BOB, kind: 'investigate' }, { at: 17, by: BOB });
  s.add('workstream.opened', { workstreamId: uuid(32), title: 'Keep support posted', owner: CAROL, kind: 'communicate' }, { at: 18, by: ALICE });
  s.add('workstream.updated', { workstreamId: uuid(32), owner: DAVE, note: 'Carol is on the bridge' }, { at: 20 });
  const done = s.add('action.added', { title: 'Alert on pool saturation', owner: BOB, due: '2026-11-27' }, { at: 21 });
  s.add('action.added', { title: 'Load-test pool settings before payments releases', owner: ALICE }, { at: 22 });
  s.add('action.updated', { actionId: done.id, done: true }, { at: 23 });
  s.add('update.posted', { audience: 'external', text: 'Card payments fail for some EU customers', nextUpdateBy: s.time(60), eta: s.time(90) }, { at: 30 });
  return s;
}

describe('core/handoffBrief', () => {
  it('says what changed since the holder took the role and what is open now, for the one it is handed to', () => {
    const s = incident();
    const brief = handoffBrief(fold(ID, s.events), 'tech_lead', DAVE, { now: new Date(s.time(50)) });
    assert.equal(brief, [
      'Tech Lead of INC-7 (SEV1, mitigating) handed to Dave Diaz — held since 14:10 UTC (40m).',
      '',
      'Since 14:10 UTC:',
      '- status investigating → mitigating',
      '- learned: Only card payments fail; PayPal is fine',
      '',
      'Open guesses:',
      '- Retry storm from checkout-api keeps the pool full (new)',
      '- Stripe latency in eu-west-1',
      '',
      'Workstreams:',
      '- Find what holds the connections — Bob Baker (investigate)',
      '- Keep support posted — Dave Diaz (communicate)',
      '',
      'Mitigations:',
      '- Restart payments-gateway pods — running for 10m',
      '- Turn off payments.retries — succeeded; did it help? no change (waiters still 1,400)',
      '',
      'Next status update: due 15:00 UTC (in 10m).',
      'ETA last given to stakeholders: 15:30 UTC.',
      '',
      'Open action items:',
      '- Load-test pool settings before payments releases — Alice Archer',
    ].join('\n'));
  });

  it('leaves out what happened before the tenure and was settled then; keeps what is still open from before', () => {
    const s = incident();
    const brief = handoffBrief(fold(ID, s.events), 'tech_lead', DAVE, { now: new Date(s.time(50)) });
    assert.doesNotMatch(brief, /Roll back v2\.14\.0/, 'a mitigation finished and assessed before the tenure');
    assert.doesNotMatch(brief, /Pool exhausted/, 'a fact learned before the tenure');
    assert.doesNotMatch(brief, /Page the payments team/, 'a workstream closed before the tenure');
    assert.match(brief, /Stripe latency/, 'a guess from before that is still open');
  });

  it('an assessment given during the tenure brings an earlier mitigation in, with the latest answer; one never asked says so', () => {
    const s = incident();
    s.add('mitigation.assessed', { mitigationId: uuid(10), assessment: 'worse', evidence: 'errors back at 20%' }, { at: 45, by: BOB });
    s.add('mitigation.finished', { mitigationId: uuid(12), result: 'failed' }, { at: 46, by: BOB });
    const brief = handoffBrief(fold(ID, s.events), 'tech_lead', DAVE, { now: new Date(s.time(50)) });
    assert.match(brief, /- Restart payments-gateway pods — failed; did it help\? not assessed yet/);
    assert.match(brief, /- Roll back v2\.14\.0 — succeeded; did it help\? made it worse \(errors back at 20%\)/);
  });

  it('a workstream closed during the tenure is listed as closed, after the open ones', () => {
    const s = incident();
    s.add('workstream.updated', { workstreamId: uuid(31), state: 'dropped', note: 'not the pool' }, { at: 45, by: BOB });
    const brief = handoffBrief(fold(ID, s.events), 'tech_lead', DAVE, { now: new Date(s.time(50)) });
    assert.match(brief, /Workstreams:\n- Keep support posted — Dave Diaz \(communicate\)\n- dropped: Find what holds the connections \(Bob Baker\)\n/);
  });

  it('an overdue update says how late; nothing open says so in a line', () => {
    const s = new Script(ID, '2026-11-22T14:00:00.000Z');
    s.declare({ severity: 'SEV2' }, { at: 0, by: ALICE });
    const brief = handoffBrief(fold(ID, s.events), 'commander', null, { now: new Date(s.time(45)) });
    assert.equal(brief, [
      'Commander of INC-7 (SEV2, investigating) — held since 14:00 UTC (45m).',
      '',
      'Open guesses: none.',
      '',
      'Workstreams: none open.',
      '',
      'Mitigations: none since then.',
      '',
      'Next status update: overdue since 14:30 UTC (15m late).',
      '',
      'Open action items: none.',
    ].join('\n'));
  });

  it('fits the handoff note\'s limit: long lists are cut with how many more, long items end in an ellipsis', () => {
    const s = incident();
    for (let i = 0; i < 40; i++) s.add('note.added', { text: `Guess ${i}: ${'the pool '.repeat(40)}`, tag: 'guess' }, { at: 44, by: BOB });
    const state = fold(ID, s.events);
    const brief = handoffBrief(state, 'tech_lead', DAVE, { now: new Date(s.time(50)) });
    assert.ok(brief.length <= 2000, `${brief.length} characters`);
    assert.match(brief, /- Guess 39: the pool the pool .*…/);
    assert.match(brief, /- and \d+ more on the timeline/);
    assert.match(brief, /Open action items:\n- Load-test/, 'the later sections are still there');
    const tiny = handoffBrief(state, 'tech_lead', DAVE, { now: new Date(s.time(50)), maxChars: 300 });
    assert.ok(tiny.length <= 300, `${tiny.length} characters`);
  });

  it('uses the configured cadence for the next update', () => {
    const s = new Script(ID, '2026-11-22T14:00:00.000Z');
    s.declare({ severity: 'SEV2' }, { at: 0, by: ALICE });
    const brief = handoffBrief(fold(ID, s.events), 'commander', BOB, { now: new Date(s.time(5)), cadence: { SEV1: 10, SEV2: 20, SEV3: null, SEV4: null } });
    assert.match(brief, /Next status update: due 14:20 UTC \(in 15m\)\./);
  });
});
