import assert from 'node:assert/strict';
import { Limits } from '../../../src/protocol/codes';
import { EventData } from '../../../src/protocol/events';
import { nextUpdateDueAt } from '../../../src/core/cadence';
import { fold } from '../../../src/core/reducer';
import { DEFAULT_CADENCE } from '../../../src/core/severityPolicy';
import { composeStatusUpdate, nextUpdateAfterPosting } from '../../../src/core/statusUpdateTemplate';
import { ALICE, PEOPLE, Script } from './eventBuilder';
import { scriptedIncident } from './scriptedIncident';

/** The scripted incident as it stood after `seq` (14: the first rollback has just started, SEV1, mitigating). */
function at(seq: number) {
  const { id, events, script } = scriptedIncident();
  return { state: fold(id, events.slice(0, seq)), script };
}

describe('core/statusUpdateTemplate', () => {
  describe('internal', () => {
    const { state, script } = at(14);
    const now = new Date(script.time(65)); // 23:05 UTC
    const draft = composeStatusUpdate(state, 'internal', { now });

    it('heads with severity, id, title and status, and who commands', () => {
      const [first, second] = draft.text.split('\n');
      assert.equal(first, '[SEV1] INC-7 Checkout 5xx after deploy — mitigating');
      assert.equal(second, 'Commander: Alice Archer · open for 17m 00s since detection at 22:48 UTC');
    });

    it('says what we know: facts, the suspect deploy', () => {
      const known = draft.text.split('What we know:\n')[1]?.split('\n\n')[0];
      assert.equal(known, '- Error rate jumped at 22:41, right after v2.14.0 rolled out\n- Suspected deploy: v2.14.0 (abc1234) — Errors began one minute after rollout');
    });

    it('says what we are doing: the open mitigations', () => {
      const doing = draft.text.split('What we are doing:\n')[1]?.split('\n\n')[0];
      assert.equal(doing, '- Rollback in progress: Roll back the image to v2.13.2 (since 23:04 UTC)');
    });

    it('fills the next update time from the SEV1 cadence, counted from now', () => {
      assert.equal(draft.nextUpdateBy, script.time(80));
      assert.ok(draft.text.endsWith('\n\nNext update by 23:20 UTC.'), draft.text);
    });

    it('shows the reader\'s zone beside UTC when asked', () => {
      const berlin = composeStatusUpdate(state, 'internal', { now, timeZone: 'Europe/Berlin' });
      assert.ok(berlin.text.endsWith('Next update by 23:20 UTC (00:20 Europe/Berlin).'), berlin.text);
    });

    it('follows a configured cadence', () => {
      assert.equal(composeStatusUpdate(state, 'internal', { now, cadence: { ...DEFAULT_CADENCE, SEV1: 5 } }).nextUpdateBy, script.time(70));
    });

    it('without open mitigations says what the status implies, and lists what was ruled out', () => {
      const later = at(18).state; // the failed rollback is finished, the guess refuted, nothing open
      const text = composeStatusUpdate(later, 'internal', { now }).text;
      assert.match(text, /What we are doing:\n- Applying a mitigation\./);
      assert.match(text, /- Ruled out: Database connection pool exhausted/);
      assert.match(text, /- Connection pool usage is at 20%/);
    });

    it('says nothing is confirmed yet when there are no facts', () => {
      const s = new Script();
      s.declare({ severity: 'SEV3' }, { at: 0, by: ALICE });
      const d = composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(10)) });
      assert.match(d.text, /What we know:\n- Nothing confirmed yet\.\n\nWhat we are doing:\n- Investigating the cause\./);
      assert.equal(d.nextUpdateBy, s.time(70));
    });
  });

  describe('external', () => {
    const { state, script } = at(14);
    const draft = composeStatusUpdate(state, 'external', { now: new Date(script.time(65)) });

    it('states the impact in plain language, since when, and the next update time', () => {
      assert.equal(draft.text, [
        'Fix in progress: we are working to restore normal service.',
        '',
        'Impact: Customers in the EU cannot complete payment',
        'Since about 22:41 UTC.',
        'We are applying a fix now.',
        '',
        'We will post another update by 23:20 UTC.',
      ].join('\n'));
      assert.equal(draft.nextUpdateBy, script.time(80));
    });

    it('carries no names, ids, severities, deploys, commands or internal notes', () => {
      for (const p of PEOPLE) {
        assert.ok(!draft.text.includes(p.name.split(' ')[0] as string), p.name);
        assert.ok(!draft.text.includes(p.id), p.id);
      }
      for (const jargon of ['INC-', 'SEV', 'v2.14.0', 'v2.13.2', 'abc1234', 'deploy', 'rollback', 'Rollback', 'Checkout 5xx', 'Error rate', 'mitigat', 'EU checkout |']) {
        assert.ok(!draft.text.includes(jargon), `external text mentions "${jargon}"`);
      }
    });

    it('without a recorded impact says something general rather than internal details', () => {
      const s = new Script();
      s.declare({ title: 'pg-primary OOM', symptom: 'pg_stat shows 900 conns', scope: 'db cluster 3' }, { at: 0 });
      const d = composeStatusUpdate(fold(s.incidentId, s.events), 'external', { now: new Date(s.time(3)) });
      assert.match(d.text, /^Investigating: /);
      assert.match(d.text, /Impact: some users may see errors or slower service\./);
      assert.doesNotMatch(d.text, /pg|db cluster/);
    });
  });

  it('when resolved: a closing update for both audiences and no next time', () => {
    const { state, script } = at(31);
    const now = new Date(script.time(101));
    const internal = composeStatusUpdate(state, 'internal', { now });
    const external = composeStatusUpdate(state, 'external', { now });
    assert.equal(internal.nextUpdateBy, null);
    assert.equal(external.nextUpdateBy, null);
    assert.ok(internal.text.endsWith('Resolved at 23:40 UTC. This is the last update; a postmortem will follow.'), internal.text);
    assert.match(external.text, /^Resolved: /);
    assert.match(external.text, /The issue began about 22:41 UTC\./);
    assert.ok(external.text.endsWith('This is our final update on this issue.'));
  });

  it('SEV4 has no cadence: no next time, and says so', () => {
    const s = new Script();
    s.declare({ severity: 'SEV4' }, { at: 0 });
    const d = composeStatusUpdate(fold(s.incidentId, s.events), 'external', { now: new Date(s.time(5)) });
    assert.equal(d.nextUpdateBy, null);
    assert.ok(d.text.endsWith('We will post another update as soon as we know more.'));
  });

  it('the draft can be posted as is, and once posted the cadence expects the next update when the draft said', () => {
    const { state, script } = at(14);
    const now = new Date(script.time(65));
    for (const audience of ['internal', 'external'] as const) {
      const d = composeStatusUpdate(state, audience, { now });
      assert.ok(EventData['update.posted'].safeParse({ audience, text: d.text, nextUpdateBy: d.nextUpdateBy ?? undefined }).success);
      const posted = structuredClone(script.events.slice(0, 14));
      posted.push({ seq: 15, id: '00000000-0000-4000-8000-0000000000ff', kind: 'update.posted', at: now.toISOString(), receivedAt: now.toISOString(),
        actor: ALICE, data: { audience, text: d.text } });
      assert.equal(nextUpdateDueAt(fold('INC-7', posted)), d.nextUpdateBy);
    }
    assert.equal(nextUpdateAfterPosting(state, 'internal', now), script.time(80));
  });

  it('stays within the protocol\'s update length, keeping the newest facts and the next update line', () => {
    const s = new Script();
    s.declare({ severity: 'SEV2', impact: 'i'.repeat(1900) }, { at: 0 });
    for (let i = 0; i < 50; i++) s.add('note.added', { text: `fact ${i} ${'x'.repeat(1500)}`, tag: 'fact' }, { at: 1 });
    const d = composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(2)) });
    assert.ok(d.text.length <= Limits.updateLength, `${d.text.length} characters`);
    assert.ok(d.text.endsWith('\n\nNext update by 14:32 UTC.'));
    const ext = composeStatusUpdate(fold(s.incidentId, s.events), 'external', { now: new Date(s.time(2)) });
    assert.ok(ext.text.length <= Limits.updateLength);
    const roomy = new Script();
    roomy.declare({}, { at: 0 });
    for (let i = 0; i < 12; i++) roomy.add('note.added', { text: `fact ${i}`, tag: 'fact' }, { at: 1 });
    const listed = composeStatusUpdate(fold(roomy.incidentId, roomy.events), 'internal', { now: new Date(roomy.time(2)) }).text;
    assert.match(listed, /- \(2 earlier facts not shown\)\n- fact 2\n/);
    assert.match(listed, /- fact 11\n/);
  });
});
