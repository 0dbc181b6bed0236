import assert from 'node:assert/strict';
import { movesUpdateDue, nextUpdateDueAt, updateDue } from '../../../src/core/cadence';
import { emptyIncident, fold } from '../../../src/core/reducer';
import { DEFAULT_CADENCE } from '../../../src/core/severityPolicy';
import { randomLog, Script } from './eventBuilder';

const due = (s: Script, policy = DEFAULT_CADENCE) => nextUpdateDueAt(fold(s.incidentId, s.events), policy);

describe('core/cadence', () => {
  it('the first update is due one cadence after declaration: SEV1 15, SEV2 30, SEV3 60 minutes; SEV4 none', () => {
    for (const [severity, minutes] of [['SEV1', 15], ['SEV2', 30], ['SEV3', 60]] as const) {
      const s = new Script();
      s.declare({ severity }, { at: 0 });
      assert.equal(due(s), s.time(minutes), severity);
    }
    const s4 = new Script();
    s4.declare({ severity: 'SEV4' }, { at: 0 });
    assert.equal(due(s4), null);
  });

  it('each update restarts the clock', () => {
    const s = new Script();
    s.declare({ severity: 'SEV2' }, { at: 0 });
    s.add('update.posted', { audience: 'internal', text: 'x' }, { at: 20 });
    assert.equal(due(s), s.time(50));
  });

  it('an update that promises the next one by a time is held to that time', () => {
    const s = new Script();
    s.declare({ severity: 'SEV2' }, { at: 0 });
    s.add('update.posted', { audience: 'external', text: 'x', nextUpdateBy: s.time(45) }, { at: 10 });
    assert.equal(due(s), s.time(45));
  });

  it('a severity change restarts the clock from the later of the last update and the change', () => {
    const s = new Script();
    s.declare({ severity: 'SEV3' }, { at: 0 });
    s.add('update.posted', { audience: 'internal', text: 'x' }, { at: 10 });
    s.add('severity.changed', { severity: 'SEV1' }, { at: 20 });
    assert.equal(due(s), s.time(35), 'SEV1 cadence counted from the change');
    s.add('update.posted', { audience: 'internal', text: 'y' }, { at: 25 });
    assert.equal(due(s), s.time(40), 'then from the update');
  });

  it('an escalation after an update that promised a time brings the due time forward, never back', () => {
    const s = new Script();
    s.declare({ severity: 'SEV3' }, { at: 0 });
    s.add('update.posted', { audience: 'external', text: 'x', nextUpdateBy: s.time(70) }, { at: 10 });
    s.add('severity.changed', { severity: 'SEV1', reason: 'spreading' }, { at: 20 });
    assert.equal(due(s), s.time(35), 'SEV1 needs an update 15 min after the escalation, not at the promised 70');
    s.add('severity.changed', { severity: 'SEV4' }, { at: 21 });
    assert.equal(due(s), s.time(70), 'a downgrade does not cancel the promise made to readers');
  });

  it('a time promised after the last severity change stands, even where the cadence would ask sooner', () => {
    const s = new Script();
    s.declare({ severity: 'SEV3' }, { at: 0 });
    s.add('severity.changed', { severity: 'SEV1' }, { at: 5 });
    // Posted after the escalation, promising the next update in 50 minutes: SEV1's 15 does not override it.
    s.add('update.posted', { audience: 'external', text: 'x', nextUpdateBy: s.time(60) }, { at: 10 });
    assert.equal(due(s), s.time(60));
  });

  it('no update is due once resolved, nor before declaration', () => {
    const s = new Script();
    s.declare({ severity: 'SEV1' }, { at: 0 });
    s.add('status.changed', { status: 'resolved' }, { at: 5 });
    assert.equal(due(s), null);
    assert.equal(nextUpdateDueAt(emptyIncident('INC-1')), null);
  });

  it('follows a configured policy', () => {
    const s = new Script();
    s.declare({ severity: 'SEV4' }, { at: 0 });
    assert.equal(due(s, { ...DEFAULT_CADENCE, SEV4: 120 }), s.time(120));
    assert.equal(due(s, { ...DEFAULT_CADENCE, SEV4: 0 }), null, '0 means no cadence');
  });

  it('updateDue tells minutes left, and overdue once past', () => {
    const s = new Script();
    s.declare({ severity: 'SEV2' }, { at: 0 });
    const state = fold(s.incidentId, s.events);
    assert.deepEqual(updateDue(state, Date.parse(s.time(26))), { dueAt: s.time(30), overdue: false, minutesLeft: 4 });
    assert.deepEqual(updateDue(state, Date.parse(s.time(29.5))), { dueAt: s.time(30), overdue: false, minutesLeft: 1 });
    assert.deepEqual(updateDue(state, Date.parse(s.time(37))), { dueAt: s.time(30), overdue: true, minutesLeft: -7 });
    assert.equal(updateDue(fold('INC-1', []), Date.now()), null);
  });

  it('an event of a kind movesUpdateDue leaves out never changes when the next update is due (the postmortem skips them)', () => {
    let moved = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const events = randomLog(seed, 60);
      let state = emptyIncident('INC-1');
      for (const e of events) {
        const next = fold('INC-1', [e], state);
        const before = nextUpdateDueAt(state);
        const after = nextUpdateDueAt(next);
        if (!movesUpdateDue(e.kind)) assert.equal(after, before, `seed ${seed} #${e.seq} ${e.kind}`);
        else if (after !== before) moved++;
        state = next;
      }
    }
    assert.ok(moved > 0, 'the kinds it lists do move it');
  });
});
