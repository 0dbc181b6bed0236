import type { SidebarCommand, SidebarState, SignalView, WebviewToHost } from '../protocol/webviewMessages';
import { h, icon } from './dom';
import { elapsed } from './format';

type Run = (command: SidebarCommand, args?: Record<string, unknown>) => void;

/**
 * The channel's firing signals (alerts), above the incident: name, severity label (and the severity it maps to),
 * the summary, where, since when, its links, and what to do with it: Declare (the prefilled flow) or Attach to the
 * focused incident. A signal linked to the focused incident says so instead. Nothing when none fires.
 */
export function signalsSection(s: SidebarState, run: Run, post: (m: WebviewToHost) => void, tickers: (() => void)[]): HTMLElement | null {
  const signals = s.signals;
  if (!signals || signals.firing === 0) return null;
  const focused = s.incident && s.incident.status !== 'resolved' ? s.incident.id : undefined;
  const rows = signals.shown.map((sig) => signalRow(sig, focused, run, post, tickers));
  const more = signals.firing - signals.shown.length;
  return h('section', { class: 'block signals', 'data-testid': 'signals', 'aria-label': 'Firing alerts' },
    h('h2', {}, icon('bell'), h('span', {}, ` Firing (${count(signals.firing)})`)),
    h('ul', { class: 'list signal-list' }, ...rows,
      more > 0 ? h('li', { class: 'muted' }, h('button', { class: 'link', onclick: () => run('incidentRoom.declareFromSignal'), title: 'Pick from every firing alert' }, `${count(more)} more firing…`)) : null),
  );
}

/** A count as people read it in a storm: 9,990. */
const count = (n: number): string => n.toLocaleString('en-US');

function signalRow(sig: SignalView, focused: string | undefined, run: Run, post: (m: WebviewToHost) => void, tickers: (() => void)[]): HTMLElement {
  const since = h('span', { class: 'since', title: `Firing since ${new Date(sig.startsAt).toLocaleString()}` });
  tickers.push(() => { since.textContent = `firing ${elapsed(sig.startsAt, Date.now())}`; });
  const sev = sig.severity
    ? h('span', { class: `sev ${sig.severity.toLowerCase()}`, title: `${sig.severityLabel ?? ''} → ${sig.severity} (incidentRoom.signals.severityMap)` }, sig.severity)
    : null;
  const linkedHere = sig.incidentId !== null && sig.incidentId === focused;
  const actions: HTMLElement[] = [];
  if (linkedHere) {
    actions.push(h('span', { class: 'linked muted', 'data-testid': 'signal-linked' }, icon('link'), ` linked to ${sig.incidentId}`));
  } else {
    if (sig.incidentId) actions.push(h('span', { class: 'linked muted' }, icon('link'), ` ${sig.incidentId}`));
    actions.push(h('button', {
      class: focused ? 'link' : 'link strong', 'data-testid': 'signal-declare', title: `Declare an incident from ${sig.name} (the form starts filled in)`,
      'aria-label': `Declare from ${sig.name}`, onclick: () => run('incidentRoom.declareFromSignal', { fingerprint: sig.fingerprint }),
    }, 'Declare'));
    if (focused) {
      actions.push(h('button', {
        class: 'link', 'data-testid': 'signal-attach', title: `Link ${sig.name} to ${focused}: its resolution lands on the timeline`,
        'aria-label': `Attach ${sig.name} to ${focused}`, onclick: () => run('incidentRoom.attachSignal', { fingerprint: sig.fingerprint }),
      }, 'Attach'));
    }
  }
  const links = sig.links.map((label) => h('button', {
    class: 'link', title: `Open the alert's ${label.toLowerCase()} in the browser`,
    onclick: () => post({ type: 'openSignalLink', fingerprint: sig.fingerprint, link: label }),
  }, label));
  return h('li', { class: `signal${linkedHere ? ' linked-here' : ''}`, 'data-testid': 'signal', 'data-fingerprint': sig.fingerprint },
    h('div', { class: 'signal-head' },
      icon('bell-dot'), sev,
      h('span', { class: 'signal-name' }, sig.name),
      sig.severityLabel && !sig.severity ? h('span', { class: 'muted' }, ` ${sig.severityLabel}`) : null,
      h('span', { class: 'spacer' }), since),
    sig.summary !== sig.name ? h('div', { class: 'signal-summary' }, sig.summary) : null,
    sig.where ? h('div', { class: 'signal-where muted' }, sig.where) : null,
    h('div', { class: 'signal-actions' }, ...actions, ...(links.length ? [h('span', { class: 'spacer' }), ...links] : [])),
  );
}
