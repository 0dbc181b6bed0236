// The incident of the layout audit (issue "A sidebar a responder can read at 3 a.m."): a long title, all four roles,
// six facts and guesses, a rollback with five commands and its outcome, three action items, two triages (the latest
// with every field, suggesting SEV2 against the declared SEV1) and 30 timeline entries,
// as valid sequenced events folded by the real core (src/core/reducer.ts → src/core/sidebarModel.ts) and checked
// against the SidebarState schema the webview parses.
import { tsImport } from 'tsx/esm/api';

const { fold } = await tsImport('../../src/core/reducer.ts', import.meta.url);
const { incidentView } = await tsImport('../../src/core/sidebarModel.ts', import.meta.url);
const { SequencedEvent } = await tsImport('../../src/protocol/events.ts', import.meta.url);
const { SidebarState } = await tsImport('../../src/protocol/webviewMessages.ts', import.meta.url);
const { signalViews } = await tsImport('../../src/core/signals.ts', import.meta.url);
const { incidentServices, preparedFor } = await tsImport('../../src/core/preparedMitigations.ts', import.meta.url);
const { parseCatalog } = await tsImport('../../src/git/mitigationCatalog.ts', import.meta.url);
const { MITIGATIONS } = await import('../../scripts/demo-repo.mjs');

const ALICE = { id: 'alice@example.com', name: 'Alice Archer' };
const BOB = { id: 'bob@example.com', name: 'Bob Baker' };
const CAROL = { id: 'carol@example.com', name: 'Carol Chen' };
const DAVE = { id: 'dave@example.com', name: 'Dave Diaz-Villanueva' };
export const ME = CAROL;
const SHA = 'd3adb33fc0ffee1234567890abcdef1234567890';
const PREV = '0badc0de1234567890abcdef1234567890abcdef';

/** The events, one a minute from 08:00, and the moment the sidebar is looked at. */
export function realisticEvents() {
  const start = Date.parse('2026-11-20T08:00:00.000Z');
  const events = [];
  const add = (kind, data, actor = ALICE) => {
    const seq = events.length + 1;
    const at = new Date(start + seq * 60_000).toISOString();
    events.push({ seq, id: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`, kind, at, receivedAt: at, actor, data });
    return events[events.length - 1];
  };
  add('incident.declared', {
    title: 'Checkout returns HTTP 502 for a third of EU customers after the payments-gateway connection pool change',
    severity: 'SEV1', symptom: 'checkout-api 5xx at 31% in eu-west-1, p99 latency 9.8 s; card payments fail, PayPal unaffected',
    scope: 'EU checkout · payments API · all tenants', detectedAt: new Date(start - 72 * 60_000).toISOString(),
  });
  add('role.assigned', { role: 'tech_lead', user: BOB });
  add('role.assigned', { role: 'scribe', user: CAROL });
  add('role.assigned', { role: 'communications', user: DAVE });
  add('triage.recorded', {
    users: { share: 'some', text: 'EU customers paying by card', count: 4200 }, regions: ['eu-west-1'],
    routes: ['/checkout/pay', 'POST /v1/payments/authorize'], tenants: [], trend: 'growing',
    customer: { level: 'confirmed', evidence: '31% of /checkout/pay requests return 502' }, financial: { level: 'suspected' }, dataIntegrity: { level: 'none' },
  }, BOB);
  const fact = (text) => add('note.added', { text, tag: 'fact' }, CAROL);
  const guess = (text) => add('note.added', { text, tag: 'guess' }, BOB);
  fact('5xx started at 08:02 UTC, two minutes after release-2026.11.20-1 reached 100% in eu-west-1');
  fact('Only card payments fail; PayPal and gift cards succeed');
  fact('payments-gateway connection pool is exhausted: 200/200 in use, 1,400 waiters');
  guess('The new maxIdleTime=5s closes connections the TLS session cache still hands out');
  guess('A retry storm from checkout-api (3 retries × 4 pods) is keeping the pool saturated');
  guess('Stripe webhook latency in eu-west-1 is slowing the callbacks');
  const mitigationId = '00000000-0000-4000-8000-00000000aaaa';
  add('mitigation.started', {
    mitigationId, action: 'rollback', description: `Roll back release-2026.11.20-1 (${SHA.slice(0, 7)}) to release-2026.11.19-3 (${PREV.slice(0, 7)})`,
    target: { ref: 'release-2026.11.20-1', sha: SHA },
    command: [
      `git fetch --tags origin`, `git checkout -B rollback/release-2026.11.20-1 ${SHA}`, `git revert --no-edit ${PREV}..${SHA}`,
      `git push origin rollback/release-2026.11.20-1:refs/heads/release`, `./deploy/deploy.sh --env prod-eu-west-1 --ref ${PREV}`,
    ].join('\n'),
  }, BOB);
  add('mitigation.finished', {
    mitigationId, result: 'succeeded',
    detail: `Reverted 3 commits (${SHA}..${PREV}); pushed rollback/release-2026.11.20-1; deploy.sh exited 0 after 94 s.\nThe result's tree matches release-2026.11.19-3's.`,
  }, BOB);
  // Did it help? The rollback answered with a long line of evidence; its linked alert resolved after it; a flag
  // flipped later still waits for an answer (the row shows the question and its four answers).
  add('mitigation.assessed', { mitigationId, assessment: 'helped', evidence: '5xx on /checkout/pay down from 31% to 4% within six minutes of the deploy finishing; pool waiters back under 50' }, BOB);
  add('signal.resolved', { fingerprint: 'a1a1a1a1a1a1a1a1', alertname: 'PaymentsCheckoutHighErrorRate', startsAt: new Date(start - 70 * 60_000).toISOString(), endsAt: new Date(start + 15 * 60_000).toISOString() }, { id: 'alertmanager', name: 'Alertmanager' });
  const flagId = '00000000-0000-4000-8000-00000000aaab';
  add('mitigation.started', {
    mitigationId: flagId, action: 'feature_flag', description: 'Turn off payments.tls-session-reuse for eu-west-1',
    command: 'flagctl set payments.tls-session-reuse false --region eu-west-1\nflagctl get payments.tls-session-reuse --region eu-west-1',
  }, CAROL);
  add('mitigation.finished', { mitigationId: flagId, result: 'succeeded' }, CAROL);
  for (const [title, owner, due] of [
    ['Alert on payments-gateway pool saturation above 80% for 2 minutes', BOB, '2026-11-27'],
    ['Load-test connection pool settings before each payments release', ALICE, '2026-12-04'],
    ['Document the rollback-by-revert path in the payments runbook', DAVE, '2026-11-25'],
  ]) add('action.added', { title, owner, due });
  // Two workstreams: Bob's with a long title, and mine (Carol's), which the sidebar lists first.
  add('workstream.opened', {
    workstreamId: '00000000-0000-4000-8000-00000000b001', title: 'Find what holds payments-gateway connections open after the TLS session cache change',
    owner: BOB, kind: 'investigate',
  });
  add('workstream.opened', { workstreamId: '00000000-0000-4000-8000-00000000b002', title: 'Keep support and finance posted on refunds', owner: CAROL, kind: 'communicate' });
  add('status.changed', { status: 'mitigating', note: 'rolling back the pool change' });
  add('triage.recorded', {
    users: { share: 'some', text: 'EU card payers still retrying after the rollback started', count: 1200 }, regions: ['eu-west-1', 'eu-central-1'],
    routes: ['/checkout/pay'], tenants: ['globex-retail', 'initech-eu'], trend: 'shrinking',
    customer: { level: 'confirmed', evidence: '5xx down from 31% to 4% on /checkout/pay since the rollback' },
    financial: { level: 'confirmed', evidence: '~310 card orders abandoned between 08:02 and 08:24 UTC' },
    dataIntegrity: { level: 'suspected', evidence: '3 payments may have been captured twice by gateway retries' },
    note: 'Finance on-call told; refunds wait for the reconciliation',
  }, CAROL);
  add('update.posted', { audience: 'external', text: 'Some EU customers cannot pay by card. We have found the cause and are rolling back a change.', nextUpdateBy: new Date(start + 40 * 60_000).toISOString(), eta: new Date(start + 60 * 60_000).toISOString() }, DAVE);
  // The ETA moved by the next (internal) update: the card shows the new one and what it replaced.
  add('update.posted', { audience: 'internal', text: 'Rollback done, 5xx at 4% and falling. Refund reconciliation with finance next.', nextUpdateBy: new Date(start + 45 * 60_000).toISOString(), eta: new Date(start + 90 * 60_000).toISOString() }, DAVE);
  while (events.length < 30) add('note.added', { text: `eu-west-1 5xx rate ${31 - events.length}% and falling; pool waiters ${1400 - events.length * 40}`, tag: 'note' }, CAROL);
  for (const e of events) {
    const ok = SequencedEvent.safeParse(e);
    if (!ok.success) throw new Error(`invalid ${e.kind} event: ${ok.error.issues[0]?.message}`);
  }
  return { incidentId: 'INC-7', events, now: start + 31 * 60_000 };
}

/**
 * Three firing alerts on the channel, built by the real core (src/core/signals.ts): one linked to the incident, one
 * not (a long Grafana rule name and many labels), one whose severity label maps to nothing.
 */
export function realisticSignals(now) {
  const at = (min) => new Date(now - min * 60_000).toISOString();
  const signal = (fingerprint, labels, annotations, min, extra = {}) => ({
    fingerprint, status: 'firing', labels, annotations, startsAt: at(min), endsAt: null,
    generatorURL: 'https://prometheus.example.com/graph?g0.expr=sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29', incidentId: null,
    receivedAt: at(min), updatedAt: at(min), ...extra,
  });
  return signalViews([
    signal('a1', { alertname: 'PaymentsCheckoutHighErrorRate', severity: 'critical', service: 'payments-api', region: 'eu-west-1' },
      { summary: 'Payments API 5xx above 5% for 5 minutes', runbook_url: 'https://runbooks.example.com/payments/high-error-rate' }, 33, { incidentId: 'INC-7' }),
    signal('b2', { alertname: 'CardAuthorizationLatencyP99AboveThresholdForTenantGroups', severity: 'page', service: 'card-authorizer', namespace: 'payments-prod', cluster: 'prod-eu-1', region: 'eu-west-1', tenant: 'acme-corporation-international' },
      { summary: 'p99 card authorization latency is 4.8 s for tenant group EU-large (threshold 2 s)', runbook_url: 'https://runbooks.example.com/payments/card-auth-latency' }, 4,
      { dashboardURL: 'https://grafana.example.com/d/card-auth', panelURL: 'https://grafana.example.com/d/card-auth?viewPanel=4', silenceURL: 'https://grafana.example.com/alerting/silence/new' }),
    signal('c3', { alertname: 'LedgerReplicationLag', severity: 'ticket', service: 'ledger' }, { description: 'Replica lag 45 s' }, 12),
  ]);
}

/**
 * The demo repo's prepared mitigations as the host lists them for this incident (its scope names checkout): parsed
 * from the catalog's JSON text, ordered and filtered by the real core.
 */
function realisticPrepared(incident) {
  const parsed = parseCatalog(JSON.stringify(MITIGATIONS));
  if (!parsed.ok) throw new Error(parsed.message);
  const all = parsed.catalog.mitigations;
  const list = preparedFor(all, incidentServices(incident, all.flatMap((e) => e.services ?? [])));
  return {
    entries: list.shown.map((e) => ({ id: e.id, title: e.title, kind: e.kind, risk: e.risk, caution: e.caution, services: e.services ?? [], watch: e.verify.watch })),
    hidden: list.hidden, services: list.services, problems: [],
  };
}

/** The SidebarState the host posts for it, offline with a long reason (or online when `online`), with alerts when `signals`. */
export function realisticState({ online = false, signals = false } = {}) {
  const { incidentId, events, now } = realisticEvents();
  const incident = incidentView(fold(incidentId, events), ME, now);
  const state = {
    connection: online
      ? { status: 'online', text: 'online · payments-oncall @ incidents.example.com:7077', queued: 0, mode: 'shared' }
      : { status: 'offline', queued: 2, mode: 'shared', text: 'offline · 2 queued · cannot reach ws://incidents.example.com:7077/v1/channels/payments-oncall: connect ECONNREFUSED 10.20.30.40:7077' },
    me: ME, incident, otherIncidents: [], pendingDeclarations: 0, rejected: 0,
    ...(signals ? { signals: realisticSignals(now) } : {}),
    prepared: realisticPrepared(fold(incidentId, events)),
  };
  const parsed = SidebarState.safeParse(state);
  if (!parsed.success) throw new Error(`not a SidebarState: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  if (incident.timelineTotal !== 30) throw new Error(`expected 30 timeline entries, got ${incident.timelineTotal}`);
  if (incident.triage?.records !== 2 || incident.suggestion?.severity !== 'SEV2') throw new Error('expected two triages, suggesting SEV2');
  return state;
}
