import * as vscode from 'vscode';
import { durationText } from '../core/durationText';
import { rotationsDue } from '../core/rotation';
import { ROLE_LABELS } from '../core/selectors';
import type { IncidentService } from './incidentService';
import { rotateAfterMinutesSetting } from './settings';

/** Where the tenures already reminded of are kept (per workspace), so a reload does not remind again. */
export const ROTATION_MARKER_KEY = 'incidentRoom.rotation.reminded';
/** Markers kept: the newest; a tenure long gone needs none. */
const MARKERS_KEPT = 200;

/**
 * On a long SEV1/SEV2 incident, remind whoever has held a role past incidentRoom.roles.rotateAfterMinutes to hand
 * it off, once per tenure (core/rotation.ts), with a "Hand Off…" action. The tenures reminded of are remembered in
 * workspaceState; a new tenure (the role handed back) is a new key, so it is reminded again in time.
 */
export class RotationReminder implements vscode.Disposable {
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly service: IncidentService, private readonly state: vscode.Memento) {
    this.timer = setInterval(() => this.check(), 30_000);
  }

  check(now = Date.now()): void {
    const s = this.service.focusedIncident;
    if (!s) return;
    const reminded = this.state.get<string[]>(ROTATION_MARKER_KEY, []);
    const due = rotationsDue(s, this.service.me.id, now, rotateAfterMinutesSetting(), (key) => reminded.includes(key));
    if (!due.length) return;
    // Remembered before it is shown: a reload while the notification is up does not show it twice.
    void this.state.update(ROTATION_MARKER_KEY, [...reminded, ...due.map((d) => d.key)].slice(-MARKERS_KEPT));
    for (const d of due) {
      const role = ROLE_LABELS[d.role];
      void vscode.window
        .showInformationMessage(
          `${s.severity} ${s.id}: you have been ${role} for ${durationText(d.heldMinutes)}. Long incidents go better with fresh people — hand it off with a brief?`,
          'Hand Off…',
        )
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand('incidentRoom.handOffRole', { role: d.role });
        });
    }
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
