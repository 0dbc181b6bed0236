import assert from 'node:assert/strict';
import {
  defaultEscalationSummary, ESCALATION_SEVERITY, escalationDedupKey, escalationResolves, escalationsOf, escalationTrigger, type EscalationRequest,
} from '../../../src/core/escalationTrigger';
import { fold } from '../../../src/core/reducer';
import { SEVERITIES } from '../../../src/protocol/events';
import { ALICE, BOB, CAROL, Script } from './eventBuilder';

const NOW = new Date('2026-11-22T14:25:00.000Z');

/** Alice escalates from the payments-oncall channel of incidents.example.com. */
const request = (over: Partial<EscalationRequest> = {}): EscalationRequest => ({
  reason: 'Nobody owns the card tokenizer; its on-call is not in the channel',
  by: CAROL,
  channel: 'payments-oncall',
  source: 'incidents.example.com/payments-oncall',
  statusPageUrl: 'https://incidents.example.com/v1/channels/payments-oncall/status',
  now: NOW,
  ...over,
});

/** INC-7 as its responders built it: declared, a commander, an alert linked, triaged, one alert resolved again. */
function incident(): Script {
  const s = new Script('INC-7', '2026-11-22T14:00:00.000Z');
  s.declare({ title: 'Checkout 5xx for EU cards', severity: 'SEV2', symptom: 'HTTP 500 on /pay', scope: 'EU card payments', detectedAt: '2026-11-22T13:58:00.000Z' });
  s.add('role.assigned', { role: 'commander', user: BOB }, { at: 1 });
  s.add('signal.linked', {
    fingerprint: 'a1b2c3d4e5f60718', alertname: 'HighErrorRate', summary: '5xx above 5% on checkout', startsAt: '2026-11-22T13:58:00.000Z',
    labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'page' }, generatorURL: 'https://prometheus.example.com/graph?g0.expr=rate',
  }, { at: 2 });
  s.add('signal.linked', { fingerprint: 'ffff000011112222', alertname: 'DiskFull', startsAt: '2026-11-22T13:50:00.000Z', labels: { service: 'ledger' } }, { at: 3 });
  s.add('signal.resolved', { fingerprint: 'ffff000011112222', alertname: 'DiskFull', startsAt: '2026-11-22T13:50:00.000Z', endsAt: '2026-11-22T14:04:00.000Z' }, { at: 4 });
  s.add('triage.recorded', {
    users: { share: 'some', count: 1200, text: 'EU card holders' }, regions: ['eu-west-1'], routes: ['/pay'], tenants: [], trend: 'growing',
    customer: { level: 'confirmed', evidence: 'support tickets' }, financial: { level: 'suspected' }, dataIntegrity: { level: 'none' },
  }, { at: 5, by: ALICE });
  return s;
}

describe('core/escalationTrigger: the PagerDuty Events API v2 trigger of an escalation', () => {
  it('builds the whole trigger PagerDuty documents (all but the routing key), as JSON carries it', () => {
    const s = fold('INC-7', incident().events);
    const wire = JSON.parse(JSON.stringify(escalationTrigger(s, request()))) as unknown;
    assert.deepEqual(wire, {
      event_action: 'trigger',
      dedup_key: 'payments-oncall/INC-7/2026-11-22T14:00:00.000Z',
      payload: {
        summary: '[SEV2] INC-7: Checkout 5xx for EU cards (investigating)',
        source: 'incidents.example.com/payments-oncall',
        severity: 'error',
        timestamp: '2026-11-22T14:25:00.000Z',
        component: 'checkout',
        group: 'payments-oncall',
        class: 'escalation',
        custom_details: {
          incident: 'INC-7',
          title: 'Checkout 5xx for EU cards',
          severity: 'SEV2',
          status: 'investigating',
          reason: 'Nobody owns the card tokenizer; its on-call is not in the channel',
          escalated_by: 'Carol Chen (carol@example.com)',
          channel: 'payments-oncall',
          commander: 'Bob Baker (bob@example.com)',
          symptom: 'HTTP 500 on /pay',
          scope: 'EU card payments',
          detected_at: '2026-11-22T13:58:00.000Z',
          declared_at: '2026-11-22T14:00:00.000Z',
          triage: 'users: some (~1200) (EU card holders); regions: eu-west-1; routes: /pay; trend: growing; customer impact confirmed (support tickets); financial impact suspected',
          alerts: ['HighErrorRate: 5xx above 5% on checkout (since 2026-11-22T13:58:00.000Z)'],
          status_page: 'https://incidents.example.com/v1/channels/payments-oncall/status',
        },
      },
      links: [
        { href: 'https://incidents.example.com/v1/channels/payments-oncall/status', text: 'INC-7 on the payments-oncall stakeholder page' },
        { href: 'https://prometheus.example.com/graph?g0.expr=rate', text: 'Alert HighErrorRate' },
      ],
      client: 'Incident Room',
      client_url: 'https://incidents.example.com/v1/channels/payments-oncall/status',
    });
  });

  it('maps SEV1→critical, SEV2→error, SEV3→warning, SEV4→info', () => {
    assert.deepEqual(SEVERITIES.map((sev) => ESCALATION_SEVERITY[sev]), ['critical', 'error', 'warning', 'info']);
    const s = new Script();
    s.declare({ severity: 'SEV4' });
    s.add('severity.changed', { severity: 'SEV1', reason: 'all regions' }, { at: 3 });
    const t = escalationTrigger(fold('INC-7', s.events), request());
    assert.equal(t.payload.severity, 'critical', 'the current severity, not the declared one');
    assert.match(t.payload.summary, /^\[SEV1\] /);
  });

  it('the summary: the responder\'s words when given (trimmed), else severity, id, title and status; cut to PagerDuty\'s 1024', () => {
    const s = fold('INC-7', incident().events);
    assert.equal(escalationTrigger(s, request({ summary: '  Need the tokenizer on-call  ' })).payload.summary, 'Need the tokenizer on-call');
    assert.equal(escalationTrigger(s, request({ summary: '   ' })).payload.summary, defaultEscalationSummary(s));
    const long = escalationTrigger(s, request({ summary: 'x'.repeat(3000) })).payload.summary;
    assert.equal(long.length, 1024);
    assert.ok(long.endsWith('…'));
  });

  it('the dedup key is the same for every responder of the incident and differs for another INC-7 (another channel, or declared elsewhere)', () => {
    const a = fold('INC-7', incident().events);
    const b = fold('INC-7', incident().events); // another responder's copy of the same log
    assert.equal(escalationDedupKey(a, 'payments-oncall'), escalationDedupKey(b, 'payments-oncall'));
    assert.notEqual(escalationDedupKey(a, 'payments-oncall'), escalationDedupKey(a, 'search-oncall'));
    const other = new Script('INC-7', '2026-11-23T09:00:00.000Z'); // local mode on another machine numbers from INC-1 too
    other.declare();
    assert.notEqual(escalationDedupKey(fold('INC-7', other.events), 'default'), escalationDedupKey(a, 'default'));
    assert.ok(escalationDedupKey(a, 'a'.repeat(63)).length <= 255);
  });

  it('in local mode (no channel server) it has no links back, no client URL and no status page', () => {
    const t = escalationTrigger(fold('INC-7', incident().events), request({ statusPageUrl: null, source: 'laptop-17/default', channel: 'default' }));
    assert.deepEqual(t.links, [{ href: 'https://prometheus.example.com/graph?g0.expr=rate', text: 'Alert HighErrorRate' }]);
    assert.equal('client_url' in t, false);
    assert.equal(t.payload.custom_details.status_page, undefined);
    assert.equal(t.payload.source, 'laptop-17/default');
  });

  it('a plain incident: no component, no triage, no alerts, no links, only the roles someone holds', () => {
    const s = new Script();
    s.declare({ title: 'Queue backlog', severity: 'SEV3', symptom: '' });
    const t = escalationTrigger(fold('INC-7', s.events), request({ statusPageUrl: null }));
    assert.equal('component' in t.payload, false);
    assert.equal('links' in t, false);
    const d = t.payload.custom_details;
    assert.deepEqual(Object.keys(d).filter((k) => ['triage', 'alerts', 'symptom', 'scope', 'tech_lead', 'scribe', 'communications'].includes(k)), []);
    assert.equal(d.commander, 'Alice Archer (alice@example.com)', 'the declarer is commander');
  });

  it('tells the person paged the impact, the latest triage in full, and each alert still firing, by name when it has no summary', () => {
    const s = incident();
    s.add('incident.updated', { impact: 'EU customers cannot pay by card' }, { at: 6 });
    s.add('signal.linked', { fingerprint: '0f0e0d0c0b0a0908', alertname: 'TokenizerDown', startsAt: '2026-11-22T14:06:00.000Z' }, { at: 7 });
    s.add('triage.recorded', {
      users: { share: 'most' }, regions: ['eu-west-1', 'eu-central-1'], routes: ['/pay', '/cart'], tenants: ['acme-eu', 'globex'], trend: 'stable',
      customer: { level: 'confirmed' }, financial: { level: 'none' }, dataIntegrity: { level: 'none' },
    }, { at: 8, by: ALICE });
    const t = escalationTrigger(fold('INC-7', s.events), request());
    const d = t.payload.custom_details;
    assert.equal(d.impact, 'EU customers cannot pay by card');
    assert.equal(d.triage, 'users: most; regions: eu-west-1, eu-central-1; routes: /pay, /cart; tenants: acme-eu, globex; trend: stable; customer impact confirmed');
    assert.deepEqual(d.alerts, [
      'HighErrorRate: 5xx above 5% on checkout (since 2026-11-22T13:58:00.000Z)',
      'TokenizerDown (since 2026-11-22T14:06:00.000Z)',
    ]);
    // Only an alert with a graph is linked; one without labels does not stop the others naming the component.
    assert.deepEqual(t.links?.map((l) => l.text), ['INC-7 on the payments-oncall stakeholder page', 'Alert HighErrorRate']);
    assert.equal(t.payload.component, 'checkout');
  });

  it('a triage that names no region or route says nothing about them', () => {
    const s = incident();
    s.add('triage.recorded', {
      users: { share: 'few', count: 40 }, regions: [], routes: [], tenants: [], trend: 'shrinking',
      customer: { level: 'suspected' }, financial: { level: 'none' }, dataIntegrity: { level: 'none' },
    }, { at: 9, by: ALICE });
    assert.equal(escalationTrigger(fold('INC-7', s.events), request()).payload.custom_details.triage, 'users: few (~40); trend: shrinking; customer impact suspected');
  });

  it('gives PagerDuty at most ten links in an alert storm', () => {
    const s = incident();
    for (let k = 0; k < 12; k++) {
      s.add('signal.linked', {
        fingerprint: `pod-${k}`, alertname: `Pod${k}Down`, startsAt: '2026-11-22T14:06:00.000Z', labels: { service: 'checkout' },
        generatorURL: `https://prometheus.example.com/graph?g0.expr=up${k}`,
      }, { at: 6 });
    }
    const t = escalationTrigger(fold('INC-7', s.events), request());
    assert.equal(t.links?.length, 10);
    assert.equal(t.links?.[0]?.text, 'INC-7 on the payments-oncall stakeholder page', 'the stakeholder page first');
  });

  it('names a responder known only by an id once, and one with a name by both', () => {
    const s = incident();
    const bot = { id: 'oncall-bot', name: 'oncall-bot' };
    s.add('role.assigned', { role: 'scribe', user: bot }, { at: 6 });
    const d = escalationTrigger(fold('INC-7', s.events), request({ by: bot })).payload.custom_details;
    assert.equal(d.escalated_by, 'oncall-bot');
    assert.equal(d.scribe, 'oncall-bot');
    assert.equal(d.commander, 'Bob Baker (bob@example.com)');
  });

  it('keeps a reason of exactly 2000 characters whole and cuts a longer one with an ellipsis', () => {
    const s = fold('INC-7', incident().events);
    const exact = 'r'.repeat(2000);
    assert.equal(escalationTrigger(s, request({ reason: exact })).payload.custom_details.reason, exact);
    assert.equal(escalationTrigger(s, request({ reason: `${exact}!` })).payload.custom_details.reason, `${'r'.repeat(1999)}…`);
  });

  it('escalationsOf lists the escalations already on the timeline', () => {
    const s = incident();
    s.add('escalation.requested', { reason: 'no owner', summary: 'x', severity: 'error', dedupKey: 'k' }, { at: 9, by: CAROL });
    assert.deepEqual(escalationsOf(fold('INC-7', s.events)).map((e) => [e.actor.id, e.data.reason]), [[CAROL.id, 'no owner']]);
  });

  it('resolving ends the alert the escalations opened: one resolve per dedup key, none without an escalation', () => {
    const s = incident();
    assert.deepEqual(escalationResolves(fold('INC-7', s.events)), []);
    s.add('escalation.requested', { reason: 'no owner', summary: 'x', severity: 'error', dedupKey: 'payments-oncall/INC-7/t' }, { at: 9, by: CAROL });
    s.add('escalation.requested', { reason: 'still no owner', summary: 'y', severity: 'critical', dedupKey: 'payments-oncall/INC-7/t' }, { at: 19, by: ALICE });
    assert.deepEqual(escalationResolves(fold('INC-7', s.events)), [{ event_action: 'resolve', dedup_key: 'payments-oncall/INC-7/t' }]);
  });
});
