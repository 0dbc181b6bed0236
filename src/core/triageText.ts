import type { ImpactCheck, ImpactLevel, Trend, UserShare } from '../protocol/events';
import type { Triage } from './incidentState';

/** The three impacts triage checks separately, in the order they are shown. */
export const IMPACT_KINDS = ['customer', 'financial', 'dataIntegrity'] as const;
export type ImpactKind = (typeof IMPACT_KINDS)[number];

/** How each impact is named: `Customer impact: confirmed`. */
export const IMPACT_LABELS = { customer: 'Customer', financial: 'Financial', dataIntegrity: 'Data integrity' } as const satisfies Record<ImpactKind, string>;

/** How each share of users reads at the start of a line: `Some users`. */
export const USER_SHARE_LABELS = {
  unknown: 'Users affected: unknown share', few: 'Few users', some: 'Some users', most: 'Most users', all: 'All users',
} as const satisfies Record<UserShare, string>;

/** What each trend means, for pickers and the sidebar's tooltip. */
export const TREND_HELP = {
  growing: 'More users or requests are affected as time goes on',
  stable: 'The impact is steady: not spreading, not receding',
  shrinking: 'Fewer are affected than before: recovering',
  unknown: 'Not known yet',
} as const satisfies Record<Trend, string>;

/** What each impact level means, for pickers. */
export const IMPACT_LEVEL_HELP = {
  none: 'Checked: no impact of this kind',
  suspected: 'Possible, not yet shown',
  confirmed: 'Shown by evidence',
} as const satisfies Record<ImpactLevel, string>;

/** `1,200` — counts of users in one fixed style, whatever the machine's locale. */
export const countOf = (n: number): string => n.toLocaleString('en-US');

/** Who is affected in one line: `Some users · ~1,200 · EU card payers`. */
export function whoText(t: Pick<Triage, 'users'>): string {
  return [USER_SHARE_LABELS[t.users.share], t.users.count !== undefined ? `~${countOf(t.users.count)}` : '', t.users.text ?? '']
    .filter(Boolean).join(' · ');
}

/** Where, in one line (`eu-west-1, /pay, tenant acme`), or '' when no region, route or tenant was named. */
export function whereText(t: Pick<Triage, 'regions' | 'routes' | 'tenants'>): string {
  return [...t.regions, ...t.routes, ...t.tenants.map((x) => `tenant ${x}`)].join(', ');
}

/** Each impact with its name, in the order shown. */
export function impactsOf(t: Pick<Triage, ImpactKind>): { kind: ImpactKind; label: string; check: ImpactCheck }[] {
  return IMPACT_KINDS.map((kind) => ({ kind, label: IMPACT_LABELS[kind], check: t[kind] }));
}

/** Most items a scope list (regions, routes, tenants) may hold, and the longest item (the wire's limits). */
export const SCOPE_LIST_MAX = { items: 50, chars: 200 } as const;

/**
 * A comma-separated list as typed (`eu-west-1, us-east-1`): trimmed, empty items dropped, each once. An error
 * message instead when it breaks the wire's limits.
 */
export function parseList(text: string): { items: string[] } | { error: string } {
  const items = [...new Set(text.split(/[,\n]/).map((x) => x.trim()).filter(Boolean))];
  if (items.length > SCOPE_LIST_MAX.items) return { error: `At most ${SCOPE_LIST_MAX.items} items` };
  const long = items.find((x) => x.length > SCOPE_LIST_MAX.chars);
  if (long) return { error: `"${long.slice(0, 24)}…" is longer than ${SCOPE_LIST_MAX.chars} characters` };
  return { items };
}

/**
 * An estimate of how many users, as typed: `1200`, `1,200`, `~1200`, `1.2k`, `3m`; undefined when empty; null when
 * it is not a count.
 */
export function parseCount(text: string): number | undefined | null {
  const t = text.trim().replace(/^(~|≈|about\s+|approx\.?\s*)/i, '').replace(/[\s,_]/g, '');
  if (t === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(t);
  if (!m) return null;
  const n = Math.round(Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6 } as const)[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm']);
  return Number.isSafeInteger(n) && n <= 1e12 ? n : null;
}
