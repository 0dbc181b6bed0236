import type { IncidentView, SidebarCommand } from '../protocol/webviewMessages';
import { h, icon } from './dom';

type Run = (command: SidebarCommand, args?: Record<string, unknown>) => void;

const KIND_ICONS: Readonly<Record<string, string>> = { investigate: 'search', mitigate: 'tools', communicate: 'megaphone' };

function kindIcon(kind: string): HTMLElement {
  const el = icon(KIND_ICONS[kind] ?? 'git-branch', kind);
  el.title = kind;
  return el;
}

/**
 * Who owns what (#12): the open workstreams, mine first, each with its one owner and kind, and Done / Reassign on
 * its row; "Open" in the section's title. Once resolved, shown only while some are still open.
 */
export function workstreamsSection(i: IncidentView, run: Run): HTMLElement | null {
  const resolved = i.status === 'resolved';
  if (resolved && !i.workstreams.length) return null;
  const rows = i.workstreams.map((w) =>
    h('li', { class: w.isMine ? 'ws mine' : 'ws', 'data-testid': 'workstream', 'data-workstream': w.id },
      kindIcon(w.kind),
      h('span', { class: 'ws-title' }, w.title),
      // The owner alone under the title: the kind is the icon (and its tooltip), so a narrow row never splits it.
      h('span', { class: 'ws-meta ws-owner', title: `${w.kind}, owned by ${w.owner.name} <${w.owner.id}>` }, w.isMine ? `${w.owner.name} (you)` : w.owner.name),
      h('span', { class: 'row-actions' },
        h('button', { class: 'link', title: `Mark "${w.title}" done (asks for an optional note)`, 'aria-label': `Done: ${w.title}`,
          onclick: () => run('incidentRoom.updateWorkstream', { workstreamId: w.id, action: 'done' }) }, 'Done'),
        h('button', { class: 'link', title: `Give "${w.title}" to someone else (${w.owner.name} owns it)`, 'aria-label': `Reassign ${w.title}`,
          onclick: () => run('incidentRoom.updateWorkstream', { workstreamId: w.id, action: 'reassign' }) }, 'Reassign'))));
  const closed = i.workstreamsClosed
    ? h('li', { class: 'ws-closed muted' }, `${i.workstreamsClosed} done or dropped (on the timeline)`)
    : null;
  const open = resolved ? null : h('button', {
    class: 'btn', 'data-testid': 'open-workstream', title: 'Open a workstream: one task with exactly one owner',
    onclick: () => run('incidentRoom.openWorkstream'),
  }, icon('add'), h('span', {}, 'Open'));
  return h('section', { class: 'block', 'data-testid': 'workstreams' },
    h('h2', {}, icon('git-branch'), h('span', {}, ` Workstreams (${i.workstreams.length})`), open ? h('span', { class: 'spacer' }) : null, open),
    rows.length || closed
      ? h('ul', { class: 'ws-list' }, ...rows, closed)
      : h('p', { class: 'muted' }, 'None open. One task, one owner: open one for each person who joins.'));
}
