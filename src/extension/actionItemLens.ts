import * as path from 'node:path';
import * as vscode from 'vscode';
import { fallbackAnchor, locateBySnippet, shiftAnchor, textLines, type Anchor, type TextEdit } from '../core/actionAnchor';
import { actionLensTitle, actionLensTooltip } from '../core/actionLensText';
import type { ActionItem } from '../core/incidentState';
import { splitLines } from '../git/deployLens';
import type { GitRepositories } from '../git/gitRepositories';
import { pathInRepository } from '../git/repository';
import type { IncidentService } from './incidentService';
import { gitAllowed } from './workspaceTrust';

type Anchored = ActionItem & { readonly source: NonNullable<ActionItem['source']> };

/**
 * Open action items anchored to code (Add Action Item from Selection, #16), as a CodeLens where their code is:
 * "Follow-up INC-12: add a circuit breaker · owner Dana · due Mar 3" (click: edit it) and "Done" (marks it done for
 * everyone). Only the focused incident's open items; one marked done, here or by another responder, goes with the
 * next state the channel sends.
 *
 * Where the code is (src/core/actionAnchor.ts): found by its snippet when a document is first asked for (opened, or
 * reopened after a reload), then moved with every edit while the document stays open; deleting all of its lines
 * drops the lens until the document is opened again. Runs git only in a trusted workspace, and only to tell whether
 * a file whose snippet is gone is unchanged since the item's commit (and to find the file's repository path).
 */
export class ActionItemLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Document → action item id → its anchor in the document's text as it is now; `null`: its lines were deleted. */
  private readonly anchors = new Map<string, Map<string, Anchor | null>>();
  /** Document → the paths an item's `source.path` may name it by (repository-relative, workspace-relative). */
  private readonly paths = new Map<string, Promise<readonly string[]>>();
  private readonly disposables: vscode.Disposable[] = [];
  /** What the lenses show of the items, to tell a change worth redrawing from any other state change. */
  private shown = '';

  constructor(private readonly service: IncidentService, private readonly git: GitRepositories, private readonly log: vscode.LogOutputChannel) {
    this.shown = this.signature();
    this.disposables.push(
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      service.onDidChange(() => {
        const now = this.signature();
        if (now === this.shown) return;
        this.shown = now;
        this.changed.fire();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => this.follow(e)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // Opened again, it is located afresh by its snippet: the file on disk may have changed meanwhile.
        this.anchors.delete(d.uri.toString());
        this.paths.delete(d.uri.toString());
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.paths.clear();
        this.changed.fire();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.paths.clear();
        this.changed.fire();
      }),
    );
  }

  /** The focused incident's open items that carry a source. */
  private openItems(): Anchored[] {
    return (this.service.focusedIncident?.actions ?? []).filter((a): a is Anchored => !a.done && a.source !== undefined);
  }

  private signature(): string {
    const s = this.service.focusedIncident;
    return JSON.stringify([s?.id, this.openItems().map((a) => [a.id, a.title, a.owner?.name, a.due])]);
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    const incident = this.service.focusedIncident;
    const base = path.posix.basename(document.uri.path);
    // Most files hold no anchored item: compared by file name first, no lookup.
    const items = this.openItems().filter((a) => path.posix.basename(a.source.path) === base);
    if (!incident || items.length === 0) return [];
    const names = await this.pathsOf(document);
    const here = items.filter((a) => names.includes(a.source.path));
    if (here.length === 0 || token.isCancellationRequested) return [];
    const key = document.uri.toString();
    let known = this.anchors.get(key);
    if (!known) this.anchors.set(key, (known = new Map()));
    const today = localDate(new Date());
    const lenses: vscode.CodeLens[] = [];
    for (const item of here) {
      let anchor = known.get(item.id);
      if (anchor === undefined) {
        const located = await this.locate(document, item);
        // Another request may have placed it while git answered: the first answer stays (edits since moved it).
        if (!known.has(item.id)) known.set(item.id, located);
        anchor = known.get(item.id);
      }
      if (!anchor) continue;
      const range = new vscode.Range(anchor.start, 0, anchor.end, 0);
      const tooltip = actionLensTooltip(incident.id, item, anchor);
      lenses.push(
        new vscode.CodeLens(range, { title: `$(checklist) ${actionLensTitle(incident.id, item, anchor, today)}`, command: 'incidentRoom.editActionItem', arguments: [{ actionId: item.id }], tooltip }),
        new vscode.CodeLens(range, { title: 'Done', command: 'incidentRoom.completeActionItem', arguments: [{ actionId: item.id, done: true }], tooltip: `Mark "${item.title}" done for everyone on ${incident.id}` }),
      );
    }
    return lenses;
  }

  /** Where an item's code is in a document that had no anchor for it yet (see src/core/actionAnchor.ts). */
  private async locate(document: vscode.TextDocument, item: Anchored): Promise<Anchor> {
    const text = document.getText();
    const found = locateBySnippet(textLines(text), item.source);
    if (found) return found;
    let unchanged = false;
    const { commit } = item.source;
    if (commit && gitAllowed()) {
      try {
        const repo = await this.git.find(path.dirname(document.uri.fsPath));
        const atCommit = repo ? await repo.linesAtRevision(commit, item.source.path) : undefined;
        const now = splitLines(text);
        unchanged = atCommit !== undefined && atCommit.length === now.length && atCommit.every((l, i) => l === now[i]);
      } catch (error) {
        // A commit this clone does not have (not fetched yet): the lines cannot be vouched for.
        this.log.debug(`action item lens: ${item.source.path} at ${commit.slice(0, 7)}: ${(error as Error).message}`);
      }
    }
    return fallbackAnchor(document.lineCount, item.source, unchanged);
  }

  /** Move the document's anchors with its edits (applied bottom-up, each in the positions of the text before). */
  private follow(e: vscode.TextDocumentChangeEvent): void {
    const known = this.anchors.get(e.document.uri.toString());
    if (!known || known.size === 0 || e.contentChanges.length === 0) return;
    const edits: TextEdit[] = [...e.contentChanges]
      .sort((a, b) => b.range.start.compareTo(a.range.start))
      .map((c) => ({ start: c.range.start, end: c.range.end, text: c.text }));
    let moved = false;
    for (const [id, anchor] of known) {
      if (!anchor) continue;
      let next: Anchor | undefined = anchor;
      for (const edit of edits) {
        next = shiftAnchor(next, edit);
        if (!next) break;
      }
      if (next !== anchor) {
        known.set(id, next ?? null);
        moved = true;
      }
    }
    if (moved) this.changed.fire();
  }

  /** The paths an item may name this document by: in its repository (git, trusted workspace only), in its folder. */
  private pathsOf(document: vscode.TextDocument): Promise<readonly string[]> {
    const key = document.uri.toString();
    let names = this.paths.get(key);
    if (!names) {
      names = (async () => {
        const out: string[] = [];
        if (gitAllowed()) {
          const repo = await this.git.find(path.dirname(document.uri.fsPath)).catch(() => undefined);
          const relative = repo ? pathInRepository(repo.location, document.uri.fsPath) : undefined;
          if (relative) out.push(relative);
        }
        const folder = vscode.workspace.getWorkspaceFolder(document.uri);
        if (folder) out.push(path.relative(folder.uri.fsPath, document.uri.fsPath).split(path.sep).join('/'));
        return out;
      })();
      this.paths.set(key, names);
    }
    return names;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.changed.dispose();
  }
}

/** The reader's date, `YYYY-MM-DD` in their time zone (what "due today" and "overdue" mean to them). */
function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
