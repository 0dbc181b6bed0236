import type { ActionItem, IncidentState, Note } from './incidentState';

/** Markdown-escape text inside a line or list item (emphasis, code, links, HTML, headings). */
const md = (text: string): string => text.replace(/[\\`*_[\]<>#|~&]/g, '\\$&').replace(/\r\n|\r|\n/g, ' ');

const utc = (iso: string): string => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const webLink = (url: string | undefined): string | undefined => (url && /^https?:\/\//i.test(url) ? url.replace(/[()\s<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : undefined);

/** Notes that explain the follow-up, most telling first: root cause, trigger, contributing, facts. */
function context(s: IncidentState): Note[] {
  const order: Note['tag'][] = ['root-cause', 'trigger', 'contributing', 'fact'];
  return order.flatMap((tag) => s.notes.filter((n) => n.tag === tag).sort((a, b) => a.seq - b.seq));
}

const TAG_WORDS: Partial<Record<Note['tag'], string>> = { 'root-cause': 'Root cause', trigger: 'Trigger', contributing: 'Contributing', fact: 'Fact' };

/**
 * The issue a follow-up is opened as: its title, and a Markdown body with the incident (id, title, severity, when),
 * the owner and due date, what the responders established (root cause, trigger, contributing factors, facts) with
 * the permalinks of the code they cited. Longest parts last, so a body cut to fit a URL loses the least.
 */
export function followUpIssue(s: IncidentState, action: ActionItem): { title: string; body: string } {
  const resolved = [...s.statusHistory].reverse().find((c) => c.value === 'resolved');
  const lines = [
    `Follow-up of incident **${md(s.id)}: ${md(s.title || 'Untitled incident')}** (${s.severity}, ${resolved && s.status === 'resolved' ? `resolved ${utc(resolved.at)}` : s.status}).`,
    '',
    `- **Action:** ${md(action.title)}`,
    `- **Owner:** ${action.owner ? md(action.owner.name) : '_unassigned_'}`,
    `- **Due:** ${action.due ?? '_no date_'}`,
    ...(s.declaredAt ? [`- **Incident declared:** ${utc(s.declaredAt)}`] : []),
    ...(s.flaggedDeploys.length ? [`- **Suspected deploy:** ${s.flaggedDeploys.map((d) => `\`${d.ref.replace(/`/g, '')}\` (${d.sha.slice(0, 7)})`).join(', ')}`] : []),
  ];
  const notes = context(s);
  if (notes.length > 0) {
    lines.push('', '### What the responders established', '');
    for (const n of notes) {
      const link = webLink(n.source?.remoteUrl);
      const where = n.source ? ` — ${link ? `[${md(n.source.path)}:${n.source.startLine}-${n.source.endLine}](${link})` : `${md(n.source.path)}:${n.source.startLine}-${n.source.endLine}`}` : '';
      lines.push(`- ${TAG_WORDS[n.tag] ?? 'Note'}: ${md(n.text)}${where}`);
    }
  }
  lines.push('', '_Opened from Incident Room; the postmortem has the full timeline._');
  return { title: action.title, body: lines.join('\n') };
}

/**
 * The open action items as a Markdown checklist to paste into a ticket, chat or the postmortem review:
 * `- [ ] Title — Owner, due 2026-11-25 ([issue](url))`, under a line naming the incident. Done items are left out.
 */
export function actionChecklistMarkdown(s: IncidentState): { text: string; count: number } {
  const open = s.actions.filter((a) => !a.done);
  const lines = [`Follow-ups of ${md(s.id)}: ${md(s.title || 'Untitled incident')}`, ''];
  for (const a of open) {
    const who = [a.owner ? md(a.owner.name) : '', a.due ? `due ${a.due}` : ''].filter(Boolean).join(', ');
    const link = webLink(a.issueUrl);
    lines.push(`- [ ] ${md(a.title)}${who ? ` — ${who}` : ''}${link ? ` ([issue](${link}))` : ''}`);
  }
  if (open.length === 0) lines.push('_No open action items._');
  return { text: `${lines.join('\n')}\n`, count: open.length };
}
