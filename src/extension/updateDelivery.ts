import * as path from 'node:path';
import * as vscode from 'vscode';
import { JsonFileWebhookQueueStore, validateWebhookUrl, WebhookOutbox, type FlushReport, type QueuedUpdate, type WebhookTarget } from '../sync/webhookDelivery';

const TOKEN_KEY = 'incidentRoom.updates.webhookToken';

/**
 * Status updates out to the optional webhook: a durable queue in global storage (an update is never lost), retried
 * with backoff, failures shown with a Retry action, and each update's delivery state available to the timeline.
 */
export class UpdateDelivery implements vscode.Disposable {
  private outbox: WebhookOutbox | undefined;
  private token: string | undefined;
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[] = [this._onDidChange];
  private retryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {}

  async start(): Promise<void> {
    this.token = await this.context.secrets.get(TOKEN_KEY);
    this.disposables.push(this.context.secrets.onDidChange(async (e) => {
      if (e.key === TOKEN_KEY) this.token = await this.context.secrets.get(TOKEN_KEY);
    }));
    const store = new JsonFileWebhookQueueStore(path.join(this.context.globalStorageUri.fsPath, 'webhook-queue.json'));
    this.outbox = await WebhookOutbox.open(store, { target: () => this.configured() });
    const sub = this.outbox.onDidChange(() => this._onDidChange.fire());
    this.disposables.push({ dispose: () => sub.dispose() });
    // Pending updates from an earlier session go out now, and again periodically while the endpoint is down.
    this.retryTimer = setInterval(() => {
      if (this.outbox?.items.some((q) => q.state !== 'delivered') && this.safeTarget()) void this.retryAll().catch(() => undefined);
    }, 60_000);
    void this.flush(false);
  }

  /** The webhook target, or undefined when none is set; a bad URL setting throws a clear error. */
  configured(): WebhookTarget | undefined {
    const url = vscode.workspace.getConfiguration('incidentRoom').get<string>('updates.webhookUrl', '').trim();
    if (!url) return undefined;
    try {
      validateWebhookUrl(url);
    } catch (error) {
      throw new Error(`setting incidentRoom.updates.webhookUrl is invalid: ${(error as Error).message}`);
    }
    return { url, ...(this.token ? { token: this.token } : {}) };
  }

  private safeTarget(): WebhookTarget | undefined {
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

  async setToken(token: string | undefined): Promise<void> {
    if (token) await this.context.secrets.store(TOKEN_KEY, token);
    else await this.context.secrets.delete(TOKEN_KEY);
  }

  private async flush(announce: boolean): Promise<void> {
    if (!this.outbox) return;
    let target: WebhookTarget | undefined;
    try {
      target = this.configured();
    } catch (error) {
      if (announce) void vscode.window.showErrorMessage(`Incident Room: ${(error as Error).message}`, 'Open Settings').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'incidentRoom.updates.webhookUrl');
      });
      return;
    }
    if (!target) return;
    const report = await this.outbox.flush();
    const failed = this.outbox.items.filter((q) => q.state === 'failed');
    if (report.failed > 0 || (announce && failed.length > 0)) {
      const last = failed[failed.length - 1];
      this.log.error(`webhook delivery failed: ${last?.lastError ?? 'unknown error'}`);
      const choice = await vscode.window.showErrorMessage(`Incident Room: a status update could not be delivered to the webhook (${last?.lastError ?? 'error'}). It stays on the timeline and in the queue.`, 'Retry', 'Show Log');
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
