import type { Status } from '../../protocol/vocabulary';
import type { StatusIncident, StatusPage, StatusUpdateEntry } from '../statusSchema';
import type { ConnectionState } from './statusConnection';

// The page's DOM. Every string from the server is set with textContent (never innerHTML), so a title or an update
// that holds markup is shown as the text it is.

const STATUS_LABELS: Readonly<Record<Status, string>> = {
  investigating: 'Investigating', identified: 'Cause identified', mitigating: 'Fix in progress', monitoring: 'Monitoring', resolved: 'Resolved',
};

/** `el('p', 'muted', 'text')`: an element with a class and text content. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const secondsFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** `14:32 UTC`, or `Mon 21 Nov, 14:32 UTC` for another day. */
export function clock(iso: string, now: number): string {
  const d = new Date(iso);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? clockFormat.format(d) : `${dayFormat.format(d)}, ${clockFormat.format(d)}`;
}

/** `3 h 5 min`, `12 min`, `less than a minute`. */
export function span(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  return [days && `${days} d`, hours && `${hours} h`, mins && !days && `${mins} min`].filter(Boolean).join(' ');
}

const ago = (iso: string, now: number): string => (now - Date.parse(iso) < 60_000 ? 'just now' : `${span(now - Date.parse(iso))} ago`);

export class StatusView {
  private page: StatusPage | null = null;
  private state: ConnectionState = { kind: 'connecting' };
  /** Incidents whose earlier updates the reader opened: kept open across repaints. */
  private readonly openHistories = new Set<string>();
  private lastChange = 0;
  /** Called with the token the reader typed. */
  onToken: (token: string) => void = () => undefined;

  constructor(private readonly channel: string, private readonly root: { main: HTMLElement; connection: HTMLElement; footer: HTMLElement }) {}

  showPage(page: StatusPage): void {
    this.page = page;
    this.lastChange = Date.now();
    this.render();
  }

  showState(state: ConnectionState): void {
    const hadForm = this.state.kind === 'needToken' || this.state.kind === 'refused';
    this.state = state;
    this.renderConnection();
    if (state.kind === 'needToken' || state.kind === 'refused') this.renderTokenForm();
    else if (hadForm) this.render();
  }

  /** Once a second: the reconnect countdown; relative times every 30 s. */
  tick(): void {
    this.renderConnection();
    if (this.page && Math.floor(Date.now() / 1000) % 30 === 0 && this.state.kind !== 'needToken' && this.state.kind !== 'refused') this.render();
  }

  private renderConnection(): void {
    const c = this.root.connection;
    const s = this.state;
    c.className = `connection ${s.kind}`;
    switch (s.kind) {
      case 'connecting':
        c.textContent = 'Connecting…';
        return;
      case 'live':
        c.textContent = 'Live';
        return;
      case 'reconnecting': {
        const left = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
        const since = this.lastChange ? ` Showing the status as of ${secondsFormat.format(this.lastChange)}.` : '';
        c.textContent = `Reconnecting${left > 0 ? ` in ${left} s` : '…'} — ${s.reason}.${since}`;
        return;
      }
      case 'needToken':
        c.textContent = 'Token needed';
        return;
      case 'refused':
        c.textContent = 'Refused';
        return;
    }
  }

  private render(): void {
    const main = this.root.main;
    const page = this.page;
    if (!page) {
      main.replaceChildren(el('p', 'notice', 'Loading the status…'));
      return;
    }
    const now = Date.now();
    const open = el('section', 'group');
    open.setAttribute('aria-labelledby', 'open-heading');
    const openHeading = el('h2', 'group-heading', page.open.length ? `Open incidents (${page.open.length})` : 'Open incidents');
    openHeading.id = 'open-heading';
    open.append(openHeading);
    if (page.open.length === 0) {
      const none = el('div', 'all-clear');
      none.dataset.testid = 'no-incidents';
      none.append(el('p', 'all-clear-title', 'No open incidents'), el('p', 'muted', `Nothing is being worked on in ${page.channel} right now. This page updates by itself.`));
      open.append(none);
    }
    for (const i of page.open) open.append(this.incident(i, now));
    const parts: HTMLElement[] = [open];
    if (page.recentlyResolved.length > 0) {
      const resolved = el('section', 'group');
      resolved.setAttribute('aria-labelledby', 'resolved-heading');
      const heading = el('h2', 'group-heading', 'Resolved in the last 72 hours');
      heading.id = 'resolved-heading';
      resolved.append(heading);
      for (const i of page.recentlyResolved) resolved.append(this.incident(i, now));
      parts.push(resolved);
    }
    main.replaceChildren(...parts);
    this.renderFooter();
  }

  private incident(i: StatusIncident, now: number): HTMLElement {
    const card = el('article', `incident ${i.severity.toLowerCase()} ${i.status}`);
    card.dataset.testid = 'incident';
    card.dataset.incident = i.id;
    const head = el('div', 'badges');
    head.append(
      el('span', `badge sev ${i.severity.toLowerCase()}`, `${i.severity} · ${i.severityLabel}`),
      el('span', `badge status ${i.status}`, STATUS_LABELS[i.status]),
      el('span', 'incident-id', i.id),
    );
    const title = el('h3', 'title', i.title);
    title.dataset.testid = 'title';
    const meaning = el('p', 'meaning', `${i.severity} means: ${i.severityMeaning}.`);
    card.append(head, title, meaning, this.facts(i, now), this.latest(i, now));
    const earlier = i.updates.slice(1);
    if (earlier.length > 0) card.append(this.history(i.id, earlier, now));
    return card;
  }

  private facts(i: StatusIncident, now: number): HTMLElement {
    const dl = el('dl', 'facts');
    const fact = (term: string, value: string, className = '') => {
      const row = el('div', `fact ${className}`.trim());
      row.append(el('dt', undefined, term), el('dd', undefined, value));
      dl.append(row);
    };
    fact('Began', `${clock(i.startedAt, now)} · ${ago(i.startedAt, now)}`);
    if (i.resolvedAt) {
      fact('Resolved', `${clock(i.resolvedAt, now)} · lasted ${span(Date.parse(i.resolvedAt) - Date.parse(i.startedAt))}`);
    } else {
      fact(`${STATUS_LABELS[i.status]} since`, `${clock(i.statusSince, now)} · ${ago(i.statusSince, now)}`);
      if (i.nextUpdateDue) {
        const left = Date.parse(i.nextUpdateDue) - now;
        fact('Next update', left >= 0 ? `by ${clock(i.nextUpdateDue, now)} · in ${span(left)}` : `was due ${clock(i.nextUpdateDue, now)} · ${span(left)} late`, left >= 0 ? 'next' : 'next overdue');
      } else {
        fact('Next update', 'when there is news');
      }
    }
    return dl;
  }

  private latest(i: StatusIncident, now: number): HTMLElement {
    const box = el('section', 'latest');
    box.dataset.testid = 'latest-update';
    const u = i.latestUpdate;
    if (!u) {
      box.append(el('h4', 'latest-heading', 'Latest update'), el('p', 'muted', 'No public update has been posted yet.'));
      return box;
    }
    const text = el('p', 'update-text', u.text);
    text.dataset.testid = 'update-text';
    box.append(el('h4', 'latest-heading', `Latest update · ${clock(u.postedAt, now)}`), text);
    if (u.eta && !i.resolvedAt) {
      const eta = el('p', 'eta');
      eta.append(el('strong', undefined, `Expected resolution: ${clock(u.eta, now)}`), el('span', 'muted', ' (estimate; it may change with the next update).'));
      eta.dataset.testid = 'update-eta';
      box.append(eta);
    }
    if (u.nextUpdateBy && !i.resolvedAt) box.append(el('p', 'promise', `Next update promised by ${clock(u.nextUpdateBy, now)}.`));
    return box;
  }

  private history(id: string, earlier: readonly StatusUpdateEntry[], now: number): HTMLElement {
    const details = el('details', 'history');
    details.open = this.openHistories.has(id);
    details.addEventListener('toggle', () => {
      if (details.open) this.openHistories.add(id);
      else this.openHistories.delete(id);
    });
    details.append(el('summary', undefined, `Earlier updates (${earlier.length})`));
    const list = el('ol', 'history-list');
    for (const u of earlier) {
      const item = el('li', 'history-item');
      item.append(el('p', 'when', clock(u.postedAt, now)), el('p', 'update-text', u.text));
      list.append(item);
    }
    details.append(list);
    return details;
  }

  private renderFooter(): void {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const json = el('a', undefined, 'status.json');
    json.href = 'status.json';
    json.rel = 'noreferrer';
    this.root.footer.replaceChildren(
      el('span', undefined, `Updates appear here by themselves. Times are in your time zone${zone ? ` (${zone})` : ''}. Also as `),
      json, el('span', undefined, '.'),
    );
  }

  private renderTokenForm(): void {
    const s = this.state;
    const card = el('section', 'token-card');
    card.dataset.testid = 'token-form';
    card.append(el('h2', 'token-heading', 'This status page needs an access token'));
    const why = s.kind === 'refused' ? `The server refused: ${s.message}`
      : s.kind === 'needToken' && s.reason === 'rejected' ? 'That token was not accepted. Check it and try again.'
        : s.kind === 'needToken' && s.reason === 'forbidden' ? `That token does not give access to ${this.channel}.`
          : `Ask the incident team for a read-only token for ${this.channel}. It is kept only in this browser tab and never put in a link.`;
    const reason = el('p', s.kind === 'needToken' && s.reason === 'none' ? 'muted' : 'problem', why);
    reason.dataset.testid = 'token-reason';
    const form = el('form', 'token-form');
    form.method = 'post';
    const label = el('label', undefined, 'Access token');
    const input = el('input');
    input.type = 'password';
    input.name = 'token';
    input.autocomplete = 'off';
    input.required = true;
    input.spellcheck = false;
    label.append(input);
    form.append(label, el('button', undefined, 'Show status'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (token) this.onToken(token);
    });
    card.append(reason, form);
    this.root.main.replaceChildren(card);
    this.root.footer.replaceChildren();
    input.focus();
  }
}
