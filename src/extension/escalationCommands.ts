import * as os from 'node:os';
import * as vscode from 'vscode';
import { defaultEscalationSummary, escalationResolves, escalationsOf, escalationTrigger, SUMMARY_MAX } from '../core/escalationTrigger';
import type { IncidentState } from '../core/incidentState';
import type { CommandId } from '../protocol/commands';
import { EscalationError, routingKeyProblem } from '../sync/escalationDelivery';
import type { FlushReport } from '../sync/webhookDelivery';
import { serverUrls } from '../sync/serverUrls';
import { UserFacingError, type CommandHandlers, type ErrorAction } from './commandRunner';
import type { IncidentService } from './incidentService';
import { ask, confirm } from './quickInput';
import type { Settings } from './settingsSchema';
import { stakeholderPageUrl } from './stakeholderCommands';
import { hostOf, type ConfiguredWebhook, type UpdateDelivery } from './updateDelivery';

type EscalationCommandId = Extract<CommandId, 'incidentRoom.escalate' | 'incidentRoom.setEscalationKey'>;

const OPEN_ESCALATION_SETTING: ErrorAction = { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['incidentRoom.escalation.url'] };

/**
 * Incident: Escalate (Page More Help) — when ownership is unclear, page more help: a PagerDuty Events API v2
 * `trigger` (core/escalationTrigger.ts) through the durable escalation queue (UpdateDelivery), recorded on the
 * timeline as `escalation.requested` with who and why. Incident: Set Escalation Routing Key keeps the key per origin.
 */
export function escalationCommands(service: IncidentService, delivery: UpdateDelivery): CommandHandlers<EscalationCommandId> {
  return {
    'incidentRoom.escalate': { run: async ({ args, incident }) => {
      const endpoint = requireEndpoint(delivery);
      const host = hostOf(endpoint.url);
      // The key first: without it nothing can be paged, and asking after the reason would waste the reason.
      if (!(await delivery.routingKey(endpoint.origin))) {
        if (args) throw new EscalationError(`no routing key is set for ${endpoint.origin}: set it with "Incident: Set Escalation Routing Key" first; nothing was recorded or sent`, 'no_key', false);
        await delivery.setRoutingKey(await askRoutingKey(endpoint.origin, `Escalate ${incident.id}: the routing key for ${endpoint.origin}`, false));
      }
      let reason: string;
      let summary: string;
      if (args) {
        reason = args.reason;
        summary = args.summary ?? defaultEscalationSummary(incident);
      } else {
        const earlier = escalationsOf(incident).at(-1);
        reason = await ask({
          title: `Escalate ${incident.id} (1/2): why page more help?`,
          prompt: earlier
            ? `Already escalated by ${earlier.actor.name} at ${new Date(earlier.at).toLocaleTimeString()} ("${earlier.data.reason}"); while PagerDuty's alert is open this adds to it. Why page more help now?`
            : 'Why page more help? It goes on the timeline and to the person paged.',
          placeHolder: 'e.g. nobody here owns the card tokenizer; its on-call is not in the channel',
          validateInput: (v) => (v.length > 2000 ? 'At most 2000 characters' : undefined),
        });
        summary = await ask({
          title: `Escalate ${incident.id} (2/2): the alert's summary in PagerDuty`,
          prompt: 'What the person paged reads first (Enter keeps it)',
          value: defaultEscalationSummary(incident),
          validateInput: (v) => (v.length > SUMMARY_MAX ? `At most ${SUMMARY_MAX} characters` : undefined),
        });
      }
      // The incident as it is now: severity or status may have changed during the prompts.
      const s = service.focusedIncident?.id === incident.id ? service.focusedIncident : incident;
      const settings = service.currentSettings();
      const event = escalationTrigger(s, {
        reason, summary, by: service.me, channel: settings.channel, source: sourceOf(settings), statusPageUrl: statusPageOf(settings), now: new Date(),
      });
      if (!args) {
        await confirm(`Page more help for ${s.id} through ${host}?`, 'Page',
          `Severity ${event.payload.severity} (${s.severity}). "${event.payload.summary}"\n\nWhy: ${reason}\n\nIt goes on ${s.id}'s timeline as yours.`);
      }
      const eventId = await service.append('escalation.requested', { reason, summary: event.payload.summary, severity: event.payload.severity, dedupKey: event.dedup_key }, s.id);
      const state = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Incident Room: paging more help for ${s.id} through ${host}…`, cancellable: true },
        (_, token) => Promise.race([delivery.escalate({ id: eventId, incidentId: s.id, event }), untilCancelled(token)]),
      );
      if (state === 'cancelled') {
        void vscode.window.showInformationMessage(`Incident Room: ${s.id}'s escalation is on its timeline and stays in the queue: it is sent (and retried) without you waiting. Its delivery shows on the timeline.`);
        return eventId;
      }
      if (state.state === 'delivered') {
        void vscode.window.showInformationMessage(`Incident Room: paged more help for ${s.id}: ${host} accepted the escalation (severity ${event.payload.severity}). It is on the timeline.`);
        return eventId;
      }
      // Recorded, not delivered: say so, with what fixes it (failure.ts: the routing key, the URL, or a retry).
      const waiting = state.state === 'pending' || state.retryable === true;
      throw new EscalationError(
        waiting
          ? `${s.id}'s escalation is on its timeline, but nobody is paged yet: ${state.lastError ?? `an earlier escalation is still waiting for ${host}`}. It stays queued and is retried every minute and after a reload`
          : `${s.id}'s escalation is on its timeline, but was not delivered: ${state.lastError ?? 'refused'}`,
        (state.lastCode as EscalationError['code'] | undefined) ?? 'network', waiting, state.lastStatus,
      );
    } },

    'incidentRoom.setEscalationKey': { run: async ({ args }) => {
      const endpoint = requireEndpoint(delivery);
      const key = args ? args.routingKey.trim() : await askRoutingKey(endpoint.origin, `Escalation routing key for ${endpoint.origin}`, true);
      const problem = key ? routingKeyProblem(key, endpoint.origin) : undefined;
      if (problem) throw new UserFacingError(`that routing key was not saved: ${problem}`);
      const { origin, retried } = await delivery.setRoutingKey(key || undefined);
      if (!key) {
        void vscode.window.showInformationMessage(`Incident Room: the escalation routing key for ${origin} was removed.`);
        return undefined;
      }
      void vscode.window.showInformationMessage(`Incident Room: escalation routing key saved for ${origin}${retriedText(retried)}.`);
      return retried;
    } },
  };
}

/**
 * `s` was just resolved from this window (`resolvedEventId`: its `status.changed`): the PagerDuty alert its
 * escalations opened is resolved too (Events API v2 `resolve`, same dedup key, same queue and retries), so nobody
 * stays paged, and re-notified by their escalation policy, for an incident that is over. When this window cannot
 * send it (no endpoint, no routing key, an untrusted workspace), it says that the alert is still open, and where.
 */
export async function resolveEscalations(delivery: UpdateDelivery, s: IncidentState, resolvedEventId: string): Promise<void> {
  const resolves = escalationResolves(s);
  if (resolves.length === 0) return;
  const still = `${s.id} was escalated, and the alert it opened stays open (paging) until it is resolved`;
  let endpoint: ConfiguredWebhook | undefined;
  try {
    endpoint = delivery.escalation();
  } catch {
    endpoint = undefined;
  }
  if (!vscode.workspace.isTrusted || !endpoint) {
    const why = !endpoint ? 'incidentRoom.escalation.url is empty or invalid here' : 'this workspace is not trusted, so nothing is sent from it';
    void vscode.window.showWarningMessage(`Incident Room: ${still}: resolve it in PagerDuty (${why}).`);
    return;
  }
  if (!(await delivery.routingKey(endpoint.origin))) {
    const choice = await vscode.window.showWarningMessage(
      `Incident Room: ${still}: no routing key for ${endpoint.origin} is set in this window. Set it to resolve the alert from here, or resolve it in PagerDuty.`,
      'Set Routing Key',
    );
    if (choice === 'Set Routing Key') {
      await vscode.commands.executeCommand('incidentRoom.setEscalationKey');
      if (await delivery.routingKey(endpoint.origin)) await resolveEscalations(delivery, s, resolvedEventId);
    }
    return;
  }
  const host = hostOf(endpoint.url);
  const states = await Promise.all(resolves.map((event, i) => delivery.escalate({ id: `${resolvedEventId}/resolve/${i}`, incidentId: s.id, event })));
  const notDone = states.filter((q) => q.state !== 'delivered');
  if (notDone.length === 0) {
    void vscode.window.showInformationMessage(`Incident Room: ${s.id} is resolved, and so is the alert its escalation opened (${host} accepted the resolve).`);
    return;
  }
  // Failures that only the user can fix are announced by the queue with their fix; this says what it means here.
  const waiting = notDone.some((q) => q.state === 'pending' || q.retryable === true);
  void vscode.window.showWarningMessage(`Incident Room: ${still}: ${notDone[0]?.lastError ?? 'not delivered yet'}.${waiting ? ' The resolve stays queued and is retried every minute and after a reload.' : ''}`);
}

function requireEndpoint(delivery: UpdateDelivery): ConfiguredWebhook {
  const endpoint = delivery.escalation();
  if (!endpoint) {
    throw new UserFacingError('escalation is off: incidentRoom.escalation.url is empty. Set it to an Events API v2 endpoint (PagerDuty\'s is https://events.pagerduty.com/v2/enqueue)', undefined, OPEN_ESCALATION_SETTING);
  }
  return endpoint;
}

/** The routing key, typed hidden; `removable`: empty removes it (Set Escalation Routing Key), else it is required. */
function askRoutingKey(origin: string, title: string, removable: boolean): Promise<string> {
  return ask({
    title,
    prompt: `The integration key of the service to page (PagerDuty: the service's Events API v2 integration, "Integration Key"). Kept in SecretStorage and sent only to ${origin}.${removable ? ' Leave empty to remove it.' : ''}`,
    password: true,
    required: !removable,
    validateInput: (v) => (v.trim() === '' ? undefined : routingKeyProblem(v, origin)),
  });
}

function retriedText(report: FlushReport | undefined): string {
  if (!report || report.delivered + report.failed + report.pending === 0) return '';
  return `; the escalations that waited for it: ${report.delivered} delivered, ${report.pending} pending, ${report.failed} failed`;
}

/**
 * PagerDuty's `source` ("the unique location of the affected system"): where the incident lives — the channel
 * server's host and the channel, or in local mode this machine and the channel.
 */
function sourceOf(settings: Pick<Settings, 'serverUrl' | 'channel'>): string {
  let host: string | undefined;
  try {
    const [first] = serverUrls(settings.serverUrl);
    host = first ? new URL(first).host : undefined;
  } catch {
    host = undefined;
  }
  return `${host ?? os.hostname()}/${settings.channel}`;
}

function statusPageOf(settings: Pick<Settings, 'serverUrl' | 'channel'>): string | null {
  try {
    return stakeholderPageUrl(settings);
  } catch {
    return null;
  }
}

function untilCancelled(token: vscode.CancellationToken): Promise<'cancelled'> {
  return new Promise((resolve) => {
    if (token.isCancellationRequested) resolve('cancelled');
    token.onCancellationRequested(() => resolve('cancelled'));
  });
}
