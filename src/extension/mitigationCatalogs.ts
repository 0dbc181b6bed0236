import * as vscode from 'vscode';
import type { MitigationEntry } from '../git/mitigationCatalog';
import { commandsChunk } from './commandRunner';

const CATALOG_PATH = '.incident-room/mitigations.json';

/** One workspace folder's catalog: its entries, or why it could not be used. */
export interface LoadedCatalog {
  /** The folder's root (where the mitigation's argv runs). */
  readonly root: string;
  readonly uri: vscode.Uri;
  readonly entries: readonly MitigationEntry[];
  /** A file that is there but unusable: the entry and field named. */
  readonly problem?: string;
}

/**
 * The prepared mitigations of the workspace's folders (`.incident-room/mitigations.json` in each), read with the file
 * system only, so also in Restricted Mode (running one needs trust; reading runs nothing). Loaded on first use,
 * after the sidebar's first message loaded the schemas, and again whenever a catalog file changes.
 */
export class MitigationCatalogs implements vscode.Disposable {
  private loaded: LoadedCatalog[] | undefined;
  private loading: Promise<LoadedCatalog[]> | undefined;
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${CATALOG_PATH}`);
    const reload = () => this.invalidate();
    this.disposables.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload),
      vscode.workspace.onDidChangeWorkspaceFolders(reload));
  }

  /** What is loaded now (nothing before the first load, which this starts; onDidChange fires when it is in). */
  peek(): readonly LoadedCatalog[] {
    if (!this.loaded) void this.load();
    return this.loaded ?? [];
  }

  /** Every folder's catalog, read now if it was not yet. */
  load(): Promise<LoadedCatalog[]> {
    if (this.loaded) return Promise.resolve(this.loaded);
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading = this.read().then((catalogs) => {
      // A change while reading: this result is stale, the next load reads again.
      if (generation !== this.generation) return this.load();
      this.loaded = catalogs;
      this.loading = undefined;
      this.changed.fire();
      return catalogs;
    }, (error: unknown) => {
      this.log.error(`reading the mitigation catalogs failed: ${String(error)}`);
      this.loaded = [];
      this.loading = undefined;
      return [];
    });
    this.loading = loading;
    return loading;
  }

  private invalidate(): void {
    this.generation++;
    this.loaded = undefined;
    this.loading = undefined;
    void this.load();
  }

  private async read(): Promise<LoadedCatalog[]> {
    const { parseCatalog } = commandsChunk();
    const out: LoadedCatalog[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const uri = vscode.Uri.joinPath(folder.uri, CATALOG_PATH);
      let bytes: Uint8Array;
      try {
        bytes = await vscode.workspace.fs.readFile(uri);
      } catch {
        continue; // no catalog in this folder
      }
      const parsed = parseCatalog(new TextDecoder().decode(bytes));
      if (parsed.ok) out.push({ root: folder.uri.fsPath, uri, entries: parsed.catalog.mitigations });
      else {
        this.log.warn(`${uri.fsPath}: ${parsed.message}`);
        out.push({ root: folder.uri.fsPath, uri, entries: [], problem: parsed.message });
      }
    }
    return out;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
