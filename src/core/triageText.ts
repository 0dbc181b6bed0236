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
