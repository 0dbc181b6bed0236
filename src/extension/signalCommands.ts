import * as vscode from 'vscode';
import type { CommandId } from '../protocol/commands';
import type { Signal } from '../protocol/messages';
import type { IncidentState } from '../core/incidentState';
import { elapsedText } from '../core/durationText';
import { declarationFromSignal, signalLinkData, signalName, signalScope, signalSummary, type SeverityMapping } from '../core/signals';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import { Cancelled } from './errors';
import { declareAndFocus, promptDeclaration } from './incidentCommands';
import type { IncidentService } from './incidentService';
import { confirm } from './quickInput';
import { severityMapping } from './signalSettings';

type SignalCommandId = Extract<CommandId, 'incidentRoom.declareFromSignal' | 'incidentRoom.attachSignal'>;

const NO_SIGNALS = (service: IncidentService): string => service.mode === 'local'
  ? 'no signals in local mode: alerts reach a shared channel server (POST /v1/channels/CHANNEL/alerts); set incidentRoom.server.url'
  : `no signal is firing on channel ${service.currentSettings().channel}; point an Alertmanager webhook at the channel server's /v1/channels/${service.currentSettings().channel}/alerts`;

/** A signal as a quick-pick row: name and severity label, the summary, where and since when, and its link. */
function signalItem(s: Signal, mapping: SeverityMapping, now: number): vscode.QuickPickItem & { value: Signal } {
  const sev = s.labels[mapping.label];
  return {
    label: `$(bell) ${signalName(s)}`,
    description: [sev ? `${mapping.label}=${sev}` : '', s.incidentId ? `linked to ${s.incidentId}` : ''].filter(Boolean).join(' · '),
    detail: [signalSummary(s), signalScope(s), `firing ${elapsedText(Date.parse(s.startsAt), now)}`].filter(Boolean).join(' · '),
    value: s,
  };
}

/** Declare from Signal and Attach Signal to Incident (PROTOCOL.md "Signals"). */
export function signalCommands(service: IncidentService): CommandHandlers<SignalCommandId> {
  return {
    'incidentRoom.declareFromSignal': { run: async ({ args }) => {
      const mapping = severityMapping();
      const signal = args ? service.signal(args.fingerprint) : await pickSignals(service, mapping, 'Declare from Signal: which alert?', () => true, false).then((s) => s[0] as Signal);
      if (signal.incidentId) {
        const linked = service.incidents.find((i) => i.id === signal.incidentId);
        await confirm(`${signalName(signal)} is already linked to ${signal.incidentId}${linked ? ` (${linked.title}, ${linked.status})` : ''}. Declare a new incident for it?`, 'Declare New Incident',
          'The alert will be linked to the new incident instead. To follow the existing one, use Switch Incident.');
      }
      const d = declarationFromSignal(signal, mapping);
      const label = signal.labels[mapping.label];
      if (args?.accept) {
        if (!d.severity) throw new UserFacingError(`${signalName(signal)}'s ${mapping.label} label (${label ?? 'missing'}) maps to no severity in incidentRoom.signals.severityMap`);
        const data = { title: d.title, severity: d.severity, symptom: d.symptom, ...(d.scope ? { scope: d.scope } : {}), detectedAt: d.detectedAt };
        return declareAndFocus(service, data, undefined, [signalLinkData(signal)]);
      }
      const data = await promptDeclaration({
        title: d.title, symptom: d.symptom, scope: d.scope, detectedAt: d.detectedAt, from: signalName(signal),
        ...(d.severity ? { severity: { severity: d.severity, why: `from the alert's ${mapping.label}=${label ?? ''}` } } : {}),
      });
      return declareAndFocus(service, data, undefined, [signalLinkData(signal)]);
    } },

    'incidentRoom.attachSignal': { run: async ({ args, incident: s }) => {
      const mapping = severityMapping();
      const chosen = args
        ? [service.signal(args.fingerprint)]
        : await pickSignals(service, mapping, `Attach to ${s.id}: which alerts?`, (x) => x.incidentId !== s.id, true);
      const already = chosen.filter((x) => isLinked(s, x));
      if (already.length === chosen.length) {
        void vscode.window.showInformationMessage(`Incident Room: ${already.map(signalName).join(', ')} ${already.length === 1 ? 'is' : 'are'} already linked to ${s.id}.`);
        return;
      }
      const elsewhere = chosen.filter((x) => x.incidentId && x.incidentId !== s.id && !isLinked(s, x));
      if (elsewhere.length > 0) {
        await confirm(`${elsewhere.map((x) => `${signalName(x)} (linked to ${x.incidentId})`).join(', ')}: link to ${s.id} instead?`, `Link to ${s.id}`);
      }
      const linking = chosen.filter((x) => !isLinked(s, x));
      for (const x of linking) await service.append('signal.linked', signalLinkData(x), s.id);
      void vscode.window.showInformationMessage(`Incident Room: linked ${linking.map(signalName).join(', ')} to ${s.id}; ${linking.length === 1 ? 'its' : 'their'} resolution will land on the timeline.`);
      return linking.map((x) => x.fingerprint);
    } },
  };
}

/** Linked to this incident already: the channel says so, or the incident's own timeline has the link (not yet told back). */
const isLinked = (s: IncidentState, x: Signal): boolean => x.incidentId === s.id || s.timeline.some((e) => e.kind === 'signal.linked' && e.data.fingerprint === x.fingerprint);

async function pickSignals(
  service: IncidentService, mapping: SeverityMapping, title: string, filter: (s: Signal) => boolean, many: boolean,
): Promise<Signal[]> {
  const firing = service.signals.filter((s) => s.status === 'firing');
  if (firing.length === 0) throw new UserFacingError(NO_SIGNALS(service));
  const candidates = firing.filter(filter);
  if (candidates.length === 0) throw new UserFacingError(`every firing signal is linked to this incident already (${firing.length})`);
  const now = Date.now();
  const items = candidates.map((s) => signalItem(s, mapping, now));
  if (many) {
    const chosen = await vscode.window.showQuickPick(items, { title, canPickMany: true, matchOnDetail: true, ignoreFocusOut: true, placeHolder: 'Pick the alerts this incident covers' });
    if (!chosen || chosen.length === 0) throw new Cancelled(title);
    return chosen.map((c) => c.value);
  }
  const chosen = await vscode.window.showQuickPick(items, { title, matchOnDetail: true, ignoreFocusOut: true, placeHolder: 'Firing alerts, newest first' });
  if (!chosen) throw new Cancelled(title);
  return [chosen.value];
}
