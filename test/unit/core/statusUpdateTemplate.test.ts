import assert from 'node:assert/strict';
import { Limits } from '../../../src/protocol/codes';
import { EventData } from '../../../src/protocol/events';
import { nextUpdateDueAt } from '../../../src/core/cadence';
import type { IncidentState } from '../../../src/core/incidentState';
import { fold } from '../../../src/core/reducer';
import { DEFAULT_CADENCE } from '../../../src/core/severityPolicy';
import { composeStatusUpdate, nextUpdateAfterPosting } from '../../../src/core/statusUpdateTemplate';
import { ALICE, PEOPLE, Script } from './eventBuilder';
import { scriptedIncident } from './scriptedIncident';

type StatusDraft = ReturnType<typeof composeStatusUpdate>;

/** The scripted incident as it stood after `seq` (15: the first rollback has just started, SEV1, mitigating). */
function at(seq: number) {
  const { id, events, script } = scriptedIncident();
  return { state: fold(id, events.slice(0, seq)), script };
}

describe('core/statusUpdateTemplate', () => {
  describe('internal', () => {
    // Composed for each test, not when the file loads (see core/postmortem's tests).
    const { script } = at(15);
    const now = new Date(script.time(65)); // 23:05 UTC
    let state: IncidentState;
    let draft: StatusDraft;
    beforeEach(() => {
      state = at(15).state;
      draft = composeStatusUpdate(state, 'internal', { now });
    });

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
      const later = at(19).state; // the failed rollback is finished, the guess refuted, nothing open
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
    const { script } = at(15);
    let state: IncidentState;
    let draft: StatusDraft;
    beforeEach(() => {
      state = at(15).state;
      draft = composeStatusUpdate(state, 'external', { now: new Date(script.time(65)) });
    });

    it('states the impact in plain language, since when, and the next update time', () => {
      assert.equal(draft.text, [
        'Fix in progress: we are working to restore normal service.',
        '',
        'Impact: Customers in the EU cannot complete payment',
        'Affected: some users (EU customers paying by card) in eu-west-1.',
        'The number of affected users is still growing.',
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
      for (const jargon of ['INC-', 'SEV', 'v2.14.0', 'v2.13.2', 'abc1234', 'deploy', 'rollback', 'Rollback', 'Checkout 5xx', 'Error rate', 'mitigat', 'EU checkout |',
        '/checkout/pay', '4,200', '4200', 'confirmed', 'suspected', 'abandoned carts']) {
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

  describe('the latest triage', () => {
    it('internal: all of it, evidence included, and the severity it suggests when that differs', () => {
      const { state, script } = at(15); // triage 1 (some users, customer confirmed: SEV2) while the incident is SEV1
      const text = composeStatusUpdate(state, 'internal', { now: new Date(script.time(65)) }).text;
      const block = text.split('\n\n')[1];
      assert.equal(block, [
        'Triage (22:58 UTC, Carol Chen):',
        '- Who: Some users · ~4,200 · EU customers paying by card',
        '- Where: regions eu-west-1; routes /checkout/pay',
        '- Trend: growing',
        '- Customer impact: confirmed — ~30% of /checkout/pay requests return 500',
        '- Financial impact: suspected — failed card payments | abandoned carts',
        '- Data integrity impact: none',
        '- SEV2 suggested: customer impact confirmed for some users (current SEV1)',
      ].join('\n'));
    });

    it('internal: the latest triage replaces the earlier one; nothing suggested once resolved', () => {
      const { state, script } = at(33);
      const text = composeStatusUpdate(state, 'internal', { now: new Date(script.time(101)) }).text;
      assert.match(text, /Triage \(23:17 UTC, Carol Chen\):\n- Who: Few users · ~120 · EU card payers retrying\n- Where: regions eu-west-1; routes \/checkout\/pay; tenants acme-eu\n- Trend: shrinking\n/);
      assert.match(text, /- Data integrity impact: suspected — 12 payments may have been captured twice\n- Note: Finance on-call told\n\nWhat we know:/);
      assert.doesNotMatch(text, /~4,200|suggested/);
    });

    it('internal, before any triage: says it is not recorded yet', () => {
      const s = new Script();
      s.declare({}, { at: 0 });
      assert.match(composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(1)) }).text, /\n\nTriage: not recorded yet\.\n\nWhat we know:/);
    });

    it('external: plain who, regions and trend only; no tenants, routes, counts or impact levels; no trend once resolved', () => {
      const { state, script } = at(33);
      const resolved = composeStatusUpdate(state, 'external', { now: new Date(script.time(101)) }).text;
      assert.match(resolved, /\nAffected: a small number of users \(EU card payers retrying\) in eu-west-1\.\n/);
      for (const internal of ['acme-eu', '/checkout/pay', '120', 'captured twice', 'Finance', 'Fewer users']) assert.ok(!resolved.includes(internal), internal);
      const monitoring = composeStatusUpdate(fold('INC-7', scriptedIncident().events.slice(0, 23)), 'external', { now: new Date(script.time(78)) }).text;
      assert.match(monitoring, /\nAffected: a small number of users \(EU card payers retrying\) in eu-west-1\.\nFewer users are affected now; service is recovering\.\n/);
      assert.ok(!monitoring.includes('acme-eu'));
    });

    it('external: several regions read as a list; an unknown share with no words says it is still being found out', () => {
      const s = new Script();
      s.declare({}, { at: 0 });
      const wire = (json: string) => EventData['triage.recorded'].parse(JSON.parse(json));
      s.add('triage.recorded', wire('{"users":{"share":"unknown"},"regions":["eu-west-1","us-east-1","ap-south-1"],"routes":[],"tenants":[],"trend":"unknown","customer":{"level":"suspected"},"financial":{"level":"none"},"dataIntegrity":{"level":"none"}}'));
      const text = composeStatusUpdate(fold(s.incidentId, s.events), 'external', { now: new Date(s.time(1)) }).text;
      assert.match(text, /\nWe are still finding out which users are affected in eu-west-1, us-east-1 and ap-south-1\.\nSince about/);
    });
  });

  describe('what the drafts say in cases the scripted incident does not reach', () => {
    /** SEV3, no commander, a deploy flagged without a reason, a triage of all users on two routes, multi-line words. */
    function search(): Script {
      const s = new Script('INC-40');
      s.declare({ severity: 'SEV3', title: 'Search\n   slow', impact: '  Results  \n\n  take 10 s\n' }, { at: 0 });
      s.add('role.assigned', { role: 'commander', user: null }, { at: 1 });
      s.add('deploy.flagged', { ref: 'v9', sha: '9999999aaaa' }, { at: 2 });
      s.add('triage.recorded', EventData['triage.recorded'].parse(JSON.parse('{"users":{"share":"all"},"regions":[],"routes":["/a","/b"],"tenants":[],"trend":"unknown","customer":{"level":"confirmed"},"financial":{"level":"none"},"dataIntegrity":{"level":"none"}}')), { at: 3 });
      return s;
    }

    it('internal: words on one line, no commander, the deploy, where by route, the ETA and the severity the triage suggests', () => {
      const s = search();
      const text = composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(10)), timeZone: 'UTC', eta: s.time(90) }).text;
      assert.equal(text, [
        '[SEV3] INC-40 Search slow — investigating',
        'Commander: unassigned · open for 10m 00s since detection at 14:00 UTC',
        'Impact: Results take 10 s',
        'ETA: 15:30 UTC (estimate).',
        '',
        'Triage (14:03 UTC, Alice Archer):',
        '- Who: All users',
        '- Where: routes /a, /b',
        '- Trend: unknown',
        '- Customer impact: confirmed',
        '- Financial impact: none',
        '- Data integrity impact: none',
        '- SEV1 suggested: all users affected (current SEV3)',
        '',
        'What we know:',
        '- Suspected deploy: v9 (9999999)',
        '',
        'What we are doing:',
        '- Investigating the cause.',
        '',
        'Next update by 15:10 UTC.',
      ].join('\n'));
      assert.doesNotMatch(composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(10)) }).text, /ETA/, 'no ETA given, none stated');
    });

    it('external: the ETA as an estimate, since the declaration, all users; once resolved no ETA, trend or suggestion', () => {
      const s = search();
      const external = composeStatusUpdate(fold(s.incidentId, s.events), 'external', { now: new Date(s.time(10)), eta: s.time(90) }).text;
      assert.equal(external, [
        'Investigating: we are looking into a problem affecting our service.',
        '',
        'Impact: Results take 10 s',
        'Affected: all users.',
        'Since about 14:00 UTC.',
        'Our engineers are investigating and will share more as soon as we know it.',
        'We expect to restore normal service by about 15:30 UTC. This is an estimate.',
        '',
        'We will post another update by 15:10 UTC.',
      ].join('\n'));
      s.add('status.changed', { status: 'resolved' }, { at: 20 });
      const state = fold(s.incidentId, s.events);
      const now = new Date(s.time(21));
      assert.equal(composeStatusUpdate(state, 'external', { now, eta: s.time(90) }).text, [
        'Resolved: the problem affecting our service has been fixed.',
        '',
        'Impact: Results take 10 s',
        'Affected: all users.',
        'The issue began about 14:00 UTC.',
        'Service is operating normally again.',
        '',
        'Thank you for your patience. This is our final update on this issue.',
      ].join('\n'));
      const internal = composeStatusUpdate(state, 'internal', { now, eta: s.time(90) }).text;
      assert.doesNotMatch(internal, /ETA|suggested/);
      assert.match(internal, /- Data integrity impact: none\n\nWhat we know:/);
    });

    it('external: who in the responders\' words even when the share is unknown; a known share alone; no regions named', () => {
      const s = new Script();
      s.declare({}, { at: 0 });
      const triage = (users: object) => EventData['triage.recorded'].parse({ users, regions: [], routes: [], tenants: [], trend: 'stable',
        customer: { level: 'suspected' }, financial: { level: 'none' }, dataIntegrity: { level: 'none' } });
      s.add('triage.recorded', triage({ share: 'unknown', text: 'people paying\nby card' }), { at: 1 });
      const said = () => composeStatusUpdate(fold(s.incidentId, s.events), 'external', { now: new Date(s.time(2)) }).text.split('\n')[3];
      assert.equal(said(), 'Affected: some users (people paying by card).');
      s.add('triage.recorded', triage({ share: 'few' }), { at: 1 });
      assert.equal(said(), 'Affected: a small number of users.');
      assert.match(composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(2)) }).text, /\n- Where: not narrowed down yet\n/);
    });

    it('before declaration: no detection time, no start time, no next time', () => {
      const internal = composeStatusUpdate(fold('INC-0', []), 'internal', { now: new Date('2026-11-22T14:00:00Z') }).text;
      assert.deepEqual(internal.split('\n').slice(1, 3), ['Commander: unassigned', '']);
      assert.ok(internal.endsWith('\n\nNext update when there is news.'), internal);
      const external = composeStatusUpdate(fold('INC-0', []), 'external', { now: new Date('2026-11-22T14:00:00Z') }).text;
      assert.doesNotMatch(external, /Since|began/);
    });

    it('a bullet is cut at 300 characters, a SEV4 draft waits for news, a reader in UTC gets one time', () => {
      const s = new Script();
      s.declare({ severity: 'SEV4' }, { at: 0 });
      s.add('note.added', { text: 'y'.repeat(300), tag: 'fact' }, { at: 1 });
      s.add('note.added', { text: 'z'.repeat(301), tag: 'fact' }, { at: 1 });
      const text = composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(2)), timeZone: 'UTC' }).text;
      assert.match(text, new RegExp(`\\nWhat we know:\\n- ${'y'.repeat(300)}\\n- ${'z'.repeat(299)}…\\n`));
      assert.ok(text.endsWith('\n\nNext update when there is news.'));
      assert.match(text, /since detection at 14:00 UTC\n/);
    });

    it('a draft of exactly the length limit goes out whole; a longer one is cut at a word and keeps its last line', () => {
      const draft = (impact: string) => {
        const s = new Script('INC-41');
        s.declare({ severity: 'SEV2', title: 'Long', impact }, { at: 0 });
        return composeStatusUpdate(fold(s.incidentId, s.events), 'internal', { now: new Date(s.time(2)) }).text;
      };
      const exact = 'x'.repeat(Limits.updateLength - draft('').length - 'Impact: \n'.length);
      const whole = draft(exact);
      assert.equal(whole.length, Limits.updateLength);
      assert.ok(whole.includes(`\nImpact: ${exact}\n`), 'nothing cut');
      const closing = '\n\nNext update by 14:32 UTC.';
      for (let shift = 0; shift < 5; shift++) {
        const text = draft(`${'w'.repeat(shift)} ${'abc  '.repeat(1000)}`);
        assert.ok(text.length <= Limits.updateLength && text.length >= Limits.updateLength - 8, `${text.length} characters (shift ${shift})`);
        assert.ok(text.startsWith('[SEV2] INC-41 Long — investigating\nCommander: Alice Archer · open for 2m 00s'), text.slice(0, 80));
        assert.ok(text.endsWith(`abc…${closing}`), `shift ${shift}: …${text.slice(-40)}`);
      }
    });
  });

  it('when resolved: a closing update for both audiences and no next time', () => {
    const { state, script } = at(33);
    const now = new Date(script.time(101));
    const internal = composeStatusUpdate(state, 'internal', { now });
    const external = composeStatusUpdate(state, 'external', { now });
    assert.equal(internal.nextUpdateBy, null);
    assert.equal(external.nextUpdateBy, null);
    assert.ok(internal.text.endsWith('Resolved at 23:40 UTC. This is the last update; a postmortem will follow.'), internal.text);
    // How long it took, not how long ago it was detected: the same an hour later.
    assert.match(internal.text.split('\n')[1] ?? '', / · resolved 52m 00s after detection at 22:48 UTC$/);
    assert.equal(composeStatusUpdate(state, 'internal', { now: new Date(script.time(161)) }).text, internal.text);
    assert.ok(!internal.text.includes('open for'), internal.text);
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
    const { state, script } = at(15);
    const now = new Date(script.time(65));
    for (const audience of ['internal', 'external'] as const) {
      const d = composeStatusUpdate(state, audience, { now });
      assert.ok(EventData['update.posted'].safeParse({ audience, text: d.text, nextUpdateBy: d.nextUpdateBy ?? undefined }).success);
      const posted = structuredClone(script.events.slice(0, 15));
      posted.push({ seq: 16, id: '00000000-0000-4000-8000-0000000000ff', kind: 'update.posted', at: now.toISOString(), receivedAt: now.toISOString(),
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
