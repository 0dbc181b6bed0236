import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlushReport, QueuedUpdate, WebhookOutbox } from '../sync/webhookDelivery';
import { UserFacingError } from './commandRunner';
import { webhookUrlSetting } from './settings';

/** The configured webhook: its URL and the origin its token is kept for. */
export interface ConfiguredWebhook {
  readonly url: string;
  readonly origin: string;
}

/**
 * Status updates out to the optional webhook: a durable queue in global storage (an update is never lost), retried
 * with backoff, failures shown with a Retry action, and each update's delivery state available to the timeline.
 *
 * Each update is bound to the URL configured when it was posted, and is sent with the token kept for that URL's
 * origin (SecretStorage, one key per origin), so a URL changed later (by a workspace's settings, say) receives
 * neither the waiting updates nor the token of the user's own receiver.
 */
export class UpdateDelivery implements vscode.Disposable {
  private outbox: WebhookOutbox | undefined;
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
    // Pending updates from an earlier session go out now, and again periodically while the endpoint is down.
    this.retryTimer = setInterval(() => {
      if (this.outbox?.items.some((q) => q.state !== 'delivered') && this.safeConfigured()) void this.retryAll().catch(() => undefined);
    }, 60_000);
    void this.flush(false);
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

  /** The delivery state of an update, by its event id. */
  stateOf(eventId: string): QueuedUpdate | undefined {
    return this.outbox?.items.find((q) => q.id === eventId);
  }

  async enqueue(update: { id: string; incidentId: string; audience: 'internal' | 'external'; text: string }): Promise<void> {
    if (!this.outbox) throw new Error('the webhook queue is not open yet');
    await this.outbox.enqueue(update);
    void this.flush(true);
  }

  async retryAll(): Promise<FlushReport> {
    if (!this.outbox) throw new Error('the webhook queue is not open yet');
    for (const item of this.outbox.items.filter((q) => q.state === 'failed')) await this.outbox.retry(item.id);
    return this.outbox.flush();
  }

  /** Keep (or, with undefined, remove) the token for the configured webhook's origin; returns that origin. */
  async setToken(token: string | undefined): Promise<string> {
    const webhook = this.configured();
    if (!webhook) throw new UserFacingError('set incidentRoom.updates.webhookUrl first: the token is kept for the webhook\'s origin and sent only there');
    const key = webhookModule().webhookTokenKey(webhook.origin);
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
    const report = await this.outbox.flush();
    const failed = this.outbox.items.filter((q) => q.state === 'failed');
    if (report.failed > 0 || (announce && failed.length > 0)) {
      const last = failed[failed.length - 1];
      this.log.error(`webhook delivery failed: ${last?.lastError ?? 'unknown error'}`);
      const choice = await vscode.window.showErrorMessage(`Incident Room: a status update could not be delivered to the webhook${last?.url ? ` at ${hostOf(last.url)}` : ''} (${last?.lastError ?? 'error'}). It stays on the timeline and in the queue.`, 'Retry', 'Show Log');
      if (choice === 'Retry') await this.retryAll();
      else if (choice === 'Show Log') this.log.show();
    }
  }

  dispose(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.outbox?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
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
