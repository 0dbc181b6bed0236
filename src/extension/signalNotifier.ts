import * as vscode from 'vscode';
import type { Signal } from '../protocol/messages';
import { signalName, signalSeverity, signalSummary } from '../core/signals';
import type { IncidentService } from './incidentService';
import { severityMapping } from './signalSettings';

/** Signals that start firing within this long of each other make one notification (an alert storm is one toast). */
const GATHER_MS = 1000;

/**
 * A new firing signal that maps to SEV1 or SEV2 (incidentRoom.signals.severityMap) and is linked to no incident
 * shows a notification: Declare (the prefilled flow), Attach to the focused incident, or Dismiss. Signals that
 * start together are told together.
 */
export class SignalNotifier implements vscode.Disposable {
  private gathered: Signal[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly service: IncidentService) {
    this.subscription = service.onDidFireSignals((signals) => this.gather(signals));
  }

  private gather(signals: readonly Signal[]): void {
    this.gathered.push(...signals);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const batch = this.gathered.splice(0);
      void this.notify(batch);
    }, GATHER_MS);
  }

  private async notify(batch: readonly Signal[]): Promise<void> {
    const mapping = severityMapping();
    const now = new Map(this.service.signals.map((x) => [x.fingerprint, x]));
    const urgent = [...new Map(batch.map((s) => [s.fingerprint, s])).values()]
      .filter((s) => signalSeverity(s, mapping) === 'SEV1' || signalSeverity(s, mapping) === 'SEV2')
      // Still firing and still unlinked as of now (a resolve or a link may have come in the meantime).
      .filter((s) => now.get(s.fingerprint)?.status === 'firing' && !now.get(s.fingerprint)?.incidentId);
    if (urgent.length === 0) return;
    const focused = this.service.focusedIncident;
    const attachTo = focused && focused.status !== 'resolved' ? focused.id : undefined;
    const [first] = urgent as [Signal, ...Signal[]];
    const message = urgent.length === 1
      ? `Incident Room: ${signalName(first)} is firing (${signalSeverity(first, mapping)}, ${mapping.label}=${first.labels[mapping.label] ?? ''}): ${signalSummary(first)}`
      : `Incident Room: ${urgent.length} alerts mapped to SEV1/SEV2 are firing: ${urgent.slice(0, 3).map(signalName).join(', ')}${urgent.length > 3 ? ', …' : ''}`;
    const declare = urgent.length === 1 ? 'Declare' : 'Declare from Signal…';
    const attach = attachTo ? (urgent.length === 1 ? `Attach to ${attachTo}` : `Attach to ${attachTo}…`) : undefined;
    const choice = await vscode.window.showWarningMessage(message, declare, ...(attach ? [attach] : []), 'Dismiss');
    if (choice === declare) {
      await vscode.commands.executeCommand('incidentRoom.declareFromSignal', urgent.length === 1 ? { fingerprint: first.fingerprint } : undefined);
    } else if (choice && choice === attach) {
      await vscode.commands.executeCommand('incidentRoom.attachSignal', urgent.length === 1 ? { fingerprint: first.fingerprint } : undefined);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
  }
}
