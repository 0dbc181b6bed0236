import type { Role, User } from '../protocol/events';
import type { IncidentView, TimelineEntryView } from '../protocol/webviewMessages';
import { updateDue } from './cadence';
import type { IncidentState } from './incidentState';
import { incidentMetrics } from './metrics';
import { DEFAULT_CADENCE, SEVERITY_POLICY, type CadencePolicy } from './severityPolicy';
import { facts, openGuesses, refutedGuesses, ROLE_LABELS, rolesOf } from './selectors';
import { describeEvent, EVENT_ICONS } from './timelineText';

/** An event still in the outbox, shown greyed on the timeline. */
export interface QueuedEventView {
  readonly id: string;
  readonly at: string;
  readonly kind: string;
  readonly text: string;
}

/** Timeline entries sent with each sidebar state (a screenful and more); older ones are fetched page by page as the user scrolls. */
export const TIMELINE_PAGE = 50;

/**
 * `count` timeline entries from `offset`, newest first: queued (outbox) events, then the log. Linear in what it
 * returns, so a 20,000-event incident costs the same as a small one.
 */
export function timelineEntries(s: IncidentState, me: User, offset: number, count: number, queued: readonly QueuedEventView[] = []): TimelineEntryView[] {
  const out: TimelineEntryView[] = [];
  const total = queued.length + s.timeline.length;
  const notes = new Map(s.notes.map((n) => [n.id, n]));
  for (let k = Math.max(0, offset); k < Math.min(total, offset + count); k++) {
    if (k < queued.length) {
      const q = queued[queued.length - 1 - k] as QueuedEventView;
      out.push({ key: `q:${q.id}`, seq: null, at: q.at, actor: me.name, kind: q.kind, icon: 'clock', text: q.text, queued: true });
      continue;
    }
    const e = s.timeline[s.timeline.length - 1 - (k - queued.length)];
    if (!e) continue;
    const entry: TimelineEntryView = { key: e.id, seq: e.seq, at: e.at, actor: e.actor.name, kind: e.kind, icon: EVENT_ICONS[e.kind], text: describeEvent(e) };
    if (e.kind === 'note.added') {
      entry.noteId = e.id;
      entry.tag = notes.get(e.id)?.tag ?? e.data.tag;
      // The tag shows as a badge; the text is the note itself.
      entry.text = e.data.text;
      if (e.data.source) entry.source = { path: e.data.source.path, startLine: e.data.source.startLine, endLine: e.data.source.endLine };
    }
    out.push(entry);
  }
  return out;
}

/** Facts, guesses and refuted guesses sent per list (the newest); every one stays on the timeline. */
export const NOTES_SHOWN = 20;

function newestNotes<K extends 'facts' | 'guesses' | 'refuted'>(key: K, notes: readonly { id: string; text: string }[]) {
  return {
    [key]: notes.slice(-NOTES_SHOWN).reverse().map((n) => ({ id: n.id, text: n.text })),
    [`${key}Total`]: notes.length,
  } as { [P in K]: { id: string; text: string }[] } & { [P in `${K}Total`]: number };
}

/** Build the incident part of the sidebar from the folded state, with the newest page of the timeline. */
export function incidentView(s: IncidentState, me: User, now: number, cadence: CadencePolicy = DEFAULT_CADENCE, queued: readonly QueuedEventView[] = []): IncidentView {
  const metrics = incidentMetrics(s);
  const due = updateDue(s, now, cadence);
  const today = new Date(now).toISOString().slice(0, 10);
  const timeline = timelineEntries(s, me, 0, TIMELINE_PAGE, queued);
  return {
    id: s.id, title: s.title, severity: s.severity, severityLabel: SEVERITY_POLICY[s.severity].label, status: s.status,
    declaredAt: s.declaredAt, detectedAt: metrics.detectedAt ?? s.declaredAt, resolvedAt: metrics.resolvedAt,
    symptom: s.symptom, ...(s.scope ? { scope: s.scope } : {}),
    myRoles: rolesOf(s, me.id).map((r) => ROLE_LABELS[r]),
    roles: (Object.keys(s.roles) as Role[]).map((role) => {
      const holder = s.roles[role].holder;
      return { role, label: ROLE_LABELS[role], holder, isMe: holder?.id === me.id };
    }),
    ...newestNotes('facts', facts(s)),
    ...newestNotes('guesses', openGuesses(s)),
    ...newestNotes('refuted', refutedGuesses(s)),
    mitigations: s.mitigations.map((m) => ({ id: m.id, description: m.description, action: m.action, startedAt: m.startedAt, state: m.state })),
    flaggedDeploys: s.flaggedDeploys.map((d) => ({ ref: d.ref, sha: d.sha, ...(d.reason ? { reason: d.reason } : {}) })),
    nextUpdate: due ? { dueAt: due.dueAt, overdue: due.overdue } : null,
    actions: s.actions.map((a) => ({
      id: a.id, title: a.title, done: a.done, overdue: !a.done && !!a.due && a.due < today,
      ...(a.owner ? { owner: a.owner.name } : {}), ...(a.due ? { due: a.due } : {}),
    })),
    timeline,
    timelineTotal: queued.length + s.timeline.length,
  };
}

