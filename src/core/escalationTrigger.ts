import type { IncidentState } from './incidentState';
import type { EventDataOf, SequencedEventOf, Severity, User } from '../protocol/events';
import { ROLES } from '../protocol/vocabulary';

// An escalation as PagerDuty's Events API v2 takes it (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
// a `trigger` built from the incident, pure, so it is tested on plain states. The `routing_key` is not here: it is
// a secret, kept in SecretStorage and added only when the event is sent (sync/escalationDelivery.ts).

/** PagerDuty's severities, the `severity` of `escalation.requested`. */
export type EscalationSeverity = EventDataOf<'escalation.requested'>['severity'];

/** Incident severity → PagerDuty severity. */
export const ESCALATION_SEVERITY = {
  SEV1: 'critical', SEV2: 'error', SEV3: 'warning', SEV4: 'info',
} as const satisfies Record<Severity, EscalationSeverity>;

/** A link PagerDuty attaches to the alert. */
export interface EscalationLink {
  readonly href: string;
  readonly text: string;
}

/** An Events API v2 `trigger`, all of it but `routing_key`. */
export interface EscalationTrigger {
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: EscalationSeverity;
    readonly timestamp: string;
    readonly component?: string;
    readonly group?: string;
    readonly class: string;
    readonly custom_details: Readonly<Record<string, string | readonly string[]>>;
  };
  readonly links?: readonly EscalationLink[];
  readonly client: string;
  readonly client_url?: string;
}

/**
 * An Events API v2 `resolve` (all of it but `routing_key`): closes the alert the incident's escalations opened, by
 * their dedup key, once the incident is resolved, so nobody stays paged (and re-notified) for an incident that is over.
 */
export interface EscalationResolve {
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

/** What the escalation queue sends: a page, or the end of one. */
export type EscalationEvent = EscalationTrigger | EscalationResolve;

/** The `resolve` of each alert an incident's escalations opened (one dedup key per incident: normally one). */
export function escalationResolves(s: Pick<IncidentState, 'timeline'>): EscalationResolve[] {
  return [...new Set(escalationsOf(s).map((e) => e.data.dedupKey))].map((dedup_key) => ({ event_action: 'resolve', dedup_key }));
}

/** PagerDuty's limits: `summary` 1024 characters, `dedup_key` 255. */
export const SUMMARY_MAX = 1024;
const DEDUP_KEY_MAX = 255;
const DETAIL_MAX = 2000;
const LINKS_MAX = 10;

/** The summary an escalation offers: severity, id, title and status, e.g. `[SEV2] INC-7: Checkout errors (investigating)`. */
export function defaultEscalationSummary(s: Pick<IncidentState, 'id' | 'severity' | 'title' | 'status'>): string {
  return cut(`[${s.severity}] ${s.id}: ${s.title} (${s.status})`, SUMMARY_MAX);
}

/**
 * The dedup key of an incident's escalations: the same for every responder of the incident (so a second escalation
 * adds to PagerDuty's open alert instead of paging again), different for any other incident. `INC-7` alone is
 * neither: every channel, and every machine in local mode, has its own INC-7. The channel and the declaration time
 * (which every responder has from the same `incident.declared`) make it unique: `payments-oncall/INC-7/2026-…Z`.
 */
export function escalationDedupKey(s: Pick<IncidentState, 'id' | 'declaredAt'>, channel: string): string {
  return cut(`${channel}/${s.id}/${s.declaredAt}`, DEDUP_KEY_MAX);
}

export interface EscalationRequest {
  /** Why more help is paged (asked from the responder). */
  readonly reason: string;
  /** Default: `defaultEscalationSummary`. */
  readonly summary?: string;
  /** Who escalates. */
  readonly by: User;
  readonly channel: string;
  /** PagerDuty's "unique location of the affected system": the channel server's host (or this machine) and the channel. */
  readonly source: string;
  /** The channel's stakeholder page, when there is a channel server (local mode has none). */
  readonly statusPageUrl?: string | null;
  readonly now: Date;
}

/** The `trigger` for escalating incident `s`: what PagerDuty shows the person it pages. */
export function escalationTrigger(s: IncidentState, r: EscalationRequest): EscalationTrigger {
  const alerts = linkedAlerts(s);
  const services = [...new Set(alerts.map((a) => a.labels?.service).filter((v): v is string => !!v))];
  const details: Record<string, string | readonly string[]> = {
    incident: s.id,
    title: s.title,
    severity: s.severity,
    status: s.status,
    reason: cut(r.reason, DETAIL_MAX),
    escalated_by: who(r.by),
    channel: r.channel,
  };
  for (const role of ROLES) {
    const holder = s.roles[role].holder;
    if (holder) details[role] = who(holder);
  }
  if (s.symptom) details.symptom = cut(s.symptom, DETAIL_MAX);
  if (s.scope) details.scope = cut(s.scope, DETAIL_MAX);
  if (s.impact) details.impact = cut(s.impact, DETAIL_MAX);
  if (s.detectedAt) details.detected_at = s.detectedAt;
  details.declared_at = s.declaredAt;
  const triage = latestTriage(s);
  if (triage) details.triage = triageText(triage);
  if (alerts.length > 0) details.alerts = alerts.map((a) => `${a.alertname}${a.summary ? `: ${a.summary}` : ''} (since ${a.startsAt})`);
  if (r.statusPageUrl) details.status_page = r.statusPageUrl;

  const links: EscalationLink[] = [];
  if (r.statusPageUrl) links.push({ href: r.statusPageUrl, text: `${s.id} on the ${r.channel} stakeholder page` });
  for (const a of alerts) if (a.generatorURL) links.push({ href: a.generatorURL, text: `Alert ${a.alertname}` });

  return {
    event_action: 'trigger',
    dedup_key: escalationDedupKey(s, r.channel),
    payload: {
      summary: cut(r.summary?.trim() || defaultEscalationSummary(s), SUMMARY_MAX),
      source: r.source,
      severity: ESCALATION_SEVERITY[s.severity],
      timestamp: r.now.toISOString(),
      // A component only when the linked alerts agree on one service; PagerDuty shows it next to the source.
      ...(services.length === 1 ? { component: services[0] } : {}),
      group: r.channel,
      class: 'escalation',
      custom_details: details,
    },
    ...(links.length > 0 ? { links: links.slice(0, LINKS_MAX) } : {}),
    client: 'Incident Room',
    ...(r.statusPageUrl ? { client_url: r.statusPageUrl } : {}),
  };
}

/** The escalations already requested for the incident, oldest first (a second one adds to the same PagerDuty alert). */
export function escalationsOf(s: Pick<IncidentState, 'timeline'>): SequencedEventOf<'escalation.requested'>[] {
  return s.timeline.filter((e): e is SequencedEventOf<'escalation.requested'> => e.kind === 'escalation.requested');
}

/** The alerts linked to the incident and not resolved since, from its timeline. */
function linkedAlerts(s: IncidentState): EventDataOf<'signal.linked'>[] {
  const linked = new Map<string, EventDataOf<'signal.linked'>>();
  for (const e of s.timeline) {
    if (e.kind === 'signal.linked') linked.set(e.data.fingerprint, e.data);
    else if (e.kind === 'signal.resolved') linked.delete(e.data.fingerprint);
  }
  return [...linked.values()];
}

function latestTriage(s: IncidentState): EventDataOf<'triage.recorded'> | undefined {
  for (let i = s.timeline.length - 1; i >= 0; i--) {
    const e = s.timeline[i];
    if (e?.kind === 'triage.recorded') return e.data;
  }
  return undefined;
}

/** The latest triage on one line: who and where is affected, the trend, and the impacts found. */
function triageText(t: EventDataOf<'triage.recorded'>): string {
  const parts = [`users: ${t.users.share}${t.users.count !== undefined ? ` (~${t.users.count})` : ''}${t.users.text ? ` (${t.users.text})` : ''}`];
  if (t.regions.length) parts.push(`regions: ${t.regions.join(', ')}`);
  if (t.routes.length) parts.push(`routes: ${t.routes.join(', ')}`);
  if (t.tenants.length) parts.push(`tenants: ${t.tenants.join(', ')}`);
  parts.push(`trend: ${t.trend}`);
  const impacts = [['customer', t.customer], ['financial', t.financial], ['data integrity', t.dataIntegrity]] as const;
  for (const [name, check] of impacts) if (check.level !== 'none') parts.push(`${name} impact ${check.level}${check.evidence ? ` (${check.evidence})` : ''}`);
  return cut(parts.join('; '), DETAIL_MAX);
}

function who(u: User): string {
  return u.name && u.name !== u.id ? `${u.name} (${u.id})` : u.id;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
