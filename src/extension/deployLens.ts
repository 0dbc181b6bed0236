import * as path from 'node:path';
import * as vscode from 'vscode';
import { countText, durationText } from '../core/durationText';
import type { Deploy } from '../git/deployDiscovery';
import { lensMarks, lensWindow, splitLines, type LensMark } from '../git/deployLens';
import type { GitRepositories } from '../git/gitRepositories';
import type { IncidentService } from './incidentService';
import type { CommandId } from '../protocol/commands';
import type { CommandHandlers } from './commandRunner';
import { lensSettings, onDidChangeSettings, readDeploySettings, setLensEnabled } from './settings';
import { gitAllowed } from './workspaceTrust';

/** The marks of one document version, and when they were computed. */
interface Computed {
  readonly version: number;
  readonly root: string;
  /** Repository-relative, `/`-separated. */
  readonly path: string;
  readonly marks: readonly LensMark[];
}

/**
 * The deploy-window lens (issue "The incident in the code"): while an incident is focused, the lines that the
 * deploys of its window changed carry a mark in the gutter and, on each changed hunk, a CodeLens "changed in
 * release-42 · deployed 6m before detection" with Flag as Suspect and Open Deploy Diff; the hover lists the commits.
 * The git side (src/git/deployLens.ts) keeps one change set per deploy, so a file the window never touched costs a
 * map lookup, and the marks follow the text as it is edited. Off when no incident is focused or when
 * incidentRoom.lens.enabled is false (Incident: Toggle Deploy Lens).
 */
export class DeployLens implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    borderWidth: '0 0 0 3px',
    borderStyle: 'solid',
    borderColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly computed = new Map<string, Computed>();
  private readonly disposables: vscode.Disposable[] = [];
  /** How long the last lens took from the request to its marks, for the log and the bench. */
  lastMs: number | undefined;

  constructor(private readonly service: IncidentService, private readonly git: GitRepositories, private readonly log: vscode.LogOutputChannel) {
    const selector: vscode.DocumentSelector = { scheme: 'file' };
    let focused = service.focusedIncident?.id;
    let detectedAt = this.detectedAt();
    this.disposables.push(
      vscode.languages.registerCodeLensProvider(selector, this),
      vscode.languages.registerHoverProvider(selector, this),
      service.onDidChange(() => {
        // Only what the lens depends on: the focused incident and its detection time, not every note.
        const now = service.focusedIncident?.id;
        const at = this.detectedAt();
        if (now !== focused || at !== detectedAt) {
          focused = now;
          detectedAt = at;
          this.refresh();
        }
      }),
      onDidChangeSettings((e) => {
        if (e.affectsConfiguration('incidentRoom.lens') || e.affectsConfiguration('incidentRoom.deploys')) this.refresh();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorateVisible()),
      vscode.workspace.onDidCloseTextDocument((d) => this.computed.delete(d.uri.toString())),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
    );
  }

  /** The lens is shown: on, an incident focused, and a trusted workspace (it runs git). */
  get active(): boolean {
    return lensSettings().enabled && this.service.focusedIncident !== undefined && gitAllowed();
  }

  refresh(): void {
    this.computed.clear();
    this.changed.fire();
    if (!this.active) for (const editor of vscode.window.visibleTextEditors) editor.setDecorations(this.decoration, []);
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    const computed = await this.marksOf(document);
    if (!computed || token.isCancellationRequested) return [];
    this.decorate(document, computed);
    const detected = this.detectedAt();
    const lenses: vscode.CodeLens[] = [];
    for (const m of computed.marks) {
      const range = new vscode.Range(m.start, 0, m.start, 0);
      const args = { ref: m.deploy.ref, repo: computed.root };
      lenses.push(
        new vscode.CodeLens(range, { title: `$(rocket) changed in ${m.deploy.label} · ${deployedWhen(m.deploy, detected)}`, command: 'incidentRoom.openDeployDiff', arguments: [args], tooltip: `Open the diff of ${m.deploy.label}` }),
        new vscode.CodeLens(range, { title: 'Flag as suspect', command: 'incidentRoom.flagDeploy', arguments: [args], tooltip: `Flag ${m.deploy.label} as a suspect of the incident` }),
        new vscode.CodeLens(range, { title: 'Open diff', command: 'incidentRoom.openDeployDiff', arguments: [args] }),
      );
    }
    return lenses;
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const computed = await this.marksOf(document);
    const m = computed?.marks.find((x) => position.line >= x.start && position.line < x.end);
    if (!m || !computed) return undefined;
    const repo = await this.git.find(computed.root);
    const commits = (await repo?.deployCommitsByFile(m.deploy))?.get(computed.path) ?? [];
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.appendMarkdown('**');
    md.appendText(`Changed in ${m.deploy.label}`);
    md.appendMarkdown(`** · ${deployedWhen(m.deploy, this.detectedAt())}\n\n`);
    for (const c of commits.slice(0, 8)) {
      md.appendMarkdown('- `');
      md.appendText(c.sha.slice(0, 7));
      md.appendMarkdown('` ');
      md.appendText(`${c.subject} — ${c.author.name}`);
      md.appendMarkdown('\n');
    }
    if (commits.length > 8) md.appendText(`… and ${commits.length - 8} more commits\n`);
    return new vscode.Hover(md, new vscode.Range(m.start, 0, Math.max(m.start, m.end - 1), Number.MAX_SAFE_INTEGER));
  }

  /** The marks of a document's current version, computed once per version. */
  private async marksOf(document: vscode.TextDocument): Promise<Computed | undefined> {
    if (!this.active || document.uri.scheme !== 'file') return undefined;
    const key = document.uri.toString();
    const known = this.computed.get(key);
    if (known?.version === document.version) return known;
    const started = performance.now();
    const incident = this.service.focusedIncident;
    if (!incident) return undefined;
    try {
      const repo = await this.git.find(path.dirname(document.uri.fsPath));
      if (!repo) return undefined;
      const settings = readDeploySettings();
      if (settings.problems.length > 0 && settings.sources.length === 0) return undefined;
      const list = await repo.listDeploys(settings, { limit: settings.limit });
      const window = lensWindow(list.deploys, incident.detectedAt ?? incident.declaredAt, lensSettings().deploys);
      const relative = path.relative(repo.root, document.uri.fsPath).split(path.sep).join('/');
      const marks = window.length === 0 ? [] : await lensMarks(repo, window, relative, () => splitLines(document.getText()));
      const computed: Computed = { version: document.version, root: repo.root, path: relative, marks };
      this.computed.set(key, computed);
      this.lastMs = performance.now() - started;
      if (marks.length > 0) this.log.debug(`deploy lens: ${relative}: ${countText(marks.length, 'changed range')} from ${countText(new Set(marks.map((m) => m.deploy.label)).size, 'deploy')} in ${this.lastMs.toFixed(1)} ms`);
      return computed;
    } catch (error) {
      this.log.warn(`deploy lens: ${document.uri.fsPath}: ${(error as Error).message}`);
      return undefined;
    }
  }

  private decorate(document: vscode.TextDocument, computed: Computed): void {
    const ranges = computed.marks.map((m) => new vscode.Range(m.start, 0, m.end - 1, 0));
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === document) editor.setDecorations(this.decoration, ranges);
  }

  private decorateVisible(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const computed = this.computed.get(editor.document.uri.toString());
      editor.setDecorations(this.decoration, this.active && computed?.version === editor.document.version ? computed.marks.map((m) => new vscode.Range(m.start, 0, m.end - 1, 0)) : []);
    }
  }

  private detectedAt(): string | undefined {
    const s = this.service.focusedIncident;
    return s ? s.detectedAt ?? s.declaredAt : undefined;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.decoration.dispose();
    this.changed.dispose();
  }
}

/** `deployed 6m before detection`, `deployed 1h 05m after detection`. */
export function deployedWhen(deploy: Pick<Deploy, 'epochSeconds'>, detectedAt: string | undefined): string {
  if (!detectedAt) return `deployed ${new Date(deploy.epochSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const minutes = (Date.parse(detectedAt) / 1000 - deploy.epochSeconds) / 60;
  return `deployed ${durationText(Math.abs(minutes))} ${minutes >= 0 ? 'before' : 'after'} detection`;
}

/** Incident: Toggle Deploy Lens — on or off for this user (an argument `{ enabled }` sets it), and says what it shows. */
export function lensCommands(lens: DeployLens): CommandHandlers<Extract<CommandId, 'incidentRoom.toggleDeployLens'>> {
  return {
    'incidentRoom.toggleDeployLens': { run: async ({ args }) => {
      const enabled = args?.enabled ?? !lensSettings().enabled;
      await setLensEnabled(enabled);
      const why = !enabled ? '' : !gitAllowed() ? ' It shows nothing in Restricted Mode: it runs git, which only a trusted workspace may.'
        : lens.active ? '' : ' It shows while an incident is focused.';
      void vscode.window.showInformationMessage(`Incident Room: deploy lens ${enabled ? 'on' : 'off'}.${why}`);
      return enabled;
    } },
  };
}
