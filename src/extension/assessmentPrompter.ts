import * as vscode from 'vscode';
import { assessmentAsks, type AssessmentAsk } from '../core/assessmentPolicy';
import type { Mitigation } from '../core/incidentState';
import type { Assessment } from '../protocol/events';
import type { IncidentService } from './incidentService';
import { ask } from './quickInput';
import { onDidChangeSettings, recheckMinutesSetting } from './settings';

/** The notification's buttons, in the sidebar row's order. */
const CHOICES: readonly { readonly title: string; readonly value: Assessment }[] = [
  { title: 'Helped', value: 'helped' }, { title: 'No change', value: 'no_change' }, { title: 'Worse', value: 'worse' }, { title: 'Too early', value: 'too_early' },
];

/** The line of evidence after an answer (optional): what was seen, where. */
export function askEvidence(m: Mitigation, assessment: Assessment): Promise<string> {
  return ask({
    title: `Did it help? ${m.description}`,
    prompt: assessment === 'too_early'
      ? 'What are you waiting to see? (optional) e.g. "error rate still settling, check the 5-min window"'
      : 'What did you see? (optional) e.g. "5xx back to 0.2% on the checkout dashboard"',
    required: false,
  });
}

/**
 * Asks "Did it help?" as a notification, one at a time, for the mitigations of the focused incident that wait for
 * an answer from this window's user (core/assessmentPolicy: the one who ran it and the Commander). What is asked is
 * derived from the state each time, so a reloaded window asks again whatever is still unanswered; a notification
 * closed without an answer waits the recheck minutes before it comes back (only in this window's memory).
 */
export class AssessmentPrompter implements vscode.Disposable {
  private showing: string | undefined;
  private readonly snoozed = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly service: IncidentService) {
    this.subscriptions = [
      service.onDidChange(() => this.check()),
      onDidChangeSettings((e) => { if (e.affectsConfiguration('incidentRoom.mitigations.recheckMinutes')) this.check(); }),
    ];
  }

  private check(): void {
    const s = this.service.focusedIncident;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!s || this.showing) return;
    const now = Date.now();
    const recheck = recheckMinutesSetting();
    const { due, nextAt } = assessmentAsks(s, this.service.me, now, recheck);
    let wake = nextAt;
    let next: AssessmentAsk | undefined;
    for (const a of due) {
      const until = this.snoozed.get(snoozeKey(a));
      if (until !== undefined && until > now) {
        wake = Math.min(wake ?? Infinity, until);
        continue;
      }
      next = a;
      break;
    }
    if (next) void this.ask(s.id, next, recheck);
    else if (wake !== undefined) this.timer = setTimeout(() => this.check(), Math.min(2 ** 31 - 1, Math.max(1000, wake - now)));
  }

  private async ask(incidentId: string, a: AssessmentAsk, recheck: number): Promise<void> {
    const m = a.mitigation;
    this.showing = m.id;
    try {
      const minutes = Math.max(0, Math.round((Date.now() - Date.parse(m.finishedAt ?? m.startedAt)) / 60_000));
      const when = minutes < 1 ? 'just now' : `${minutes} min ago`;
      const message = a.again
        ? `Incident Room: ${incidentId} — did it help after all? "${m.description}" finished ${when}; it was too early to tell ${recheck} min ago.`
        : `Incident Room: ${incidentId} — did it help? "${m.description}" ${m.state === 'succeeded' ? 'finished' : m.state} ${when}.`;
      const choice = await vscode.window.showInformationMessage(message, ...CHOICES.map((c) => c.title));
      const answer = CHOICES.find((c) => c.title === choice)?.value;
      if (!answer) {
        // Closed without an answer: not now. The row in the sidebar still asks; this comes back after the recheck.
        this.snoozed.set(snoozeKey(a), Date.now() + recheck * 60_000);
        return;
      }
      // Answered meanwhile (on a row, or in another window): the notification is stale; say so rather than record over it.
      const now = this.service.focusedIncident?.mitigations.find((x) => x.id === m.id);
      const latest = now?.assessments[now.assessments.length - 1];
      if (now && latest && now.assessments.length !== m.assessments.length) {
        void vscode.window.showInformationMessage(`Incident Room: ${latest.by.name} already answered for "${m.description}" (${latest.assessment.replace('_', ' ')}). Change it with "Incident: Did the Mitigation Help?".`);
        return;
      }
      let evidence: string;
      try {
        evidence = await askEvidence(m, answer);
      } catch {
        evidence = ''; // Escape on the evidence: the answer still counts
      }
      await vscode.commands.executeCommand('incidentRoom.assessMitigation', { mitigationId: m.id, assessment: answer, ...(evidence ? { evidence } : {}) });
    } finally {
      this.showing = undefined;
      this.check();
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.subscriptions) d.dispose();
  }
}

/** A snooze holds for one ask: a later too-early answer asks afresh. */
const snoozeKey = (a: AssessmentAsk): string => `${a.mitigation.id}@${a.mitigation.assessments.length}`;
