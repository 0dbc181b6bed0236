// The words of the protocol as plain constants and types, without zod: what the extension needs at startup (the
// status bar, the sidebar model, the reducer) must not construct schemas it does not use yet (#14: activation).
// events.ts builds the schemas from these lists and re-exports them.

/** Severity levels, most severe first. */
export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Incident statuses in their usual order. */
export const STATUSES = ['investigating', 'identified', 'mitigating', 'monitoring', 'resolved'] as const;
export type Status = (typeof STATUSES)[number];

/** Incident roles. */
export const ROLES = ['commander', 'tech_lead', 'communications', 'scribe'] as const;
export type Role = (typeof ROLES)[number];

/** Tags a note is created with. */
export const NOTE_TAGS = ['note', 'fact', 'guess', 'decision', 'action', 'trigger', 'root-cause', 'contributing'] as const;
export type NoteTag = (typeof NOTE_TAGS)[number];
/** Tags a note can be retagged to (adds `refuted` for a guess proven wrong). */
export const RETAG_TAGS = [...NOTE_TAGS, 'refuted'] as const;
export type RetagTag = (typeof RETAG_TAGS)[number];

export const MITIGATION_ACTIONS = ['rollback', 'feature_flag', 'failover', 'restart', 'scale', 'other', 'traffic_shift', 'bypass', 'load_shed'] as const;
export type MitigationAction = (typeof MITIGATION_ACTIONS)[number];
export const MITIGATION_RESULTS = ['succeeded', 'failed', 'cancelled'] as const;
export type MitigationResult = (typeof MITIGATION_RESULTS)[number];
export const AUDIENCES = ['internal', 'external'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** How a mitigation worked, as a responder judged it afterwards ("did it help?"). */
export const ASSESSMENTS = ['helped', 'no_change', 'worse', 'too_early'] as const;
export type Assessment = (typeof ASSESSMENTS)[number];
/** How risky a prepared mitigation is to run (the catalog says; the preflight shows it). */
export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];
/** What a workstream is for, and where it stands. */
export const WORKSTREAM_KINDS = ['investigate', 'mitigate', 'communicate'] as const;
export type WorkstreamKind = (typeof WORKSTREAM_KINDS)[number];
export const WORKSTREAM_STATES = ['open', 'done', 'dropped'] as const;
export type WorkstreamState = (typeof WORKSTREAM_STATES)[number];

/** Triage: is the impact still spreading? */
export const TRENDS = ['growing', 'stable', 'shrinking', 'unknown'] as const;
export type Trend = (typeof TRENDS)[number];
/** Triage: how sure the responders are of one kind of impact (customer, financial, data integrity), checked separately. */
export const IMPACT_LEVELS = ['none', 'suspected', 'confirmed'] as const;
export type ImpactLevel = (typeof IMPACT_LEVELS)[number];
/** Triage: roughly what share of users is affected (the free text says who). */
export const USER_SHARES = ['unknown', 'few', 'some', 'most', 'all'] as const;
export type UserShare = (typeof USER_SHARES)[number];
/** A signal (an alert from monitoring) is firing or has resolved. */
export const SIGNAL_STATUSES = ['firing', 'resolved'] as const;
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];

/** Every event kind (PROTOCOL.md "Event kinds (v1)"); events.ts's EventData has exactly these keys. */
export const EVENT_KINDS = [
  'incident.declared', 'incident.updated', 'severity.changed', 'status.changed', 'role.assigned', 'note.added',
  'note.retagged', 'deploy.flagged', 'mitigation.started', 'mitigation.finished', 'update.posted', 'action.added',
  'action.updated', 'triage.recorded', 'signal.linked', 'signal.resolved', 'escalation.requested', 'mitigation.assessed',
  'workstream.opened', 'workstream.updated', 'resolution.checked', 'terminal.command',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

const encoder = new TextEncoder();
/** UTF-8 length of a string (works in Node and in the webview). */
export const utf8Bytes = (s: string): number => encoder.encode(s).length;
