// "Ack means durable", checked where it is decided: at the file. The crash test kills the server with SIGKILL,
// which never loses the page cache, and the server's ack test reads the store back after the ack: neither can tell
// a store that acks what is only in the page cache. Here the real FileStore runs on the real file system with its
// file handles watched: each append may resolve only once every byte written to the log so far is on stable
// storage: written through a descriptor opened with O_DSYNC (the write returns once the data is stored), or
// followed by an fsync/fdatasync that completed.
import assert from 'node:assert/strict';
import { constants as fsConstants, promises as fsp, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FileStore } from '../../../src/store/fileStore';
import { removeTempDirs, tempDir } from '../server/helpers';
import { records } from './fixtures';

/** What reached the log file, as its handles report it. */
class DiskWatch {
  /** Bytes of the log written by calls that have returned. */
  written = 0;
  /** Of those, how many are known to be on stable storage. */
  durable = 0;
  private readonly realOpen = fsp.open;

  constructor(private readonly logPath: string) {}

  install(): void {
    const realOpen = this.realOpen;
    fsp.open = (async (file: Parameters<typeof fsp.open>[0], flags?: string | number, mode?: number): Promise<FileHandle> => {
      const fh = await realOpen(file, flags, mode);
      if (path.resolve(String(file)) === this.logPath) this.watch(fh, typeof flags === 'number' && (flags & (fsConstants.O_DSYNC ?? 0)) !== 0);
      return fh;
    }) as typeof fsp.open;
  }

  uninstall(): void {
    fsp.open = this.realOpen;
  }

  private watch(fh: FileHandle, dsync: boolean): void {
    const write = fh.write.bind(fh) as (...args: unknown[]) => Promise<{ bytesWritten: number }>;
    (fh as { write: unknown }).write = async (...args: unknown[]) => {
      const result = await write(...args);
      this.written += result.bytesWritten;
      // O_DSYNC: write(2) returned only once the data (and what is needed to read it back) was on stable storage.
      if (dsync) this.durable = this.written;
      return result;
    };
    for (const name of ['sync', 'datasync'] as const) {
      const real = fh[name].bind(fh);
      fh[name] = async () => {
        const before = this.written; // what a flush that starts now covers
        await real();
        this.durable = Math.max(this.durable, before);
      };
    }
  }
}

describe('store/fileStore: ack means on stable storage', () => {
  let watch: DiskWatch | undefined;
  afterEach(() => watch?.uninstall());
  after(removeTempDirs);

  it('resolves an append only after the bytes that hold it were durably written', async () => {
    const dir = tempDir();
    const logPath = path.resolve(dir, 'events.log');
    watch = new DiskWatch(logPath);
    watch.install();
    const store = new FileStore({ dir });
    await store.open();
    assert.ok(statSync(logPath).size > 0, 'the log is on disk');
    const w = watch;
    const acks: { seq: number; sizeAtCall: number; sizeAtAck: number; written: number; durable: number }[] = [];
    // One append at a time, then a burst that group-commits, as the server sees them.
    const evs = records('c', 'INC-1', 1, 60);
    for (const r of evs.slice(0, 5)) {
      const sizeAtCall = statSync(logPath).size;
      await store.append([r]);
      acks.push({ seq: r.seq, sizeAtCall, sizeAtAck: statSync(logPath).size, written: w.written, durable: w.durable });
    }
    const sizeBeforeBurst = statSync(logPath).size;
    await Promise.all(evs.slice(5).map((r) => store.append([r]).then(() => {
      acks.push({ seq: r.seq, sizeAtCall: sizeBeforeBurst, sizeAtAck: statSync(logPath).size, written: w.written, durable: w.durable });
    })));
    await store.close();
    assert.equal(acks.length, 60);
    for (const a of acks) {
      assert.ok(a.sizeAtAck > a.sizeAtCall, `seq ${a.seq}: acked before its record was written (log ${a.sizeAtCall} → ${a.sizeAtAck} bytes)`);
      assert.ok(a.written > 0 && a.durable === a.written, `seq ${a.seq}: acked with ${a.written - a.durable} of ${a.written} written bytes not yet on stable storage`);
    }
  });
});
