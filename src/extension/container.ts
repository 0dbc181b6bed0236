import * as os from 'node:os';
import * as vscode from 'vscode';
import { ActionItemLens } from './actionItemLens';
import { DeployLens } from './deployLens';
import type { IncidentState } from '../core/incidentState';
import { GitRepositories } from '../git/gitRepositories';
import { AssessmentPrompter } from './assessmentPrompter';
import { CadenceReminder } from './cadenceReminder';
import { RotationReminder } from './rotationReminder';
import type { DeployTarget } from './deployCommands';
import { DEPLOY_DIFF_SCHEME, DeployDiffContentProvider } from './deployDiffProvider';
import { DeploysView } from './deploysView';
import { commandsChunk, createCommand, UserFacingError, type CommandHandler, type CommandHandlers, type CommandNeeds } from './commandRunner';
import { IncidentService } from './incidentService';
import { IncidentViewProvider } from './incidentView';
import { MitigationCatalogs } from './mitigationCatalogs';
import { LocalChannelHost } from '../local/localChannelHost';
import { onDidChangeSettings } from './settings';
import { SignalNotifier } from './signalNotifier';
import { IncidentStatusBar } from './statusBar';
import { TerminalCapture } from './terminalCapture';
import { UpdateDelivery } from './updateDelivery';
import { gitAllowed, requireTrust } from './workspaceTrust';
import type { CommandId } from '../protocol/commands';

/** The one place that creates every service of the extension and owns their disposal. */
export class Container implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly service: IncidentService;
  readonly view: IncidentViewProvider;
  readonly statusBar: IncidentStatusBar;
  readonly delivery: UpdateDelivery;
  readonly deploys: DeploysView;
  readonly lens: DeployLens;
  /** Terminals whose commands go to the timeline (Capture This Terminal to the Timeline). */
  readonly terminalCapture: TerminalCapture;
  /** Open action items anchored to code, as a CodeLens on that code. */
  readonly actionLens: ActionItemLens;
  /** The prepared mitigations of the workspace's folders (.incident-room/mitigations.json). */
  readonly catalogs: MitigationCatalogs;
  /** Every repository's git state (runner, operation queue, caches, refs watcher), one per root. */
  readonly git: GitRepositories;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Incident Room', { log: true }));
    this.git = this.own(new GitRepositories({ log: this.log }));
    const version = String((context.extension.packageJSON as { version?: string }).version ?? '0.0.0');
    const localHost = this.own(new LocalChannelHost(context.globalStorageUri.fsPath, this.log));
    this.service = this.own(new IncidentService(context, this.log, localHost, () => gitIdentity(this.git)));
    this.delivery = this.own(new UpdateDelivery(context, this.log));
    const openNote = (noteId: string) => commandsChunk().openNoteSource(this.service, noteId, this.git);
    this.catalogs = this.own(new MitigationCatalogs(this.log));
    this.view = this.own(new IncidentViewProvider(context.extensionUri, this.service, this.log, openNote, this.delivery, this.catalogs));
    this.own(vscode.window.registerWebviewViewProvider(IncidentViewProvider.viewId, this.view, { webviewOptions: { retainContextWhenHidden: true } }));
    this.statusBar = this.own(new IncidentStatusBar(this.service));
    this.own(new CadenceReminder(this.service));
    this.own(new RotationReminder(this.service, context.workspaceState));
    this.own(new SignalNotifier(this.service));
    this.own(new AssessmentPrompter(this.service));
    this.deploys = this.own(new DeploysView(this.service, this.log, this.git));
    this.lens = this.own(new DeployLens(this.service, this.git, this.log));
    this.terminalCapture = this.own(new TerminalCapture(this.service, this.log));
    this.actionLens = this.own(new ActionItemLens(this.service, this.git, this.log));
    this.deploys.attach(vscode.window.createTreeView(DeploysView.viewId, { treeDataProvider: this.deploys, showCollapseAll: true }));
    this.own(vscode.workspace.registerTextDocumentContentProvider(DEPLOY_DIFF_SCHEME, new DeployDiffContentProvider((root) => this.deploys.listedRepository(root))));

    // Every command of the table (protocol/commands.ts), registered by id; the handlers load on the first command.
    let handlers: CommandHandlers<CommandId, DeployTarget> | undefined;
    const handler = <Id extends CommandId>(id: Id): CommandHandler<Id, DeployTarget> => {
      handlers ??= commandsChunk().commandHandlers(this, version);
      return handlers[id];
    };
    const needs: CommandNeeds<DeployTarget> = {
      log: this.log,
      requireTrust,
      requireIncident: () => this.requireIncident(),
      resolveDeploy: (raw, args, title) => commandsChunk().resolveDeploy(this.deploys, raw, args as Parameters<typeof import('./deployCommands').resolveDeploy>[2], title),
    };
    for (const [id, title] of commandTitles(context.extension.packageJSON)) this.own(createCommand(id, title, () => handler(id), needs));

    this.own(this.service.onDidReject(({ entry, error }) => {
      void vscode.window.showErrorMessage(`Incident Room: the channel refused a queued ${entry.type === 'declare' ? 'declaration' : entry.event.kind} (${error}). It is kept in the outbox's rejected folder.`, 'Show Log')
        .then((c) => c && this.log.show());
    }));
    this.own(onDidChangeSettings((e) => {
      if (['server.url', 'channel', 'user.id', 'user.name'].some((k) => e.affectsConfiguration(`incidentRoom.${k}`))) void this.service.start();
    }));
  }

  /**
   * Connect the channel and open the webhook queue: what activation leaves for later (the channel client, its
   * schemas, the local channel host, the webhook queue) loads here, in the background, once activate() returned
   * (extension.ts). The log says when the channel is first online (npm run bench:extension reads it).
   */
  start(): void {
    // Deactivated before the next turn came: nothing to start.
    if (this.disposed) return;
    const began = performance.now();
    const online = this.own(this.service.onDidChange(() => {
      if (this.service.connection.status !== 'online') return;
      online.dispose();
      this.log.info(`channel online ${(performance.now() - began).toFixed(1)} ms after activation`);
    }));
    void this.service.start();
    void this.delivery.start().catch((error: unknown) => this.log.error(`webhook queue: ${String(error)}`));
  }

  /** The focused incident; when the channel refused the token, the message offers to set it. */
  private requireIncident(): IncidentState {
    const { status } = this.service.connection;
    if (!this.service.focusedIncident && (status === 'unauthorized' || status === 'forbidden')) {
      throw new UserFacingError(`no incident is loaded: the channel server refused this window's token (${status}); set the channel's token, then try again`, undefined, { title: 'Set Channel Token', command: 'incidentRoom.setToken' });
    }
    return this.service.requireIncident();
  }

  private own<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        console.error('Incident Room: dispose failed', e);
      }
    }
  }
}

/**
 * `git config user.email` / `user.name` from the first workspace folder; in Restricted Mode from the user's global
 * config only, run from the home folder (no git runs in an untrusted workspace).
 */
function gitIdentity(git: GitRepositories): Promise<{ email?: string; name?: string }> {
  const trusted = gitAllowed();
  const cwd = (trusted ? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath : undefined) ?? os.homedir();
  return git.identity(cwd, { globalOnly: !trusted });
}

/**
 * Command id → its palette title, from the manifest's contributes.commands: the ids of the command table
 * (test/unit/protocol/commands.test.ts keeps the two equal), read without loading the table's schemas.
 */
function commandTitles(packageJSON: unknown): Map<CommandId, string> {
  const commands = (packageJSON as { contributes?: { commands?: { command?: unknown; title?: unknown }[] } }).contributes?.commands ?? [];
  return new Map(commands.flatMap((c) => (typeof c.command === 'string' && typeof c.title === 'string' ? [[c.command as CommandId, c.title] as const] : [])));
}
