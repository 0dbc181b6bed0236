import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportIncident } from '../core/incidentExport';
import { postmortemFileName, renderPostmortem, type SuspectDeployFiles } from '../core/postmortem';
import type { IncidentState } from '../core/incidentState';
import { etaClock } from '../core/eta';
import { parseEta } from '../core/parseWhen';
import { composeStatusUpdate } from '../core/statusUpdateTemplate';
import type { Audience, User } from '../protocol/events';
import type { CommandId } from '../protocol/commands';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, Cancelled, confirm, pick } from './quickInput';
import type { GitRepositories } from '../git/gitRepositories';
import { readSuspectDeployFiles } from '../git/suspectDeployFiles';
import { cadencePolicy, postmortemFolderSetting, readDeploySettings } from './settings';
import { gitAllowed } from './workspaceTrust';
import { stakeholderPageUrl } from './stakeholderCommands';
import { hostOf, type UpdateDelivery } from './updateDelivery';

const readerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Status updates, action items, postmortem and export: the commands of the end of an incident. */
type ResolveCommandId = Extract<CommandId,
  | 'incidentRoom.postUpdate'
  | 'incidentRoom.retryUpdateDelivery'
  | 'incidentRoom.setWebhookToken'
  | 'incidentRoom.addActionItem'
  | 'incidentRoom.completeActionItem'
  | 'incidentRoom.editActionItem'
  | 'incidentRoom.generatePostmortem'
  | 'incidentRoom.exportIncident'>;

export function resolveCommands(service: IncidentService, delivery: UpdateDelivery, version: string, git: GitRepositories): CommandHandlers<ResolveCommandId> {
  return {
    'incidentRoom.postUpdate': { run: async ({ args, incident: s }) => {
      const cadence = cadencePolicy(service.currentSettings());
      let audience: Audience;
      let text: string;
      let nextUpdateBy: string | undefined;
      let eta: string | undefined;
      if (args) {
        ({ audience, text, eta } = args);
        nextUpdateBy = args.nextUpdateBy ?? composeStatusUpdate(s, audience, { now: new Date(), cadence }).nextUpdateBy ?? undefined;
      } else {
        audience = await pick([
          { label: 'Internal', description: 'Responders and stakeholders: what we know, what we are doing, next update', value: 'internal' as Audience },
          { label: 'External', description: 'Customers: plain-language impact and next update time', value: 'external' as Audience },
        ], { title: `Post Status Update for ${s.id}` });
        // Stakeholders ask "when will it be fixed?" first: an estimate, revised with each update (optional). Asked
        // before the draft so the draft states it (and says when it moved the last one); internal updates too, since
        // support and leadership plan around it as much as customers do, and one estimate per incident keeps both
        // audiences telling the same time.
        eta = await askEta(s);
        const draft = composeStatusUpdate(s, audience, { now: new Date(), timeZone: readerZone(), cadence, ...(eta ? { eta } : {}) });
        text = await editDraft(draft.text, `${audience} update for ${s.id}`, audience === 'external' ? whereExternalGoes(service) : '');
        nextUpdateBy = draft.nextUpdateBy ?? undefined;
      }
      if (text.length > 4000) throw new UserFacingError(`the update is ${text.length} characters; at most 4000 fit in one update`);
      const eventId = await service.append('update.posted', { audience, text, ...(nextUpdateBy ? { nextUpdateBy } : {}), ...(eta ? { eta } : {}) });
      const webhook = delivery.configured();
      if (webhook) {
        await delivery.enqueue({ id: eventId, incidentId: s.id, audience, text });
        void vscode.window.showInformationMessage(`Incident Room: ${audience} update posted to ${s.id}; sending it to the webhook at ${hostOf(webhook.url)}.`);
      } else {
        void vscode.window.showInformationMessage(`Incident Room: ${audience} update posted to ${s.id}${nextUpdateBy ? `; next one due ${new Date(nextUpdateBy).toLocaleTimeString()}` : ''}.`);
      }
      return eventId;
    } },

    'incidentRoom.retryUpdateDelivery': { run: async () => {
      // Status updates and escalations both: a page that could not be delivered is retried the same way.
      const { updates: u, escalations: e } = await delivery.retryAll();
      const escalations = e && e.delivered + e.pending + e.failed > 0 ? `; escalations — ${e.delivered} delivered, ${e.pending} pending, ${e.failed} failed` : '';
      void vscode.window.showInformationMessage(`Incident Room: webhook — ${u.delivered} delivered, ${u.pending} pending, ${u.failed} failed${escalations}.`);
      return { updates: u, escalations: e };
    } },

    'incidentRoom.setWebhookToken': { run: async ({ args }) => {
      const webhook = delivery.configured();
      if (!webhook) throw new UserFacingError('set incidentRoom.updates.webhookUrl first: the token is kept for the webhook\'s origin and sent only there');
      const token = (args?.token ?? (await ask({ title: `Status update webhook token for ${webhook.origin}`, prompt: `Sent as "Authorization: Bearer …" to ${webhook.origin} only; stored in SecretStorage. Leave empty to remove it.`, password: true, required: false }))).trim();
      const origin = await delivery.setToken(token || undefined);
      void vscode.window.showInformationMessage(token ? `Incident Room: webhook token saved for ${origin}.` : `Incident Room: webhook token for ${origin} removed.`);
    } },

    'incidentRoom.addActionItem': { run: async ({ args }) => {
      const { title, owner, due } = args ?? (await askActionItem({ title: 'Add Action Item' }));
      return service.append('action.added', { title, ...(owner ? { owner } : {}), ...(due ? { due } : {}) });
    } },

    'incidentRoom.completeActionItem': { run: async ({ args, incident: s }) => {
      const actionId = args?.actionId ?? (await pick(s.actions.filter((a) => !a.done).map((a) => ({ label: a.title, description: [a.owner?.name, a.due && `due ${a.due}`].filter(Boolean).join(' · '), value: a.id })), { title: 'Complete Action Item' }));
      if (!s.actions.some((a) => a.id === actionId)) throw new UserFacingError(`no action item ${actionId} in ${s.id}`);
      await service.append('action.updated', { actionId, done: args?.done ?? true });
    } },

    'incidentRoom.editActionItem': { run: async ({ args, incident: s }) => {
      const actionId = args?.actionId ?? (await pick(s.actions.map((a) => ({ label: a.title, description: a.done ? 'done' : a.due ? `due ${a.due}` : '', value: a.id })), { title: 'Edit Action Item' }));
      const item = s.actions.find((a) => a.id === actionId);
      if (!item) throw new UserFacingError(`no action item ${actionId} in ${s.id}`);
      if (args && (args.title !== undefined || args.owner !== undefined || args.due !== undefined)) {
        const { title, owner, due } = args;
        await service.append('action.updated', { actionId, ...(title !== undefined ? { title } : {}), ...(owner !== undefined ? { owner } : {}), ...(due !== undefined ? { due } : {}) });
        return;
      }
      const title = await ask({ title: 'Edit Action Item (1/3)', prompt: 'Title', value: item.title });
      const who = await ask({ title: 'Edit Action Item (2/3)', prompt: 'Owner id (empty: nobody)', value: item.owner?.id ?? '', required: false });
      const due = await ask({ title: 'Edit Action Item (3/3)', prompt: 'Due date YYYY-MM-DD (empty: none)', value: item.due ?? '', required: false, validateInput: (v) => (v && !isDate(v) ? 'Use YYYY-MM-DD' : undefined) });
      await service.append('action.updated', {
        actionId, title,
        owner: who ? (who === item.owner?.id ? item.owner : { id: who, name: who.split('@')[0] ?? who }) : null,
        due: due || null,
      });
    } },

    'incidentRoom.generatePostmortem': { run: async ({ args, incident: s }) => {
      if (args?.incidentId && args.incidentId !== s.id) throw new UserFacingError(`focus ${args.incidentId} first ("Incident: Switch Incident")`);
      if (s.status !== 'resolved' && !args) {
        await confirm(`${s.id} is not resolved yet (${s.status}). Draft the postmortem anyway?`, 'Draft Anyway');
      }
      const now = new Date();
      const suspectDeploys = await suspectDeployFiles(s, git);
      const markdown = renderPostmortem(s, { now, timeZone: readerZone(), cadence: cadencePolicy(service.currentSettings()), generatedBy: `Incident Room ${version}`, suspectDeploys });
      const folderSetting = args?.folder ?? postmortemFolderSetting();
      if (folderSetting) {
        const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        const folder = path.isAbsolute(folderSetting) ? folderSetting : root ? path.join(root, folderSetting) : undefined;
        if (!folder) throw new UserFacingError('incidentRoom.postmortem.folder is relative but no folder is open; open the repository or use an absolute path');
        await fs.mkdir(folder, { recursive: true });
        const file = await freeName(path.join(folder, postmortemFileName(s, now)));
        await fs.writeFile(file, markdown, { flag: 'wx' });
        const doc = await vscode.workspace.openTextDocument(file);
        await vscode.window.showTextDocument(doc, { preview: false });
        return file;
      }
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
      await vscode.window.showTextDocument(doc, { preview: false });
      return undefined;
    } },

    'incidentRoom.exportIncident': { run: async ({ args, incident: s }) => {
      const json = `${JSON.stringify(exportIncident(s.id, s.timeline), null, 2)}\n`;
      let target = args?.path;
      if (!target) {
        const root = vscode.workspace.workspaceFolders?.[0]?.uri;
        const uri = await vscode.window.showSaveDialog({
          title: `Export ${s.id} as JSON (its event log)`, filters: { JSON: ['json'] },
          ...(root ? { defaultUri: vscode.Uri.joinPath(root, `${s.id}.json`) } : {}),
        });
        if (!uri) throw new Cancelled(`Export ${s.id} as JSON`);
        target = uri.fsPath;
      }
      await fs.writeFile(target, json);
      void vscode.window.showInformationMessage(`Incident Room: exported ${s.timeline.length} events of ${s.id} to ${target}.`);
      return target;
    } },
  };
}

/**
 * What each suspect deploy changed, from the workspace's repositories, for the postmortem's "Where the incident touched
 * the code"; never throws: what cannot be read (Restricted Mode, no repository, a git error) is said per deploy.
 */
async function suspectDeployFiles(s: IncidentState, git: GitRepositories): Promise<SuspectDeployFiles[]> {
  if (s.flaggedDeploys.length === 0) return [];
  const unreadable = (why: string) => s.flaggedDeploys.map((d) => ({ sha: d.sha, unreadable: why }));
  if (!gitAllowed()) return unreadable('the workspace is in Restricted Mode, where Incident Room runs no git');
  try {
    const { repositories } = await git.findAll((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
    return await readSuspectDeployFiles(repositories, s.flaggedDeploys, readDeploySettings());
  } catch (error) {
    return unreadable(`git failed: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Let the user edit a draft in a real editor (updates are multi-line), then confirm. */
/** Where an external update is published once posted: the channel's stakeholder page (#17), said in its draft. */
function whereExternalGoes(service: IncidentService): string {
  let url: string | null;
  try {
    url = stakeholderPageUrl(service.currentSettings());
  } catch {
    return '';
  }
  return url
    ? ` Once posted it is published on the stakeholder page ${url} within a second, for everyone with access to it.`
    : ' In local mode it is published nowhere: there is no stakeholder page without a channel server.';
}

async function editDraft(draft: string, what: string, where = ''): Promise<string> {
  const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: draft });
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  const choice = await vscode.window.showInformationMessage(`Edit the ${what} in the editor, then post it.${where}`, { modal: false }, 'Post', 'Cancel');
  const text = doc.getText().trim();
  // Close the draft without a save prompt: it was only a scratch pad.
  if (vscode.window.activeTextEditor?.document === doc) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  if (choice !== 'Post') throw new Cancelled(`Edit the ${what} in the editor, then post it.`);
  if (!text) throw new UserFacingError('the update is empty; nothing was posted');
  return text;
}

async function freeName(file: string): Promise<string> {
  const ext = path.extname(file);
  const base = file.slice(0, -ext.length);
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? file : `${base}-${i + 1}${ext}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
}

/** A new action item's title, owner and due date, asked in three steps (Add Action Item, and from a selection). */
export async function askActionItem(o: { title: string; value?: string; prompt?: string }): Promise<{ title: string; owner?: User; due?: string }> {
  const title = await ask({
    title: `${o.title} (1/3)`, prompt: o.prompt ?? 'What should be done to prevent or shorten this next time?', ...(o.value ? { value: o.value } : {}),
    validateInput: (v) => (v.length > 200 ? 'At most 200 characters' : undefined),
  });
  const who = await ask({ title: `${o.title} (2/3)`, prompt: 'Owner (id or email, optional)', required: false });
  const owner: User | undefined = who ? { id: who, name: who.split('@')[0] ?? who } : undefined;
  const due = (await ask({ title: `${o.title} (3/3)`, prompt: 'Due date YYYY-MM-DD (optional)', required: false, validateInput: (v) => (v && !isDate(v) ? 'Use YYYY-MM-DD, e.g. 2026-12-01' : undefined) })) || undefined;
  return { title, ...(owner ? { owner } : {}), ...(due ? { due } : {}) };
}

function isDate(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v));
}

/** `15:30` (local) when that reads back as exactly `iso` (a whole minute within the next day), else the ISO time. */
function wallClockOrIso(iso: string, now: Date): string {
  const d = new Date(iso);
  const text = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return parseEta(text, now)?.getTime() === d.getTime() ? text : iso;
}

/** The update's ETA prompt: the last one offered again, so revising it is one edit. */
async function askEta(s: IncidentState): Promise<string | undefined> {
  const now = new Date();
  const last = [...s.updates].reverse().find((u) => u.eta)?.eta;
  const answer = await ask({
    title: `ETA for ${s.id} (optional)`,
    prompt: `When do you expect the impact to end? "30m", "2h", "15:30" (your time) or an ISO time; leave empty when you cannot say yet${last ? ` (the last estimate was ${etaClock(last)}; a new one is flagged as moved)` : ''}`,
    // The last estimate as the wall-clock time it reads back as (within a day), so keeping it is Enter.
    value: last && Date.parse(last) > now.getTime() ? wallClockOrIso(last, now) : '',
    required: false,
    validateInput: (v) => (parseEta(v, new Date()) === null ? 'Use "30m", "2h", "15:30" or a future ISO time, or leave it empty' : undefined),
  });
  return parseEta(answer, now)?.toISOString();
}
