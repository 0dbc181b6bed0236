// Sidebar states as the extension host builds them (IncidentViewProvider.snapshot): the incident part from real
// events through the core (fold → incidentView), the alerts through signalViews, the rest as the host fills it in.
import type { Signal } from '../../../src/protocol/messages';
import type { SequencedEvent, User } from '../../../src/protocol/events';
import { SidebarState } from '../../../src/protocol/webviewMessages';
import { fold } from '../../../src/core/reducer';
import { incidentView } from '../../../src/core/sidebarModel';
import { signalViews } from '../../../src/core/signals';
import { ALICE, BOB, CAROL, ERIN, FRANK, sequenced, uuid } from '../core/eventBuilder';
import { ALERT_FINGERPRINT, scriptedIncident } from '../core/scriptedIncident';

export const OTHER_FINGERPRINT = 'feedfacefeedface';
/** When Bob looks at the incident in midIncidentState, and Erin at it in resolvedState. */
export const MID_NOW = Date.parse('2026-11-22T23:20:00.000Z');
export const RESOLVED_NOW = Date.parse('2026-11-22T23:41:00.000Z');

/** A firing alert as the channel server keeps it. */
export function signal(over: Partial<Signal> = {}): Signal {
  return {
    fingerprint: ALERT_FINGERPRINT, status: 'firing',
    labels: { alertname: 'CheckoutHighErrorRate', severity: 'critical', service: 'checkout', region: 'eu-west-1' },
    annotations: { summary: 'Checkout 5xx ratio above 5%', runbook_url: 'https://runbooks.example.com/checkout' },
    startsAt: '2026-11-22T22:45:00.000Z', endsAt: null, generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
    incidentId: 'INC-7', receivedAt: '2026-11-22T22:45:05.000Z', updatedAt: '2026-11-22T22:45:05.000Z',
    ...over,
  };
}

/** Events appended to a log with the next seqs, as the server would stamp them. */
function append(events: SequencedEvent[], more: { kind: SequencedEvent['kind']; data: unknown; by: User; at: string }[]): SequencedEvent[] {
  const out = [...events];
  for (const m of more) {
    const seq = (out.at(-1)?.seq ?? 0) + 1;
    out.push(sequenced(m.kind, m.data as never, { seq, at: m.at, actor: m.by, id: uuid(5000 + seq) }));
  }
  return out;
}

const valid = (state: SidebarState): SidebarState => SidebarState.parse(state);

/**
 * INC-7 at 23:19 as Bob (Tech Lead) sees it: SEV1 in monitoring, the revert answered "too early" (so the row asks
 * again), Erin now Commander, the Scribe seat just vacated, an open guess and an overdue action item, two alerts
 * firing (one linked to INC-7), three people here, the repo's prepared mitigations.
 */
export function midIncidentState(opts: { trusted?: boolean } = {}): SidebarState {
  const { id, events, script } = scriptedIncident({ analysis: true });
  const cut = Date.parse(script.time(79));
  const log = append(events.filter((e) => Date.parse(e.at) <= cut), [
    { kind: 'note.added', data: { text: 'Retries from the app triple the load', tag: 'guess' }, by: CAROL, at: script.time(79) },
    { kind: 'action.added', data: { title: 'Page the payments team lead', owner: FRANK, due: '2026-11-21' }, by: ERIN, at: script.time(79) },
  ]);
  const incident = incidentView(fold(id, log), BOB, MID_NOW);
  return valid({
    connection: { status: 'online', text: 'Connected to wss://incidents.example.com', queued: 0, mode: 'shared' },
    me: BOB,
    incident,
    otherIncidents: [{ id: 'INC-6', title: 'Search latency', severity: 'SEV3', status: 'investigating' }],
    pendingDeclarations: 0,
    rejected: 0,
    trusted: opts.trusted ?? true,
    present: [
      { id: BOB.id, name: BOB.name, me: true, idleMinutes: 0, windows: 1 },
      { id: CAROL.id, name: CAROL.name, me: false, idleMinutes: 14, windows: 1 },
      { id: ALICE.id, name: ALICE.name, me: false, idleMinutes: 2, windows: 2 },
    ],
    signals: signalViews([
      signal(),
      signal({
        fingerprint: OTHER_FINGERPRINT, incidentId: null, labels: { alertname: 'PaymentsLatencyHigh', severity: 'warning', service: 'payments' },
        annotations: { summary: 'p99 latency of /pay above 2 s' }, generatorURL: null,
      }),
    ]),
    prepared: {
      entries: [
        { id: 'flag-v3-client', title: 'Turn off the v3 payment client', kind: 'feature-flag', risk: 'low', caution: 'EU cards fall back to v2', services: ['checkout'], watch: '5xx ratio' },
        { id: 'restart-gateway', title: 'Restart the payment gateway pods', kind: 'restart', risk: 'high', caution: 'Drops in-flight payments', services: ['checkout', 'payments'], watch: 'gateway errors' },
      ],
      hidden: 1,
      services: ['checkout'],
      problems: [],
    },
  });
}

/** INC-7 resolved, as Erin (Commander) sees it a minute later: follow-ups, the postmortem to write. */
export function resolvedState(): SidebarState {
  const { id, events, script } = scriptedIncident({ analysis: true });
  const log = append(events, [
    { kind: 'action.updated', data: { actionId: events.find((e) => e.kind === 'action.added')!.id, issueUrl: 'https://github.com/acme/shop/issues/42' }, by: ERIN, at: script.time(100) },
  ]);
  return valid({
    connection: { status: 'online', text: 'Local channel', queued: 0, mode: 'local' },
    me: ERIN,
    incident: incidentView(fold(id, log), ERIN, RESOLVED_NOW),
    otherIncidents: [],
    pendingDeclarations: 0,
    rejected: 0,
    trusted: true,
  });
}

/** No incident focused, the channel down: the welcome, what fires, and the other incidents on the channel. */
export function welcomeState(): SidebarState {
  return valid({
    connection: { status: 'offline', text: 'Offline: connect ECONNREFUSED 127.0.0.1:7077', queued: 1, mode: 'shared' },
    me: ALICE,
    incident: null,
    otherIncidents: [
      { id: 'INC-7', title: 'Checkout 5xx after deploy', severity: 'SEV1', status: 'mitigating' },
      { id: 'INC-6', title: 'Search latency', severity: 'SEV3', status: 'investigating' },
    ],
    pendingDeclarations: 1,
    rejected: 2,
    signals: signalViews([signal({ incidentId: null })]),
  });
}
