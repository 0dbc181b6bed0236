import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EscalationEvent } from '../core/escalationTrigger';
import type { QueuedEscalation } from '../sync/escalationDelivery';
import type { FlushReport, QueuedUpdate, WebhookOutbox } from '../sync/webhookDelivery';
import { UserFacingError } from './commandRunner';
import { errorMessage } from './errors';
import { escalationUrlSetting, webhookUrlSetting } from './settings';

/** The configured webhook (or escalation endpoint): its URL and the origin its token (routing key) is kept for. */
export interface ConfiguredWebhook {
  readonly url: string;
  readonly origin: string;
}

/** What a retry did, per queue (escalations: undefined while their queue is not open). */
export interface RetryReport {
  readonly updates: FlushReport;
  readonly escalations: FlushReport | undefined;
}

/**
 * Status updates out to the optional webhook: a durable queue in global storage (an update is never lost), retried
 * with backoff, failures shown with a Retry action, and each update's delivery state available to the timeline.
 *
 * Each update is bound to the URL configured when it was posted, and is sent with the token kept for that URL's
 * origin (SecretStorage, one key per origin), so a URL changed later (by a workspace's settings, say) receives
 * neither the waiting updates nor the token of the user's own receiver.
 *
 * Escalations (Incident: Escalate) go through the same kind of queue, a second one (escalation-queue.json), so a
 * page never waits behind a chat webhook that is down: each is bound to `incidentRoom.escalation.url` as it was when
 * requested, and sent with the routing key kept for that URL's origin, read only when it is sent.
 */
export class UpdateDelivery implements vscode.Disposable {
  private outbox: WebhookOutbox | undefined;
  private escalationOutbox: WebhookOutbox<QueuedEscalation> | undefined;
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[] = [this._onDidChange];
  private retryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {}

  async start(): Promise<void> {
    await this.retireLegacyToken();
    const { JsonFileWebhookQueueStore, WebhookOutbox } = webhookModule();
    const store = new JsonFileWebhookQueueStore(path.join(this.context.globalStorageUri.fsPath, 'webhook-queue.json'));
    this.outbox = await WebhookOutbox.open(store, {
      url: () => this.safeConfigured()?.url,
      tokenFor: async (origin) => this.context.secrets.get(webhookModule().webhookTokenKey(origin)),
      // Updates queued before their URL was recorded go to the user's own setting, never to a workspace's.
      legacyUrl: () => webhookUrlSetting().userValue,
    });
    const sub = this.outbox.onDidChange(() => this._onDidChange.fire());
    this.disposables.push({ dispose: () => sub.dispose() });
    // A damaged escalation queue must not stop status updates (nor the other way round): it is logged and said.
    try {
      await this.openEscalations();
    } catch (error) {
      this.log.error(`escalation queue: ${String(error)}`);
      void vscode.window.showErrorMessage(`Incident Room: the escalation queue could not be opened (${(error as Error).message}). Escalations cannot be sent until it is fixed.`, 'Show Log')
        .then((c) => c && this.log.show());
    }
    // Pending items from an earlier session go out now, and again periodically while their endpoint is down. Only
    // what waiting could fix is retried unasked: a page refused for its routing key waits for the key (or a Retry).
    this.retryTimer = setInterval(() => {
      const waiting = (items: readonly { state: string; retryable?: boolean }[] | undefined) => items?.some((q) => q.state === 'pending' || (q.state === 'failed' && q.retryable === true));
      if (waiting(this.outbox?.items) && this.safeConfigured()) void this.retryLane('updates', true).catch(() => undefined);
      if (waiting(this.escalationOutbox?.items) && this.safeEscalation()) void this.retryLane('escalations', true).catch(() => undefined);
    }, 60_000);
    void this.flush(false);
    // A page that could not go out before the reload (endpoint down, offline) is tried again now, not in a minute.
    if (this.safeEscalation()) void this.retryLane('escalations', true).catch((e: unknown) => this.log.error(`escalation retry: ${String(e)}`));
  }

  private async openEscalations(): Promise<void> {
    const { JsonFileWebhookQueueStore, QueuedEscalation, WebhookOutbox, escalationKeyName, escalationSender } = webhookModule();
    const store = new JsonFileWebhookQueueStore<QueuedEscalation>(path.join(this.context.globalStorageUri.fsPath, 'escalation-queue.json'), QueuedEscalation);
    this.escalationOutbox = await WebhookOutbox.open<QueuedEscalation>(store, {
      url: () => this.safeEscalation()?.url,
      send: escalationSender((origin) => this.context.secrets.get(escalationKeyName(origin))),
    });
    const sub = this.escalationOutbox.onDidChange(() => this._onDidChange.fire());
    this.disposables.push({ dispose: () => sub.dispose() });
  }

  /**
   * The token used to be one secret for whatever URL was configured, so it went wherever a workspace pointed the
   * setting. It is not known which origin it was meant for: it is removed, never sent, and the user is asked to
   * set it again for the receiver's origin.
   */
  private async retireLegacyToken(): Promise<void> {
    const legacy = await this.context.secrets.get(webhookModule().LEGACY_WEBHOOK_TOKEN_KEY);
    if (!legacy) return;
    await this.context.secrets.delete(webhookModule().LEGACY_WEBHOOK_TOKEN_KEY);
    const where = this.safeConfigured()?.origin;
    this.log.warn('webhook token: the token kept for any webhook URL was removed; tokens are now kept per origin');
    void vscode.window.showWarningMessage(
      `Incident Room: the status update webhook token is now kept for one receiver and sent only there. The old token was removed without being sent; set it again${where ? ` for ${where}` : ''} with "Incident: Set Status Update Webhook Token".`,
      'Set Token',
    ).then((c) => {
      if (c) void vscode.commands.executeCommand('incidentRoom.setWebhookToken');
    });
  }

  /** The webhook configured now, or undefined when none is set; a bad URL setting throws a clear error. */
  configured(): ConfiguredWebhook | undefined {
    const url = webhookUrlSetting().value;
    if (!url) return undefined;
    try {
      return { url: webhookModule().validateWebhookUrl(url).href, origin: webhookModule().webhookOrigin(url) };
    } catch (error) {
      throw new Error(`setting incidentRoom.updates.webhookUrl is invalid: ${(error as Error).message}`);
    }
  }

  private safeConfigured(): ConfiguredWebhook | undefined {
    try {
      return this.configured();
    } catch {
      return undefined;
    }
  }

  /**
   * The escalation endpoint configured now (incidentRoom.escalation.url; PagerDuty's by default), or undefined when
   * it is set empty; a bad value throws a clear error with Open Settings.
   */
  escalation(): ConfiguredWebhook | undefined {
    const url = escalationUrlSetting();
    if (!url) return undefined;
    const { validateWebhookUrl, webhookOrigin } = webhookModule();
    return { url: validateWebhookUrl(url).href, origin: webhookOrigin(url) };
  }

  private safeEscalation(): ConfiguredWebhook | undefined {
    try {
      return this.escalation();
    } catch {
      return undefined;
    }
  }

  /** The delivery state of an update, by its event id. */
  stateOf(eventId: string): QueuedUpdate | undefined {
    return this.outbox?.items.find((q) => q.id === eventId);
  }

  /** The delivery state of an escalation, by its `escalation.requested` event id. */
  escalationStateOf(eventId: string): QueuedEscalation | undefined {
    return this.escalationOutbox?.items.find((q) => q.id === eventId);
  }

  /** The routing key kept for an escalation origin, if any. */
  async routingKey(origin: string): Promise<string | undefined> {
    return this.context.secrets.get(webhookModule().escalationKeyName(origin));
  }

  /**
   * Keep (or, with undefined, remove) the routing key for the escalation endpoint's origin, then send again the
   * escalations of that origin that were refused for want of a good key. Returns the origin and what that retry did.
   */
  async setRoutingKey(key: string | undefined): Promise<{ origin: string; retried: FlushReport | undefined }> {
    const endpoint = this.escalation();
    if (!endpoint) throw new UserFacingError('set incidentRoom.escalation.url first: the routing key is kept for the escalation endpoint\'s origin and sent only there', undefined, { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['incidentRoom.escalation.url'] });
    const { escalationKeyName, escalationFix, webhookOrigin } = webhookModule();
    const name = escalationKeyName(endpoint.origin);
    if (key) await this.context.secrets.store(name, key);
    else await this.context.secrets.delete(name);
    const outbox = this.escalationOutbox;
    const waiting = (q: QueuedEscalation) => q.state === 'failed' && escalationFix(q.lastCode, q.lastStatus) === 'routing_key' && !!q.url && webhookOrigin(q.url) === endpoint.origin;
    if (!key || !outbox?.items.some(waiting)) return { origin: endpoint.origin, retried: undefined };
    return { origin: endpoint.origin, retried: await outbox.retryFailed(waiting) };
  }

  /**
   * Queue an escalation for the endpoint configured now (its id: the `escalation.requested` event's), send it, and
   * resolve with its state after this first round of attempts (delivered, failed, or still pending while the
   * endpoint is unreachable). The queue keeps it either way.
   */
  async escalate(item: { id: string; incidentId: string; event: EscalationEvent }): Promise<QueuedEscalation> {
    const outbox = this.escalationOutbox;
    if (!outbox) throw new UserFacingError('the escalation queue is not open (see the log); nothing was sent', undefined, { title: 'Show Log', command: 'incidentRoom.showLog' });
    // The trigger as built (read-only arrays) is what the queue stores.
    await outbox.enqueue({ ...item, event: item.event as QueuedEscalation['event'] });
    await outbox.flush();
    const state = outbox.items.find((q) => q.id === item.id);
    if (!state) throw new Error(`escalation ${item.id} left the queue`);
    return state;
  }

  async enqueue(update: { id: string; incidentId: string; audience: 'internal' | 'external'; text: string }): Promise<void> {
    if (!this.outbox) throw new Error('the webhook queue is not open yet');
    await this.outbox.enqueue(update);
    void this.flush(true);
  }

  /** Send again everything that failed, status updates and escalations, and what is pending. */
  async retryAll(): Promise<RetryReport> {
    if (!this.outbox) throw new Error('the webhook queue is not open yet');
    const [updates, escalations] = await Promise.all([this.retryLane('updates', false), this.retryLane('escalations', false)]);
    return { updates: updates ?? { delivered: 0, failed: 0, pending: 0 }, escalations };
  }

  /** One queue's failed items back in line, and a flush; `unasked` (the timer): only those waiting could fix. */
  private async retryLane(lane: 'updates' | 'escalations', unasked: boolean): Promise<FlushReport | undefined> {
    const which = (q: { retryable?: boolean }) => !unasked || q.retryable === true;
    if (lane === 'updates') return this.outbox?.retryFailed(which);
    const report = await this.escalationOutbox?.retryFailed(which);
    if (report && report.failed > 0) await this.announceEscalationFailures();
    return report;
  }

  /** Keep (or, with undefined, remove) the token for the configured webhook's origin; returns that origin. */
  async setToken(token: string | undefined): Promise<string> {
    const webhook = this.configured();
    if (!webhook) throw new UserFacingError('set incidentRoom.updates.webhookUrl first: the token is kept for the webhook\'s origin and sent only there');
    const { tokenProblem, webhookTokenKey } = webhookModule();
    const key = webhookTokenKey(webhook.origin);
    // A pasted token often ends in a line break: trimmed. One inside it cannot be sent, so it is not kept.
    token = token?.trim();
    const problem = token ? tokenProblem(token) : null;
    if (problem) throw new UserFacingError(`this token was not saved: ${problem}. Copy it again from where it was issued.`);
    if (token) await this.context.secrets.store(key, token);
    else await this.context.secrets.delete(key);
    return webhook.origin;
  }

  private async flush(announce: boolean): Promise<void> {
    if (!this.outbox) return;
    let webhook: ConfiguredWebhook | undefined;
    try {
      webhook = this.configured();
    } catch (error) {
      if (announce) void vscode.window.showErrorMessage(`Incident Room: ${(error as Error).message}`, 'Open Settings').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'incidentRoom.updates.webhookUrl');
      });
      return;
    }
    if (!webhook) return;
    let report: FlushReport;
    try {
      report = await this.outbox.flush();
    } catch (error) {
      // Delivered or not, each update's state is kept while VS Code runs; only the queue file is behind.
      this.log.error(`the status update queue could not be saved: ${errorMessage(error)}`);
      void vscode.window.showErrorMessage(`Incident Room: the status update queue could not be saved (${errorMessage(error)}). Updates already delivered are not sent again in this window; until it can be saved, a restart may send them again.`, 'Show Log').then((c) => {
        if (c) this.log.show();
      });
      return;
    }
    const failed = this.outbox.items.filter((q) => q.state === 'failed');
    if (report.failed > 0 || (announce && failed.length > 0)) {
      const last = failed[failed.length - 1];
      this.log.error(`webhook delivery failed: ${last?.lastError ?? 'unknown error'}`);
      // The token is what to fix when it cannot be sent or the receiver refused it; retrying alone would fail again.
      const tokenAtFault = last?.lastCode === 'bad_token' || last?.lastStatus === 401 || last?.lastStatus === 403;
      const first = tokenAtFault ? 'Set Webhook Token' : 'Retry';
      const choice = await vscode.window.showErrorMessage(`Incident Room: a status update could not be delivered to the webhook${last?.url ? ` at ${hostOf(last.url)}` : ''} (${last?.lastError ?? 'error'}). It stays on the timeline and in the queue.`, first, 'Show Log');
      if (choice === 'Set Webhook Token') await vscode.commands.executeCommand('incidentRoom.setWebhookToken');
      else if (choice === 'Retry') await this.retryAll();
      else if (choice === 'Show Log') this.log.show();
    }
  }

  /** An escalation that failed and that only the user can fix: one message, with the action that fixes it. */
  private async announceEscalationFailures(): Promise<void> {
    const failed = this.escalationOutbox?.items.filter((q) => q.state === 'failed' && q.retryable !== true) ?? [];
    const last = failed[failed.length - 1];
    if (!last) return;
    this.log.error(`escalation delivery failed (${last.incidentId}): ${last.lastError ?? 'unknown error'}`);
    const fix = webhookModule().escalationFix(last.lastCode, last.lastStatus);
    const action = fix === 'routing_key' ? 'Set Routing Key' : fix === 'url' ? 'Open Settings' : 'Retry';
    const choice = await vscode.window.showErrorMessage(`Incident Room: the escalation of ${last.incidentId} was not delivered${last.url ? ` to ${hostOf(last.url)}` : ''}: ${last.lastError ?? 'error'}. Nobody was paged by it yet; it stays in the queue.`, action, 'Show Log');
    if (choice === 'Set Routing Key') await vscode.commands.executeCommand('incidentRoom.setEscalationKey');
    else if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'incidentRoom.escalation.url');
    else if (choice === 'Retry') await this.retryAll();
    else if (choice === 'Show Log') this.log.show();
  }

  dispose(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.outbox?.dispose();
    this.escalationOutbox?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** An escalation's delivery as its timeline entry shows it (only in the window that requested it, like an update's). */
export function escalationDeliveryText(e: Pick<QueuedEscalation, 'state' | 'url' | 'lastError' | 'retryable'>): string {
  const host = e.url ? hostOf(e.url) : 'the escalation endpoint';
  if (e.state === 'delivered') return `paged through ${host}`;
  if (e.state === 'pending') return `paging through ${host}${e.lastError ? ` (retrying: ${e.lastError})` : ''}`;
  if (e.retryable) return `not paged yet: retried every minute (${e.lastError ?? 'unreachable'})`;
  return `page through ${host} failed: ${e.lastError ?? 'error'}`;
}

/** `hooks.example.com` of a webhook URL (never its path, which often holds a secret). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** The webhook queue and delivery (and zod, for its payloads): in the channel chunk, loaded when delivery starts. */
function webhookModule(): typeof import('../chunks/channel') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../chunks/channel') as typeof import('../chunks/channel');
}
