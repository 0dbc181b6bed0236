import * as fs from 'node:fs';
import * as path from 'node:path';
import { refWatchPaths, type RepositoryLocation } from './repository';

export interface RefsWatcherOptions {
  /** Wait this long after the last change before calling back (default 300 ms): a fetch or a rebase writes many refs. */
  debounceMs?: number;
  /** Called when a watch cannot be set up or fails (the watcher keeps what it can). */
  onError?: (error: unknown) => void;
  /** Called at once on every change, before the debounce (to drop caches that must not outlive a ref). */
  onEvent?: () => void;
}

/**
 * Calls `onChange` (debounced) when the refs of a repository change: anything under `refs/`, `packed-refs`,
 * or `HEAD`. Plain `fs.watch`, so it works without VS Code; `dispose()` stops it.
 *
 * Files that git replaces by rename (`packed-refs`, `HEAD`) are watched through their directory, since a
 * watch on the file itself would follow the old inode. Lock files are ignored.
 */
export class RefsWatcher {
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    location: Pick<RepositoryLocation, 'gitDir' | 'commonDir'>,
    private readonly onChange: () => void,
    private readonly options: RefsWatcherOptions = {},
  ) {
    const { refsDir, files } = refWatchPaths(location);
    this.watch(refsDir, { recursive: true }, () => true);
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const dir = path.dirname(f);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)?.add(path.basename(f));
    }
    for (const [dir, names] of byDir) this.watch(dir, { recursive: false }, (name) => names.has(name));
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.splice(0)) w.close();
  }

  private watch(target: string, opts: { recursive: boolean }, accept: (name: string) => boolean): void {
    try {
      const w = fs.watch(target, { recursive: opts.recursive, persistent: false }, (_event, filename) => {
        const name = filename === null ? '' : filename.toString();
        if (name.endsWith('.lock')) return;
        if (name !== '' && !accept(path.basename(name))) return;
        this.schedule();
      });
      w.on('error', (e) => this.options.onError?.(e));
      this.watchers.push(w);
    } catch (e) {
      this.options.onError?.(e);
    }
  }

  private schedule(): void {
    if (this.disposed) return;
    this.options.onEvent?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.disposed) this.onChange();
    }, this.options.debounceMs ?? 300);
  }
}
