import { LOST_ENTRY_KIND } from '../core/timelineText';
import { HostToWebview, type IncidentView, type SidebarCommand, type SidebarState, type TimelineEntryView, type WebviewToHost } from '../protocol/webviewMessages';
import { h, icon } from './dom';
import { countText, durationText } from '../core/durationText';
import { clock, dueIn, elapsed } from './format';
import { suggestionBadge, triageSection } from './triage';
import { signalsSection } from './signals';
import { mitigationRow } from './mitigationRow';
import { workstreamsSection } from './workstreams';
import { preparedList } from './prepared';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;
/** Older timeline entries are asked of the host a page at a time as the user scrolls, so a 5,000-entry incident opens fast. */
const TIMELINE_PAGE = 200;

let current: SidebarState | undefined;
/** The timeline entries held (the state's first page plus pages loaded since), newest first. */
let entries: TimelineEntryView[] = [];
let timelineList: HTMLElement | undefined;
let moreRow: HTMLElement | undefined;
let loading = false;
let tickers: (() => void)[] = [];

const post = (m: WebviewToHost): void => vscode.postMessage(m);
const run = (command: SidebarCommand, args?: Record<string, unknown>): void => post({ type: 'command', command, ...(args ? { args } : {}) });

const ROLLBACK_UNTRUSTED = 'Rollback is unavailable in Restricted Mode: it runs git and your rollback command, which only a trusted workspace may.';

function button(label: string, codicon: string, command: SidebarCommand, opts: { primary?: boolean; title?: string; args?: Record<string, unknown>; testid?: string; disabled?: boolean } = {}): HTMLButtonElement {
  return h('button', {
    class: opts.primary ? 'btn primary' : 'btn', title: opts.title ?? label, 'data-testid': opts.testid,
    ...(opts.disabled ? { disabled: true, 'aria-disabled': 'true' } : { onclick: () => run(command, opts.args) }),
  }, icon(codicon), h('span', {}, label));
}

function render(state: SidebarState): void {
  const started = performance.now();
  // Keep how deep the user had scrolled: a new state brings the first page again, the rest is re-fetched.
  const wanted = current?.incident?.id === state.incident?.id ? entries.length : 0;
  current = state;
  entries = [...(state.incident?.timeline ?? [])];
  loading = false; // a page asked for before this state is dropped on arrival (its offset no longer matches)
  vscode.setState({ incidentId: state.incident?.id });
  tickers = [];
  const nodes: Node[] = [connectionBar(state)];
  // Firing alerts: with no incident they come first (they are how one starts); with one, right under its card.
  if (!state.incident) {
    const signals = signalsSection(state, run, post, tickers);
    if (signals) nodes.push(signals);
  }
  nodes.push(state.incident ? incidentPanel(state.incident, state) : welcome(state));
  root.replaceChildren(...nodes);
  tick();
  const total = state.incident?.timelineTotal ?? 0;
  if (state.incident && wanted > entries.length) requestTimeline(state.incident.id, Math.min(wanted, total) - entries.length);
  // Report after layout so the figure includes the browser's work, not just building the DOM.
  requestAnimationFrame(() => post({ type: 'rendered', entries: total, ms: performance.now() - started }));
}

function requestTimeline(incidentId: string, count: number): void {
  if (loading || count <= 0) return;
  loading = true;
  post({ type: 'loadTimeline', incidentId, offset: entries.length, count: Math.min(1000, count) });
}

function connectionBar(s: SidebarState): HTMLElement {
  const c = s.connection;
  const cls = c.status === 'online' ? 'ok' : c.status === 'connecting' ? 'pending' : 'bad';
  const codicon = c.status === 'online' ? (c.mode === 'local' ? 'device-desktop' : 'broadcast') : c.status === 'connecting' ? 'sync' : 'debug-disconnect';
  // The reason can be long (a URL and an errno): two lines at most, the whole of it in the tooltip; Reconnect stays.
  return h('div', { class: `connection ${cls}`, 'data-testid': 'connection-state', role: 'status' },
    icon(codicon), h('span', { class: 'connection-text', title: c.text }, c.text),
    c.status !== 'online' ? h('button', { class: 'link', 'data-testid': 'reconnect', onclick: () => run('incidentRoom.connect') }, 'Reconnect') : null,
    s.rejected > 0 ? h('button', { class: 'link warn', onclick: () => run('incidentRoom.showLog'), title: 'Events the server refused are kept; see the log' }, `${s.rejected} refused`) : null,
  );
}

function welcome(s: SidebarState): HTMLElement {
  return h('section', { class: 'welcome' },
    h('h2', {}, 'No incident'),
    h('p', {}, 'When something is broken, declare an incident: everyone on the channel sees it live, takes a role, '
      + 'adds notes from the code and follows the recent deploys, here beside the code.'),
    s.pendingDeclarations > 0 ? h('p', { class: 'warn' }, `${countText(s.pendingDeclarations, 'declaration')} queued until the channel is back.`) : null,
    button('Declare Incident', 'flame', 'incidentRoom.declare', { primary: true, testid: 'declare' }),
    h('p', { class: 'muted' }, 'You appear to others as ', h('strong', {}, s.me.name), '. ',
      h('button', { class: 'link inline', onclick: () => run('incidentRoom.setIdentity'), title: 'Set the name and id others see' }, 'Change')),
    s.otherIncidents.length ? h('h3', {}, 'On this channel') : null,
    ...s.otherIncidents.map((i) => h('button', { class: 'incident-link', onclick: () => run('incidentRoom.switchIncident', { incidentId: i.id }) },
      h('span', { class: `sev ${i.severity.toLowerCase()}` }, i.severity), h('span', {}, ` ${i.id} ${i.title}`), h('span', { class: 'muted' }, ` · ${i.status}`))),
  );
}

function incidentPanel(i: IncidentView, s: SidebarState): HTMLElement {
  const elapsedEl = h('span', { class: 'elapsed', 'data-testid': 'incident-elapsed', title: `Time since detection at ${new Date(i.detectedAt).toLocaleString()}` });
  const endAt = i.resolvedAt ? Date.parse(i.resolvedAt) : null;
  tickers.push(() => { elapsedEl.textContent = elapsed(i.detectedAt, endAt ?? Date.now()); });
  return h('div', { class: 'incident' },
    h('header', { class: `head sev-${i.severity.toLowerCase()}`, 'data-testid': 'incident-card' },
      h('div', { class: 'row1' },
        h('span', { class: `sev ${i.severity.toLowerCase()}`, 'data-testid': 'incident-severity', title: i.severityLabel }, i.severity),
        suggestionBadge(i),
        h('span', { class: 'id' }, i.id),
        h('span', { class: `status st-${i.status}`, 'data-testid': 'incident-status' }, i.status),
        elapsedEl),
      h('h1', { 'data-testid': 'incident-title' }, i.title),
      i.symptom ? h('p', { class: 'symptom' }, i.symptom) : null,
      i.scope ? h('p', { class: 'muted' }, `Scope: ${i.scope}`) : null,
      needsMe(i, s),
    ),
    signalsSection(s, run, post, tickers),
    triageSection(i, run),
    section('Roles', 'organization', h('div', {}, rolesList(i), presenceLine(s))),
    workstreamsSection(i, run),
    notesSection(i),
    mitigations(i, s),
    i.flaggedDeploys.length ? section('Suspect deploys', 'rocket', h('ul', { class: 'list' }, ...i.flaggedDeploys.map((d) =>
      h('li', {}, h('code', {}, d.ref), ` ${d.sha.slice(0, 7)}`, d.reason ? h('span', { class: 'muted' }, ` — ${d.reason}`) : null)))) : null,
    actionItems(i),
    timeline(i),
  );
}

/**
 * What needs me, in the card: my roles, the next update (due or overdue) and the one primary action of the moment,
 * post the update, or once resolved, write the postmortem. Every other action is in the view's title bar and its
 * "…" menu, on the rows it acts on, and in the palette.
 */
function needsMe(i: IncidentView, s: SidebarState): HTMLElement {
  let due: HTMLElement | null = null;
  if (i.nextUpdate) {
    const at = i.nextUpdate.dueAt;
    const el = h('span', { class: i.nextUpdate.overdue ? 'due overdue' : 'due', 'data-testid': 'update-due' });
    tickers.push(() => {
      const text = dueIn(at, Date.now());
      el.textContent = `update ${text}`;
      el.classList.toggle('overdue', text.startsWith('overdue'));
    });
    due = el;
  }
  const eta = i.eta && !(i.status === 'resolved') ? etaBadge(i.eta) : null;
  const resolved = i.status === 'resolved';
  const action = resolved
    ? button('Write postmortem', 'book', 'incidentRoom.generatePostmortem', { primary: true, title: 'Generate the blameless postmortem draft' })
    : button('Post update', 'megaphone', 'incidentRoom.postUpdate', { primary: !!i.nextUpdate?.overdue, title: 'Post a status update (internal or external)' });
  return h('div', { class: 'me', 'data-testid': 'needs-me' },
    h('span', { 'data-testid': 'my-role', class: i.myRoles.length ? 'my-role has-role' : 'my-role' },
      icon('account'), i.myRoles.length ? `You: ${i.myRoles.join(', ')}` : `You (${s.me.name}) hold no role`),
    due, eta, h('span', { class: 'spacer' }), action);
}

/** The ETA in force: `ETA 15:30 (estimate)`, `(moved from 15:00)` after the last update moved it, `passed` once it has. */
function etaBadge(eta: NonNullable<IncidentView['eta']>): HTMLElement {
  const el = h('span', { class: 'due eta', 'data-testid': 'incident-eta', title: `Estimate given ${new Date(eta.givenAt).toLocaleString()}: ${new Date(eta.at).toLocaleString()}` });
  tickers.push(() => {
    const now = Date.now();
    const passed = Date.parse(eta.at) < now;
    el.textContent = `ETA ${clock(eta.at, now)} ${passed ? '(passed)' : eta.movedFrom ? `(estimate, moved from ${clock(eta.movedFrom, now)})` : '(estimate)'}`;
    el.classList.toggle('overdue', passed);
  });
  return el;
}

function mitigations(i: IncidentView, s: SidebarState): HTMLElement {
  const trusted = s.trusted !== false;
  // Once resolved, there is nothing left to mitigate from here (the palette still has Roll Back Deploy).
  const rollback = i.status === 'resolved' ? null : trusted
    ? button('Roll back', 'discard', 'incidentRoom.rollback', { title: 'Roll back a deploy' })
    : button('Roll back', 'discard', 'incidentRoom.rollback', { title: ROLLBACK_UNTRUSTED, disabled: true, testid: 'rollback-unavailable' });
  const now = Date.now();
  const rows = [...i.mitigations].reverse().map((m) => mitigationRow(m, run, now));
  return section('Mitigations', 'tools', h('div', {},
    rows.length ? h('ul', { class: 'list' }, ...rows) : h('p', { class: 'muted' }, 'None yet.'),
    i.status === 'resolved' ? null : preparedList(s.prepared, trusted, run),
    trusted ? null : h('p', { class: 'muted untrusted', 'data-testid': 'rollback-untrusted-reason' },
      icon('shield'), ` ${ROLLBACK_UNTRUSTED} `,
      h('button', { class: 'link', 'data-testid': 'manage-trust', onclick: () => run('workbench.trust.manage') }, 'Manage Workspace Trust'))),
  rollback);
}

function section(title: string, codicon: string, body: Node, extra?: Node | null): HTMLElement {
  return h('section', { class: 'block' }, h('h2', {}, icon(codicon), h('span', {}, ` ${title}`), extra ? h('span', { class: 'spacer' }) : null, extra ?? null), body);
}

/** Who is on the channel now: names, the ones idle for a while marked so (nothing when the server does not say). */
function presenceLine(s: SidebarState): HTMLElement | null {
  const present = s.present ?? [];
  if (present.length === 0) return null;
  const people = present.map((p) => {
    const idle = p.idleMinutes >= 10 ? ` (idle ${durationText(p.idleMinutes)})` : '';
    return h('span', { class: p.idleMinutes >= 10 ? 'person idle' : 'person', title: `${p.name} <${p.id}>${p.windows > 1 ? ` in ${p.windows} windows` : ''}` },
      p.me ? `${p.name} (you)${idle}` : `${p.name}${idle}`);
  });
  const joined: Node[] = [];
  people.forEach((p, k) => joined.push(...(k ? [document.createTextNode(' · '), p] : [p])));
  return h('p', { class: 'presence muted', 'data-testid': 'presence' }, icon('broadcast'), h('span', {}, ` Here now: `), ...joined);
}

/** One action per row, the one that row needs: hand off mine, take a vacant one (or assign it), take someone's (it confirms). */
function rolesList(i: IncidentView): HTMLElement {
  return h('ul', { class: 'roles' }, ...i.roles.map((r) =>
    h('li', { class: r.isMe ? 'role-row mine' : 'role-row', 'data-testid': 'role-row', 'data-role': r.role },
      h('span', { class: 'role-name' }, r.label),
      h('span', { class: r.holder ? 'holder' : 'holder vacant', title: r.holder ? `${r.label}: ${r.holder.name}` : `${r.label}: nobody yet` },
        r.holder ? (r.isMe ? `${r.holder.name} (you)` : r.holder.name) : 'unassigned'),
      h('span', { class: 'row-actions' }, ...(r.isMe
        ? [h('button', { class: 'link', onclick: () => run('incidentRoom.handOffRole', { role: r.role }), title: `Hand ${r.label} off with a brief`, 'aria-label': `Hand off ${r.label}` }, 'Hand off')]
        : r.holder
          ? [h('button', { class: 'link', onclick: () => run('incidentRoom.takeRole', { role: r.role }), title: `Take ${r.label} from ${r.holder.name} (asks first)`, 'aria-label': `Take ${r.label}` }, 'Take')]
          : [h('button', { class: 'link', onclick: () => run('incidentRoom.takeRole', { role: r.role }), title: `Take ${r.label}`, 'aria-label': `Take ${r.label}` }, 'Take'),
            h('button', { class: 'link', onclick: () => run('incidentRoom.assignRole', { role: r.role }), title: `Assign ${r.label} to someone`, 'aria-label': `Assign ${r.label}` }, 'Assign')])),
    )));
}

function notesSection(i: IncidentView): HTMLElement | null {
  if (!i.facts.length && !i.guesses.length && !i.refuted.length) return null;
  // The host sends the newest of each (newest first) and the totals: the rest are on the timeline.
  const list = (cls: string, codicon: string, items: { id: string; text: string }[], total: number, retag: boolean) => {
    const rows: HTMLElement[] = items.map((n) => h('li', { class: cls }, icon(codicon), h('span', { class: 'note-text' }, n.text),
      retag ? h('span', { class: 'row-actions' },
        h('button', { class: 'link', title: 'Confirm this guess: it becomes a fact', onclick: () => run('incidentRoom.retagNote', { noteId: n.id, tag: 'fact' }) }, 'Confirm'),
        h('button', { class: 'link', title: 'Mark this guess refuted', onclick: () => run('incidentRoom.retagNote', { noteId: n.id, tag: 'refuted' }) }, 'Refute')) : null));
    if (total > items.length) rows.push(h('li', { class: 'muted' }, `${total - items.length} older ${cls === 'fact' ? 'facts' : cls === 'guess' ? 'guesses' : 'refuted guesses'} on the timeline`));
    return rows;
  };
  return section('Facts and guesses', 'lightbulb', h('ul', { class: 'list notes' },
    ...list('fact', 'check', i.facts, i.factsTotal, false), ...list('guess', 'question', i.guesses, i.guessesTotal, true), ...list('refuted', 'close', i.refuted, i.refutedTotal, false)));
}

function actionItems(i: IncidentView): HTMLElement | null {
  if (!i.actions.length) return null;
  const overdue = i.actions.filter((a) => a.overdue).length;
  // The title gets the whole width; owner, due and Edit go on the line below it.
  return section(`Action items${overdue ? ` (${overdue} overdue)` : ''}`, 'checklist', h('ul', { class: 'list' }, ...i.actions.map((a) =>
    h('li', { class: a.done ? 'action done' : a.overdue ? 'action overdue' : 'action', 'data-testid': 'action-item' },
      h('button', { class: 'link check', title: a.done ? 'Reopen' : 'Mark done', 'aria-label': a.done ? `Reopen ${a.title}` : `Mark ${a.title} done`,
        onclick: () => run('incidentRoom.completeActionItem', { actionId: a.id, done: !a.done }) }, icon(a.done ? 'pass-filled' : a.overdue ? 'warning' : 'circle-large-outline')),
      h('span', { class: 'action-title' }, a.title),
      h('span', { class: 'action-meta muted' }, [a.owner, a.due ? `due ${a.due}` : '', a.overdue ? 'overdue' : ''].filter(Boolean).join(' · '),
        h('button', { class: 'link', title: 'Edit title, owner or due date', 'aria-label': `Edit ${a.title}`, onclick: () => run('incidentRoom.editActionItem', { actionId: a.id }) }, 'Edit'),
        // Follow-ups leave the room: the forge's new-issue page, prefilled; once linked, the filed issue.
        h('button', {
          class: 'link', 'data-testid': 'action-issue',
          title: a.issue?.state === 'filed' ? `Open ${a.issue.label} on the forge` : a.issue ? 'Link the filed issue, or open the new-issue page again' : 'Open as an issue on the repository\'s forge, prefilled',
          'aria-label': a.issue?.state === 'filed' ? `Open issue ${a.issue.label} of ${a.title}` : `Open ${a.title} as an issue`,
          onclick: () => run('incidentRoom.openActionAsIssue', { actionId: a.id }),
        }, icon(a.issue?.state === 'filed' ? 'issues' : 'link-external'), a.issue?.state === 'filed' ? a.issue.label : a.issue ? 'Issue drafted' : 'Open as issue'))))),
    h('span', {}, button('Add', 'add', 'incidentRoom.addActionItem'),
      button('Copy', 'copy', 'incidentRoom.copyActionItems', { title: 'Copy the open action items as a Markdown checklist', testid: 'copy-actions' })));
}

/** Longer than this, or more than one line (a rollback's commands, a command's output): folded to its first line. */
const FOLD_CHARS = 160;

/** An entry's text: whole when short; otherwise its first line with a "more" toggle, the whole text one click away. */
function entryText(text: string): Node[] {
  const newline = text.indexOf('\n');
  if (newline < 0 && text.length <= FOLD_CHARS) return [h('span', { class: 'text' }, text)];
  const firstLine = newline < 0 ? text : text.slice(0, newline);
  const short = h('span', { class: 'text folded', title: firstLine }, firstLine.length > FOLD_CHARS ? `${firstLine.slice(0, FOLD_CHARS - 1)}…` : firstLine);
  const full = h('span', { class: 'text full' }, text);
  full.hidden = true;
  const toggle = h('button', { class: 'link fold', 'aria-expanded': 'false', title: 'Show the whole entry' }, 'more');
  toggle.addEventListener('click', (ev) => {
    ev.stopPropagation(); // not the row's "open the source"
    const open = full.hidden;
    full.hidden = !open;
    short.hidden = open;
    toggle.textContent = open ? 'less' : 'more';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.title = open ? 'Fold the entry to its first line' : 'Show the whole entry';
  });
  return [short, full, toggle];
}

function timeline(i: IncidentView): HTMLElement {
  const list = h('ol', { class: 'timeline', 'aria-label': 'Timeline, newest first' });
  timelineList = list;
  list.append(entryRows(entries));
  moreRow = h('li', { class: 'more muted' });
  updateMoreRow(i.timelineTotal);
  // Older entries are fetched when the user scrolls near the end of what is shown.
  const observer = new IntersectionObserver((seen) => {
    if (seen.some((e) => e.isIntersecting) && entries.length < i.timelineTotal) requestTimeline(i.id, TIMELINE_PAGE);
  });
  observer.observe(moreRow);
  list.append(moreRow);
  return section(`Timeline (${i.timelineTotal})`, 'history', list, button('Note', 'add', 'incidentRoom.addNote', { title: 'Add a note' }));
}

function updateMoreRow(total: number): void {
  if (!moreRow) return;
  const left = total - entries.length;
  moreRow.textContent = left > 0 ? `${left} older entries…` : '';
  moreRow.hidden = left <= 0;
}

function onTimelinePage(incidentId: string, offset: number, page: TimelineEntryView[]): void {
  loading = false;
  if (!current?.incident || current.incident.id !== incidentId || offset !== entries.length || !timelineList || !moreRow) return;
  entries.push(...page);
  timelineList.insertBefore(entryRows(page), moreRow);
  updateMoreRow(current.incident.timelineTotal);
}

function entryRows(rows: readonly TimelineEntryView[]): DocumentFragment {
  const now = Date.now();
  const frag = document.createDocumentFragment();
  for (const e of rows) {
    if (e.kind === LOST_ENTRY_KIND) {
      frag.append(lostRow(e));
      continue;
    }
    const li = h('li', { class: `entry kind-${e.kind.replace('.', '-')}${e.queued ? ' queued' : ''}${e.tag ? ` tag-${e.tag}` : ''}`, 'data-testid': 'timeline-entry', 'data-seq': e.seq ?? undefined },
      h('span', { class: 'when', title: new Date(e.at).toString() }, clock(e.at, now)),
      icon(e.icon),
      h('span', { class: 'body' }, h('span', { class: 'actor' }, e.actor), e.tag && e.tag !== 'note' ? h('span', { class: `tag ${e.tag}` }, e.tag) : null, ...entryText(e.text),
        e.source ? h('span', { class: 'source' }, ` ${e.source.path}:${e.source.startLine}${e.source.endLine !== e.source.startLine ? `-${e.source.endLine}` : ''}`) : null,
        e.queued ? h('span', { class: 'muted' }, ' (queued)') : null,
        e.delivery ? h('span', { class: e.deliveryFailed ? 'delivery failed' : 'delivery muted' }, ` · ${e.delivery}`) : null),
    );
    if (e.source && e.noteId) {
      const id = e.noteId;
      li.classList.add('has-source');
      li.tabIndex = 0;
      li.title = `Open ${e.source.path}:${e.source.startLine}-${e.source.endLine}`;
      li.addEventListener('click', () => post({ type: 'openSource', noteId: id }));
      li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') post({ type: 'openSource', noteId: id }); });
    }
    frag.append(li);
  }
  return frag;
}

/** Entries the channel server lost to storage damage: a warning in their place, with no time and no author (nobody knows them). */
function lostRow(e: TimelineEntryView): HTMLElement {
  return h('li', { class: 'entry lost', 'data-testid': 'timeline-entry', title: 'The channel server could not read these entries back from its storage' },
    h('span', { class: 'when' }, ''),
    icon(e.icon),
    h('span', { class: 'body' }, h('span', { class: 'text warn' }, e.text)),
  );
}

function tick(): void {
  for (const t of tickers) t();
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = HostToWebview.safeParse(event.data);
  if (!parsed.success) return; // only the host's typed messages are acted on
  const m = parsed.data;
  if (m.type === 'state') render(m.state);
  else onTimelinePage(m.incidentId, m.offset, m.entries);
});
setInterval(tick, 1000);
post({ type: 'ready' });
