import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileChange } from '../git/deployDiff';
import { markIncidentWindow, type Deploy, type DeployList } from '../git/deployDiscovery';
import { deployTooltipMarkdown } from '../git/deployTooltip';
import type { GitRepositories } from '../git/gitRepositories';
import type { GitRepository } from '../git/gitRepository';
import type { GitRunner } from '../git/gitRunner';
import type { RepositoryLocation } from '../git/repository';
import { revisionUri } from './deployDiffProvider';
import type { IncidentService } from './incidentService';
import { onDidChangeSettings, readDeploySettings } from './settings';
import { gitAllowed, requireGit } from './workspaceTrust';

/** A repository section of the tree (shown only in multi-repository workspaces). */
export interface RepoNode { readonly type: 'repo'; readonly repo: RepositoryLocation; readonly list: DeployList }
/** One deploy. */
export interface DeployNode { readonly type: 'deploy'; readonly repo: RepositoryLocation; readonly deploy: Deploy; readonly mark: ReturnType<typeof markIncidentWindow>[number] }
/** One file a deploy changed. */
export interface FileNode { readonly type: 'file'; readonly repo: RepositoryLocation; readonly deploy: Deploy; readonly change: FileChange; readonly from: string; readonly to: string }
type Node = RepoNode | DeployNode | FileNode;

const relative = (iso: string, now = Date.now()): string => {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
};

const STATUS_LETTER: Record<FileChange['status'], string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typeChanged: 'T' };

/**
 * Recent Deploys: a native tree of each repository's deploys (newest first), marked against the focused
 * incident's detection time, refreshed when refs change. The git state (runners, queues, deploy lists, refs
 * watchers) belongs to the container's {@link GitRepositories}; the view keeps only which repositories the
 * workspace's folders are in.
 */
export class DeploysView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  static readonly viewId = 'incidentRoom.deploys';
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly disposables: vscode.Disposable[] = [this._onDidChangeTreeData];
  /** The workspace folders' repositories, looked up once per folder change (or trust grant). */
  private listed: Promise<GitRepository[]> | undefined;
  /** The repositories listed before the folders changed: those no folder is in any more are closed. */
  private previouslyListed: Promise<GitRepository[]> | undefined;
  /**
   * The listed repositories' change subscriptions: a repository's refs watcher runs while it is subscribed here,
   * so only the repositories this view lists are watched (not those the scribe finds).
   */
  private readonly watched = new Map<GitRepository, vscode.Disposable>();
  /** What the last listing warned about the settings (warned again only when it changes). */
  private warnedSettings = '';
  private detectedAt: string | undefined;
  treeView: vscode.TreeView<Node> | undefined;

  constructor(private readonly service: IncidentService, private readonly log: vscode.LogOutputChannel, private readonly git: GitRepositories) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh(true)),
      // Restricted Mode lists nothing (the view's welcome says why); once trusted, read the repositories.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh(true)),
      onDidChangeSettings((e) => {
        if (e.affectsConfiguration('incidentRoom.deploys')) this.refresh();
      }),
      service.onDidChange(() => {
        const s = service.focusedIncident;
        const detected = s ? s.detectedAt ?? s.declaredAt : undefined;
        if (detected !== this.detectedAt) {
          this.detectedAt = detected;
          this._onDidChangeTreeData.fire(undefined);
        }
      }),
    );
  }

  attach(treeView: vscode.TreeView<Node>): void {
    this.treeView = treeView;
    this.disposables.push(treeView);
  }

  /** A repository of the workspace (its git state); refuses in Restricted Mode (no git runs in an untrusted workspace). */
  repository(repo: RepositoryLocation): GitRepository {
    requireGit('Recent Deploys');
    return this.git.open(repo);
  }

  /** The git runner of a listed repository (its {@link GitRepository}'s, whose queue it shares); refuses in Restricted Mode. */
  runner(repo: RepositoryLocation): GitRunner {
    return this.repository(repo).runner;
  }

  /** Re-read deploys (and, when folders changed, the repositories). */
  refresh(rediscover = false): void {
    const listed = this.listed;
    if (rediscover) {
      this.previouslyListed ??= listed;
      this.listed = undefined;
      this.git.forgetLocations();
    }
    // An explicit refresh reads again even if no ref change was seen (a watcher can miss one).
    void listed?.then(
      (repos) => {
        for (const r of repos) r.invalidate();
      },
      // The lookup failed (no git, a repository git refuses): nothing was kept; the tree's read reports it.
      () => undefined,
    );
    this.warnedSettings = '';
    this._onDidChangeTreeData.fire(undefined);
  }

  /** Every deploy of every repository, newest first within each (loading them if needed). */
  async allDeploys(): Promise<{ repo: RepositoryLocation; deploy: Deploy }[]> {
    requireGit('Recent Deploys');
    const lists = await this.load();
    return lists.flatMap(({ repo, list }) => list.deploys.map((deploy) => ({ repo, deploy })));
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const lists = await this.load();
      if (lists.length === 0) return [];
      if (lists.length === 1 && lists[0]) return this.deployNodes(lists[0].repo, lists[0].list);
      return lists.map(({ repo, list }) => ({ type: 'repo', repo, list }));
    }
    if (node.type === 'repo') return this.deployNodes(node.repo, node.list);
    if (node.type === 'deploy') {
      const listing = await this.repository(node.repo).listDeployFiles(node.deploy);
      return listing.files.map((change) => ({ type: 'file', repo: node.repo, deploy: node.deploy, change, from: listing.from, to: listing.to }));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.type === 'repo') {
      const item = new vscode.TreeItem(path.basename(node.repo.root), vscode.TreeItemCollapsibleState.Expanded);
      item.description = node.list.deploys.length ? `${node.list.deploys.length} deploys` : node.list.emptyReason ?? 'no deploys';
      item.iconPath = new vscode.ThemeIcon('repo');
      item.tooltip = node.repo.root;
      return item;
    }
    if (node.type === 'deploy') {
      const d = node.deploy;
      const item = new vscode.TreeItem(d.label, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.repo.root}::${d.id}`;
      const count = d.commitCount === undefined ? '' : ` · ${d.commitCount} commit${d.commitCount === 1 ? '' : 's'}`;
      const mark = node.mark.lastBeforeDetection ? ' · ⚠ running at detection' : node.mark.afterDetection ? ' · after detection' : '';
      item.description = `${relative(d.time)} · ${(d.tagger ?? d.author).name}${count}${mark}`;
      const flagged = this.service.focusedIncident?.flaggedDeploys.some((f) => f.sha === d.sha);
      item.iconPath = new vscode.ThemeIcon(
        flagged ? 'warning' : node.mark.inWindow ? 'rocket' : 'tag',
        flagged ? new vscode.ThemeColor('problemsErrorIcon.foreground') : node.mark.inWindow ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined,
      );
      item.contextValue = d.previous ? 'deploy.rollbackable' : 'deploy';
      // Tag names and subjects are repository data: escaped, so a tooltip shows them and never links or loads them.
      item.tooltip = new vscode.MarkdownString(deployTooltipMarkdown(d, new Date(d.time).toLocaleString()));
      return item;
    }
    const c = node.change;
    const item = new vscode.TreeItem(path.posix.basename(c.path), vscode.TreeItemCollapsibleState.None);
    const dir = path.posix.dirname(c.path);
    const stat = c.binary ? 'binary' : `+${c.additions ?? 0} −${c.deletions ?? 0}`;
    item.description = `${STATUS_LETTER[c.status]} · ${stat}${dir !== '.' ? ` · ${dir}` : ''}${c.oldPath ? ` · from ${c.oldPath}` : ''}`;
    item.resourceUri = vscode.Uri.file(path.join(node.repo.root, c.path));
    item.iconPath = vscode.ThemeIcon.File;
    item.command = { command: 'incidentRoom.openFileDiff', title: 'Open Diff', arguments: [node] };
    return item;
  }

  /** The tooltip of a deploy lists its commits, read only when hovered. */
  async resolveTreeItem(item: vscode.TreeItem, node: Node): Promise<vscode.TreeItem> {
    if (node.type !== 'deploy') return item;
    try {
      const shipped = await this.repository(node.repo).listDeployCommits(node.deploy, { limit: 20 });
      item.tooltip = new vscode.MarkdownString(deployTooltipMarkdown(node.deploy, new Date(node.deploy.time).toLocaleString(), shipped));
    } catch (error) {
      this.log.warn(`deploy tooltip: ${String(error)}`);
    }
    return item;
  }

  /** Whether `root` is one of the repositories listed here (the diff documents serve only those). */
  async isListedRepository(root: string): Promise<boolean> {
    return (await this.listedRepository(root)) !== undefined;
  }

  /** The listed repository with this root; undefined for any other and in Restricted Mode. */
  async listedRepository(root: string): Promise<GitRepository | undefined> {
    if (!gitAllowed()) return undefined;
    const repos = await this.repositories().catch(() => []);
    return repos.find((r) => r.root === root);
  }

  /** A diff editor for one file of a deploy. */
  async openFileDiff(node: FileNode): Promise<void> {
    const [left, right] = this.sides(node.repo.root, node.change, node.from, node.to);
    const title = `${path.posix.basename(node.change.path)} (${node.deploy.previous?.label ?? 'empty'} ↔ ${node.deploy.label})`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
  }

  /** Every file of a deploy at once in the multi-file changes editor (VS Code ≥ 1.86, our floor is 1.90). */
  async openDeployDiff(repo: RepositoryLocation, deploy: Deploy): Promise<number> {
    const listing = await this.repository(repo).listDeployFiles(deploy);
    if (listing.files.length === 0) {
      void vscode.window.showInformationMessage(`Incident Room: ${deploy.label} changed no files since ${deploy.previous?.label ?? 'the start'}.`);
      return 0;
    }
    const resources = listing.files.map((c) => {
      const [left, right] = this.sides(repo.root, c, listing.from, listing.to);
      return [vscode.Uri.file(path.join(repo.root, c.path)), left, right] as const;
    });
    const title = `${deploy.label}: ${listing.files.length} file${listing.files.length === 1 ? '' : 's'} since ${deploy.previous?.label ?? 'the first commit'}`;
    await vscode.commands.executeCommand('vscode.changes', title, resources);
    return listing.files.length;
  }

  private sides(root: string, c: FileChange, from: string, to: string): [vscode.Uri, vscode.Uri] {
    const oldPath = c.oldPath ?? c.path;
    // An added file has no left side and a deleted one no right side: both read as empty documents.
    const left = revisionUri(root, from, c.status === 'added' ? c.path : oldPath);
    const right = revisionUri(root, to, c.path);
    return [left, right];
  }

  private deployNodes(repo: RepositoryLocation, list: DeployList): DeployNode[] {
    const marks = markIncidentWindow(list.deploys, this.detectedAt);
    return list.deploys.map((deploy, i) => ({ type: 'deploy', repo, deploy, mark: marks[i] ?? { inWindow: false, lastBeforeDetection: false, afterDetection: false } }));
  }

  /** The workspace's repositories, looked up once until the folders change (git is allowed: callers check). */
  private repositories(): Promise<GitRepository[]> {
    if (!this.listed) {
      const previous = this.previouslyListed;
      this.previouslyListed = undefined;
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const current = this.git.findAll(folders).then(({ repositories }) => repositories);
      this.listed = current;
      // A lookup that failed is tried again next time.
      current.then(
        (repos) => {
          if (this.listed === current) this.watch(repos);
          // Repositories no folder is in any more stop watching (reopened if the scribe cites one of their files).
          void previous?.then((old) => this.git.close(old.filter((r) => !repos.includes(r)).map((r) => r.root)), () => undefined);
        },
        () => {
          if (this.listed === current) this.listed = undefined;
        },
      );
    }
    return this.listed;
  }

  /**
   * Listen to the listed repositories (their refs watchers run) and to no others. A listed repository's refs
   * changed (it has dropped its deploy list already), or a change ended after its list was shown: show the new one.
   */
  private watch(repos: readonly GitRepository[]): void {
    for (const [repo, subscription] of [...this.watched]) {
      if (repos.includes(repo)) continue;
      subscription.dispose();
      this.watched.delete(repo);
    }
    for (const repo of repos) {
      if (!this.watched.has(repo)) this.watched.set(repo, repo.onDidChange(() => this._onDidChangeTreeData.fire(undefined)));
    }
  }

  /** Each repository's deploys (kept by the repository until a ref changes); [] with the tree's message on failure. */
  private async load(): Promise<{ repo: RepositoryLocation; list: DeployList }[]> {
    try {
      return await this.read();
    } catch (error) {
      this.log.error(`recent deploys: ${String(error)}`);
      if (this.treeView) this.treeView.message = `Could not read deploys: ${(error as Error).message}`;
      return [];
    }
  }

  private async read(): Promise<{ repo: RepositoryLocation; list: DeployList }[]> {
    if (!gitAllowed()) {
      // Nothing listed: the view's welcome (package.json viewsWelcome, when !isWorkspaceTrusted) says why, with a
      // Manage Workspace Trust link. Not even the repositories are looked up: that is git too.
      if (this.treeView) this.treeView.message = undefined;
      return [];
    }
    const repositories = await this.repositories();
    const settings = readDeploySettings();
    const warned = settings.problems.join('\n');
    if (warned !== this.warnedSettings) {
      this.warnedSettings = warned;
      for (const p of settings.problems) this.log.warn(`incidentRoom.deploys: ${p}`);
    }
    const lists = await Promise.all(repositories.map(async (repo) => ({ repo: repo.location, list: await repo.listDeploys(settings, { limit: settings.limit }) })));
    if (this.treeView) {
      const empty = lists.every((l) => l.list.deploys.length === 0);
      this.treeView.message = repositories.length === 0
        ? 'Open a folder inside a git repository to see its recent deploys.'
        : empty
          // The reason names what was looked for and the settings that change it, once each.
          ? lists[0]?.list.emptyReason ?? 'No deploys found.'
          : settings.problems.length ? `Settings: ${settings.problems.join(' ')}` : undefined;
    }
    return lists;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const subscription of this.watched.values()) subscription.dispose();
    this.watched.clear();
  }
}
