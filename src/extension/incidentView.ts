import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { incidentView, timelineEntries, type QueuedEventView } from '../core/sidebarModel';
import { describeEvent } from '../core/timelineText';
import type { SequencedEvent } from '../protocol/events';
import type { HostToWebview, SidebarState, TimelineEntryView } from '../protocol/webviewMessages';
import { commandsChunk } from './commandRunner';
import type { IncidentService } from './incidentService';
import { cadencePolicy, recheckMinutesSetting } from './settings';
import { sidebarHtml } from './sidebarHtml';
import { escalationDeliveryText, hostOf, type UpdateDelivery } from './updateDelivery';
import { gitAllowed } from './workspaceTrust';
import { connectionText } from '../core/connectionText';
import { signalLinks, signalViews } from '../core/signals';
import { severityMapping } from './signalSettings';
import type { IncidentState } from '../core/incidentState';
import { incidentServices, preparedFor } from '../core/preparedMitigations';
import type { MitigationCatalogs } from './mitigationCatalogs';

/** The Incident sidebar: a webview that renders the focused incident from typed, validated messages. */
export class IncidentViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'incidentRoom.incident';
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private pendingRender: ReturnType<typeof setTimeout> | undefined;
  /** Last render time the webview reported, for the log and the benchmark. */
  lastRender: { entries: number; ms: number } | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: IncidentService,
    private readonly log: vscode.LogOutputChannel,
    private readonly openSource: (noteId: string) => Promise<void>,
    private readonly delivery: UpdateDelivery,
    private readonly catalogs?: MitigationCatalogs,
  ) {
    this.disposables.push(
      service.onDidChange(() => this.scheduleRender()), delivery.onDidChange(() => this.scheduleRender()),
      ...(catalogs ? [catalogs.onDidChange(() => this.scheduleRender())] : []),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRender()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const webview = view.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    webview.html = this.html(webview);
    const subs = [
      webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.scheduleRender();
      }),
    ];
    view.onDidDispose(() => {
      for (const d of subs) d.dispose();
      if (this.view === view) this.view = undefined;
    }, undefined, this.disposables);
  }

  private async onMessage(raw: unknown): Promise<void> {
    // The schemas of the sidebar's messages load with its first message (with the commands it runs), not at activation.
    const { WebviewToHost } = commandsChunk();
    const parsed = WebviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`ignored an invalid message from the sidebar: ${parsed.error.issues[0]?.message ?? ''}`);
      return;
    }
    const m = parsed.data;
    switch (m.type) {
      case 'ready':
        // The host waits for the webview's ready before posting anything (nothing is lost while it loads).
        this.ready = true;
        this.render();
        return;
      case 'command':
        await vscode.commands.executeCommand(m.command, m.args);
        return;
      case 'openSource':
        await this.openSource(m.noteId);
        return;
      case 'openSignalLink': {
        // The URL is the signal's own, looked up here: the webview only names which of its links.
        const signal = this.service.signals.find((x) => x.fingerprint === m.fingerprint);
        const link = signal && signalLinks(signal).find((l) => l.label === m.link);
        if (link) await vscode.env.openExternal(vscode.Uri.parse(link.url, true));
        return;
      }
      case 'loadTimeline': {
        const focused = this.service.focusedIncident;
        if (!focused || focused.id !== m.incidentId || !this.view) return;
        const entries = this.annotate(timelineEntries(focused, this.service.me, m.offset, m.count, this.queuedFor(focused.id).queued));
        const page: HostToWebview = { type: 'timelinePage', incidentId: focused.id, offset: m.offset, entries };
        void this.view.webview.postMessage(page);
        return;
      }
      case 'rendered':
        this.lastRender = { entries: m.entries, ms: m.ms };
        if (m.entries > 500) this.log.debug(`sidebar rendered ${m.entries} timeline entries in ${m.ms.toFixed(1)} ms`);
        return;
    }
  }

  private scheduleRender(): void {
    // Coalesce bursts (a replay of many events) into one post.
    if (this.pendingRender) return;
    this.pendingRender = setTimeout(() => {
      this.pendingRender = undefined;
      this.render();
    }, 30);
  }

  /** The state the sidebar shows now (also used by tests). */
  snapshot(): SidebarState {
    const s = this.service;
    const c = s.connection;
    const focused = s.focusedIncident;
    const { queued, pendingDeclarations } = this.queuedFor(focused?.id);
    let cadence;
    try {
      cadence = cadencePolicy(s.currentSettings());
    } catch {
      cadence = undefined;
    }
    const incident = focused ? incidentView(focused, s.me, Date.now(), cadence, queued, recheckMinutesSetting()) : null;
    if (incident) this.annotate(incident.timeline);
    return {
      connection: { status: c.status, text: connectionText(s.mode, c.status, c.queued, c.target, c.lastError), queued: c.queued, mode: s.mode },
      me: s.me,
      incident,
      otherIncidents: s.incidents.filter((i) => i.id !== focused?.id).map((i) => ({ id: i.id, title: i.title, severity: i.severity, status: i.status })),
      pendingDeclarations,
      rejected: s.rejected,
      trusted: gitAllowed(),
      present: s.present.map((u) => ({
        id: u.id, name: u.name, me: u.id === s.me.id, windows: u.sessions,
        idleMinutes: Math.max(0, Math.floor((Date.now() - Date.parse(u.activeAt)) / 60_000)),
      })),
      ...(s.signals.length ? { signals: signalViews(s.signals, severityMapping(), s.firingSignalCount) } : {}),
      ...(focused ? this.prepared(focused) : {}),
    };
  }

  /** The repo's prepared mitigations for the sidebar: the incident's own, lowest risk first (catalogs read lazily). */
  private prepared(incident: IncidentState): Pick<SidebarState, 'prepared'> {
    const loaded = this.catalogs?.peek() ?? [];
    if (loaded.length === 0) return {};
    const all = loaded.flatMap((c) => c.entries);
    const list = preparedFor(all, incidentServices(incident, all.flatMap((e) => e.services ?? [])));
    return { prepared: {
      entries: list.shown.map((e) => ({
        id: e.id, title: e.title, kind: e.kind, risk: e.risk, caution: e.caution, services: [...(e.services ?? [])], watch: e.verify.watch,
      })),
      hidden: list.hidden,
      services: list.services,
      problems: loaded.flatMap((c) => (c.problem ? [`${path.basename(c.root)}/.incident-room/mitigations.json: ${c.problem}`] : [])),
    } };
  }

  /** Outbox entries of an incident, shown greyed on its timeline, and the declarations still queued. */
  private queuedFor(incidentId: string | undefined): { queued: QueuedEventView[]; pendingDeclarations: number } {
    const queued: QueuedEventView[] = [];
    let pendingDeclarations = 0;
    // An acked event can still be listed in the outbox for a moment after it was folded: show it once.
    let held: Set<string> | undefined;
    for (const entry of this.service.queued) {
      if (entry.type === 'declare') pendingDeclarations++;
      else if (entry.incidentId === incidentId) {
        held ??= new Set(this.service.focusedIncident?.timeline.map((e) => e.id));
        if (held.has(entry.event.id)) continue;
        const asEvent = { ...entry.event, seq: 0, receivedAt: entry.event.at, actor: this.service.me } as SequencedEvent;
        queued.push({ id: entry.event.id, at: entry.event.at, kind: entry.event.kind, text: describeEvent(asEvent) });
      }
    }
    return { queued, pendingDeclarations };
  }

  /** Status updates and escalations on the timeline carry their delivery state. */
  private annotate(entries: TimelineEntryView[]): TimelineEntryView[] {
    for (const entry of entries) {
      if (entry.kind === 'escalation.requested') {
        const e = this.delivery.escalationStateOf(entry.key);
        if (e) entry.delivery = escalationDeliveryText(e);
        if (e?.state === 'failed') entry.deliveryFailed = true;
        continue;
      }
      if (entry.kind !== 'update.posted') continue;
      const d = this.delivery.stateOf(entry.key);
      if (!d) continue;
      // Which receiver: the user can tell their own from one a workspace setting pointed at.
      const at = d.url ? ` at ${hostOf(d.url)}` : '';
      if (d.state === 'failed') entry.deliveryFailed = true;
      entry.delivery = d.state === 'failed' ? `webhook${at} failed: ${d.lastError ?? 'error'}` : d.state === 'pending' ? `webhook${at} pending${d.lastError ? ` (retrying: ${d.lastError})` : ''}` : `sent to webhook${at}`;
    }
    return entries;
  }

  private render(): void {
    if (!this.view || !this.ready) return;
    const message: HostToWebview = { type: 'state', state: this.snapshot() };
    void this.view.webview.postMessage(message);
  }

  private html(webview: vscode.Webview): string {
    return sidebarHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      uri: (...p) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString(),
    });
  }

  dispose(): void {
    if (this.pendingRender) clearTimeout(this.pendingRender);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
