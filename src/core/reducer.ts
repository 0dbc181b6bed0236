import type { Role, SequencedEvent, SequencedEventOf, User } from '../protocol/events';
import { ROLES } from '../protocol/vocabulary';
import type { ActionItem, IncidentState, LostRange, Mitigation, Note, RoleState, RoleTenure, TriageRecord, Workstream } from './incidentState';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<IncidentState, 'roles' | 'severityHistory' | 'statusHistory' | 'notes' | 'flaggedDeploys' | 'mitigations' | 'updates' | 'actions' | 'workstreams' | 'triageHistory' | 'timeline'>> & {
  roles: Record<Role, RoleState>;
  severityHistory: Mutable<IncidentState['severityHistory']>;
  statusHistory: Mutable<IncidentState['statusHistory']>;
  notes: Note[];
  flaggedDeploys: Mutable<IncidentState['flaggedDeploys']>;
  mitigations: Mitigation[];
  updates: Mutable<IncidentState['updates']>;
  actions: ActionItem[];
  workstreams: Workstream[];
  triageHistory: TriageRecord[];
  timeline: SequencedEvent[];
};

/** The state of an incident before its first event (`headSeq` 0): the seed of every fold. */
export function emptyIncident(id: string): IncidentState {
  const nobody: User = { id: '', name: '' };
  return {
    id, headSeq: 0, title: '', symptom: '', declaredAt: '', declaredBy: nobody,
    severity: 'SEV4', severityHistory: [], status: 'investigating', statusHistory: [],
    roles: Object.fromEntries(ROLES.map((r) => [r, { holder: null, history: [] }])) as unknown as Record<Role, RoleState>,
    notes: [], flaggedDeploys: [], mitigations: [], updates: [], actions: [], workstreams: [], triage: null, triageHistory: [], timeline: [], lost: [],
  };
}

/** True once the incident's `incident.declared` event has been applied. */
export const isDeclared = (state: IncidentState): boolean => state.declaredAt !== '';

/** Apply one event; events at or below `headSeq` are already held and change nothing. Never mutates `state`. */
export function reduce(state: IncidentState, event: SequencedEvent): IncidentState {
  if (event.seq <= state.headSeq) return state;
  const draft = copy(state);
  apply(draft, event);
  return draft;
}

/**
 * Count seqs the server declared lost as held: `headSeq` moves to `toSeq` and the range is kept for the timeline.
 * Never mutates `state`. A range at or below `headSeq` changes nothing (a replay may say it again); one that starts
 * after `headSeq + 1` changes nothing either, since seqs are applied in order and one before it is missing.
 */
export function reduceLost(state: IncidentState, range: LostRange): IncidentState {
  if (range.toSeq <= state.headSeq || range.fromSeq > state.headSeq + 1) return state;
  return { ...state, headSeq: range.toSeq, lost: [...state.lost, { fromSeq: state.headSeq + 1, toSeq: range.toSeq, reason: range.reason }] };
}

/** The incident's state as the left fold of its events in seq order. */
export function fold(id: string, events: Iterable<SequencedEvent>, from: IncidentState = emptyIncident(id)): IncidentState {
  // One draft for the whole fold keeps it linear; `reduce` gives the same result event by event.
  const draft = copy(from);
  for (const event of events) if (event.seq > draft.headSeq) apply(draft, event);
  return draft;
}

// Arrays and records are copied one level deep; `apply` only replaces elements, never edits them,
// so states handed out earlier stay unchanged.
function copy(s: IncidentState): Draft {
  return {
    ...s,
    roles: { ...s.roles },
    severityHistory: [...s.severityHistory],
    statusHistory: [...s.statusHistory],
    notes: [...s.notes],
    flaggedDeploys: [...s.flaggedDeploys],
    mitigations: [...s.mitigations],
    updates: [...s.updates],
    actions: [...s.actions],
    workstreams: [...s.workstreams],
    triageHistory: [...s.triageHistory],
    timeline: [...s.timeline],
    // `lost` is shared, not copied: events never change it, and reduceLost builds a new one.
  };
}

function apply(d: Draft, e: SequencedEvent): void {
  d.headSeq = e.seq;
  d.timeline.push(e);
  switch (e.kind) {
    case 'incident.declared': return declared(d, e);
    case 'incident.updated': {
      const { title, symptom, scope, impact, detectedAt, impactStartedAt } = e.data;
      if (title !== undefined) d.title = title;
      if (symptom !== undefined) d.symptom = symptom;
      if (scope !== undefined) d.scope = scope;
      if (impact !== undefined) d.impact = impact;
      if (detectedAt !== undefined) d.detectedAt = detectedAt;
      if (impactStartedAt !== undefined) d.impactStartedAt = impactStartedAt;
      return;
    }
    case 'severity.changed':
      d.severity = e.data.severity;
      d.severityHistory.push({ value: e.data.severity, at: e.at, seq: e.seq, by: e.actor, ...opt('note', e.data.reason) });
      return;
    case 'status.changed':
      d.status = e.data.status;
      d.statusHistory.push({ value: e.data.status, at: e.at, seq: e.seq, by: e.actor, ...opt('note', e.data.note) });
      return;
    case 'role.assigned': return assignRole(d, e.data.role, e.data.user, e, e.data.note);
    case 'note.added':
      d.notes.push({
        id: e.id, seq: e.seq, at: e.at, actor: e.actor, text: e.data.text, originalTag: e.data.tag, tag: e.data.tag,
        tagHistory: [{ tag: e.data.tag, at: e.at, seq: e.seq, by: e.actor }], ...opt('source', e.data.source),
      });
      return;
    case 'note.retagged': {
      const i = d.notes.findIndex((n) => n.id === e.data.noteId);
      const note = d.notes[i];
      if (!note) return; // a retag of an unknown note stays on the timeline only
      d.notes[i] = { ...note, tag: e.data.tag, tagHistory: [...note.tagHistory, { tag: e.data.tag, at: e.at, seq: e.seq, by: e.actor }] };
      return;
    }
    case 'deploy.flagged':
      d.flaggedDeploys.push({
        ref: e.data.ref, sha: e.data.sha, at: e.at, seq: e.seq, by: e.actor, ...opt('subject', e.data.subject), ...opt('reason', e.data.reason),
      });
      return;
    case 'mitigation.started': return mitigationStarted(d, e);
    case 'mitigation.finished': {
      const i = d.mitigations.findIndex((m) => m.id === e.data.mitigationId);
      const m = d.mitigations[i];
      if (!m) return;
      d.mitigations[i] = { ...m, state: e.data.result, finishedAt: e.at, finishedBy: e.actor, ...opt('detail', e.data.detail) };
      return;
    }
    case 'mitigation.assessed': {
      const i = d.mitigations.findIndex((m) => m.id === e.data.mitigationId);
      const m = d.mitigations[i];
      if (!m) return; // an assessment of an unknown mitigation stays on the timeline only
      const a = { assessment: e.data.assessment, at: e.at, seq: e.seq, by: e.actor, ...opt('evidence', e.data.evidence) };
      d.mitigations[i] = { ...m, assessments: [...m.assessments, a] };
      return;
    }
    case 'update.posted':
      d.updates.push({ id: e.id, seq: e.seq, at: e.at, by: e.actor, audience: e.data.audience, text: e.data.text, ...opt('nextUpdateBy', e.data.nextUpdateBy), ...opt('eta', e.data.eta) });
      return;
    case 'action.added':
      d.actions.push({
        id: e.id, seq: e.seq, title: e.data.title, done: false, createdAt: e.at, createdBy: e.actor,
        ...opt('owner', e.data.owner), ...opt('due', e.data.due), ...opt('source', e.data.source),
      });
      return;
    case 'action.updated': return actionUpdated(d, e);
    case 'triage.recorded': {
      // Whole records: the latest is the incident's triage, the earlier ones its history (any responder re-triages).
      const record: TriageRecord = { ...e.data, seq: e.seq, at: e.at, by: e.actor };
      d.triage = record;
      d.triageHistory.push(record);
      return;
    }
    case 'workstream.opened': {
      // A second opening under a held id (never sent by a correct client) stays on the timeline only.
      if (d.workstreams.some((w) => w.id === e.data.workstreamId)) return;
      const { workstreamId: id, title, owner, kind } = e.data;
      d.workstreams.push({ id, title, owner, kind, state: 'open', openedAt: e.at, openedSeq: e.seq, openedBy: e.actor, updatedAt: e.at, history: [] });
      return;
    }
    case 'workstream.updated': return workstreamUpdated(d, e);
  }
}

function declared(d: Draft, e: SequencedEventOf<'incident.declared'>): void {
  // A second declared event (never sent by a correct server) is kept on the timeline but refounds nothing.
  if (d.declaredAt !== '') return;
  const { title, severity, symptom, scope, impact, detectedAt } = e.data;
  Object.assign(d, { title, severity, symptom, declaredAt: e.at, declaredBy: e.actor });
  if (scope !== undefined) d.scope = scope;
  if (impact !== undefined) d.impact = impact;
  if (detectedAt !== undefined) d.detectedAt = detectedAt;
  d.severityHistory.push({ value: severity, at: e.at, seq: e.seq, by: e.actor });
  d.statusHistory.push({ value: 'investigating', at: e.at, seq: e.seq, by: e.actor });
  d.status = 'investigating';
  // The declarer is the commander until someone else is assigned.
  assignRole(d, 'commander', e.actor, e, undefined);
}

function assignRole(d: Draft, role: Role, user: User | null, e: SequencedEvent, brief: string | undefined): void {
  const current = d.roles[role];
  const history: RoleTenure[] = [...current.history];
  const last = history[history.length - 1];
  if (current.holder && last && last.renouncedAt === undefined) {
    if (user && user.id === current.holder.id && brief === undefined) return; // re-assigning the holder changes nothing
    history[history.length - 1] = { ...last, renouncedAt: e.at, renouncedSeq: e.seq };
  }
  if (user) history.push({ user, assumedAt: e.at, assumedSeq: e.seq, assignedBy: e.actor, ...opt('brief', brief) });
  d.roles[role] = { holder: user, history };
}

function mitigationStarted(d: Draft, e: SequencedEventOf<'mitigation.started'>): void {
  const { mitigationId, action, description, target, command } = e.data;
  const m: Mitigation = {
    id: mitigationId, action, description, startedAt: e.at, startedSeq: e.seq, startedBy: e.actor, state: 'open', assessments: [],
    ...opt('target', target), ...opt('command', command),
  };
  const i = d.mitigations.findIndex((x) => x.id === mitigationId);
  if (i >= 0) d.mitigations[i] = m; // a restart under the same id: the later one wins
  else d.mitigations.push(m);
}

function actionUpdated(d: Draft, e: SequencedEventOf<'action.updated'>): void {
  const i = d.actions.findIndex((a) => a.id === e.data.actionId);
  const a = d.actions[i];
  if (!a) return;
  const next: Mutable<ActionItem> = { ...a };
  const { title, owner, due, done, issueUrl } = e.data;
  if (title !== undefined) next.title = title;
  if (issueUrl !== undefined) next.issueUrl = issueUrl;
  if (owner === null) delete next.owner;
  else if (owner !== undefined) next.owner = owner;
  if (due === null) delete next.due;
  else if (due !== undefined) next.due = due;
  if (done !== undefined) {
    next.done = done;
    if (done) next.doneAt = e.at;
    else delete next.doneAt;
  }
  d.actions[i] = next;
}

function workstreamUpdated(d: Draft, e: SequencedEventOf<'workstream.updated'>): void {
  const i = d.workstreams.findIndex((w) => w.id === e.data.workstreamId);
  const w = d.workstreams[i];
  if (!w) return; // an update of an unknown workstream stays on the timeline only
  const { title, owner, state, note } = e.data;
  d.workstreams[i] = {
    ...w,
    ...opt('title', title), ...opt('owner', owner), ...opt('state', state),
    updatedAt: e.at,
    history: [...w.history, { at: e.at, seq: e.seq, by: e.actor, ...opt('owner', owner), ...opt('state', state), ...opt('note', note) }],
  };
}

/** `{ key: value }` when value is defined, else `{}` — keeps optional fields absent rather than undefined. */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
