import type { Assessment, EventDataOf, NoteSource, RetagTag, SequencedEventOf } from '../protocol/events';
import { ROLE_LABELS } from './selectors';
import { countOf, whereText } from './triageText';

/**
 * How an event's words are written where the timeline and the postmortem say the same thing: plain text in the
 * sidebar's timeline, Markdown in the postmortem.
 */
export interface TextStyle {
  /** User text as it may stand in the output (escaped for Markdown). */
  readonly text: (s: string) => string;
  /** The point of an entry (a new severity, an incident's title), emphasised. */
  readonly strong: (s: string) => string;
  /** A reason or note after a change: ` (why)` in the timeline, `: why` in the postmortem. */
  readonly aside: (s: string) => string;
  /** The brief handed over with a role. */
  readonly brief: (s: string) => string;
  /** Where a note came from in the code, after its text. */
  readonly source: (src: NoteSource) => string;
}

/** How each note tag reads. */
export const NOTE_TAG_LABELS = {
  note: 'Note', fact: 'Fact', guess: 'Guess', decision: 'Decision', action: 'Action', refuted: 'Refuted',
  trigger: 'Trigger', 'root-cause': 'Root cause', contributing: 'Contributing factor',
} as const satisfies Record<RetagTag, string>;

/** How each "did it help?" answer reads. */
export const ASSESSMENT_LABELS = {
  helped: 'helped', no_change: 'no change', worse: 'made it worse', too_early: 'too early to tell',
} as const satisfies Record<Assessment, string>;

/**
 * How a captured terminal command ended, after its command line: ` — exit 0 after 1.2 s in /srv/app`. A duration under
 * 0.1 s says nothing and is left out. `short`: the folder by its last name only (`in …/app`), for the sidebar's
 * narrow timeline; the postmortem keeps the whole path.
 */
export function terminalOutcome(d: EventDataOf<'terminal.command'>, short = false): string {
  const exit = d.exitCode === null ? 'exit code unknown' : `exit ${d.exitCode}`;
  const took = d.durationMs === undefined || d.durationMs < 100 ? '' : ` after ${d.durationMs < 10_000 ? `${(d.durationMs / 1000).toFixed(1)} s` : `${Math.round(d.durationMs / 1000)} s`}`;
  return ` — ${exit}${took}${d.cwd ? ` in ${short ? shortPath(d.cwd) : d.cwd}` : ''}`;
}

/** `/root/.cache/app/workspace` → `…/workspace`; a root or a one-name path as it is. */
function shortPath(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts.length <= 1 ? p : `…/${parts.at(-1)}`;
}

/** The resolve checklist as answered, in one line: `impact stopped ✓, monitored ✗, root cause known ✗, follow-up filed ✓`. */
export function resolutionChecklistText(d: EventDataOf<'resolution.checked'>): string {
  const mark = (ok: boolean) => (ok ? 'yes' : 'no');
  const parts = [
    `impact stopped: ${mark(d.impactStopped)}`, `monitored: ${mark(d.monitored)}`, `root cause known: ${mark(d.rootCauseKnown)}`,
    `follow-up filed: ${mark(d.followUpFiled)}`,
  ];
  if (d.firingSignals?.length) parts.push(`${d.firingSignals.length} linked alert${d.firingSignals.length === 1 ? '' : 's'} still firing`);
  return `${parts.join('; ')}${d.note ? ` — ${d.note}` : ''}`;
}

/** The kinds the timeline and the postmortem describe in the same words (each writes the others its own way). */
export type SharedTextKind = 'incident.declared' | 'severity.changed' | 'status.changed' | 'role.assigned' | 'note.added';

/** One entry's text, for the kinds the timeline and the postmortem word alike. */
export function sharedEventText(e: SequencedEventOf<SharedTextKind>, style: TextStyle): string {
  switch (e.kind) {
    case 'incident.declared':
      return `Declared ${e.data.severity}: ${style.strong(style.text(e.data.title))}${e.data.symptom ? ` — ${style.text(e.data.symptom)}` : ''}`;
    case 'severity.changed':
      return `Severity → ${style.strong(e.data.severity)}${e.data.reason ? style.aside(e.data.reason) : ''}`;
    case 'status.changed':
      return `Status → ${style.strong(e.data.status)}${e.data.note ? style.aside(e.data.note) : ''}`;
    case 'role.assigned': {
      const role = ROLE_LABELS[e.data.role];
      const { user, note } = e.data;
      return user ? `${role} → ${style.text(user.name)}${note ? style.brief(note) : ''}` : `${role} unassigned${note ? style.aside(note) : ''}`;
    }
    case 'note.added':
      return `${NOTE_TAG_LABELS[e.data.tag]}: ${style.text(e.data.text)}${e.data.source ? style.source(e.data.source) : ''}`;
  }
}

/**
 * A triage record in one line: who and how many, where, the trend, and each impact that is not `none`:
 * `some users affected (~1,200, EU card payers); in eu-west-1, /pay, tenant acme; trend growing; customer impact confirmed`.
 */
export function triageHeadline(t: EventDataOf<'triage.recorded'>): string {
  const who = t.users.share === 'unknown' ? 'users affected: unknown' : `${t.users.share} users affected`;
  const details = [t.users.count !== undefined ? `~${countOf(t.users.count)}` : '', t.users.text ?? ''].filter(Boolean).join(', ');
  const parts = [details ? `${who} (${details})` : who];
  const where = whereText(t);
  if (where) parts.push(`in ${where}`);
  parts.push(`trend ${t.trend}`);
  const impacts = ([['customer', t.customer], ['financial', t.financial], ['data integrity', t.dataIntegrity]] as const)
    .filter(([, c]) => c.level !== 'none').map(([name, c]) => `${name} impact ${c.level}`);
  parts.push(impacts.length > 0 ? impacts.join(', ') : 'no customer, financial or data-integrity impact found');
  return parts.join('; ');
}
