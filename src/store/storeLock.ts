import { randomUUID } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { StoreLockedError } from './eventStore';

/**
 * An exclusive lock on a store directory, so two processes (two VS Code windows in local mode, or a server started
 * twice) never append to the same log.
 *
 * The lock is a file `LOCK` created with O_EXCL holding `{pid, host, nonce, startedAt}`; its holder touches it every
 * `heartbeatMs`. A lock is stale — and taken over — when its holder is a dead pid on this host, or when it has not
 * been touched for `staleMs` (a holder on another host, a reused pid, a crash on a network share).
 *
 * Taking over a stale lock: re-read it just before removing it (so only the lock judged stale is removed), create
 * ours with O_EXCL, then re-read after `settleMs`: of two processes racing for the same stale lock, the one that
 * does not find its own nonce there backs off.
 */
export interface LockOptions {
  /** `fail` (default): throw `StoreLockedError` at once; `wait`: retry until `waitMs`, then throw it. */
  readonly mode?: 'fail' | 'wait';
  readonly waitMs?: number;
  readonly heartbeatMs?: number;
  readonly staleMs?: number;
}

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
  readonly startedAt: string;
}

const SETTLE_MS = 30;
const POLL_MS = 100;

export class StoreLock {
  private heartbeat: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(readonly path: string, private readonly content: LockContent) {}

  /** Take the lock at `path` or throw `StoreLockedError`. */
  static async acquire(path: string, options: LockOptions = {}): Promise<StoreLock> {
    const heartbeatMs = options.heartbeatMs ?? 10_000;
    const staleMs = options.staleMs ?? 60_000;
    const deadline = Date.now() + (options.mode === 'wait' ? options.waitMs ?? 30_000 : 0);
    const mine: LockContent = { pid: process.pid, host: hostname(), nonce: randomUUID(), startedAt: new Date().toISOString() };
    for (;;) {
      const holder = await tryCreate(path, mine, staleMs);
      if (holder === null) {
        const lock = new StoreLock(path, mine);
        lock.heartbeat = setInterval(() => void lock.touch(), heartbeatMs);
        lock.heartbeat.unref();
        return lock;
      }
      if (Date.now() >= deadline) throw new StoreLockedError(path, holder === 'unknown' ? null : holder);
      await sleep(POLL_MS);
    }
  }

  /** Remove the lock, if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    const current = await readLock(this.path);
    if (current !== 'missing' && current !== 'unknown' && current.nonce === this.content.nonce) await fsp.rm(this.path, { force: true });
  }

  private async touch(): Promise<void> {
    const now = new Date();
    await fsp.utimes(this.path, now, now).catch(() => undefined);
  }
}

/** null when the lock is now ours; otherwise who holds it. */
async function tryCreate(path: string, mine: LockContent, staleMs: number, retries = 3): Promise<LockContent | 'unknown' | null> {
  try {
    await fsp.writeFile(path, JSON.stringify(mine), { flag: 'wx' });
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  // Released between our create and our read: try again, a few times. A path that exists for O_EXCL but reads as
  // missing (a dangling symlink) spun here forever, even in fail mode; now it is an unknown holder, which acquire's
  // own loop retries or refuses.
  const gone = () => (retries > 0 ? tryCreate(path, mine, staleMs, retries - 1) : 'unknown' as const);
  const holder = await readLock(path);
  if (holder === 'missing') return gone();
  if (!(await isStale(path, holder, staleMs))) return holder;
  // Remove exactly the stale lock we judged, then race for a fresh one.
  const again = await readLock(path);
  if (!sameLock(again, holder)) return again === 'missing' ? gone() : again;
  await fsp.rm(path, { force: true });
  try {
    await fsp.writeFile(path, JSON.stringify(mine), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readLockOrUnknown(path);
    throw e;
  }
  await sleep(SETTLE_MS);
  const settled = await readLock(path);
  if (settled !== 'missing' && settled !== 'unknown' && settled.nonce === mine.nonce) return null;
  return settled === 'missing' ? 'unknown' : settled;
}

async function isStale(path: string, holder: LockContent | 'unknown', staleMs: number): Promise<boolean> {
  const stat = await fsp.stat(path).catch(() => null);
  if (!stat) return false;
  if (Date.now() - stat.mtimeMs > staleMs) return true;
  // A half-written or foreign file that stays that way becomes stale through its mtime.
  if (holder === 'unknown') return false;
  return holder.host === hostname() && !pidAlive(holder.pid);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process stays signalable as a zombie until its parent reaps it; on Linux, ask /proc.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch (e) {
    return !(process.platform === 'linux' && (e as NodeJS.ErrnoException).code === 'ENOENT');
  }
}

async function readLock(path: string): Promise<LockContent | 'unknown' | 'missing'> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockContent>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.nonce === 'string' && typeof v.startedAt === 'string') {
      return { pid: v.pid, host: v.host, nonce: v.nonce, startedAt: v.startedAt };
    }
  } catch {
    // fall through: a lock being written right now, or not ours
  }
  return 'unknown';
}

async function readLockOrUnknown(path: string): Promise<LockContent | 'unknown'> {
  const v = await readLock(path);
  return v === 'missing' ? 'unknown' : v;
}

function sameLock(a: LockContent | 'unknown' | 'missing', b: LockContent | 'unknown'): boolean {
  if (a === 'missing') return false;
  if (a === 'unknown' || b === 'unknown') return a === b;
  return a.nonce === b.nonce;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
