import type { Risk } from '../protocol/vocabulary';
import type { IncidentState } from './incidentState';

/** What ordering and filtering need of a prepared mitigation (the catalog's entry, git/mitigationCatalog.ts). */
export interface Prepared {
  readonly id: string;
  readonly risk: Risk;
  readonly services?: readonly string[] | undefined;
}

const RISK_RANK: Readonly<Record<Risk, number>> = { low: 0, medium: 1, high: 2 };

/** Alert labels that name the service a linked signal fires for. */
const SERVICE_LABELS = ['service', 'app', 'job'] as const;

/**
 * The services the incident is about, as far as it says: the `service` (or `app`, `job`) label of every linked
 * signal, and each of `known` (the catalog's service names) that the scope or the latest triage's routes, tenants
 * or note names as a word. Lower-case, in first-seen order; empty when nothing says.
 */
export function incidentServices(s: IncidentState, known: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const e of s.timeline) {
    if (e.kind !== 'signal.linked') continue;
    for (const label of SERVICE_LABELS) {
      const v = e.data.labels?.[label];
      if (v) out.add(v.toLowerCase());
    }
  }
  const t = s.triage;
  const text = [s.scope ?? '', ...(t ? [...t.routes, ...t.tenants, t.note ?? ''] : [])].join(' ').toLowerCase();
  for (const name of known) {
    const n = name.toLowerCase();
    // A word of its own: "checkout" in "EU checkout · payments" but not in "checkouts-v2".
    if (new RegExp(`(^|[^a-z0-9_-])${n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}($|[^a-z0-9_-])`).test(text)) out.add(n);
  }
  return [...out];
}

export interface PreparedList<T extends Prepared> {
  /** The ones to offer, lowest risk first (the catalog's order within a risk). */
  readonly shown: T[];
  /** How many the filter left out (prepared for other services). */
  readonly hidden: number;
  /** The services the list was filtered to; empty: not filtered. */
  readonly services: string[];
}

/**
 * Order the catalog lowest risk first and keep the ones for the incident's `services` (an entry naming no service
 * applies to any). When the incident names services and none of the catalog's entries matches, nothing is hidden:
 * an empty list would only send the responder to the file.
 */
export function preparedFor<T extends Prepared>(entries: readonly T[], services: readonly string[]): PreparedList<T> {
  const ordered = entries.map((e, i) => ({ e, i })).sort((a, b) => RISK_RANK[a.e.risk] - RISK_RANK[b.e.risk] || a.i - b.i).map((x) => x.e);
  if (services.length === 0) return { shown: ordered, hidden: 0, services: [] };
  const wanted = new Set(services.map((s) => s.toLowerCase()));
  const applies = (e: T) => !e.services?.length || e.services.some((s) => wanted.has(s.toLowerCase()));
  const matching = ordered.filter(applies);
  // Only entries that name no service would remain: the filter found nothing of the incident's own.
  if (!matching.some((e) => e.services?.length)) return { shown: ordered, hidden: 0, services: [] };
  return { shown: matching, hidden: ordered.length - matching.length, services: [...wanted] };
}
