import { nextUpdateDueAt } from '../core/cadence';
import type { IncidentState } from '../core/incidentState';
import { DEFAULT_CADENCE, SEVERITY_POLICY } from '../core/severityPolicy';
import { SEVERITIES } from '../protocol/vocabulary';
import type { StatusIncident, StatusPage, StatusUpdateEntry } from './statusSchema';

/** How long a resolved incident stays on the page. */
export const RECENTLY_RESOLVED_MS = 72 * 3600_000;
/** At most this many resolved incidents are shown (the newest). */
export const MAX_RESOLVED = 10;

/**
 * What stakeholders may see of an incident: title, severity and its meaning, status and since when, external updates.
 * Built field by field from the folded state (never by copying it), so nothing else — notes, guesses, names, roles,
 * deploys, mitigations, code, internal updates, a status change's note — can reach the page.
 */
export function statusIncident(s: IncidentState): StatusIncident {
  const external = s.updates.filter((u) => u.audience === 'external');
  const updates: StatusUpdateEntry[] = external.map((u) => ({ postedAt: u.at, text: u.text, nextUpdateBy: u.nextUpdateBy ?? null, eta: u.eta ?? null })).reverse();
  const statusSince = s.statusHistory.at(-1)?.at ?? s.declaredAt;
  const policy = SEVERITY_POLICY[s.severity];
  return {
    id: s.id,
    title: s.title,
    severity: s.severity,
    severityLabel: policy.label,
    severityMeaning: policy.criteria,
    status: s.status,
    statusSince,
    startedAt: s.impactStartedAt ?? s.detectedAt ?? s.declaredAt,
    declaredAt: s.declaredAt,
    resolvedAt: s.status === 'resolved' ? statusSince : null,
    latestUpdate: updates[0] ?? null,
    // Due by what stakeholders were told: internal updates neither count nor show.
    nextUpdateDue: nextUpdateDueAt({ ...s, updates: external }, DEFAULT_CADENCE),
    updates,
  };
}

/** The channel's page from its folded incidents at `now`: open ones most severe first, then the recently resolved. */
export function statusPage(channel: string, incidents: Iterable<IncidentState>, now: number): StatusPage {
  const all = [...incidents].filter((s) => s.declaredAt !== '').map(statusIncident);
  const open = all.filter((i) => i.resolvedAt === null)
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || Date.parse(b.declaredAt) - Date.parse(a.declaredAt));
  const recentlyResolved = all.filter((i) => i.resolvedAt !== null && now - Date.parse(i.resolvedAt) <= RECENTLY_RESOLVED_MS)
    .sort((a, b) => Date.parse(b.resolvedAt!) - Date.parse(a.resolvedAt!))
    .slice(0, MAX_RESOLVED);
  return { channel, generatedAt: new Date(now).toISOString(), open, recentlyResolved };
}
