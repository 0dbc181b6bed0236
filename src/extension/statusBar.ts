import * as vscode from 'vscode';
import { updateDue } from '../core/cadence';
import { ROLE_LABELS, rolesOf } from '../core/selectors';
import type { IncidentState } from '../core/incidentState';
import type { IncidentService } from './incidentService';
import { cadencePolicy } from './settings';
import { durationText, elapsedText } from '../core/durationText';

/** `$(flame) SEV2 INC-7 · 00:23 · you: Scribe · update in 4m`, warning-coloured when an update is overdue. */
export class IncidentStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  /** Overdue action items, counted in while any is overdue (issue 6). */
  private overdueActions = 0;

  constructor(private readonly service: IncidentService) {
    this.item = vscode.window.createStatusBarItem('incidentRoom.status', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Incident Room';
    this.item.command = 'incidentRoom.incident.focus';
    this.disposables.push(this.item, service.onDidChange(() => this.update()));
    this.timer = setInterval(() => this.update(), 15_000);
    this.update();
  }

  /** The current text (for tests). */
  get text(): string {
    return this.item.text;
  }

  update(now = Date.now()): void {
    const s = this.service.focusedIncident;
    const c = this.service.connection;
    if (!s) {
      if (c.status === 'online' || c.status === 'stopped') {
        this.item.hide();
        return;
      }
      this.item.text = `$(debug-disconnect) Incident Room ${c.status}${c.queued ? ` · ${c.queued} queued` : ''}`;
      this.item.tooltip = c.lastError ?? c.target;
      this.item.backgroundColor = undefined;
      this.item.show();
      return;
    }
    const { text, overdue, tooltip } = statusBarText(s, this.service.me.id, now, this.policy(), c.status, c.queued);
    this.overdueActions = s.actions.filter((a) => !a.done && a.due !== undefined && a.due < new Date(now).toISOString().slice(0, 10)).length;
    this.item.text = this.overdueActions ? `${text} · $(checklist) ${this.overdueActions} overdue` : text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = overdue || this.overdueActions ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  private policy() {
    try {
      return cadencePolicy(this.service.currentSettings());
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The status bar's text for an incident; pure so it can be tested without VS Code. */
export function statusBarText(
  s: IncidentState, myId: string, now: number, policy: Parameters<typeof updateDue>[2], connection: string, queued: number,
): { text: string; overdue: boolean; tooltip: string } {
  const clock = elapsedText(Date.parse(s.detectedAt ?? s.declaredAt), now);
  const roles = rolesOf(s, myId).map((r) => ROLE_LABELS[r]);
  const due = updateDue(s, now, policy);
  const parts = [`$(flame) ${s.severity} ${s.id}`, clock];
  if (roles.length) parts.push(`you: ${roles.join(', ')}`);
  if (s.status === 'resolved') parts.push('resolved');
  else if (due) parts.push(due.overdue ? `update overdue ${durationText(-due.minutesLeft)}` : `update in ${durationText(due.minutesLeft)}`);
  if (connection !== 'online') parts.push(`${connection}${queued ? ` · ${queued} queued` : ''}`);
  else if (queued) parts.push(`${queued} queued`);
  return { text: parts.join(' · '), overdue: !!due?.overdue, tooltip: `${s.id}: ${s.title} (${s.status}) — click to open the Incident sidebar` };
}
