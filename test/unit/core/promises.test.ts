// Promises from issue #18 that no other test held: each test says what a responder would see break.
import assert from 'node:assert/strict';
import { nextUpdateDueAt, updateDue } from '../../../src/core/cadence';
import type { IncidentState } from '../../../src/core/incidentState';
import { incidentMetrics } from '../../../src/core/metrics';
import { renderPostmortem } from '../../../src/core/postmortem';
import { emptyIncident, fold } from '../../../src/core/reducer';
import { incidentView } from '../../../src/core/sidebarModel';
import { composeStatusUpdate } from '../../../src/core/statusUpdateTemplate';
import type { SequencedEvent, User } from '../../../src/protocol/events';
import { ALICE, BOB, CAROL, randomLog, Script, uuid } from './eventBuilder';

/**
 * The log as a client holds it after reading it off the wire: every event parsed from JSON on its own, so the same
 * person is a different object in each event (as actor, as assigned user, as the declarer).
 */
const wire = (events: readonly SequencedEvent[]): SequencedEvent[] => events.map((e) => JSON.parse(JSON.stringify(e)) as SequencedEvent);

/** A person as settings or the server hand them over: equal fields, never the object an event holds. */
const copyOf = (u: User): User => JSON.parse(JSON.stringify(u)) as User;

const folded = (s: Script): IncidentState => fold(s.incidentId, wire(s.events));

const NOW = new Date('2026-11-30T10:00:00.000Z');
const postmortem = (state: IncidentState): string => renderPostmortem(state, { now: NOW, timeZone: 'UTC' });

/** The lines of a postmortem section `## name`. */
function section(md: string, name: string): string[] {
  const start = md.split('\n').indexOf(`## ${name}`);
  assert.ok(start >= 0, `no section "${name}"`);
  const rest = md.split('\n').slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith('## '));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Body rows of the Markdown tables in `lines`, as cells (header rows included, separator rows left out). */
const table = (lines: string[]): string[][] =>
  lines.filter((l) => l.startsWith('| ') && !l.startsWith('|---')).map((r) => r.replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim()));

describe('issue #18 promises', () => {
  describe('a role re-assigned to the person who holds it is not a handoff (people are compared by id, not by object)', () => {
    function reassigned(): Script {
      const s = new Script();
      s.declare({ severity: 'SEV2' }, { at: 0, by: ALICE }); // Alice commands from 14:00
      s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 5, by: ALICE });
      s.add('role.assigned', { role: 'commander', user: ALICE }, { at: 10, by: CAROL }); // Carol "gives" Alice what she holds
      s.add('role.assigned', { role: 'tech_lead', user: BOB }, { at: 12, by: BOB }); // Bob clicks "take" on his own role
      return s;
    }

    it('the postmortem lists one tenure per holder, from when they took the role, still holding', () => {
      const roles = table(section(postmortem(folded(reassigned())), 'Roles and handoffs')).slice(1);
      assert.deepEqual(roles.filter((r) => r[0] === 'Commander' || r[0] === 'Tech Lead'), [
        ['Commander', 'Alice Archer', 'Alice Archer', '2026-11-22 14:00:00', 'still holding', '—'],
        ['Tech Lead', 'Bob Baker', 'Alice Archer', '2026-11-22 14:05:00', 'still holding', '—'],
      ]);
    });

    it('a real handoff still counts, and handing the role back to its new holder adds nothing', () => {
      const s = reassigned();
      s.add('role.assigned', { role: 'commander', user: CAROL }, { at: 20, by: ALICE });
      s.add('role.assigned', { role: 'commander', user: CAROL }, { at: 25, by: CAROL });
      const state = folded(s);
      assert.deepEqual(state.roles.commander.history.map((t) => [t.user.id, t.assumedAt, t.renouncedAt]), [
        [ALICE.id, s.time(0), s.time(20)],
        [CAROL.id, s.time(20), undefined],
      ]);
      const commanders = table(section(postmortem(state), 'Roles and handoffs')).filter((r) => r[0] === 'Commander');
      assert.deepEqual(commanders.map((r) => [r[1], r[3], r[4]]), [
        ['Alice Archer', '2026-11-22 14:00:00', '2026-11-22 14:20:00'],
        ['Carol Chen', '2026-11-22 14:20:00', 'still holding'],
      ]);
    });

    it('the sidebar shows me my roles when my identity is an equal object, not the one in the log', () => {
      const view = incidentView(folded(reassigned()), copyOf(BOB), Date.parse('2026-11-22T14:15:00Z'));
      assert.deepEqual(view.myRoles, ['Tech Lead']);
      assert.deepEqual(view.roles.filter((r) => r.isMe).map((r) => r.role), ['tech_lead']);
    });
  });

  describe('only a mitigation that succeeded counts as mitigated; a cancelled or failed one does not', () => {
    for (const result of ['cancelled', 'failed'] as const) {
      describe(`a ${result} mitigation`, () => {
        const tried = (): Script => {
          const s = new Script();
          s.declare({ severity: 'SEV2', detectedAt: s.time(-4) }, { at: 0 });
          s.add('status.changed', { status: 'mitigating' }, { at: 3 });
          s.add('mitigation.started', { mitigationId: uuid(1), action: 'rollback', description: 'Roll back to v2.13' }, { at: 5, by: BOB });
          s.add('mitigation.finished', { mitigationId: uuid(1), result }, { at: 8, by: BOB });
          return s;
        };
        // Folded for each test, not when the file loads (see core/postmortem's tests).
        const s = tried();
        let state: IncidentState;
        beforeEach(() => {
          state = folded(s);
        });

        it('leaves the incident unmitigated: no mitigated time, no time to mitigate', () => {
          const m = incidentMetrics(state);
          assert.equal(m.firstMitigationAt, s.time(5), 'it was tried');
          assert.equal(m.mitigatedAt, null);
          assert.equal(m.timeToMitigateMs, null);
        });

        it('the postmortem does not name it as what mitigated the incident, nor give a mitigated time', () => {
          const md = postmortem(state);
          assert.ok(!section(md, 'Summary').some((l) => l.includes('Mitigated by')), section(md, 'Summary').join('\n'));
          const times = table(section(md, 'Key times'));
          // (a reader in UTC: one time column)
          assert.deepEqual(times.find((r) => r[0] === 'Mitigated'), ['Mitigated', '—']);
          assert.deepEqual(times.find((r) => r[0]?.startsWith('Time to mitigate')), ['Time to mitigate (detected → mitigated)', '—']);
          assert.ok(section(md, 'What was tried').includes(`- **Rollback:** Roll back to v2.13 — **${result}**\\`));
        });

        it('the sidebar shows it as it ended, and the status update no longer reports it in progress', () => {
          const view = incidentView(state, ALICE, Date.parse(s.time(10)));
          assert.deepEqual(view.mitigations.map((x) => x.state), [result]);
          const doing = composeStatusUpdate(state, 'internal', { now: new Date(s.time(10)) }).text.split('What we are doing:\n')[1]?.split('\n\n')[0];
          assert.equal(doing, '- Applying a mitigation.');
        });

        it(`a later success is what counts: mitigated when it worked, not when the ${result} one ended`, () => {
          const more = tried();
          more.add('mitigation.started', { mitigationId: uuid(2), action: 'feature_flag', description: 'Turn off new client' }, { at: 12 });
          more.add('mitigation.finished', { mitigationId: uuid(2), result: 'succeeded' }, { at: 20 });
          const after = folded(more);
          const m = incidentMetrics(after);
          assert.equal(m.mitigatedAt, s.time(20));
          assert.equal(m.timeToMitigateMs, 24 * 60_000);
          const summary = section(postmortem(after), 'Summary');
          assert.ok(summary.includes('- **Mitigated by:** Feature flag: Turn off new client'), summary.join('\n'));
        });
      });
    }
  });

  describe('a severity downgrade never moves the next update later than the time the last update promised', () => {
    // SEV2 (every 30 min). The update at 14:10 promises the next by 14:45; at 14:20 the incident drops to SEV3 (every
    // 60 min), whose cadence alone would ask for one by 15:20. Readers were told 14:45: that still holds.
    function downgraded(): Script {
      const s = new Script();
      s.declare({ severity: 'SEV2' }, { at: 0 });
      s.add('update.posted', { audience: 'external', text: 'Working on it; next update by 14:45', nextUpdateBy: s.time(45) }, { at: 10 });
      s.add('severity.changed', { severity: 'SEV3', reason: 'fewer users affected' }, { at: 20 });
      return s;
    }

    it('the sidebar keeps the promised time, and shows the update overdue once it passes', () => {
      const s = downgraded();
      const state = folded(s);
      assert.equal(nextUpdateDueAt(state), s.time(45));
      assert.deepEqual(incidentView(state, ALICE, Date.parse(s.time(30))).nextUpdate, { dueAt: s.time(45), overdue: false });
      assert.deepEqual(updateDue(state, Date.parse(s.time(50))), { dueAt: s.time(45), overdue: true, minutesLeft: -5 });
    });

    it('after an escalation and a downgrade, the promise still caps the due time', () => {
      const s = new Script();
      s.declare({ severity: 'SEV3' }, { at: 0 });
      s.add('update.posted', { audience: 'external', text: 'x', nextUpdateBy: s.time(70) }, { at: 10 });
      s.add('severity.changed', { severity: 'SEV1' }, { at: 20 });
      assert.equal(nextUpdateDueAt(folded(s)), s.time(35), 'the escalation asks for one sooner');
      s.add('severity.changed', { severity: 'SEV3' }, { at: 22 });
      assert.equal(nextUpdateDueAt(folded(s)), s.time(70), 'SEV3 from 14:22 would be 15:22; the promise was 15:10');
    });

    it('the postmortem reports the promised time as missed when the next update came after it', () => {
      const s = downgraded();
      s.add('update.posted', { audience: 'external', text: 'Still working on it' }, { at: 60 });
      s.add('status.changed', { status: 'resolved' }, { at: 70 });
      const communication = section(postmortem(folded(s)), 'Communication');
      assert.ok(
        communication.includes('- An update was due by 2026-11-22 14:45:00 UTC; the next one went out at 2026-11-22 15:00:00 UTC (15m 00s after it was due).'),
        communication.join('\n'),
      );
      assert.ok(!communication.includes('- Every update went out by the time it was due.'));
    });

    it('in random logs, while the last update promised a time, the update is never due after it', () => {
      let severityChangesAfterPromise = 0;
      for (let seed = 1; seed <= 60; seed++) {
        let state = emptyIncident('INC-1');
        for (const e of wire(randomLog(seed, 80))) {
          state = fold('INC-1', [e], state);
          const promised = state.updates[state.updates.length - 1]?.nextUpdateBy;
          const due = nextUpdateDueAt(state);
          if (!promised || due === null) continue;
          if (e.kind === 'severity.changed') severityChangesAfterPromise++;
          assert.ok(Date.parse(due) <= Date.parse(promised), `seed ${seed} #${e.seq} ${e.kind}: due ${due}, promised ${promised}`);
        }
      }
      assert.ok(severityChangesAfterPromise > 0, 'the logs do change severity after a promise');
    });
  });
});
