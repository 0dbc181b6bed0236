import * as vscode from 'vscode';
import {
  ROLES, SEVERITIES, STATUSES, NOTE_TAGS, type EventDataOf, type Role, type Severity, type Status, type NoteTag, type User, type RetagTag,
} from '../protocol/events';
import { incidentSuggestion, SEVERITY_POLICY } from '../core/severityPolicy';
import { ROLE_LABELS, rolesOf } from '../core/selectors';
import type { IncidentState } from '../core/incidentState';
import type { CommandId } from '../protocol/commands';
import type { PresentUser } from '../protocol/messages';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, confirm, pick } from './quickInput';
import { parseWhen } from '../core/parseWhen';
import { cadencePolicy, writeIdentity } from './settings';
import { draftHandoffBrief } from './handoffDraft';
import { offerWorkstream } from './workstreamPrompts';
import { answerResolveChecklist } from './resolutionPrompt';

const STATUS_HELP: Record<Status, string> = {
  investigating: 'Looking for the cause',
  identified: 'Cause known, working on a fix',
  mitigating: 'A mitigation is under way',
  monitoring: 'Mitigated, watching that it holds',
  resolved: 'Users are fine; the incident is over',
};

const TAG_HELP: Record<NoteTag, string> = {
  note: 'Plain note', fact: 'Something verified', guess: 'A hypothesis to confirm or refute',
  decision: 'A decision taken', action: 'Something being done',
  trigger: 'What set the incident off (postmortem: Trigger)', 'root-cause': 'A link in the root-cause chain (postmortem: Root cause)',
  contributing: 'Something that made it worse or slower to fix (postmortem: Contributing factors)',
};

type IncidentCommandId = Extract<CommandId,
  | 'incidentRoom.declare' | 'incidentRoom.switchIncident' | 'incidentRoom.changeSeverity' | 'incidentRoom.setStatus'
  | 'incidentRoom.assignRole' | 'incidentRoom.takeRole' | 'incidentRoom.handOffRole' | 'incidentRoom.addNote'
  | 'incidentRoom.retagNote' | 'incidentRoom.connect' | 'incidentRoom.setToken' | 'incidentRoom.setIdentity'>;

/** The incident commands of the palette, sidebar and keybindings. Each accepts an argument object that skips its prompts. */
/** `onResolved`: an incident was resolved from this window (the escalations' alerts are resolved too). */
export function incidentCommands(
  service: IncidentService, onResolved: (s: IncidentState, statusEventId: string) => Promise<void> = async () => undefined,
): CommandHandlers<IncidentCommandId> {
  return {
    'incidentRoom.declare': { run: async ({ args }) => {
      const data = args
        ? { title: args.title, severity: args.severity, symptom: args.symptom, ...(args.scope ? { scope: args.scope } : {}), ...(args.detectedAt ? { detectedAt: args.detectedAt } : {}) }
        : await promptDeclaration();
      return declareAndFocus(service, data, args?.commander);
    } },

    'incidentRoom.switchIncident': { run: async ({ args }) => {
      if (args) {
        service.focus(args.incidentId);
        return args.incidentId;
      }
      const items = service.incidents.map((i) => ({
        label: `${i.id}  ${i.title}`, description: `${i.severity} · ${i.status}`,
        detail: `declared ${new Date(i.declaredAt).toLocaleString()}${i.commander ? ` · commander ${i.commander.name}` : ''}`,
        value: i.id, picked: i.id === service.focusedId,
      }));
      if (items.length === 0) throw new UserFacingError(`no incidents on this channel yet (${service.connection.status}); declare one with "Incident: Declare Incident"`);
      const id = await pick(items, { title: 'Switch Incident', placeHolder: 'Pick the incident to follow', matchOnDescription: true });
      service.focus(id);
      return id;
    } },

    'incidentRoom.changeSeverity': { run: async ({ args, incident: s }) => {
      // What the latest triage suggests, when it differs, comes first with its reason (Enter takes it, the user decides).
      const triage = incidentSuggestion(s);
      const suggested = triage?.differs ? { severity: triage.severity, why: `suggested by triage: ${triage.reasons.join('; ')}` } : undefined;
      const severity = args?.severity ?? (await pickSeverity(`Change Severity of ${s.id} (now ${s.severity})`, s.severity, suggested));
      if (severity === s.severity && !args) return;
      const why = severity === suggested?.severity ? `Triage: ${triage?.reasons.join('; ')}` : '';
      const reason = args ? args.reason : (await ask({ prompt: `Why ${severity}? (optional)`, value: why, required: false })) || undefined;
      await service.append('severity.changed', { severity, ...(reason ? { reason } : {}) });
    } },

    'incidentRoom.setStatus': { run: async ({ args, incident: s }) => {
      const status = args?.status ?? (await pick(STATUSES.map((st) => ({ label: st, description: STATUS_HELP[st], value: st, picked: st === s.status })), { title: `Set Status of ${s.id} (now ${s.status})` }));
      // Resolving asks the checklist first; its answers go on the timeline before the status change (#12).
      const checked = status === 'resolved' && s.status !== 'resolved' ? await answerResolveChecklist(service, s, args) : undefined;
      const note = args ? args.note : (await ask({ prompt: `Note for "${status}" (optional)`, required: false })) || undefined;
      if (checked) await service.append('resolution.checked', checked);
      const eventId = await service.append('status.changed', { status, ...(note ? { note } : {}) });
      if (status === 'resolved' && s.status !== 'resolved') {
        // Not waited for: the status is set; what it says about the page comes as its own message.
        void onResolved(service.focusedIncident?.id === s.id ? service.focusedIncident : s, eventId)
          .catch((e: unknown) => void vscode.window.showErrorMessage(`Incident Room: resolving ${s.id}'s escalation failed: ${(e as Error).message}`));
      }
    } },

    'incidentRoom.assignRole': { run: async ({ args, incident: s }) => {
      const role = args?.role ?? (await pickRole(s, 'Assign Role'));
      // A partial argument object (the sidebar's per-role Assign) prompts only for what it lacks.
      const user = args && args.user !== undefined ? args.user : await pickPerson(s, service.me, `Who becomes ${ROLE_LABELS[role]}?`, true, service.present);
      // Assigning yourself a role someone holds is taking it: it asks, as Take does (a full argument object asked already).
      const holder = s.roles[role].holder;
      if (!args?.user && user?.id === service.me.id && holder && holder.id !== service.me.id) {
        await confirm(`${holder.name} is ${ROLE_LABELS[role]} of ${s.id}. Take over?`, 'Take Over');
      }
      const note = args && args.user !== undefined ? args.note : (await ask({ prompt: 'Brief for the new holder (optional)', required: false })) || undefined;
      await service.append('role.assigned', { role, user, ...(note ? { note } : {}) });
      // Picked here, not passed in: ask what they will own (Escape skips it; the role is theirs already).
      if (user && !(args && args.user !== undefined)) await offerWorkstream(service, s, user, `${user.name} is ${ROLE_LABELS[role]}`);
    } },

    'incidentRoom.takeRole': { run: async ({ args, incident: s }) => {
      const role = args?.role ?? (await pickRole(s, 'Take Role'));
      const holder = s.roles[role].holder;
      if (holder?.id === service.me.id) throw new UserFacingError(`you are already ${ROLE_LABELS[role]} of ${s.id}`);
      // Taking a role from someone always asks, whatever the path (palette, sidebar button, keybinding); only a
      // programmatic caller that asked already says so with `confirmed: true`.
      if (holder && args?.confirmed !== true) {
        await confirm(`${holder.name} is ${ROLE_LABELS[role]} of ${s.id}. Take over?`, 'Take Over');
      }
      await service.append('role.assigned', { role, user: service.me, ...(args?.note ? { note: args.note } : {}) });
    } },

    'incidentRoom.handOffRole': { run: async ({ args, incident: s }) => {
      const mine = rolesOf(s, service.me.id);
      const role = args?.role ?? (mine.length === 1 ? (mine[0] as Role) : await pickRole(s, 'Hand Off Role', mine.length ? mine : undefined));
      const to = args?.to ?? (await pickPerson(s, service.me, `Hand ${ROLE_LABELS[role]} to…`, false, service.present));
      if (!to) return;
      // The brief starts written from the timeline since the holder took the role, edited in an editor before it goes.
      const brief = args?.brief ?? (await draftHandoffBrief(s, role, to, cadencePolicy(service.currentSettings())));
      await service.append('role.assigned', { role, user: to, note: brief });
      if (!args?.to) await offerWorkstream(service, s, to, `${to.name} is ${ROLE_LABELS[role]}`);
    } },

    'incidentRoom.addNote': { run: async ({ args }) => {
      const text = args?.text ?? (await ask({ title: 'Add Note', prompt: 'Note text', validateInput: (v) => (v.length > 8000 ? 'At most 8000 characters' : undefined) }));
      const tag = args?.tag ?? (await pickTag());
      return service.append('note.added', { text, tag });
    } },

    'incidentRoom.retagNote': { run: async ({ args, incident: s }) => {
      let noteId = args?.noteId;
      let tag: RetagTag | undefined = args?.tag;
      if (!noteId) {
        const candidates = s.notes.filter((n) => n.tag === 'guess' || n.tag === 'note' || n.tag === 'fact');
        if (candidates.length === 0) throw new UserFacingError(`${s.id} has no notes to retag yet`);
        noteId = await pick(
          [...candidates].reverse().map((n) => ({ label: n.text.slice(0, 120), description: `[${n.tag}] ${n.actor.name}`, value: n.id })),
          { title: 'Retag Note', placeHolder: 'Which note? (guesses first become facts or refuted)' },
        );
      }
      if (!tag) {
        tag = await pick([
          { label: 'fact', description: 'Confirmed', value: 'fact' as RetagTag },
          { label: 'refuted', description: 'A guess proven wrong', value: 'refuted' as RetagTag },
          ...NOTE_TAGS.filter((t) => t !== 'fact').map((t) => ({ label: t, description: TAG_HELP[t], value: t as RetagTag })),
        ], { title: 'Retag as' });
      }
      if (!s.notes.some((n) => n.id === noteId)) throw new UserFacingError(`no note ${noteId} in ${s.id}`);
      await service.append('note.retagged', { noteId, tag });
    } },

    'incidentRoom.connect': { run: async () => {
      service.reconnect();
      const c = service.connection;
      void vscode.window.setStatusBarMessage(`Incident Room: connecting to ${c.target || 'the local channel'}…`, 3000);
    } },

    'incidentRoom.setToken': { run: async ({ args }) => {
      const s = service.currentSettings();
      if (!s.serverUrl) throw new UserFacingError('set incidentRoom.server.url first (the token belongs to a channel server)');
      const token = args?.token ?? (await ask({ title: `Channel token for ${s.channel} on ${s.serverUrl}`, prompt: 'Stored in VS Code SecretStorage. Leave empty to remove it.', password: true, required: false }));
      await service.setToken(token || undefined);
      void vscode.window.showInformationMessage(token ? 'Incident Room: token saved; reconnecting.' : 'Incident Room: token removed.');
    } },

    'incidentRoom.setIdentity': { run: async ({ args }) => {
      const id = args?.id ?? (await ask({ title: 'Your identity on incidents (1/2)', prompt: 'Id (usually your email)', value: service.me.id }));
      const name = args?.name ?? (await ask({ title: 'Your identity on incidents (2/2)', prompt: 'Display name', value: service.me.name }));
      await writeIdentity(id, name);
    } },
  };
}

/**
 * A severity pick with the criteria under each. `suggested` (and why) goes first, so Enter takes it: a single pick
 * highlights its first item, never a `picked` one.
 */
async function pickSeverity(title: string, current?: Severity, suggested?: { severity: Severity; why: string }): Promise<Severity> {
  const order = suggested ? [suggested.severity, ...SEVERITIES.filter((x) => x !== suggested.severity)] : [...SEVERITIES];
  return pick(
    order.map((sev) => ({
      label: `${sev} · ${SEVERITY_POLICY[sev].label}`, detail: SEVERITY_POLICY[sev].criteria,
      description: [
        sev === suggested?.severity ? suggested.why : '',
        SEVERITY_POLICY[sev].cadenceMinutes ? `updates every ${SEVERITY_POLICY[sev].cadenceMinutes} min` : 'no update cadence',
      ].filter(Boolean).join(' · '),
      value: sev, picked: sev === current,
    })),
    { title, placeHolder: 'Pick the severity (criteria shown below each)', matchOnDetail: true },
  );
}

/** What the declare flow may start from (Declare from Signal): each prompt shows its value, to keep or edit. */
export interface DeclarationPrefill {
  readonly title?: string;
  readonly severity?: { severity: Severity; why: string };
  readonly symptom?: string;
  readonly scope?: string;
  /** When monitoring detected it (ISO), offered as the detection time instead of "now". */
  readonly detectedAt?: string;
  /** What the flow is started from, in each step's title: `Declare from HighErrorRate`. */
  readonly from?: string;
}

/** The declare flow's five prompts; Escape at any step declares nothing. */
export async function promptDeclaration(prefill: DeclarationPrefill = {}): Promise<EventDataOf<'incident.declared'>> {
  const step = (n: number) => `${prefill.from ? `Declare from ${prefill.from}` : 'Declare Incident'} (${n}/5)`;
  const title = await ask({ title: step(1), prompt: 'Title: what is broken, in a few words', placeHolder: 'Checkout returns 5xx', ...(prefill.title ? { value: prefill.title } : {}), validateInput: (v) => (v.length > 200 ? 'At most 200 characters' : undefined) });
  const severity = await pickSeverity(`${step(2)}: severity`, undefined, prefill.severity);
  const symptom = await ask({ title: step(3), prompt: 'Symptom: what users or alerts see', required: false, ...(prefill.symptom ? { value: prefill.symptom } : {}), validateInput: (v) => (v.length > 2000 ? 'At most 2000 characters' : undefined) });
  const scope = (await ask({ title: step(4), prompt: 'Scope: who or what is affected (optional)', required: false, ...(prefill.scope ? { value: prefill.scope } : {}) })) || undefined;
  const detectedAt = await askDetectedAt(step(5), prefill.detectedAt);
  return { title, severity, symptom, ...(scope ? { scope } : {}), ...(detectedAt ? { detectedAt } : {}) };
}

/** Declare, say so (or that it is queued), and show the sidebar; the new incident's id, once the channel gave it. */
export async function declareAndFocus(
  service: IncidentService, data: EventDataOf<'incident.declared'>, commander?: User, signals: readonly EventDataOf<'signal.linked'>[] = [],
): Promise<string | undefined> {
  const { incidentId } = await service.declare(data, commander, signals);
  if (incidentId) void vscode.window.showInformationMessage(`Incident Room: declared ${incidentId} (${data.severity}) — you are Commander.`);
  else void vscode.window.showWarningMessage('Incident Room: the channel is offline; the declaration is queued and will be sent when it is back.');
  void vscode.commands.executeCommand('incidentRoom.incident.focus');
  return incidentId;
}

async function pickRole(s: IncidentState, title: string, only?: Role[]): Promise<Role> {
  return pick(
    (only ?? [...ROLES]).map((r) => ({ label: ROLE_LABELS[r], description: s.roles[r].holder ? `held by ${s.roles[r].holder?.name}` : 'unassigned', value: r })),
    { title },
  );
}

async function pickTag(): Promise<NoteTag> {
  return pick(NOTE_TAGS.map((t) => ({ label: t, description: TAG_HELP[t], value: t })), { title: 'Tag', placeHolder: 'What kind of note is it?' });
}

/** People seen on the incident (role holders and actors), me first, plus "someone else…". */
/**
 * Pick a person: who is on the channel now first (the server's presence), then who has been on the incident (role
 * holders, authors), then someone else by id — which asks before it uses an id nobody has been seen with.
 */
export async function pickPerson(s: IncidentState, me: User, title: string, allowNobody: boolean, present: readonly PresentUser[] = []): Promise<User | null> {
  const here = new Set(present.map((u) => u.id));
  const people = new Map<string, User>();
  for (const u of present) people.set(u.id, { id: u.id, name: u.name });
  if (!people.has(me.id)) people.set(me.id, me);
  for (const r of ROLES) for (const t of s.roles[r].history) if (!people.has(t.user.id)) people.set(t.user.id, t.user);
  for (const e of s.timeline) if (!people.has(e.actor.id)) people.set(e.actor.id, e.actor);
  type Choice = User | 'other' | 'nobody';
  const items: (vscode.QuickPickItem & { value: Choice })[] = [...people.values()].map((u) => ({
    label: u.id === me.id ? `${u.name} (you)` : u.name,
    description: here.has(u.id) ? `${u.id} · here now` : u.id,
    value: u,
  }));
  items.push({ label: 'Someone else…', description: 'enter their id and name', value: 'other' });
  if (allowNobody) items.push({ label: 'Nobody (unassign)', value: 'nobody' });
  const choice = await pick<Choice>(items, { title });
  if (choice === 'nobody') return null;
  if (choice !== 'other') return choice;
  const id = await ask({ prompt: 'Their id (usually an email)' });
  const seen = [...people.values()].find((u) => u.id.toLowerCase() === id.trim().toLowerCase());
  if (seen) return seen;
  // A typo would give the role to nobody real: say so before it does.
  await confirm(`Nobody with the id "${id}" has been seen on ${s.id}. Use it anyway?`, 'Use This Id',
    `People seen on ${s.id}: ${[...people.values()].map((u) => `${u.name} <${u.id}>`).join(', ')}`);
  const name = await ask({ prompt: 'Their display name', value: id.split('@')[0] ?? id });
  return { id, name };
}

async function askDetectedAt(title: string, detected?: string): Promise<string | undefined> {
  const now = new Date();
  const value = await ask({
    title,
    prompt: detected
      ? 'When was it detected? The alert started firing then; keep it, or "now", "15m ago", an ISO time'
      : 'When was it detected? Leave as is for now, or "15m ago", or an ISO time (2026-11-22T14:02:00Z)',
    value: detected ?? 'now', required: false,
    validateInput: (v) => (parseWhen(v, now) === null ? 'Use "now", "15m ago", "2h ago", "1h 30m ago" or an ISO-8601 time' : undefined),
  });
  const t = parseWhen(value, now);
  return t && Math.abs(t.getTime() - now.getTime()) > 1000 ? t.toISOString() : undefined;
}
