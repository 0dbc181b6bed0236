import { Limits } from '../protocol/codes';
import type { Role, User } from '../protocol/events';
import { updateDue } from './cadence';
import { durationText } from './durationText';
import { ASSESSMENT_LABELS } from './eventText';
import type { IncidentState, Mitigation } from './incidentState';
import { currentTenure } from './rotation';
import { DEFAULT_CADENCE, type CadencePolicy } from './severityPolicy';
import { ROLE_LABELS } from './selectors';

export interface HandoffBriefOptions {
  readonly now: Date;
  /** The update cadence in effect (settings), for when the next update is due. */
  readonly cadence?: CadencePolicy;
  /** The most the brief may be (the `role.assigned` note's limit by default): lists are cut to fit, longest first. */
  readonly maxChars?: number;
}

/** Items shown per list before "and N more"; lowered step by step until the brief fits `maxChars`. */
const LIST_CAPS = [8, 5, 3, 2, 1] as const;
/** One item of a list (a guess, a title) is cut to this many characters. */
const ITEM_CHARS = 160;

/**
 * The handoff brief for `role`, written for `to`: what changed since the holder took the role (their tenure), and
 * what is open now — guesses, workstreams and owners, mitigations and whether they helped, the next update due, open
 * action items. Plain text, to be edited by the outgoing holder before it is sent. Fits `maxChars`.
 */
export function handoffBrief(s: IncidentState, role: Role, to: User | null, options: HandoffBriefOptions): string {
  const max = options.maxChars ?? Limits.shortTextLength;
  let text = '';
  for (const cap of LIST_CAPS) {
    text = compose(s, role, to, options, cap);
    if (text.length <= max) return text;
  }
  return `${text.slice(0, max - 1)}…`;
}

function compose(s: IncidentState, role: Role, to: User | null, o: HandoffBriefOptions, cap: number): string {
  const now = o.now.getTime();
  const tenure = currentTenure(s, role);
  const sinceSeq = tenure?.assumedSeq ?? 0;
  const sinceAt = tenure?.assumedAt ?? s.declaredAt;
  const lines: string[] = [];
  const held = tenure ? ` — held since ${utc(sinceAt)} (${durationText((now - Date.parse(sinceAt)) / 60_000)})` : '';
  lines.push(`${ROLE_LABELS[role]} of ${s.id} (${s.severity}, ${s.status})${to ? ` handed to ${to.name}` : ''}${held}.`);

  const changed = sinceChanges(s, sinceSeq);
  if (changed.length) section(lines, `Since ${utc(sinceAt)}`, changed, cap);

  const guesses = s.notes.filter((n) => n.tag === 'guess').reverse().map((n) => `${cut(n.text)}${n.seq > sinceSeq ? ' (new)' : ''}`);
  section(lines, 'Open guesses', guesses, cap, 'none');

  const open = s.workstreams.filter((w) => w.state === 'open').map((w) => `${cut(w.title)} — ${w.owner.name} (${w.kind})`);
  const closed = s.workstreams.filter((w) => w.state !== 'open' && lastChangeSeq(w) > sinceSeq).map((w) => `${w.state}: ${cut(w.title)} (${w.owner.name})`);
  section(lines, 'Workstreams', [...open, ...closed], cap, 'none open');

  const mitigations = s.mitigations.filter((m) => m.startedSeq > sinceSeq || m.state === 'open' || m.assessments.some((a) => a.seq > sinceSeq)).reverse();
  section(lines, 'Mitigations', mitigations.map((m) => mitigationLine(m, now)), cap, 'none since then');

  const due = updateDue(s, now, o.cadence ?? DEFAULT_CADENCE);
  const eta = [...s.updates].reverse().find((u) => u.eta)?.eta;
  lines.push('');
  lines.push(due
    ? `Next status update: ${due.overdue ? `overdue since ${utc(due.dueAt)} (${durationText(-due.minutesLeft)} late)` : `due ${utc(due.dueAt)} (in ${durationText(due.minutesLeft)})`}.`
    : 'Next status update: none due.');
  if (eta && Date.parse(eta) > now) lines.push(`ETA last given to stakeholders: ${utc(eta)}.`);

  const actions = s.actions.filter((a) => !a.done).map((a) => [cut(a.title), a.owner?.name, a.due && `due ${a.due}`].filter(Boolean).join(' — '));
  section(lines, 'Open action items', actions, cap, 'none');
  return lines.join('\n');
}

/** Status and severity moves and facts learned after `sinceSeq`, oldest first. */
function sinceChanges(s: IncidentState, sinceSeq: number): string[] {
  const out: string[] = [];
  const statuses = s.statusHistory.filter((c) => c.seq > sinceSeq);
  if (statuses.length) {
    const before = [...s.statusHistory].reverse().find((c) => c.seq <= sinceSeq)?.value;
    out.push(`status ${[before, ...statuses.map((c) => c.value)].filter(Boolean).join(' → ')}`);
  }
  const severities = s.severityHistory.filter((c) => c.seq > sinceSeq);
  if (severities.length) {
    const before = [...s.severityHistory].reverse().find((c) => c.seq <= sinceSeq)?.value;
    out.push(`severity ${[before, ...severities.map((c) => c.value)].filter(Boolean).join(' → ')}`);
  }
  for (const n of s.notes) if (n.seq > sinceSeq && n.tag === 'fact') out.push(`learned: ${cut(n.text)}`);
  return out;
}

function mitigationLine(m: Mitigation, now: number): string {
  const state = m.state === 'open' ? `running for ${durationText((now - Date.parse(m.startedAt)) / 60_000)}` : m.state;
  const last = m.assessments[m.assessments.length - 1];
  const helped = last
    ? `; did it help? ${ASSESSMENT_LABELS[last.assessment]}${last.evidence ? ` (${cut(last.evidence)})` : ''}`
    : m.state === 'open' ? '' : '; did it help? not assessed yet';
  return `${cut(m.description)} — ${state}${helped}`;
}

function lastChangeSeq(w: IncidentState['workstreams'][number]): number {
  return w.history[w.history.length - 1]?.seq ?? w.openedSeq;
}

/** A titled list of at most `cap` items, newest first as given, with how many more there are. */
function section(lines: string[], title: string, items: readonly string[], cap: number, empty?: string): void {
  if (!items.length && empty === undefined) return;
  lines.push('');
  if (!items.length) {
    lines.push(`${title}: ${empty}.`);
    return;
  }
  lines.push(`${title}:`);
  for (const item of items.slice(0, cap)) lines.push(`- ${item}`);
  if (items.length > cap) lines.push(`- and ${items.length - cap} more on the timeline`);
}

/** One line of at most ITEM_CHARS characters. */
function cut(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > ITEM_CHARS ? `${line.slice(0, ITEM_CHARS - 1)}…` : line;
}

/** `08:03 UTC`: the one zone every responder reads the same. */
function utc(iso: string): string {
  return `${new Date(iso).toISOString().slice(11, 16)} UTC`;
}
