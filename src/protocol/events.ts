import * as z from 'zod';
import { Limits } from './codes';
import {
  ASSESSMENTS, AUDIENCES, EVENT_KINDS, IMPACT_LEVELS, MITIGATION_ACTIONS, MITIGATION_RESULTS, NOTE_TAGS, RETAG_TAGS, RISKS, ROLES,
  SEVERITIES, SIGNAL_STATUSES, STATUSES, TRENDS, USER_SHARES, WORKSTREAM_KINDS, WORKSTREAM_STATES, utf8Bytes, type EventKind,
} from './vocabulary';

export {
  ASSESSMENTS, AUDIENCES, EVENT_KINDS, IMPACT_LEVELS, MITIGATION_ACTIONS, NOTE_TAGS, RISKS, ROLES, SEVERITIES, SIGNAL_STATUSES,
  STATUSES, TRENDS, USER_SHARES, WORKSTREAM_KINDS, WORKSTREAM_STATES, utf8Bytes, type EventKind,
} from './vocabulary';

export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;
export const Status = z.enum(STATUSES);
export type Status = z.infer<typeof Status>;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;
export const NoteTag = z.enum(NOTE_TAGS);
export type NoteTag = z.infer<typeof NoteTag>;
export const RetagTag = z.enum(RETAG_TAGS);
export type RetagTag = z.infer<typeof RetagTag>;
export const MitigationAction = z.enum(MITIGATION_ACTIONS);
export type MitigationAction = z.infer<typeof MitigationAction>;
export const MitigationResult = z.enum(MITIGATION_RESULTS);
export type MitigationResult = z.infer<typeof MitigationResult>;
export const Audience = z.enum(AUDIENCES);
export type Audience = z.infer<typeof Audience>;
export const Assessment = z.enum(ASSESSMENTS);
export type Assessment = z.infer<typeof Assessment>;
export const Risk = z.enum(RISKS);
export type Risk = z.infer<typeof Risk>;
export const WorkstreamKind = z.enum(WORKSTREAM_KINDS);
export type WorkstreamKind = z.infer<typeof WorkstreamKind>;
export const WorkstreamState = z.enum(WORKSTREAM_STATES);
export type WorkstreamState = z.infer<typeof WorkstreamState>;
export const Trend = z.enum(TRENDS);
export type Trend = z.infer<typeof Trend>;
export const ImpactLevel = z.enum(IMPACT_LEVELS);
export type ImpactLevel = z.infer<typeof ImpactLevel>;
export const UserShare = z.enum(USER_SHARES);
export type UserShare = z.infer<typeof UserShare>;
export const SignalStatus = z.enum(SIGNAL_STATUSES);
export type SignalStatus = z.infer<typeof SignalStatus>;

/** An ISO-8601 timestamp with a zone (`Z` or an offset). */
export const IsoTime = z.iso.datetime({ offset: true });
/** A calendar date `YYYY-MM-DD` (action item due dates). */
export const IsoDate = z.iso.date();
export const EventId = z.uuid();

const text = (max: number) => z.string().min(1).max(max);
const optionalText = (max: number) => z.string().max(max).optional();

/** A person, as `hello` names them and the server stamps them on events. */
export const User = z.object({ id: text(Limits.nameLength), name: text(Limits.nameLength) });
export type User = z.infer<typeof User>;

/**
 * A web page a user may be sent to (a note's permalink): https, or http for a forge on the local network. Any
 * other scheme (`file:`, `javascript:`, `command:`, `vscode:`) would make a click run or open something else.
 */
export const WebUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2048);

/** Where a scribe note came from in the code. */
export const NoteSource = z.object({
  path: text(1024),
  startLine: z.number().int().min(1),
  endLine: z.number().int().min(1),
  commit: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a hex commit id').optional(),
  remoteUrl: WebUrl.optional(),
  snippet: z.string().refine((s) => utf8Bytes(s) <= Limits.snippetBytes, `must be at most ${Limits.snippetBytes} bytes`).optional(),
}).refine((s) => s.endLine >= s.startLine, { message: 'endLine must not be before startLine', path: ['endLine'] });
export type NoteSource = z.infer<typeof NoteSource>;

/** One kind of impact as triage found it: none / suspected / confirmed, with a line of evidence. */
export const ImpactCheck = z.object({ level: ImpactLevel, evidence: optionalText(Limits.shortTextLength) });
export type ImpactCheck = z.infer<typeof ImpactCheck>;
/** A list of scope items (regions, routes, tenants): each a short name, at most 50. */
const ScopeList = z.array(text(Limits.nameLength)).max(50);

/**
 * Labels or annotations of a signal, as monitoring sent them (Prometheus: label names `[a-zA-Z_][a-zA-Z0-9_]*`;
 * Grafana adds its own). Bounded: at most 64 entries, names ≤ 256 characters, values ≤ 4096.
 */
export const SignalLabels = z.record(z.string().min(1).max(256), z.string().max(4096))
  .refine((r) => Object.keys(r).length <= 64, 'must have at most 64 entries');
export type SignalLabels = z.infer<typeof SignalLabels>;
/** A signal's fingerprint: Alertmanager's 16 hex digits, or any short id another source gives. */
export const Fingerprint = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected a fingerprint: letters, digits, `_.:-`, at most 128');

/** Data of each event kind (PROTOCOL.md "Event kinds (v1)"). */
export const EventData = {
  'incident.declared': z.object({
    title: text(Limits.titleLength),
    severity: Severity,
    symptom: z.string().max(Limits.symptomLength),
    scope: optionalText(Limits.shortTextLength),
    impact: optionalText(Limits.shortTextLength),
    detectedAt: IsoTime.optional(),
  }),
  'incident.updated': z.object({
    title: text(Limits.titleLength).optional(),
    symptom: z.string().max(Limits.symptomLength).optional(),
    scope: optionalText(Limits.shortTextLength),
    impact: optionalText(Limits.shortTextLength),
    detectedAt: IsoTime.optional(),
    impactStartedAt: IsoTime.optional(),
  }),
  'severity.changed': z.object({ severity: Severity, reason: optionalText(Limits.shortTextLength) }),
  'status.changed': z.object({ status: Status, note: optionalText(Limits.shortTextLength) }),
  'role.assigned': z.object({ role: Role, user: User.nullable(), note: optionalText(Limits.shortTextLength) }),
  'note.added': z.object({ text: text(Limits.noteLength), tag: NoteTag, source: NoteSource.optional() }),
  'note.retagged': z.object({ noteId: EventId, tag: RetagTag }),
  'deploy.flagged': z.object({
    ref: text(512),
    sha: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a hex commit id'),
    subject: optionalText(Limits.shortTextLength),
    reason: optionalText(Limits.shortTextLength),
  }),
  'mitigation.started': z.object({
    mitigationId: EventId,
    action: MitigationAction,
    description: text(Limits.shortTextLength),
    target: z.object({ ref: text(512).optional(), sha: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a hex commit id').optional() }).optional(),
    command: optionalText(Limits.shortTextLength),
    /** A prepared mitigation of the repo's catalog (.incident-room/mitigations.json): its id and risk. */
    catalogId: optionalText(Limits.nameLength),
    risk: Risk.optional(),
  }),
  'mitigation.finished': z.object({ mitigationId: EventId, result: MitigationResult, detail: optionalText(Limits.detailLength) }),
  // eta: when the responders expect the impact to end (resolution or mitigation), revised with each update.
  'update.posted': z.object({ audience: Audience, text: text(Limits.updateLength), nextUpdateBy: IsoTime.optional(), eta: IsoTime.optional() }),
  // source: an action item anchored to code (Add Action Item from Selection), shaped like a scribe note's source.
  'action.added': z.object({ title: text(Limits.titleLength), owner: User.optional(), due: IsoDate.optional(), source: NoteSource.optional() }),
  'action.updated': z.object({
    actionId: EventId,
    title: text(Limits.titleLength).optional(),
    owner: User.nullable().optional(),
    due: IsoDate.nullable().optional(),
    done: z.boolean().optional(),
    /** The follow-up opened on the forge (a new-issue URL or the issue itself). */
    issueUrl: WebUrl.optional(),
  }),
  // Triage: scope before cleverness. Each record is whole (the latest one is the incident's triage; earlier ones stay
  // on the timeline as its history); any responder can re-triage.
  'triage.recorded': z.object({
    users: z.object({ text: optionalText(Limits.shortTextLength), share: UserShare, count: z.number().int().min(0).max(1e12).optional() }),
    regions: ScopeList,
    routes: ScopeList,
    tenants: ScopeList,
    trend: Trend,
    customer: ImpactCheck,
    financial: ImpactCheck,
    dataIntegrity: ImpactCheck,
    note: optionalText(Limits.shortTextLength),
  }),
  // A signal (alert) linked to the incident: what it was when linked, so the timeline and postmortem can name it
  // without the channel's signal list.
  'signal.linked': z.object({
    fingerprint: Fingerprint,
    alertname: text(Limits.nameLength),
    summary: optionalText(Limits.shortTextLength),
    startsAt: IsoTime,
    labels: SignalLabels.optional(),
    generatorURL: WebUrl.optional(),
  }),
  // A linked signal resolved: appended by the server when monitoring says so (actor: the alert source).
  'signal.resolved': z.object({ fingerprint: Fingerprint, alertname: text(Limits.nameLength), startsAt: IsoTime, endsAt: IsoTime }),
  // Did it help? A responder's judgement of a finished mitigation, with a line of evidence; `too_early` is asked again.
  'mitigation.assessed': z.object({ mitigationId: EventId, assessment: Assessment, evidence: optionalText(Limits.shortTextLength) }),
  // A workstream: one task with exactly one owner.
  'workstream.opened': z.object({ workstreamId: EventId, title: text(Limits.titleLength), owner: User, kind: WorkstreamKind }),
  'workstream.updated': z.object({
    workstreamId: EventId,
    title: text(Limits.titleLength).optional(),
    owner: User.optional(),
    state: WorkstreamState.optional(),
    note: optionalText(Limits.shortTextLength),
  }),
  // The resolve checklist as the responder answered it (missing items do not block; the choice is on the record).
  'resolution.checked': z.object({
    impactStopped: z.boolean(),
    /** Time spent in monitoring before resolving, or why not. */
    monitored: z.boolean(),
    rootCauseKnown: z.boolean(),
    followUpFiled: z.boolean(),
    /** Signals linked to the incident that still fire, by fingerprint, as the responder resolved. */
    firingSignals: z.array(Fingerprint).max(100).optional(),
    note: optionalText(Limits.shortTextLength),
  }),
  // A command run in a terminal whose capture the responder turned on (Capture This Terminal to the Timeline): the
  // command line with secrets redacted, never its output. exitCode null: the shell did not report one.
  'terminal.command': z.object({
    commandLine: text(Limits.shortTextLength),
    exitCode: z.number().int().min(-2147483648).max(2147483647).nullable(),
    durationMs: z.number().int().min(0).max(1e10).optional(),
    cwd: optionalText(1024),
    terminal: optionalText(Limits.nameLength),
  }),
  // More help was paged (PagerDuty Events API v2 `trigger`) because ownership was unclear, with why.
  'escalation.requested': z.object({
    reason: text(Limits.shortTextLength),
    summary: text(1024),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    dedupKey: text(255),
  }),
} as const satisfies Record<EventKind, z.ZodType>;
export type EventDataOf<K extends EventKind> = z.infer<(typeof EventData)[K]>;

/** Kinds a client may send with `append` (everything but `incident.declared`, which only `declare` creates). */
export type AppendKind = Exclude<EventKind, 'incident.declared'>;
const APPEND_KINDS = EVENT_KINDS.filter((k): k is AppendKind => k !== 'incident.declared');

const eventOf = <K extends EventKind>(kind: K) =>
  z.object({ id: EventId, kind: z.literal(kind), at: IsoTime, data: EventData[kind] });
const sequencedOf = <K extends EventKind>(kind: K) =>
  eventOf(kind).extend({
    seq: z.number().int().min(1), receivedAt: IsoTime, actor: User,
    /** The name of the token the event's session authenticated with (absent on a server without tokens). */
    via: z.string().min(1).max(Limits.nameLength).optional(),
  });

type ClientEventSchemas = { [K in AppendKind]: ReturnType<typeof eventOf<K>> };
type SequencedSchemas = { [K in EventKind]: ReturnType<typeof sequencedOf<K>> };

/** An event a client appends (id, kind, at, data). */
export const ClientEvent = z.discriminatedUnion(
  'kind',
  APPEND_KINDS.map((k) => eventOf(k)) as unknown as [ClientEventSchemas[AppendKind], ...ClientEventSchemas[AppendKind][]],
);
export type ClientEvent = { [K in AppendKind]: z.infer<ClientEventSchemas[K]> }[AppendKind];

/** The event inside `declare`: no kind, it is always `incident.declared`. */
export const DeclareEvent = z.object({ id: EventId, at: IsoTime, data: EventData['incident.declared'] });
export type DeclareEvent = z.infer<typeof DeclareEvent>;

/** An event as the server stores and sends it. */
export const SequencedEvent = z.discriminatedUnion(
  'kind',
  EVENT_KINDS.map((k) => sequencedOf(k)) as unknown as [SequencedSchemas[EventKind], ...SequencedSchemas[EventKind][]],
);
export type SequencedEvent = { [K in EventKind]: z.infer<SequencedSchemas[K]> }[EventKind];
export type SequencedEventOf<K extends EventKind> = Extract<SequencedEvent, { kind: K }>;
export type ClientEventOf<K extends AppendKind> = Extract<ClientEvent, { kind: K }>;
