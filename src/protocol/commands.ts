import * as z from 'zod';
import { Assessment, Audience, EventId, Fingerprint, IsoDate, IsoTime, NoteTag, RetagTag, Role, Severity, Status, User, WorkstreamKind } from './events';
import { Limits } from './codes';
import { EventData, WebUrl } from './events';
import { IncidentId } from './messages';

/**
 * The command table: one entry per command of the extension. The extension registers exactly these (its handler
 * table is typed `Record<CommandId, …>`, so a command without a handler does not compile), package.json
 * contributes exactly these (test/unit/protocol/commands.test.ts), and the sidebar may run only the ones whose
 * entry says what it may pass (`sidebar`). Adding a command: an entry here, its handler, its package.json
 * contribution.
 *
 * - `args`: the argument object a keybinding, automation or test may pass to skip the prompts. Validated on every
 *   call; a bad one is refused with the field named, before anything runs.
 * - `needs`: what the command wrapper resolves before the handler runs, in this order: `trust` (a trusted
 *   workspace: the command runs git or a configured command; the text names what is refused; `trustReason` says
 *   why when it is not git), then the arguments,
 *   then `incident` (the focused incident, loaded), then `deploy` (a deploy: the tree node it was run on, the one
 *   its arguments name, or one the user picks).
 * - `sidebar`: what the sidebar webview may pass, exactly (a strict object), or `'no-args'`; absent: the sidebar may
 *   not run it. An argument object makes a command skip its prompts, so anything more (a path to export to, a
 *   folder that skips the postmortem's confirm, update text that skips the draft, `confirmed` for takeRole) would
 *   let the webview skip a dialog the user never saw.
 */
export interface CommandDecl {
  readonly args?: z.ZodType;
  readonly needs?: { readonly trust?: string; readonly trustReason?: string; readonly incident?: true; readonly deploy?: true };
  readonly sidebar?: z.ZodType | 'no-args';
}

/** A deploy named in an argument object: `{ ref }` (tag name, label or sha prefix), optionally `{ repo }` (its root). */
export const DeployArgs = z.object({ ref: z.string().min(1).max(512), repo: z.string().optional(), reason: z.string().max(2000).optional() });

const Token = z.object({ token: z.string().max(4096) });

export const COMMANDS = {
  'incidentRoom.declare': {
    args: z.object({
      title: z.string().min(1).max(200), severity: Severity, symptom: z.string().max(2000).default(''),
      scope: z.string().max(2000).optional(), detectedAt: IsoTime.optional(), commander: User.optional(),
    }),
    sidebar: 'no-args',
  },
  'incidentRoom.switchIncident': {
    args: z.object({ incidentId: IncidentId }),
    sidebar: z.strictObject({ incidentId: z.string().max(32) }),
  },
  'incidentRoom.changeSeverity': {
    args: z.object({ severity: Severity, reason: z.string().max(2000).optional() }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  'incidentRoom.setStatus': {
    // Resolving with an argument object asks nothing: `checklist` is the caller's answer to the resolve checklist
    // (impact stopped and why resolve with items missing); the other items are taken from the record, which a caller
    // cannot vouch for. Without `checklist`, impact counts as stopped when no linked alert still fires, and the note
    // says nobody was asked.
    args: z.object({
      status: Status, note: z.string().max(2000).optional(),
      checklist: z.object({ impactStopped: z.boolean(), note: z.string().max(2000).optional() }).optional(),
    }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  'incidentRoom.assignRole': {
    args: z.object({ role: Role, user: User.nullable().optional(), note: z.string().max(2000).optional() }),
    needs: { incident: true }, sidebar: z.strictObject({ role: Role }),
  },
  'incidentRoom.takeRole': {
    // `confirmed`: the caller already asked the user (automation, tests); the sidebar can never send it.
    args: z.object({ role: Role, note: z.string().max(2000).optional(), confirmed: z.literal(true).optional() }),
    needs: { incident: true }, sidebar: z.strictObject({ role: Role }),
  },
  'incidentRoom.handOffRole': {
    args: z.object({ role: Role, to: User.optional(), brief: z.string().min(1).max(2000).optional() }),
    needs: { incident: true }, sidebar: z.strictObject({ role: Role }),
  },
  // Workstreams (#12): one task, exactly one owner. With a full argument object nothing is asked; the sidebar names
  // the workstream and Done or Reassign, and the handler asks the rest (a new owner, the note).
  'incidentRoom.openWorkstream': {
    args: z.object({ title: z.string().trim().min(1).max(200), owner: User, kind: WorkstreamKind }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  'incidentRoom.updateWorkstream': {
    // `note`: '' for none; absent, it is asked (optional). `owner` alone means reassign.
    args: z.object({
      workstreamId: z.uuid(), action: z.enum(['done', 'dropped', 'reassign', 'reopen']).optional(), owner: User.optional(),
      note: z.string().max(2000).optional(),
    }),
    needs: { incident: true }, sidebar: z.strictObject({ workstreamId: z.string().max(64), action: z.enum(['done', 'reassign']) }),
  },
  'incidentRoom.addNote': {
    args: z.object({ text: z.string().min(1).max(8000), tag: NoteTag.default('note') }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  'incidentRoom.addSelection': {
    args: z.object({ tag: NoteTag.default('note'), text: z.string().max(8000).optional() }),
    needs: { incident: true },
  },
  'incidentRoom.retagNote': {
    args: z.object({ noteId: z.uuid(), tag: RetagTag }),
    needs: { incident: true }, sidebar: z.strictObject({ noteId: z.string().max(64), tag: z.enum(['fact', 'refuted']) }),
  },
  // Triage: who is affected, where, the trend and the three impacts. The argument object is the whole record, as the
  // wire carries it (automation, tests); without one the prompts start from the latest triage.
  'incidentRoom.triage': { args: EventData['triage.recorded'], needs: { incident: true }, sidebar: 'no-args' },
  'incidentRoom.postUpdate': {
    args: z.object({ audience: Audience, text: z.string().min(1).max(4000), nextUpdateBy: IsoTime.optional(), eta: IsoTime.optional() }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  'incidentRoom.connect': { sidebar: 'no-args' },
  'incidentRoom.setToken': { args: Token },
  'incidentRoom.setIdentity': {
    args: z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) }),
    sidebar: 'no-args',
  },
  'incidentRoom.showLog': { sidebar: 'no-args' },
  'incidentRoom.openDeployDiff': { args: DeployArgs, needs: { trust: 'Open Deploy Diff', deploy: true }, sidebar: 'no-args' },
  'incidentRoom.openFileDiff': { needs: { trust: 'Open File Diff' } },
  'incidentRoom.flagDeploy': { args: DeployArgs, needs: { trust: 'Flag Deploy as Suspect', incident: true, deploy: true } },
  'incidentRoom.refreshDeploys': {},
  'incidentRoom.rollback': {
    args: DeployArgs,
    // Trust before anything else, the sidebar's Roll back button included: the plan reads git and the rollback
    // runs git or a configured command.
    needs: { trust: 'Roll Back Deploy (it runs git and configured commands)', incident: true, deploy: true },
    sidebar: 'no-args',
  },
  // A prepared mitigation of the repo's catalog (.incident-room/mitigations.json), by id (`repo`: the folder's root,
  // when two folders have one of that id); without arguments, a picker lowest risk first. It confirms with the exact
  // argv whatever calls it, the sidebar's Run button included.
  'incidentRoom.runMitigation': {
    args: z.object({ id: z.string().min(1).max(64), repo: z.string().optional() }),
    needs: { trust: 'Run Mitigation', trustReason: 'it runs a command from the repository\'s .incident-room/mitigations.json', incident: true },
    sidebar: z.strictObject({ id: z.string().max(64) }),
  },
  // Did it help? (#12) The answer for a finished mitigation, with a line of evidence; `too_early` is asked again after
  // incidentRoom.mitigations.recheckMinutes. The sidebar's row passes the answer and the evidence typed on the row
  // itself (the row is the dialog: nothing the user did not see is skipped).
  'incidentRoom.assessMitigation': {
    args: z.object({ mitigationId: EventId, assessment: Assessment, evidence: z.string().trim().max(Limits.shortTextLength).optional() }),
    needs: { incident: true },
    sidebar: z.strictObject({ mitigationId: z.string().max(64), assessment: Assessment, evidence: z.string().max(Limits.shortTextLength).optional() }),
  },
  'incidentRoom.addActionItem': {
    args: z.object({ title: z.string().min(1).max(200), owner: User.optional(), due: IsoDate.optional() }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  // An action item anchored to the editor's selection (#16): its source is the selection's path, lines, commit,
  // permalink and code, as for Add Selection to Timeline; an argument object skips the three prompts, never the
  // selection. Not the sidebar's: it has no editor selection to speak of.
  'incidentRoom.addActionItemFromSelection': {
    args: z.object({ title: z.string().min(1).max(200), owner: User.optional(), due: IsoDate.optional() }),
    needs: { incident: true },
  },
  'incidentRoom.completeActionItem': {
    args: z.object({ actionId: z.uuid(), done: z.boolean().default(true) }),
    needs: { incident: true }, sidebar: z.strictObject({ actionId: z.string().max(64), done: z.boolean() }),
  },
  'incidentRoom.editActionItem': {
    args: z.object({ actionId: z.uuid(), title: z.string().min(1).max(200).optional(), owner: User.nullable().optional(), due: IsoDate.nullable().optional() }),
    needs: { incident: true }, sidebar: z.strictObject({ actionId: z.string().max(64) }),
  },
  // Follow-ups leave the room (#12): an action item as a prefilled new-issue page on the repository's forge (no
  // token: the browser's session files it), the new-issue page recorded on the item. `issueUrl` records a link without
  // opening anything (the filed issue, from automation); `open: false` records the page and returns the prefilled URL
  // without a browser or a notification (tests).
  'incidentRoom.openActionAsIssue': {
    args: z.object({ actionId: z.uuid(), issueUrl: WebUrl.optional(), open: z.boolean().default(true) }),
    needs: { incident: true }, sidebar: z.strictObject({ actionId: z.string().max(64) }),
  },
  // Every open action item of the focused incident as a Markdown checklist, on the clipboard.
  'incidentRoom.copyActionItems': { needs: { incident: true }, sidebar: 'no-args' },
  'incidentRoom.generatePostmortem': {
    args: z.object({ incidentId: IncidentId.optional(), folder: z.string().optional() }),
    needs: { incident: true }, sidebar: 'no-args',
  },
  'incidentRoom.exportIncident': { args: z.object({ path: z.string().min(1).optional() }), needs: { incident: true }, sidebar: 'no-args' },
  'incidentRoom.retryUpdateDelivery': { sidebar: 'no-args' },
  'incidentRoom.setWebhookToken': { args: Token },
  // Escalate (#11 point 6): page more help through incidentRoom.escalation.url (PagerDuty's Events API v2 by
  // default). Refused in Restricted Mode. Not the sidebar's: with arguments it skips the prompts and the confirm.
  'incidentRoom.escalate': {
    args: z.object({ reason: z.string().trim().min(1).max(2000), summary: z.string().trim().min(1).max(1024).optional() }),
    needs: { trust: 'Escalate', trustReason: 'it pages people and sends the incident\'s details to incidentRoom.escalation.url', incident: true },
  },
  'incidentRoom.setEscalationKey': { args: z.object({ routingKey: z.string().max(1024) }) },
  'incidentRoom.openStakeholderPage': {},
  // The deploy lens on or off (incidentRoom.lens.enabled), from the palette and the sidebar's title bar.
  // The deploy settings in the Settings editor: the Recent Deploys view's gear, also when it found nothing.
  'incidentRoom.openDeploySettings': {},
  'incidentRoom.toggleDeployLens': { args: z.object({ enabled: z.boolean().optional() }) },
  // Signals (alerts) of the channel: declare an incident from one (the declare flow prefilled, detection time = the
  // alert's start, the signal linked), or link more to the focused incident. The sidebar names the signal.
  'incidentRoom.declareFromSignal': {
    // `accept`: declare with what the alert says, no prompts (automation, tests); the sidebar can never send it.
    args: z.object({ fingerprint: Fingerprint, accept: z.literal(true).optional() }),
    sidebar: z.strictObject({ fingerprint: z.string().max(128) }),
  },
  'incidentRoom.attachSignal': {
    args: z.object({ fingerprint: Fingerprint }),
    needs: { incident: true }, sidebar: z.strictObject({ fingerprint: z.string().max(128) }),
  },
  // Terminal capture (#16, opt-in): the active terminal's commands (command line with secrets redacted, exit code,
  // duration, folder; never output) on the focused incident's timeline until stopped, the terminal closes, or the
  // incident is unfocused or resolved. No trust needed: it runs nothing, reads only what the user types into their own
  // terminal, and sends it to the channel the user configured (Restricted Mode ignores a workspace's server.url).
  'incidentRoom.captureTerminal': { needs: { incident: true } },
  // `all`: every capture; without it the active terminal's, the only one, or a pick (the status bar's click).
  'incidentRoom.stopTerminalCapture': { args: z.object({ all: z.boolean().optional() }) },
} as const satisfies Record<`incidentRoom.${string}`, CommandDecl>;

export type CommandId = keyof typeof COMMANDS;
export const COMMAND_IDS = Object.keys(COMMANDS) as CommandId[];

/** The parsed argument object of a command (`never` for one that takes none). */
export type ArgsOf<Id extends CommandId> = (typeof COMMANDS)[Id] extends { args: infer S extends z.ZodType } ? z.infer<S> : never;

/** An argument object that does not fit its command's schema; the message names the field. */
export class CommandArgsError extends Error {
  constructor(readonly command: CommandId, readonly field: string, readonly reason: string) {
    super(`${command}: argument ${field}: ${reason}`);
    this.name = 'CommandArgsError';
  }
}

/**
 * A command's argument object, validated; `undefined` when none was given (the command prompts instead). Menus pass
 * a Uri (editor context) or a tree item as the first argument: those are not argument objects.
 */
export function parseCommandArgs<Id extends CommandId>(id: Id, raw: unknown): ArgsOf<Id> | undefined {
  if (!isArgumentObject(raw)) return undefined;
  const schema = (COMMANDS[id] as CommandDecl).args;
  if (!schema) return undefined;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data as ArgsOf<Id>;
  const issue = parsed.error.issues[0];
  throw new CommandArgsError(id, issue?.path.join('.') || 'argument', issue?.message ?? 'invalid');
}

/** An object that could be an argument object: not a Uri (`scheme` + `path`), not a tree item (`type` + its node). */
export function isArgumentObject(raw: unknown): raw is object {
  if (raw === undefined || raw === null || typeof raw !== 'object') return false;
  if ('scheme' in raw && 'path' in raw) return false;
  return !('type' in raw && typeof (raw as { type: unknown }).type === 'string' && 'repo' in raw);
}

/** The commands the sidebar may run, and what it may pass to each (see `sidebar` above). */
export const SIDEBAR_ARGS: ReadonlyMap<CommandId, z.ZodType | 'no-args'> = new Map(
  (Object.entries(COMMANDS) as [CommandId, CommandDecl][]).flatMap(([id, d]) => (d.sidebar ? [[id, d.sidebar] as const] : [])),
);
