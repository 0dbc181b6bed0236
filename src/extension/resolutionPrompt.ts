import * as vscode from 'vscode';
import type { IncidentState } from '../core/incidentState';
import {
  missingItems, recordedAnswers, resolutionChecklist, resolutionCheckedData, type ChecklistKey, type ResolutionChecklist,
} from '../core/resolutionChecklist';
import type { EventDataOf } from '../protocol/events';
import type { ArgsOf } from '../protocol/commands';
import { Cancelled } from './errors';
import type { IncidentService } from './incidentService';
import { ask } from './quickInput';

const SHORT: Record<ChecklistKey, string> = {
  impactStopped: 'impact not confirmed stopped', monitored: 'not watched in monitoring',
  rootCauseKnown: 'no root cause', followUpFiled: 'no follow-up filed',
};

/**
 * The resolve checklist, answered: by the responder (one multi-select pick, then a "why" only when something is
 * missing), or, for an argument object, from the record and the caller's `checklist`. Escape resolves nothing.
 */
export async function answerResolveChecklist(
  service: IncidentService, s: IncidentState, args: ArgsOf<'incidentRoom.setStatus'> | undefined,
): Promise<EventDataOf<'resolution.checked'>> {
  const checklist = resolutionChecklist(s, service.signals, Date.now());
  if (args) {
    const answers = { ...recordedAnswers(checklist), ...(args.checklist ? { impactStopped: args.checklist.impactStopped } : {}) };
    const note = args.checklist?.note ?? (args.checklist ? undefined : 'Resolved without the checklist being asked (an argument object); items are as the record shows them.');
    return resolutionCheckedData(checklist, answers, note);
  }
  return promptChecklist(s, checklist);
}

/**
 * One multi-select pick with all four items visible and what the record shows already checked: a tired responder
 * reads it at a glance and presses Enter, instead of answering four yes/no prompts in a row. Only impact is theirs
 * to confirm (pre-checked unless a linked alert still fires); the rest they can correct. A second prompt comes only
 * when something is missing (why resolve anyway), and is required when they confirm impact over an alert that fires.
 */
async function promptChecklist(s: IncidentState, checklist: ResolutionChecklist): Promise<EventDataOf<'resolution.checked'>> {
  type Item = vscode.QuickPickItem & { key: ChecklistKey };
  const items: Item[] = checklist.items.map((i) => ({
    key: i.key, label: i.label, picked: i.met,
    description: i.key === 'impactStopped' && !i.met ? `${i.detail}: check only if users are fine anyway` : i.detail,
  }));
  const chosen = await vscode.window.showQuickPick(items, {
    canPickMany: true, ignoreFocusOut: true,
    title: `Resolve ${s.id}: what is true?`,
    placeHolder: 'Check what holds, then Enter (missing items are recorded, never blocking)',
  });
  if (!chosen) throw new Cancelled('Resolve checklist');
  const answers = { impactStopped: false, monitored: false, rootCauseKnown: false, followUpFiled: false };
  for (const c of chosen) answers[c.key] = true;
  const missing = missingItems(answers);
  const firing = checklist.firingSignals.map((f) => f.name);
  const overFiring = answers.impactStopped && firing.length > 0;
  let note: string | undefined;
  if (missing.length > 0 || overFiring) {
    const why = [
      ...(overFiring ? [`${firing.join(', ')} still firing`] : []),
      ...missing.map((k) => SHORT[k]),
    ].join('; ');
    note = await ask({
      title: `Resolve ${s.id} with: ${why}`,
      prompt: overFiring
        ? 'A linked alert still fires: why is the impact over? (recorded with the checklist)'
        : 'Why resolve anyway? (optional; recorded with the checklist, e.g. "fix was a config revert, verified at once")',
      required: overFiring,
    });
  }
  return resolutionCheckedData(checklist, answers, note);
}
