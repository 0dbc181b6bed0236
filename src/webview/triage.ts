import { TREND_HELP } from '../core/triageText';
import type { ImpactLevel, Trend } from '../protocol/events';
import type { IncidentView, SidebarCommand } from '../protocol/webviewMessages';
import { h, icon } from './dom';
import { clock } from './format';

type Run = (command: SidebarCommand, args?: Record<string, unknown>) => void;

const TREND_ICONS: Readonly<Record<Trend, string>> = { growing: 'arrow-up', stable: 'arrow-right', shrinking: 'arrow-down', unknown: 'question' };
// An icon per level as well as a colour, so the level reads without colour (high contrast, colour blindness).
const LEVEL_ICONS: Readonly<Record<ImpactLevel, string>> = { confirmed: 'error', suspected: 'warning', none: 'pass' };

/** `suggests SEV1` beside the severity when the latest triage suggests another; its reason in the tooltip. */
export function suggestionBadge(i: IncidentView): HTMLElement | null {
  if (!i.suggestion) return null;
  return h('span', { class: `suggests ${i.suggestion.severity.toLowerCase()}`, 'data-testid': 'severity-suggestion', title: `${i.suggestion.text} (current ${i.severity}). Only a suggestion: Change Severity decides.` },
    `suggests ${i.suggestion.severity}`);
}

/**
 * The latest triage, right under the incident's card: who, where, the trend and the three impacts (evidence in
 * each one's tooltip), when and by whom, the suggested severity with Change severity, and Re-triage. Before the
 * first triage, a plain prompt to record one: scope before cleverness.
 */
export function triageSection(i: IncidentView, run: Run): HTMLElement {
  const t = i.triage;
  const action = h('button', {
    class: 'btn', 'data-testid': 'triage-record', title: t ? 'Record a new triage, starting from this one' : 'Record who is affected, where, the trend and the impacts',
    onclick: () => run('incidentRoom.triage'),
  }, icon(t ? 'edit' : 'telescope'), h('span', {}, t ? 'Re-triage' : 'Record Triage'));
  const heading = h('h2', {}, icon('telescope'), h('span', {}, ' Triage'), h('span', { class: 'spacer' }), action);
  if (!t) {
    return h('section', { class: 'block triage', 'data-testid': 'triage' }, heading,
      h('p', { class: 'triage-missing', 'data-testid': 'triage-missing' }, icon('warning'),
        h('span', {}, ' Triage not recorded — who is affected, where, is it growing, and is there customer, financial or data-integrity impact?')));
  }
  const row = (label: string, ...value: (Node | string)[]) => [h('span', { class: 'triage-label' }, label), h('span', { class: 'triage-value' }, ...value)];
  const impacts = t.impacts.map((x) => h('span', {
    class: `impact lvl-${x.level}`, 'data-testid': 'triage-impact', 'data-kind': x.kind,
    title: `${x.label} impact ${x.level}${x.evidence ? `: ${x.evidence}` : ''}`,
  }, icon(LEVEL_ICONS[x.level]), ` ${x.label} ${x.level}`));
  return h('section', { class: 'block triage', 'data-testid': 'triage' }, heading,
    h('div', { class: 'triage-grid' },
      ...row('Who', t.who),
      ...(t.where ? row('Where', t.where) : []),
      ...row('Trend', h('span', { class: `trend ${t.trend}`, title: TREND_HELP[t.trend] }, icon(TREND_ICONS[t.trend]), ` ${t.trend}`)),
      ...row('Impact', h('span', { class: 'impacts' }, ...impacts))),
    t.note ? h('p', { class: 'triage-note' }, t.note) : null,
    i.suggestion
      ? h('p', { class: 'triage-suggestion', 'data-testid': 'triage-suggestion' }, icon('lightbulb'),
        h('span', {}, ` ${i.suggestion.text} (current ${i.severity}) `),
        h('button', { class: 'link inline', onclick: () => run('incidentRoom.changeSeverity'), title: `Change the severity: ${i.suggestion.severity} comes first; you confirm` }, 'Change severity'))
      : null,
    h('p', { class: 'muted triage-meta', title: new Date(t.at).toString() },
      `Recorded ${clock(t.at, Date.now())} by ${t.by}${t.records > 1 ? ` · ${t.records - 1} earlier on the timeline` : ''}`),
  );
}
