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

/**
 * Alice declared at 14:00 (SEV2) and is Commander; Bob is Tech Lead from 14:05; nobody holds Communications. Before
 * 14:05: a restart that is still running, a workstream opened, identified, SEV1. Since: mitigating, back to SEV2, a
 * fact, the workstream done, a flag flip that helped (no evidence given), an action item with a date and no owner,
 * two updates that gave an ETA (the later one earlier).
 */
function shifts(): Script {
  const s = new Script(ID, '2026-11-22T14:00:00.000Z');
  s.declare({ severity: 'SEV2' }, { at: 0, by: ALICE });
  s.add('mitigation.started', { mitigationId: uuid(20), action: 'restart', description: 'Restart payments-gateway pods' }, { at: 2, by: BOB });
  s.add('workstream.opened', { workstreamId: uuid(40), title: 'Page the DBA', owner: CAROL, kind: 'communicate' }, { at: 2 });
  s.add('status.changed', { status: 'identified' }, { at: 3 });
  s.add('severity.changed', { severity: 'SEV1', reason: 'all EU checkouts fail' }, { at: 4 });
  s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 5 });
  s.add('status.changed', { status: 'mitigating' }, { at: 8 });
  s.add('severity.changed', { severity: 'SEV2', reason: 'recovering' }, { at: 9 });
  s.add('note.added', { text: 'Only card payments fail', tag: 'fact' }, { at: 10, by: BOB });
  s.add('workstream.updated', { workstreamId: uuid(40), state: 'done' }, { at: 11, by: CAROL });
  s.add('mitigation.started', { mitigationId: uuid(21), action: 'feature_flag', description: 'Turn off payments.retries' }, { at: 12, by: BOB });
  s.add('mitigation.finished', { mitigationId: uuid(21), result: 'succeeded' }, { at: 13, by: BOB });
  s.add('mitigation.assessed', { mitigationId: uuid(21), assessment: 'helped' }, { at: 14, by: BOB });
  s.add('action.added', { title: 'Fix the retry budget', due: '2026-11-30' }, { at: 15 });
  s.add('update.posted', { audience: 'external', text: 'Card payments fail for some EU customers', eta: s.time(120) }, { at: 16, by: DAVE });
  s.add('update.posted', { audience: 'internal', text: 'Retries off; recovering', eta: s.time(90) }, { at: 17, by: DAVE });
  return s;
}

describe('core/handoffBrief: what changed, as each holder saw it', () => {
  it('status and severity read from the value the holder found to the one now; a workstream opened before and closed during counts', () => {
    const s = shifts();
    const brief = handoffBrief(fold(ID, JSON.parse(JSON.stringify(s.events))), 'tech_lead', DAVE, { now: new Date(s.time(30)) });
    assert.equal(brief, [
      'Tech Lead of INC-7 (SEV2, mitigating) handed to Dave Diaz — held since 14:05 UTC (25m).',
      '',
      'Since 14:05 UTC:',
      '- status identified → mitigating',
      '- severity SEV1 → SEV2',
      '- learned: Only card payments fail',
      '',
      'Open guesses: none.',
      '',
      'Workstreams:',
      '- done: Page the DBA (Carol Chen)',
      '',
      'Mitigations:',
      '- Turn off payments.retries — succeeded; did it help? helped',
      '- Restart payments-gateway pods — running for 28m',
      '',
      'Next status update: due 14:47 UTC (in 17m).',
      'ETA last given to stakeholders: 15:30 UTC.',
      '',
      'Open action items:',
      '- Fix the retry budget — due 2026-11-30',
    ].join('\n'));
  });

  it('the one who declared it sees the changes from the declared values on', () => {
    const s = shifts();
    const brief = handoffBrief(fold(ID, s.events), 'commander', null, { now: new Date(s.time(30)) });
    assert.match(brief, /^Commander of INC-7 \(SEV2, mitigating\) — held since 14:00 UTC \(30m\)\.\n\nSince 14:00 UTC:\n/);
    assert.match(brief, /\n- status investigating → identified → mitigating\n- severity SEV2 → SEV1 → SEV2\n- learned: Only card payments fail\n/);
  });

  it('a role nobody holds gets everything since the declaration, and no "held since"', () => {
    const s = shifts();
    const brief = handoffBrief(fold(ID, s.events), 'communications', CAROL, { now: new Date(s.time(30)) });
    assert.match(brief, /^Communications of INC-7 \(SEV2, mitigating\) handed to Carol Chen\.\n\nSince 14:00 UTC:\n/);
    assert.match(brief, /\n- status investigating → identified → mitigating\n- severity SEV2 → SEV1 → SEV2\n/);
    assert.doesNotMatch(brief, /held since/);
  });
});

describe('core/handoffBrief: the next update and the ETA', () => {
  function withEta(etaMinutes: number) {
    const s = new Script(ID, '2026-11-22T14:00:00.000Z');
    s.declare({ severity: 'SEV2' }, { at: 0, by: ALICE });
    s.add('update.posted', { audience: 'external', text: 'Rolling back', eta: s.time(etaMinutes) }, { at: 10 });
    return { s, state: fold(ID, s.events) };
  }

  it('an ETA that has come is not repeated as the one given to stakeholders', () => {
    const ahead = withEta(40);
    assert.match(handoffBrief(ahead.state, 'commander', BOB, { now: new Date(ahead.s.time(39)) }), /\nETA last given to stakeholders: 14:40 UTC\.\n/);
    for (const now of [40, 55]) {
      const past = withEta(40);
      assert.doesNotMatch(handoffBrief(past.state, 'commander', BOB, { now: new Date(past.s.time(now)) }), /ETA/, `at 14:${now}`);
    }
  });

  it('no update due (a severity with no cadence) says so', () => {
    const s = new Script(ID, '2026-11-22T14:00:00.000Z');
    s.declare({ severity: 'SEV4' }, { at: 0, by: ALICE });
    const brief = handoffBrief(fold(ID, s.events), 'commander', BOB, { now: new Date(s.time(45)) });
    assert.match(brief, /\n\nNext status update: none due\.\n\nOpen action items: none\.$/);
  });
});

describe('core/handoffBrief: fitting the limit', () => {
  function guesses(texts: readonly string[]) {
    const s = new Script(ID, '2026-11-22T14:00:00.000Z');
    s.declare({ severity: 'SEV2' }, { at: 0, by: ALICE });
    texts.forEach((text, i) => s.add('note.added', { text, tag: 'guess' }, { at: 1 + i, by: BOB }));
    return { s, state: fold(ID, s.events) };
  }
  const listed = (brief: string) => /Open guesses:\n((?:- .*\n)*)/.exec(brief)?.[1]?.trimEnd().split('\n');

  it('a list longer than it may be shows eight and says exactly how many more; eight show whole', () => {
    const ten = guesses(Array.from({ length: 10 }, (_, i) => `guess ${i}`));
    assert.deepEqual(listed(handoffBrief(ten.state, 'commander', BOB, { now: new Date(ten.s.time(20)) })), [
      '- guess 9 (new)', '- guess 8 (new)', '- guess 7 (new)', '- guess 6 (new)', '- guess 5 (new)', '- guess 4 (new)', '- guess 3 (new)', '- guess 2 (new)',
      '- and 2 more on the timeline',
    ]);
    const eight = guesses(Array.from({ length: 8 }, (_, i) => `guess ${i}`));
    const shown = listed(handoffBrief(eight.state, 'commander', BOB, { now: new Date(eight.s.time(20)) }));
    assert.equal(shown?.length, 8);
    assert.equal(shown?.at(-1), '- guess 0 (new)');
  });

  it('an item is one line with single spaces, cut to 160 characters with an ellipsis; 160 fit whole', () => {
    const exact = `Pool ${'x'.repeat(155)}`;
    const { s, state } = guesses(['  Retry storm\n  from   checkout-api ', exact, `Stripe ${'y'.repeat(300)}`]);
    assert.deepEqual(listed(handoffBrief(state, 'commander', BOB, { now: new Date(s.time(20)) })), [
      `- Stripe ${'y'.repeat(152)}… (new)`,
      `- ${exact} (new)`,
      '- Retry storm from checkout-api (new)',
    ]);
  });

  it('a brief exactly at the limit is kept whole; one that cannot fit is cut with an ellipsis at the limit', () => {
    const { s, state } = guesses(['Retry storm from checkout-api']);
    const options = { now: new Date(s.time(20)) };
    const whole = handoffBrief(state, 'commander', BOB, options);
    assert.equal(handoffBrief(state, 'commander', BOB, { ...options, maxChars: whole.length }), whole);
    assert.equal(handoffBrief(state, 'commander', BOB, { ...options, maxChars: 40 }), 'Commander of INC-7 (SEV2, investigating…');
  });
});
