import type { Severity } from '../protocol/events';

/** What each severity means, for pickers and the postmortem. */
export const SEVERITY_POLICY: Readonly<Record<Severity, { label: string; criteria: string; cadenceMinutes: number | null }>> = {
  SEV1: { label: 'Critical', criteria: 'Major outage for most users, data loss or security breach', cadenceMinutes: 15 },
  SEV2: { label: 'Significant', criteria: 'Partial outage or degraded service for a substantial segment', cadenceMinutes: 30 },
  SEV3: { label: 'Minor', criteria: 'Limited functionality, a workaround exists', cadenceMinutes: 60 },
  SEV4: { label: 'Low', criteria: 'Cosmetic, very few users affected', cadenceMinutes: null },
};

/** Minutes between status updates per severity; `null` means no cadence. */
export type CadencePolicy = Readonly<Record<Severity, number | null>>;

/** The default status-update cadence: SEV1 15 min, SEV2 30, SEV3 60, SEV4 none. */
export const DEFAULT_CADENCE: CadencePolicy = {
  SEV1: SEVERITY_POLICY.SEV1.cadenceMinutes,
  SEV2: SEVERITY_POLICY.SEV2.cadenceMinutes,
  SEV3: SEVERITY_POLICY.SEV3.cadenceMinutes,
  SEV4: SEVERITY_POLICY.SEV4.cadenceMinutes,
};
