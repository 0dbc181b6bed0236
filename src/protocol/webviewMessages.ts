import * as z from 'zod';
import { SIDEBAR_ARGS, type CommandId } from './commands';
import { Assessment, ImpactLevel, Role, Severity, Status, Trend } from './events';

/**
 * Commands the sidebar may ask the host to run (nothing else is accepted): the command table's entries that say what
 * the sidebar may pass (protocol/commands.ts `sidebar`), and the "Manage Workspace Trust" link shown when rollback
 * is unavailable in Restricted Mode (takes no arguments).
 */
const EXTERNAL_SIDEBAR_COMMANDS = ['workbench.trust.manage'] as const;
type SidebarCommandId = CommandId | (typeof EXTERNAL_SIDEBAR_COMMANDS)[number];
export const SIDEBAR_COMMANDS: readonly SidebarCommandId[] = [...SIDEBAR_ARGS.keys(), ...EXTERNAL_SIDEBAR_COMMANDS];
export const SidebarCommand = z.enum(SIDEBAR_COMMANDS as [SidebarCommandId, ...SidebarCommandId[]]);
export type SidebarCommand = z.infer<typeof SidebarCommand>;

const SidebarCommandMessage = z.strictObject({ type: z.literal('command'), command: SidebarCommand, args: z.unknown().optional() })
  .superRefine((m, ctx) => {
    const schema = SIDEBAR_ARGS.get(m.command as CommandId);
    if (!schema || schema === 'no-args') {
      if (m.args !== undefined) ctx.addIssue({ code: 'custom', path: ['args'], message: `the sidebar passes no arguments to ${m.command}` });
      return;
    }
    const parsed = schema.safeParse(m.args);
    if (!parsed.success) ctx.addIssue({ code: 'custom', path: ['args'], message: `not what the sidebar may pass to ${m.command}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  });

const Person = z.object({ id: z.string(), name: z.string() });

export const TimelineEntryView = z.object({
  key: z.string(),
  seq: z.number().nullable(),
  at: z.string(),
  actor: z.string(),
  kind: z.string(),
  icon: z.string(),
  text: z.string(),
  tag: z.string().optional(),
  noteId: z.string().optional(),
  source: z.object({ path: z.string(), startLine: z.number(), endLine: z.number() }).optional(),
  queued: z.boolean().optional(),
  /** Webhook delivery of a status update: pending, delivered or failed (with the reason). */
  delivery: z.string().optional(),
  /** The delivery failed for good (shown as an error); absent while it is pending, retried or done. */
  deliveryFailed: z.boolean().optional(),
});
export type TimelineEntryView = z.infer<typeof TimelineEntryView>;

const NoteView = z.object({ id: z.string(), text: z.string() });

/** A mitigation's row: what ran, its state, and "did it help?" — the latest answer, or the question while none stands. */
export const MitigationView = z.object({
  id: z.string(), description: z.string(), action: z.string(), startedAt: z.string(), state: z.string(),
  finishedAt: z.string().optional(),
  /** The latest answer (`label`: "helped", "too early to tell"); absent before the first. */
  assessment: z.object({ value: Assessment, label: z.string(), evidence: z.string().optional(), by: z.string(), at: z.string() }).optional(),
  /** Finished and not answered yet, or answered too early: the row asks "Did it help?". */
  awaiting: z.boolean().optional(),
  /** After a too-early answer: when it is asked again (ISO). */
  askAgainAt: z.string().optional(),
  /** Linked alerts that resolved after it finished (and before the next one did): `HighErrorRate resolved 6 min after`. */
  resolvedAfter: z.array(z.string()).optional(),
});
export type MitigationView = z.infer<typeof MitigationView>;

/** The latest triage as the sidebar shows it, under the title: who, where, the trend and the three impacts. */
export const TriageView = z.object({
  at: z.string(),
  by: z.string(),
  /** `Some users · ~1,200 · EU card payers` */
  who: z.string(),
  /** `eu-west-1, /pay, tenant acme`; '' when none was named. */
  where: z.string(),
  trend: Trend,
  impacts: z.array(z.object({ kind: z.string(), label: z.string(), level: ImpactLevel, evidence: z.string().optional() })),
  note: z.string().optional(),
  /** How many triages were recorded (the others are on the timeline). */
  records: z.number().int().min(1),
});
export type TriageView = z.infer<typeof TriageView>;

export const IncidentView = z.object({
  id: z.string(),
  title: z.string(),
  severity: Severity,
  severityLabel: z.string(),
  status: Status,
  declaredAt: z.string(),
  detectedAt: z.string(),
  resolvedAt: z.string().nullable(),
  symptom: z.string(),
  scope: z.string().optional(),
  myRoles: z.array(z.string()),
  roles: z.array(z.object({ role: Role, label: z.string(), holder: Person.nullable(), isMe: z.boolean() })),
  /** The newest facts, open guesses and refuted guesses (newest first), and how many there are in all. */
  facts: z.array(NoteView),
  factsTotal: z.number().int().min(0),
  guesses: z.array(NoteView),
  guessesTotal: z.number().int().min(0),
  refuted: z.array(NoteView),
  refutedTotal: z.number().int().min(0),
  mitigations: z.array(MitigationView),
  /** The ETA in force (the latest an update gave), and the one it replaced when it moved; absent before the first. */
  eta: z.object({ at: z.string(), givenAt: z.string(), movedFrom: z.string().optional() }).optional(),
  flaggedDeploys: z.array(z.object({ ref: z.string(), sha: z.string(), reason: z.string().optional() })),
  nextUpdate: z.object({ dueAt: z.string(), overdue: z.boolean() }).nullable(),
  actions: z.array(z.object({
    id: z.string(), title: z.string(), owner: z.string().optional(), due: z.string().optional(), done: z.boolean(), overdue: z.boolean(),
    /** Its follow-up on the forge: drafted (the new-issue page was opened) or filed (`#42`); the host opens it. */
    issue: z.object({ state: z.enum(['drafted', 'filed']), label: z.string() }).optional(),
  })),
  /** Open workstreams with their one owner, mine first (then in the order opened); how many are done or dropped. */
  workstreams: z.array(z.object({ id: z.string(), title: z.string(), owner: Person, kind: z.string(), isMine: z.boolean() })),
  workstreamsClosed: z.number().int().min(0),
  /** The latest triage; null before the first, and the sidebar asks for one. */
  triage: TriageView.nullable(),
  /** The severity the latest triage suggests, when it differs from the current one and the incident is not resolved. */
  suggestion: z.object({ severity: Severity, text: z.string() }).nullable(),
  /** The newest page of the timeline; older entries come with `timelinePage` as the user scrolls. */
  timeline: z.array(TimelineEntryView),
  timelineTotal: z.number().int().min(0),
});
export type IncidentView = z.infer<typeof IncidentView>;

/** A firing signal (alert) of the channel, as the sidebar shows it (built by `signalViews` in src/core/signals.ts). */
export const SignalView = z.object({
  fingerprint: z.string(),
  name: z.string(),
  summary: z.string(),
  severity: Severity.nullable(),
  severityLabel: z.string().nullable(),
  where: z.string(),
  status: z.enum(['firing', 'resolved']),
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  incidentId: z.string().nullable(),
  /** The pages it links to; the webview asks the host to open one by label (it never holds a URL to open). */
  links: z.array(z.enum(['Graph', 'Runbook', 'Dashboard', 'Panel', 'Silence'])),
});
export type SignalView = z.infer<typeof SignalView>;

/** Everything the sidebar shows, sent whole on every change. */
export const SidebarState = z.object({
  connection: z.object({ status: z.string(), text: z.string(), queued: z.number(), mode: z.enum(['local', 'shared']) }),
  me: Person,
  incident: IncidentView.nullable(),
  otherIncidents: z.array(z.object({ id: z.string(), title: z.string(), severity: Severity, status: Status })),
  pendingDeclarations: z.number(),
  rejected: z.number(),
  /**
   * false in Restricted Mode: rollback (which runs git and a configured command) is unavailable, and the sidebar
   * says so instead of offering it. The host always sends it; the rollback command refuses on its own as well.
   */
  trusted: z.boolean().optional(),
  /** Who is on the channel now (the server's presence), longest here first; `idleMinutes` since they last wrote. */
  present: z.array(z.object({ id: z.string(), name: z.string(), me: z.boolean(), idleMinutes: z.number().int().min(0), windows: z.number().int().min(1) })).optional(),
  /** The channel's firing signals (the newest `SIGNALS_SHOWN`), and how many fire in all (absent: the channel keeps none). */
  signals: z.object({ shown: z.array(SignalView), firing: z.number().int().min(0) }).optional(),
  /**
   * The repo's prepared mitigations (.incident-room/mitigations.json) for the focused incident, lowest risk first,
   * filtered to its `services` when it names any (`hidden`: prepared for other services); absent: no catalog.
   * `problems`: a catalog that is there but unusable, the entry and field named.
   */
  prepared: z.object({
    entries: z.array(z.object({
      id: z.string(), title: z.string(), kind: z.string(), risk: z.enum(['low', 'medium', 'high']), caution: z.string(),
      services: z.array(z.string()), watch: z.string(),
    })),
    hidden: z.number().int().min(0),
    services: z.array(z.string()),
    problems: z.array(z.string()),
  }).optional(),
});
export type SidebarState = z.infer<typeof SidebarState>;

/** Host → webview. */
export const HostToWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: SidebarState }),
  z.object({ type: z.literal('timelinePage'), incidentId: z.string(), offset: z.number().int().min(0), entries: z.array(TimelineEntryView) }),
]);
export type HostToWebview = z.infer<typeof HostToWebview>;

/** Webview → host. */
export const WebviewToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  SidebarCommandMessage,
  z.object({ type: z.literal('openSource'), noteId: z.string().max(64) }),
  z.object({ type: z.literal('openSignalLink'), fingerprint: z.string().max(128), link: SignalView.shape.links.element }),
  z.object({ type: z.literal('rendered'), entries: z.number(), ms: z.number() }),
  z.object({ type: z.literal('loadTimeline'), incidentId: z.string().max(32), offset: z.number().int().min(0), count: z.number().int().min(1).max(1000) }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;
