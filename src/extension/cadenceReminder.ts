import * as vscode from 'vscode';
import { updateDue } from '../core/cadence';
import type { IncidentService } from './incidentService';
import { cadencePolicy } from './settings';

/** When a status update falls due for the focused incident, say so once, with a "Post Update" action. */
export class CadenceReminder implements vscode.Disposable {
  private readonly timer: ReturnType<typeof setInterval>;
  private remindedFor: string | undefined;

  constructor(private readonly service: IncidentService) {
    this.timer = setInterval(() => this.check(), 15_000);
  }

  check(now = Date.now()): void {
    const s = this.service.focusedIncident;
    if (!s) return;
    let policy;
    try {
      policy = cadencePolicy(this.service.currentSettings());
    } catch {
      return;
    }
    const due = updateDue(s, now, policy);
    if (!due?.overdue) return;
    const key = `${s.id}@${due.dueAt}`;
    if (this.remindedFor === key) return; // one reminder per due time
    this.remindedFor = key;
    void vscode.window
      .showWarningMessage(`${s.severity} ${s.id}: a status update was due at ${new Date(due.dueAt).toLocaleTimeString()}.`, 'Post Update')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('incidentRoom.postUpdate');
      });
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
