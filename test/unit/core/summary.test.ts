import assert from 'node:assert/strict';
import type { IncidentSummary } from '../../../src/protocol/messages';
import { fold } from '../../../src/core/reducer';
import { canChangeSummary, changesSummary, reduceSummary, summarize } from '../../../src/core/summary';
import { EVENT_KINDS } from '../../../src/protocol/events';
import { ALICE, BOB, randomLog, Script } from './eventBuilder';

describe('core/summary', () => {
  it('summarize shows id, title, severity, status, declaration, commander and headSeq', () => {
    const s = new Script('INC-9');
    s.declare({ title: 'DNS', severity: 'SEV3' }, { at: 0, by: ALICE });
    s.add('status.changed', { status: 'identified' }, { at: 3 });
    s.add('role.assigned', { role: 'commander', user: BOB }, { at: 4 });
    assert.deepEqual(summarize(fold('INC-9', s.events)), {
      id: 'INC-9', title: 'DNS', severity: 'SEV3', status: 'identified', declaredAt: s.time(0), commander: BOB, headSeq: 3,
    });
  });

  it('reduceSummary, event by event, always equals the summary of the folded log (the server index matches every client)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const events = randomLog(seed, 60, 'INC-3');
      let summary: IncidentSummary | null = null;
      events.forEach((e, i) => {
        summary = reduceSummary(summary, 'INC-3', e);
        assert.deepEqual(summary, summarize(fold('INC-3', events.slice(0, i + 1))), `seed ${seed} after #${e.seq} ${e.kind}`);
      });
    }
  });

  it('a second incident.declared only advances headSeq, as the fold does', () => {
    const s = new Script('INC-2');
    s.declare({ title: 'first' }, { at: 0, by: ALICE });
    s.add('incident.declared', { title: 'second', severity: 'SEV1', symptom: '' }, { at: 1, by: BOB });
    const [first, second] = s.events;
    assert.ok(first && second);
    const summary = reduceSummary(reduceSummary(null, 'INC-2', first), 'INC-2', second);
    assert.deepEqual(summary, summarize(fold('INC-2', s.events)));
    assert.equal(summary?.title, 'first');
    assert.equal(summary?.headSeq, 2);
  });

  it('reduceSummary ignores events it already holds and anything before the declaration', () => {
    const s = new Script('INC-2');
    const declared = s.declare({}, { at: 0 });
    const sev = s.add('severity.changed', { severity: 'SEV1' }, { at: 1 });
    assert.equal(reduceSummary(null, 'INC-2', sev), null);
    const held = reduceSummary(reduceSummary(null, 'INC-2', declared), 'INC-2', sev);
    assert.equal(reduceSummary(held, 'INC-2', { ...sev, data: { severity: 'SEV4' } }), held);
  });

  it('changesSummary is true exactly for what a summary shows: declaration, title, severity, status, commander', () => {
    const s = new Script();
    const yes = [
      s.declare({}, { at: 0 }),
      s.add('incident.updated', { title: 'x' }),
      s.add('severity.changed', { severity: 'SEV1' }),
      s.add('status.changed', { status: 'identified' }),
      s.add('role.assigned', { role: 'commander', user: BOB }),
    ];
    const no = [
      s.add('incident.updated', { scope: 'EU' }),
      s.add('role.assigned', { role: 'scribe', user: BOB }),
      s.add('note.added', { text: 'x', tag: 'fact' }),
      s.add('update.posted', { audience: 'internal', text: 'x' }),
      s.add('deploy.flagged', { ref: 'v1', sha: 'abc1234' }),
    ];
    for (const e of yes) assert.equal(changesSummary(e), true, e.kind);
    for (const e of no) assert.equal(changesSummary(e), false, e.kind);
  });

  it('canChangeSummary (what the file store parses on recovery) covers every event that changes or advances a summary beyond headSeq', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const events = randomLog(seed, 60, 'INC-4');
      let summary = null as IncidentSummary | null;
      for (const e of events) {
        const next = reduceSummary(summary, 'INC-4', e);
        if (!canChangeSummary(e.kind)) {
          assert.equal(changesSummary(e), false, `seed ${seed} #${e.seq} ${e.kind}`);
          assert.deepEqual(next, summary ? { ...summary, headSeq: e.seq } : null, `seed ${seed} #${e.seq} ${e.kind}`);
        }
        summary = next;
      }
    }
    assert.deepEqual(EVENT_KINDS.filter(canChangeSummary), ['incident.declared', 'incident.updated', 'severity.changed', 'status.changed', 'role.assigned']);
  });
});
