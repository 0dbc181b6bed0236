import type { IncidentState } from './incidentState';

/** Key times of an incident and the durations between them (ms); null where not reached yet. */
export interface IncidentMetrics {
  readonly impactStartedAt: string | null;
  readonly detectedAt: string | null;
  readonly declaredAt: string | null;
  readonly firstMitigationAt: string | null;
  readonly mitigatedAt: string | null;
  readonly resolvedAt: string | null;
  readonly timeToDetectMs: number | null;
  readonly timeToDeclareMs: number | null;
  readonly timeToMitigateMs: number | null;
  readonly timeToResolveMs: number | null;
}

/** Compute the incident's key times: detected, declared, first mitigation, mitigated, resolved. */
export function incidentMetrics(s: IncidentState): IncidentMetrics {
  const declaredAt = s.declaredAt || null;
  const detectedAt = s.detectedAt ?? declaredAt;
  const firstMitigationAt = earliest(s.mitigations.map((m) => m.startedAt));
  // Mitigated: the first mitigation that worked, or the first move to monitoring/resolved, whichever came first.
  const mitigatedAt = earliest([
    ...s.mitigations.filter((m) => m.state === 'succeeded' && m.finishedAt).map((m) => m.finishedAt as string),
    ...s.statusHistory.filter((c) => c.value === 'monitoring' || c.value === 'resolved').map((c) => c.at),
  ]);
  // Resolved only while it still is: a reopened incident has no resolution time.
  const lastResolve = [...s.statusHistory].reverse().find((c) => c.value === 'resolved');
  const resolvedAt = s.status === 'resolved' && lastResolve ? lastResolve.at : null;
  return {
    impactStartedAt: s.impactStartedAt ?? null,
    detectedAt, declaredAt, firstMitigationAt, mitigatedAt, resolvedAt,
    timeToDetectMs: between(s.impactStartedAt ?? null, detectedAt),
    timeToDeclareMs: between(detectedAt, declaredAt),
    timeToMitigateMs: between(detectedAt, mitigatedAt),
    timeToResolveMs: between(detectedAt, resolvedAt),
  };
}

/** Format a duration as `1h 05m`, `12m 30s` or `45s`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const sign = ms < 0 ? '-' : '';
  const total = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), sec = total % 60;
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${sign}${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sign}${sec}s`;
}

function earliest(times: string[]): string | null {
  let best: string | null = null;
  for (const t of times) if (best === null || Date.parse(t) < Date.parse(best)) best = t;
  return best;
}

function between(from: string | null, to: string | null): number | null {
  return from && to ? Date.parse(to) - Date.parse(from) : null;
}
