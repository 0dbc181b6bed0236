import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import type { IncidentState, Workstream } from '../core/incidentState';
import { WORKSTREAM_KINDS, type User, type WorkstreamKind } from '../protocol/events';
import type { IncidentService } from './incidentService';
import { ask, Cancelled, pick } from './quickInput';

const KIND_HELP: Readonly<Record<WorkstreamKind, string>> = {
  investigate: 'Find the cause: a hypothesis, a dashboard, a bisect',
  mitigate: 'Stop the impact: a rollback, a flag, a traffic shift',
  communicate: 'Keep people told: stakeholders, support, customers',
};

/** The prompt for a workstream's title. */
export function askWorkstreamTitle(title: string): Promise<string> {
  return ask({
    title, prompt: 'What is this workstream for? One task, in a few words', placeHolder: 'Find what holds the pool connections',
    validateInput: (v) => (v.trim().length > 200 ? 'At most 200 characters' : undefined),
  });
}

/** The pick of a workstream's kind. */
export function pickWorkstreamKind(title: string): Promise<WorkstreamKind> {
  return pick(WORKSTREAM_KINDS.map((k) => ({ label: k, description: KIND_HELP[k], value: k })), { title, placeHolder: 'What kind of work is it?' });
}

/** Open a workstream owned by `owner`; its id. */
export async function openWorkstream(service: IncidentService, data: { title: string; owner: User; kind: WorkstreamKind }): Promise<string> {
  const workstreamId = randomUUID();
  await service.append('workstream.opened', { workstreamId, ...data });
  return workstreamId;
}

/** `Find the pool leak — Bob Baker · investigate`, for picks. */
export const workstreamItem = (w: Workstream, meId: string) => ({
  label: w.title,
  description: `${w.owner.id === meId ? `${w.owner.name} (you)` : w.owner.name} · ${w.kind}${w.state === 'open' ? '' : ` · ${w.state}`}`,
});

/**
 * Someone was just brought into a role: ask which workstream they will own (issue #12: people are added when they
 * own a task) — a new one for them, or an open one handed to them. The role change is already on the incident:
 * Escape here, at any step, skips only this question.
 */
export async function offerWorkstream(service: IncidentService, s: IncidentState, who: User, why: string): Promise<void> {
  const isMe = who.id === service.me.id;
  const name = isMe ? 'you' : who.name;
  try {
    type Choice = 'new' | 'skip' | Workstream;
    const open = s.workstreams.filter((w) => w.state === 'open');
    const items: (vscode.QuickPickItem & { value: Choice })[] = [
      { label: `Open a new workstream for ${name}…`, value: 'new' },
      ...open.map((w) => ({ ...workstreamItem(w, service.me.id), ...(w.owner.id === who.id ? { detail: `already ${isMe ? 'yours' : 'theirs'}` } : {}), value: w })),
      { label: 'Not now', description: 'no workstream for now', value: 'skip' },
    ];
    const choice = await pick<Choice>(items, { title: `${why}: which workstream will ${name} own?`, placeHolder: 'Pick one, or Escape to skip (the role change is kept)' });
    if (choice === 'skip') return;
    if (choice === 'new') {
      const title = await askWorkstreamTitle(`New workstream for ${isMe ? 'you' : who.name} (1/2)`);
      const kind = await pickWorkstreamKind(`New workstream for ${isMe ? 'you' : who.name} (2/2)`);
      await openWorkstream(service, { title, owner: who, kind });
      return;
    }
    if (choice.owner.id === who.id) return;
    await service.append('workstream.updated', { workstreamId: choice.id, owner: who, note: `${why}; was ${choice.owner.name}'s` });
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
  }
}
