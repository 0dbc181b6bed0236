import type { Role, User } from '../protocol/events';
import type { IncidentView, TimelineEntryView, TriageView } from '../protocol/webviewMessages';
import { DEFAULT_RECHECK_MINUTES } from './assessmentPolicy';
import { updateDue } from './cadence';
import { currentEta } from './eta';
import { mitigationRows } from './mitigationRows';
import type { IncidentState } from './incidentState';
import { incidentMetrics } from './metrics';
import { DEFAULT_CADENCE, incidentSuggestion, SEVERITY_POLICY, type CadencePolicy } from './severityPolicy';
import { impactsOf, whereText, whoText } from './triageText';
import { facts, openGuesses, refutedGuesses, ROLE_LABELS, rolesOf } from './selectors';
import { describeEvent, describeLost, EVENT_ICONS, LOST_ENTRY_ICON, LOST_ENTRY_KIND } from './timelineText';

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
 * `count` timeline entries from `offset`, newest first: queued (outbox) events, then the log, where each range of
 * seqs the server declared lost stands as one entry between the events around it. Linear in what it returns (and
 * in the number of lost ranges, normally none), so a 20,000-event incident costs the same as a small one.
 */
export function timelineEntries(s: IncidentState, me: User, offset: number, count: number, queued: readonly QueuedEventView[] = []): TimelineEntryView[] {
  const out: TimelineEntryView[] = [];
  const lostAt = lostPositions(s);
  const logLength = s.timeline.length + s.lost.length;
  const total = queued.length + logLength;
  const notes = new Map(s.notes.map((n) => [n.id, n]));
  for (let k = Math.max(0, offset); k < Math.min(total, offset + count); k++) {
    if (k < queued.length) {
      const q = queued[queued.length - 1 - k] as QueuedEventView;
      out.push({ key: `q:${q.id}`, seq: null, at: q.at, actor: me.name, kind: q.kind, icon: 'clock', text: q.text, queued: true });
      continue;
    }
    // Position in the log oldest first, lost ranges included; then the event's own index.
    const m = logLength - 1 - (k - queued.length);
    let before = 0;
    while (before < lostAt.length && lostAt[before]! < m) before++;
    if (lostAt[before] === m) {
      const l = s.lost[before]!;
      // Nobody knows when the lost entries were written: the entry carries the time of the event before them.
      const near = s.timeline[m - before - 1] ?? s.timeline[m - before];
      out.push({ key: `lost:${l.fromSeq}-${l.toSeq}`, seq: null, at: near?.at ?? s.declaredAt, actor: '', kind: LOST_ENTRY_KIND, icon: LOST_ENTRY_ICON, text: describeLost(l) });
      continue;
    }
    const e = s.timeline[m - before];
    if (!e) continue;
    const entry: TimelineEntryView = { key: e.id, seq: e.seq, at: e.at, actor: e.actor.name, kind: e.kind, icon: EVENT_ICONS[e.kind], text: describeEvent(e, s) };
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

/** Where each lost range sits in the log oldest first (events and ranges together): ascending positions. */
function lostPositions(s: IncidentState): number[] {
  return s.lost.map((l, i) => eventsBefore(s.timeline, l.fromSeq) + i);
}

/** How many events have a seq below `seq` (the timeline is in seq order). */
function eventsBefore(timeline: IncidentState['timeline'], seq: number): number {
  let lo = 0;
  let hi = timeline.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeline[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
export function incidentView(
  s: IncidentState, me: User, now: number, cadence: CadencePolicy = DEFAULT_CADENCE, queued: readonly QueuedEventView[] = [], recheckMinutes = DEFAULT_RECHECK_MINUTES,
): IncidentView {
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
    mitigations: mitigationRows(s, recheckMinutes),
    ...etaView(s),
    flaggedDeploys: s.flaggedDeploys.map((d) => ({ ref: d.ref, sha: d.sha, ...(d.reason ? { reason: d.reason } : {}) })),
    nextUpdate: due ? { dueAt: due.dueAt, overdue: due.overdue } : null,
    actions: s.actions.map((a) => ({
      id: a.id, title: a.title, done: a.done, overdue: !a.done && !!a.due && a.due < today,
      ...(a.owner ? { owner: a.owner.name } : {}), ...(a.due ? { due: a.due } : {}),
      ...(a.issueUrl ? { issue: issueView(a.issueUrl) } : {}),
    })),
    workstreams: openWorkstreams(s, me),
    workstreamsClosed: s.workstreams.filter((w) => w.state !== 'open').length,
    triage: triageView(s),
    suggestion: suggestionView(s),
    timeline,
    timelineTotal: queued.length + s.timeline.length + s.lost.length,
  };
}

/** The ETA in force for the card (the latest given), and the one it replaced when the last update moved it. */
function etaView(s: IncidentState): Pick<IncidentView, 'eta'> {
  const eta = currentEta(s.updates);
  return eta ? { eta: { at: eta.eta, givenAt: eta.givenAt, ...(eta.movedFrom ? { movedFrom: eta.movedFrom } : {}) } } : {};
}

/** Open workstreams, mine first: what I own is what I look for. */
function openWorkstreams(s: IncidentState, me: User): IncidentView['workstreams'] {
  const open = s.workstreams.filter((w) => w.state === 'open')
    .map((w) => ({ id: w.id, title: w.title, owner: w.owner, kind: w.kind, isMine: w.owner.id === me.id }));
  return [...open.filter((w) => w.isMine), ...open.filter((w) => !w.isMine)];
}

/** An action item's forge link as the row shows it: `drafted`, or filed as `#42` (the webview never holds the URL). */
export function issueView(url: string): { state: 'drafted' | 'filed'; label: string } {
  if (/\/issues\/new\/?(\?|$)/.test(url)) return { state: 'drafted', label: 'issue drafted' };
  const n = /\/issues\/(\d+)(?:[/?#]|$)/.exec(url)?.[1];
  return { state: 'filed', label: n ? `#${n}` : 'issue' };
}

/** The latest triage for the card's Triage block; null before the first. */
function triageView(s: IncidentState): TriageView | null {
  const t = s.triage;
  if (!t) return null;
  return {
    at: t.at, by: t.by.name, who: whoText(t), where: whereText(t), trend: t.trend,
    impacts: impactsOf(t).map(({ kind, label, check }) => ({ kind, label, level: check.level, ...(check.evidence ? { evidence: check.evidence } : {}) })),
    ...(t.note ? { note: t.note } : {}),
    records: s.triageHistory.length,
  };
}

/** The triage's suggested severity beside the current one, only when they differ and the incident is still open. */
function suggestionView(s: IncidentState): IncidentView['suggestion'] {
  const suggestion = incidentSuggestion(s);
  // Once resolved the severity stands as the record of how bad it was; a lower suggestion then is noise.
  if (!suggestion?.differs || s.status === 'resolved') return null;
  return { severity: suggestion.severity, text: suggestion.text };
}

