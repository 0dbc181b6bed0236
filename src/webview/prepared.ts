import type { SidebarCommand, SidebarState } from '../protocol/webviewMessages';
import { h, icon } from './dom';

type Run = (command: SidebarCommand, args?: Record<string, unknown>) => void;
type Prepared = NonNullable<SidebarState['prepared']>;

const RISK_ICONS = { low: 'pass', medium: 'warning', high: 'flame' } as const;
const UNTRUSTED = 'Unavailable in Restricted Mode: a prepared mitigation runs a command from the repository, which only a trusted workspace may.';

/**
 * The repo's prepared mitigations inside the Mitigations section: lowest risk first, each with its risk, title,
 * kind and caution, and a Run button (which confirms with the exact command). The caution is on the row because it
 * is what a responder must read before choosing; what to watch afterwards is in the tooltip and the confirm.
 */
export function preparedList(prepared: Prepared | undefined, trusted: boolean, run: Run): HTMLElement | null {
  if (!prepared) return null;
  const { entries, hidden, services, problems } = prepared;
  const heading = services.length ? `Prepared for ${services.join(', ')}` : 'Prepared';
  return h('div', { class: 'prepared', 'data-testid': 'prepared-mitigations' },
    h('h3', { class: 'prepared-head' }, heading, h('span', { class: 'muted' }, ' · lowest risk first')),
    ...problems.map((p) => h('p', { class: 'warn prepared-problem', 'data-testid': 'prepared-problem' }, icon('warning'), ` ${p}`)),
    entries.length
      ? h('ul', { class: 'list prepared-list' }, ...entries.map((e) =>
        h('li', { class: `prepared-row risk-${e.risk}`, 'data-testid': 'prepared-row', 'data-id': e.id, title: `${e.title}\n${e.caution}\nAfterwards, watch: ${e.watch}` },
          h('span', { class: `risk risk-${e.risk}` }, icon(RISK_ICONS[e.risk]), ` ${e.risk}`),
          h('span', { class: 'prepared-title' }, e.title),
          h('button', {
            class: 'link prepared-run', 'data-testid': 'prepared-run', 'aria-label': `Run ${e.title}`,
            ...(trusted ? { title: `Run ${e.title} (shows the exact command first)`, onclick: () => run('incidentRoom.runMitigation', { id: e.id }) } : { title: UNTRUSTED, disabled: true, 'aria-disabled': 'true' }),
          }, 'Run'),
          h('span', { class: 'prepared-meta muted', title: e.caution }, `${e.kind}${e.services.length ? ` · ${e.services.join(', ')}` : ''} — ${e.caution}`))))
      : problems.length ? null : h('p', { class: 'muted' }, 'The catalog is empty.'),
    hidden > 0 ? h('p', { class: 'muted' }, `${hidden} more for other services (Run Mitigation in the palette lists them).`) : null,
  );
}
