import * as os from 'node:os';
import * as vscode from 'vscode';
import type { EventDataOf, AppendKind, User } from '../protocol/events';
import type { IncidentSummary, PresentUser, Signal } from '../protocol/messages';
import type { IncidentState } from '../core/incidentState';
import { isDeclared } from '../core/reducer';
import type { ChannelClient, ConnectionState, FollowUp } from '../sync/channelClient';
import type { OutboxEntry } from '../sync/outbox';
import type { Transport } from '../sync/transport';
import { UserFacingError } from './commandRunner';
import type { LocalChannelHost } from '../local/localChannelHost';
import { readSettings, type Settings } from './settings';
import { serverKey } from '../sync/serverUrls';

/** Where a channel token is kept: keyed to the servers it may be sent to (all replicas of the setting) and its channel. */
const TOKEN_KEY = (url: string, channel: string): string => `incidentRoom.token:${serverKey(url)}#${channel}`;
const FOCUS_KEY = 'incidentRoom.focusedIncident';

export type Mode = 'local' | 'shared';

/**
 * Owns the channel client for the current settings (shared server, or the in-process local channel), the
 * focused incident, and the user's identity. Everything the UI shows comes from here.
 */
export class IncidentService implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** Anything the UI shows changed: connection, incidents, the focused incident, the queue. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidReject = new vscode.EventEmitter<{ entry: OutboxEntry; error: string }>();
  readonly onDidReject = this._onDidReject.event;
  private readonly _onDidFireSignals = new vscode.EventEmitter<readonly Signal[]>();
  /** Signals that just started firing on the channel, told live (not the list a connect loads). */
  readonly onDidFireSignals = this._onDidFireSignals.event;

  private client: ChannelClient | undefined;
  private clientDisposables: { dispose(): void }[] = [];
  private focused: string | undefined;
  private settings: Settings | undefined;
  private identity: User = { id: 'unknown', name: 'Unknown' };
  private queuedEntries: OutboxEntry[] = [];
  private rejectedCount = 0;
  private currentMode: Mode = 'local';
  private settingsError: string | undefined;
  private restarts: Promise<void> = Promise.resolve();
  /** The server, channel and identity the running client was started with. */
  private startedWith: string | undefined;
  /** Outbox writes under way (declare, append). */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly localHost: LocalChannelHost,
    private readonly gitIdentity: () => Promise<{ email?: string; name?: string }>,
  ) {
    this.focused = context.workspaceState.get<string>(FOCUS_KEY);
  }

  get mode(): Mode {
    return this.currentMode;
  }

  get me(): User {
    return this.identity;
  }

  get connection(): ConnectionState {
    return this.client?.connection ?? { status: 'stopped', queued: 0, target: '', ...(this.settingsError ? { lastError: this.settingsError } : {}) };
  }

  get incidents(): IncidentSummary[] {
    return this.client?.incidents ?? [];
  }

  get focusedId(): string | undefined {
    return this.focused;
  }

  /**
   * What to show as pending: the running client's view as of now (queued, or acked and not folded yet), so the
   * sidebar never sees a note in neither place nor in both; the last read one while no client runs.
   */
  get queued(): readonly OutboxEntry[] {
    return this.client?.pendingNow() ?? this.queuedEntries;
  }

  /** Who is on the channel now, as its server says (empty offline, in local mode with one window, or from an older server). */
  get present(): readonly PresentUser[] {
    return this.client?.presence ?? [];
  }

  /** The channel's signals (alerts): firing first, newest first; empty in local mode and from an older server. */
  get signals(): readonly Signal[] {
    return this.client?.signals ?? [];
  }

  /** How many of the channel's signals fire (the server's count: its list holds a few hundred at most). */
  get firingSignalCount(): number {
    return this.client?.signalCounts.firing ?? 0;
  }

  /** One signal of the channel by fingerprint, or a clear error (it may have been cleared since the sidebar showed it). */
  signal(fingerprint: string): Signal {
    const s = this.signals.find((x) => x.fingerprint === fingerprint);
    if (!s) throw new UserFacingError(`no signal ${fingerprint} on channel ${this.currentSettings().channel}: it may have resolved long ago or the channel reconnected`);
    return s;
  }

  get rejected(): number {
    return this.rejectedCount;
  }

  /** The focused incident's state, once its events have arrived. */
  get focusedIncident(): IncidentState | undefined {
    const s = this.focused ? this.client?.incident(this.focused) : undefined;
    return s && isDeclared(s) ? s : undefined;
  }

  /**
   * (Re)start with the current settings: called at activation and when a connection setting changes. Restarts run
   * one after another: Set Your Name and Id changes two settings at once, and two overlapping restarts would each
   * create a client, one of them never disposed.
   */
  start(): Promise<void> {
    const next = this.restarts.then(() => this.restart());
    this.restarts = next.catch((error: unknown) => this.log.error(`restart failed: ${String(error)}`));
    return next;
  }

  private async restart(): Promise<void> {
    let settings: Settings;
    try {
      settings = readSettings();
    } catch (error) {
      this.stopClient();
      this.settingsError = (error as Error).message;
      this.log.error(this.settingsError);
      void vscode.window.showErrorMessage(`Incident Room: ${this.settingsError}`, 'Open Settings').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'incidentRoom');
      });
      this._onDidChange.fire();
      return;
    }
    this.settings = settings;
    this.settingsError = undefined;
    await this.resolveIdentity();
    // Two settings changed together (Set Your Name and Id) ask for two restarts; the second finds nothing new to
    // connect with and leaves the running client alone, so commands never meet a moment without one for nothing.
    const key = JSON.stringify([settings.serverUrl, settings.channel, this.identity]);
    if (this.client && key === this.startedWith) return;
    this.stopClient();
    // A note being written to the outbox by the client just stopped must be there when the next client first
    // reads the outbox, or it would wait for a later resend.
    await Promise.allSettled([...this.writes]);
    this.startedWith = key;
    const s = settings;
    const shared = s.serverUrl !== '';
    this.currentMode = shared ? 'shared' : 'local';
    const { ChannelClient, Outbox, WsTransport } = channelModules();
    let transport: Transport;
    let endpointKey: string;
    if (shared) {
      try {
        transport = new WsTransport({ serverUrl: s.serverUrl, channel: s.channel, token: () => this.token(s.serverUrl, s.channel) });
      } catch (error) {
        this.settingsError = (error as Error).message;
        this.log.error(this.settingsError);
        void vscode.window.showErrorMessage(`Incident Room: ${this.settingsError}`);
        this._onDidChange.fire();
        return;
      }
      endpointKey = `${serverKey(s.serverUrl)}#${s.channel}`;
    } else {
      transport = this.localHost.transport(s.channel);
      endpointKey = `local#${s.channel}`;
    }
    const outbox = new Outbox(this.context.globalStorageUri.fsPath, endpointKey);
    const client = new ChannelClient({
      transport, outbox, user: () => this.identity,
      log: (level, message) => this.log[level](message),
    });
    this.client = client;
    this.clientDisposables = [
      client.onDidChangeConnection(() => void this.refreshQueue()),
      client.onDidChangeIncidents(() => this.onIncidentsChanged()),
      client.onDidChangePresence(() => this._onDidChange.fire()),
      client.onDidChangeSignals((change) => {
        this._onDidChange.fire();
        if (change.fresh.length > 0) this._onDidFireSignals.fire(change.fresh);
      }),
      client.onDidChangeIncident((state) => {
        if (state.id === this.focused) this._onDidChange.fire();
      }),
      client.onDidReject((r) => {
        this.rejectedCount++;
        this._onDidReject.fire({ entry: r.entry, error: r.error });
        this._onDidChange.fire();
      }),
      client,
    ];
    if (this.focused) client.subscribe(this.focused);
    client.start();
    this.log.info(`mode ${this.currentMode}: ${transport.description} as ${this.identity.name} <${this.identity.id}>`);
    await this.refreshQueue();
  }

  /** Ids the user sees when picking: the channel's incidents, newest first. */
  focus(incidentId: string | undefined): void {
    if (this.focused === incidentId) return;
    if (this.focused) this.client?.unsubscribe(this.focused);
    this.focused = incidentId;
    void this.context.workspaceState.update(FOCUS_KEY, incidentId);
    if (incidentId) this.client?.subscribe(incidentId);
    this._onDidChange.fire();
  }

  /**
   * Declare; focuses the new incident once the channel assigns its id. Assigning `commander` (when not me) and linking
   * `signals` travel with the declaration in the outbox, so they happen also when it was queued offline and reaches
   * the channel later, from this window or another, after a reload too.
   */
  async declare(
    data: EventDataOf<'incident.declared'>, commander?: User, signals: readonly EventDataOf<'signal.linked'>[] = [],
  ): Promise<{ incidentId: string | undefined }> {
    const client = await this.currentClient();
    const then: FollowUp[] = [
      ...(commander && commander.id !== this.identity.id ? [{ kind: 'role.assigned', data: { role: 'commander', user: commander } } satisfies FollowUp<'role.assigned'>] : []),
      ...signals.map((link) => ({ kind: 'signal.linked', data: link }) satisfies FollowUp<'signal.linked'>),
    ];
    const { incidentId } = await this.tracked(client.declare(data, new Date(), then));
    await this.refreshQueue();
    const follow = async (id: string): Promise<void> => {
      this.focus(id);
      await this.refreshQueue();
    };
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000));
    const id = await Promise.race([incidentId, timeout]);
    if (!id) {
      void incidentId.then(async (later) => {
        await follow(later);
        void vscode.window.showInformationMessage(`Incident Room: ${later} declared (the queued declaration reached the channel).`);
      }).catch((error: unknown) => this.log.error(`queued declaration: ${String(error)}`));
      return { incidentId: undefined };
    }
    await follow(id);
    return { incidentId: id };
  }

  /** Append to the focused (or given) incident; durable in the outbox when this resolves. */
  async append<K extends AppendKind>(kind: K, data: EventDataOf<K>, incidentId = this.focused): Promise<string> {
    if (!incidentId) throw new UserFacingError('no incident is focused: declare one or run "Incident: Switch Incident"');
    const id = await this.tracked((await this.currentClient()).append(incidentId, kind, data));
    await this.refreshQueue();
    return id;
  }

  /** An outbox write that a restart waits for before the next client reads the outbox. */
  private tracked<T>(write: Promise<T>): Promise<T> {
    this.writes.add(write);
    const done = (): void => void this.writes.delete(write);
    write.then(done, done);
    return write;
  }

  /** The focused incident, or a clear error saying what to do. */
  requireIncident(): IncidentState {
    const s = this.focusedIncident;
    if (!s) {
      if (this.focused) throw new UserFacingError(`${this.focused} is still loading from the channel (${this.connection.status}); try again in a moment`);
      throw new UserFacingError('no incident is focused: declare one with "Incident: Declare Incident" or pick one with "Incident: Switch Incident"');
    }
    return s;
  }

  reconnect(): void {
    if (!this.client) void this.start();
    else this.client.reconnect();
  }

  async setToken(token: string | undefined): Promise<void> {
    const s = this.settings ?? readSettings();
    if (!s.serverUrl) throw new UserFacingError('set incidentRoom.server.url first: a token belongs to a channel server');
    const key = TOKEN_KEY(s.serverUrl, s.channel);
    if (token) await this.context.secrets.store(key, token);
    else await this.context.secrets.delete(key);
    this.reconnect();
  }

  currentSettings(): Settings {
    return this.settings ?? readSettings();
  }

  async ping(): Promise<number> {
    return this.requireClient().ping();
  }

  private token(url: string, channel: string): Promise<string | undefined> {
    return Promise.resolve(this.context.secrets.get(TOKEN_KEY(url, channel)));
  }

  /**
   * The client once any restart under way has finished: between stopping the old client and starting the new one
   * there is none, and a note written in that moment must wait for the new one, not fail.
   */
  private async currentClient(): Promise<ChannelClient> {
    await this.restarts;
    return this.requireClient();
  }

  private requireClient(): ChannelClient {
    if (!this.client) throw new UserFacingError(this.settingsError ?? 'the incident channel is not started');
    return this.client;
  }

  private onIncidentsChanged(): void {
    // With nothing focused, follow the newest open incident so a responder joining sees it at once.
    if (!this.focused) {
      const open = this.incidents.find((i) => i.status !== 'resolved');
      if (open) this.focus(open.id);
    }
    this._onDidChange.fire();
  }

  private async refreshQueue(): Promise<void> {
    try {
      this.queuedEntries = (await this.client?.pending()) ?? [];
    } catch (error) {
      this.log.warn(`cannot read the outbox: ${String(error)}`);
    }
    this._onDidChange.fire();
  }

  private async resolveIdentity(): Promise<void> {
    const s = this.settings;
    let id = s?.userId ?? '';
    let name = s?.userName ?? '';
    if (!id || !name) {
      const git = await this.gitIdentity().catch(() => ({} as { email?: string; name?: string }));
      id ||= git.email ?? '';
      name ||= git.name ?? '';
    }
    if (!id) id = `${process.env.USER ?? 'user'}@${os.hostname()}`;
    if (!name) name = id.split('@')[0] ?? id;
    this.identity = { id: id.slice(0, 200), name: name.slice(0, 200) };
  }

  private stopClient(): void {
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    this.client = undefined;
  }

  dispose(): void {
    this.stopClient();
    this._onDidChange.dispose();
    this._onDidReject.dispose();
    this._onDidFireSignals.dispose();
  }
}

/**
 * The channel client, its outbox and its socket transport (the lazy chunk dist/channel.js), loaded by the first
 * start (just after activation, which does not wait for it): they bring the protocol schemas and zod with them.
 */
function channelModules(): typeof import('../chunks/channel') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../chunks/channel') as typeof import('../chunks/channel');
}
