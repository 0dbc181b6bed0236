import type { EventKind, SequencedEvent } from '../protocol/events';
import { ASSESSMENT_LABELS, resolutionChecklistText, sharedEventText, terminalOutcome, triageHeadline, type TextStyle } from './eventText';
import { currentEta, etaClock, etaMoved } from './eta';
import type { LostRange, Mitigation, StatusUpdate } from './incidentState';
import { resolvedAfterMitigation } from './signals';

/** Codicon names per event kind, for the timeline. */
export const EVENT_ICONS = {
  'incident.declared': 'flame',
  'incident.updated': 'edit',
  'severity.changed': 'warning',
  'status.changed': 'pulse',
  'role.assigned': 'person',
  'note.added': 'note',
  'note.retagged': 'tag',
  'deploy.flagged': 'rocket',
  'mitigation.started': 'debug-start',
  'mitigation.finished': 'pass',
  'update.posted': 'megaphone',
  'action.added': 'checklist',
  'action.updated': 'checklist',
  'triage.recorded': 'telescope',
  'signal.linked': 'bell',
  'signal.resolved': 'bell-slash',
  'escalation.requested': 'broadcast',
  'mitigation.assessed': 'question',
  'workstream.opened': 'git-branch',
  'workstream.updated': 'git-branch',
  'resolution.checked': 'checklist',
  'terminal.command': 'terminal',
} as const satisfies Readonly<Record<EventKind, string>>;

/** The `kind` of a timeline entry for seqs the server declared lost: not an event kind, since nobody appended it. */
export const LOST_ENTRY_KIND = 'lost';
/** Codicon of a lost-seqs entry. */
export const LOST_ENTRY_ICON = 'warning';

/** How many entries a lost range stands for, and why: `3 entries lost to storage damage`. */
export function describeLost(l: LostRange): string {
  const n = l.toSeq - l.fromSeq + 1;
  const why = l.reason === 'storage_damage' ? 'to storage damage' : `(${l.reason})`;
  return `${n} ${n === 1 ? 'entry' : 'entries'} lost ${why}`;
}

/** The timeline's words are plain text: the UI renders them as text, never HTML. */
const PLAIN_TEXT: TextStyle = {
  text: (s) => s,
  strong: (s) => s,
  aside: (s) => ` (${s})`,
  brief: (s) => ` — brief: ${s}`,
  source: (src) => ` (${src.path}:${src.startLine}${src.endLine !== src.startLine ? `-${src.endLine}` : ''})`,
};

/**
 * One line describing an event for the timeline (plain text; the UI renders it as text, never HTML). With the
 * incident's mitigations, a resolved alert says whether one helped: `… resolved, 6 min after rollback of v42 finished`.
 */
export function describeEvent(e: SequencedEvent, context?: { readonly mitigations: readonly Mitigation[]; readonly updates?: readonly StatusUpdate[] }): string {
  switch (e.kind) {
    case 'incident.declared':
    case 'severity.changed':
    case 'status.changed':
    case 'role.assigned':
    case 'note.added':
      return sharedEventText(e, PLAIN_TEXT);
    case 'incident.updated': {
      const fields = Object.entries(e.data).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${String(v)}`);
      return `Updated ${fields.join('; ') || 'details'}`;
    }
    case 'note.retagged':
      return `Retagged a note as ${e.data.tag}`;
    case 'deploy.flagged':
      return `Flagged deploy ${e.data.ref} (${e.data.sha.slice(0, 7)}) as suspect${e.data.reason ? `: ${e.data.reason}` : ''}`;
    case 'mitigation.started':
      // The commands on lines of their own, under the headline: the sidebar folds them to it.
      return `Mitigation started (${e.data.action.replace('_', ' ')}): ${e.data.description}${e.data.command ? `\n${e.data.command}` : ''}`;
    case 'mitigation.finished':
      return `Mitigation ${e.data.result}${e.data.detail ? `: ${e.data.detail}` : ''}`;
    case 'update.posted': {
      // The ETA on the first line (the sidebar folds the text to it), flagged when this update moved it.
      const before = e.data.eta && context?.updates ? currentEta(context.updates, e.seq)?.eta : undefined;
      const eta = !e.data.eta ? '' : etaMoved(before, e.data.eta)
        ? ` (ETA moved from ${etaClock(before as string)} to ${etaClock(e.data.eta)})` : ` (ETA ${etaClock(e.data.eta)})`;
      return `${e.data.audience === 'internal' ? 'Internal' : 'External'} update${eta}: ${e.data.text}`;
    }
    case 'action.added':
      return `Action item: ${e.data.title}${e.data.owner ? ` (owner ${e.data.owner.name})` : ''}${e.data.due ? `, due ${e.data.due}` : ''}`;
    case 'action.updated': {
      if (e.data.done === true) return 'Action item done';
      if (e.data.done === false) return 'Action item reopened';
      return 'Action item updated';
    }
    case 'triage.recorded':
      return `Triage: ${triageHeadline(e.data)}`;
    case 'signal.linked':
      return `Alert ${e.data.alertname} linked${e.data.summary ? `: ${e.data.summary}` : ''}`;
    case 'signal.resolved': {
      const after = context ? resolvedAfterMitigation(e.data.endsAt, context.mitigations) : undefined;
      return `Alert ${e.data.alertname} resolved${after ? `, ${after}` : ''}`;
    }
    case 'escalation.requested':
      return `Escalated (paged more help): ${e.data.reason}`;
    case 'mitigation.assessed':
      return `Did it help? ${ASSESSMENT_LABELS[e.data.assessment]}${e.data.evidence ? `: ${e.data.evidence}` : ''}`;
    case 'workstream.opened':
      return `Workstream (${e.data.kind}): ${e.data.title} — owner ${e.data.owner.name}`;
    case 'workstream.updated':
      return `Workstream ${e.data.state ?? 'updated'}${e.data.owner ? `, owner now ${e.data.owner.name}` : ''}${e.data.note ? `: ${e.data.note}` : ''}`;
    case 'resolution.checked':
      return `Resolve checklist: ${resolutionChecklistText(e.data)}`;
    case 'terminal.command':
      return `Ran \`${e.data.commandLine}\`${terminalOutcome(e.data, true)}`;
  }
}
