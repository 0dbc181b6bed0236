import type { Severity } from '../protocol/events';
import type { IncidentState, Triage } from './incidentState';

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

/** A severity the latest triage suggests, and why, in words shown to users. */
export interface SeveritySuggestion {
  readonly severity: Severity;
  /** Each finding that led to it, e.g. `data integrity impact confirmed`. */
  readonly reasons: readonly string[];
  /** One line for people: `SEV1 suggested: data integrity impact confirmed`. */
  readonly text: string;
}

interface SuggestionRule {
  readonly severity: Severity;
  /** The finding in words, or null when the rule does not apply. */
  readonly finding: (t: Triage) => string | null;
}

const wide = (t: Triage): boolean => t.users.share === 'most' || t.users.share === 'all';

/**
 * The rules, worst first; every rule that applies is a finding, and the worst severity among them is the
 * suggestion. Severity follows impact, not how loud the channel is:
 *
 * | Suggests | When the latest triage says                                                                 |
 * |----------|---------------------------------------------------------------------------------------------|
 * | SEV1     | data-integrity impact confirmed; or most or all users affected                              |
 * | SEV2     | customer impact confirmed for some users, or for an unknown share; financial impact          |
 * |          | confirmed; data-integrity impact suspected                                                  |
 * | SEV3     | customer or financial impact suspected; customer impact confirmed for few users; few or some |
 * |          | users affected with customer impact none (internal users, say)                              |
 * | SEV4     | none of these: no impact found and no share of users named                                  |
 *
 * Then the trend: a SEV3 that is **growing** is suggested as SEV2 (a limited impact that spreads needs the
 * attention and the update cadence before it becomes significant, not after); it never lifts to SEV1, which takes
 * evidence of major impact.
 *
 * Two choices a reader might not expect. Suspected data-integrity damage is SEV2, not SEV3: it compounds while
 * nobody looks (every write may add to it), and "when unsure, take the higher one" is the rule responders follow;
 * ruling it out brings the suggestion down again. Confirmed customer impact with the share unknown is SEV2: the
 * reach is not measured yet, and under-calling it is the costlier mistake.
 */
export const SUGGESTION_RULES: readonly SuggestionRule[] = [
  { severity: 'SEV1', finding: (t) => (t.dataIntegrity.level === 'confirmed' ? 'data integrity impact confirmed' : null) },
  { severity: 'SEV1', finding: (t) => (wide(t) ? `${t.users.share} users affected` : null) },
  {
    severity: 'SEV2',
    finding: (t) => (t.customer.level !== 'confirmed' ? null
      : t.users.share === 'some' ? 'customer impact confirmed for some users'
        : t.users.share === 'unknown' ? 'customer impact confirmed, share of users unknown' : null),
  },
  { severity: 'SEV2', finding: (t) => (t.financial.level === 'confirmed' ? 'financial impact confirmed' : null) },
  { severity: 'SEV2', finding: (t) => (t.dataIntegrity.level === 'suspected' ? 'data integrity impact suspected' : null) },
  { severity: 'SEV3', finding: (t) => (t.customer.level === 'confirmed' && t.users.share === 'few' ? 'customer impact confirmed for few users' : null) },
  { severity: 'SEV3', finding: (t) => (t.customer.level === 'suspected' ? 'customer impact suspected' : null) },
  { severity: 'SEV3', finding: (t) => (t.financial.level === 'suspected' ? 'financial impact suspected' : null) },
  {
    severity: 'SEV3',
    finding: (t) => ((t.users.share === 'few' || t.users.share === 'some') && t.customer.level === 'none' ? `${t.users.share} users affected` : null),
  },
];

/**
 * The severity a triage suggests, with its reasons (see {@link SUGGESTION_RULES} for the policy). It only
 * suggests: changing the severity is a responder's decision, made with Incident: Change Severity.
 */
export function suggestSeverity(t: Triage): SeveritySuggestion {
  const findings = SUGGESTION_RULES.flatMap((r) => {
    const finding = r.finding(t);
    return finding ? [{ severity: r.severity, finding }] : [];
  });
  const worst = findings.reduce<Severity>((w, f) => (f.severity < w ? f.severity : w), 'SEV4'); // 'SEV1' < 'SEV2'
  const reasons = findings.filter((f) => f.severity === worst).map((f) => f.finding);
  let severity = worst;
  if (worst === 'SEV3' && t.trend === 'growing') {
    severity = 'SEV2';
    reasons.push('impact growing');
  }
  if (reasons.length === 0) reasons.push('no customer, financial or data-integrity impact found');
  const text = `${severity} suggested: ${reasons.join('; ')}`;
  return { severity, reasons, text };
}

/** What the incident's latest triage suggests, and whether it differs from its severity now; null before any triage. */
export function incidentSuggestion(s: IncidentState): (SeveritySuggestion & { readonly differs: boolean }) | null {
  if (!s.triage) return null;
  const suggestion = suggestSeverity(s.triage);
  return { ...suggestion, differs: suggestion.severity !== s.severity };
}
