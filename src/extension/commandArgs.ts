import * as z from 'zod';
import { Audience, IsoDate, IsoTime, NoteTag, RetagTag, Role, Severity, Status, User } from '../protocol/events';
import { IncidentId } from '../protocol/messages';

// Every command accepts an optional argument object that skips its prompts (keybindings, automation, tests).
// Each is validated here so a bad keybinding gets a clear message instead of a half-recorded event.
export const CommandArgs = {
  declare: z.object({
    title: z.string().min(1).max(200), severity: Severity, symptom: z.string().max(2000).default(''),
    scope: z.string().max(2000).optional(), detectedAt: IsoTime.optional(), commander: User.optional(),
  }),
  switchIncident: z.object({ incidentId: IncidentId }),
  changeSeverity: z.object({ severity: Severity, reason: z.string().max(2000).optional() }),
  setStatus: z.object({ status: Status, note: z.string().max(2000).optional() }),
  assignRole: z.object({ role: Role, user: User.nullable().optional(), note: z.string().max(2000).optional() }),
  // `confirmed`: the caller already asked the user (automation, tests); the sidebar can never send it (see
  // SIDEBAR_COMMAND_ARGS in protocol/webviewMessages.ts).
  takeRole: z.object({ role: Role, note: z.string().max(2000).optional(), confirmed: z.literal(true).optional() }),
  handOffRole: z.object({ role: Role, to: User.optional(), brief: z.string().min(1).max(2000).optional() }),
  addNote: z.object({ text: z.string().min(1).max(8000), tag: NoteTag.default('note') }),
  addSelection: z.object({ tag: NoteTag.default('note'), text: z.string().max(8000).optional() }),
  retagNote: z.object({ noteId: z.uuid(), tag: RetagTag }),
  postUpdate: z.object({ audience: Audience, text: z.string().min(1).max(4000), nextUpdateBy: IsoTime.optional() }),
  setToken: z.object({ token: z.string().max(4096) }),
  addActionItem: z.object({ title: z.string().min(1).max(200), owner: User.optional(), due: IsoDate.optional() }),
  completeActionItem: z.object({ actionId: z.uuid(), done: z.boolean().default(true) }),
  editActionItem: z.object({ actionId: z.uuid(), title: z.string().min(1).max(200).optional(), owner: User.nullable().optional(), due: IsoDate.nullable().optional() }),
  generatePostmortem: z.object({ incidentId: IncidentId.optional(), folder: z.string().optional() }),
  exportIncident: z.object({ path: z.string().min(1).optional() }),
  setIdentity: z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) }),
} as const;

export type CommandArgs = { [K in keyof typeof CommandArgs]: z.infer<(typeof CommandArgs)[K]> };

/** Parse a command's argument object; `undefined` when none was given (prompt instead). */
export function parseArgs<K extends keyof typeof CommandArgs>(command: K, raw: unknown): CommandArgs[K] | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object' || isUri(raw)) return undefined;
  const parsed = CommandArgs[command].safeParse(raw);
  if (parsed.success) return parsed.data as CommandArgs[K];
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'argument';
  throw new Error(`incidentRoom.${command}: argument ${field}: ${issue?.message ?? 'invalid'}`);
}

// Menus pass a Uri (editor context) or a tree item as the first argument; those are not argument objects.
function isUri(value: object): boolean {
  return 'scheme' in value && 'path' in value;
}
