import * as fs from 'node:fs';

/** A value read from a repository's config, with whether it may be kept until the config files change. */
export interface ConfigReading<T> {
  value: T;
  /**
   * False when the value depends on files the fingerprint does not cover (the repository's config includes other
   * files): it is then read again on every use.
   */
  cacheable: boolean;
}

/**
 * One value derived from a repository's own config files (its filter drivers, its remote), kept while those files
 * are unchanged: each use costs a `stat` of each file instead of a git process. Git rewrites config by renaming a
 * lock file over it, so a change shows as a new inode, size or mtime. Concurrent first uses share one read.
 */
export class ConfigCache<T> {
  private entry: { fingerprint: string; value: T } | undefined;
  private inflight: { fingerprint: string; promise: Promise<ConfigReading<T>> } | undefined;

  /** `files`: the config files the value is read from (a missing one counts as a state of its own). */
  constructor(private readonly files: readonly string[]) {}

  async get(read: () => Promise<ConfigReading<T>>): Promise<T> {
    // Taken before reading: a change that lands while git reads makes the next use see another fingerprint.
    const fingerprint = this.fingerprint();
    if (this.entry?.fingerprint === fingerprint) return this.entry.value;
    let inflight = this.inflight;
    if (inflight?.fingerprint !== fingerprint) {
      const current = { fingerprint, promise: read() };
      inflight = current;
      this.inflight = current;
      void current.promise.then(
        (r) => {
          if (this.inflight === current) this.inflight = undefined;
          if (r.cacheable) this.entry = { fingerprint, value: r.value };
        },
        () => {
          if (this.inflight === current) this.inflight = undefined;
        },
      );
    }
    return (await inflight.promise).value;
  }

  /** Forget the value (read again on next use). */
  clear(): void {
    this.entry = undefined;
    this.inflight = undefined;
  }

  private fingerprint(): string {
    return this.files
      .map((f) => {
        try {
          const s = fs.statSync(f, { bigint: true });
          return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  }
}
