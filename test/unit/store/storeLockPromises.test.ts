import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { StoreLockedError } from '../../../src/store/eventStore';
import { StoreLock } from '../../../src/store/storeLock';

// What StoreLock promises the stores that use it: one owner per data directory across processes, a stale lock taken
// over only when its holder is really gone (or silent for staleMs), a clear error otherwise, bounded waiting, and a
// release that never removes someone else's lock. storeLock.test.ts has the basic takeover / refusal / racing cases.

const dirs: string[] = [];
const children: ChildProcess[] = [];
const fifos: string[] = [];

/** A LOCK path in a fresh directory of its own. */
function lockPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ir-lock-'));
  dirs.push(dir);
  return path.join(dir, 'LOCK');
}

/** A lock file's text as another process writes it. */
const record = (pid: number, host = hostname(), nonce = `nonce-${pid}-${host}`) => JSON.stringify({ pid, host, nonce, startedAt: new Date().toISOString() });

/** The pid of a process that has run, exited and been reaped. */
const goneProcessPid = () => spawnSync('true').pid;

/** The pid of a process that stays alive for the test. */
function liveProcessPid(): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** Sets the lock file's mtime `ms` into the past, as if nobody had touched it since. */
function untouchedFor(file: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(file, then, then);
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The StoreLockedError an acquire must end in (a lock it wrongly got is released again). One that hangs runs into the test's timeout. */
async function refusal(acquiring: Promise<StoreLock>): Promise<StoreLockedError> {
  const outcome = await acquiring.then(
    async (lock) => {
      await lock.release();
      return 'the lock' as const;
    },
    (e: unknown) => e,
  );
  assert.ok(outcome instanceof StoreLockedError, `expected StoreLockedError, got ${String(outcome)}`);
  return outcome;
}

/** The error an acquire must end in, when it is not a StoreLockedError. */
async function failure(acquiring: Promise<StoreLock>): Promise<NodeJS.ErrnoException> {
  const outcome = await acquiring.then(
    async (lock) => {
      await lock.release();
      return 'the lock' as const;
    },
    (e: unknown) => e,
  );
  assert.ok(outcome instanceof Error && !(outcome instanceof StoreLockedError), `expected a filesystem error, got ${String(outcome)}`);
  return outcome as NodeJS.ErrnoException;
}

// A FIFO at the lock path makes the lock's reader wait until the test answers it: the test then changes what is at
// the path, as another process would, at an exact point between that read and the reader's next step.
function fifoAt(file: string): void {
  const made = spawnSync('mkfifo', [file]);
  assert.equal(made.status, 0, String(made.stderr));
  fifos.push(file);
}

/** Waits for the next reader of the FIFO at `file`, hands it `text`, and runs `meanwhile` before it sees the end. */
async function answerRead(file: string, text: string, meanwhile: () => void): Promise<void> {
  const writer = await open(file, 'w');
  try {
    await writer.write(text);
    meanwhile();
  } finally {
    await writer.close();
  }
}

/** Another process that judged the same lock stale: it removes whatever is there and creates its own. */
function anotherProcessTakesOver(file: string, text: string): void {
  rmSync(file, { force: true });
  writeFileSync(file, text, { flag: 'wx' });
}

describe('store/storeLock: what the lock promises its users', () => {
  before(function () {
    // FIFOs, /proc, sh, sleep: POSIX. The lock itself is portable; these tests of it are not.
    if (process.platform === 'win32') this.skip();
  });

  afterEach(() => {
    // A broken lock may leave a reader or writer blocked on a FIFO: opening it read-write (never blocks) releases it.
    for (const fifo of fifos.splice(0)) {
      try {
        if (lstatSync(fifo).isFIFO()) closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
      } catch {
        // gone already
      }
    }
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  describe('when a lock counts as stale', () => {
    it('a lock from another host is respected until it has gone untouched for staleMs (one minute by default)', async () => {
      const file = lockPath();
      writeFileSync(file, record(4242, 'build-agent-7'));
      untouchedFor(file, 30_000);
      await refusal(StoreLock.acquire(file));
      await refusal(StoreLock.acquire(file, { staleMs: 45_000 }));
      const early = await StoreLock.acquire(file, { staleMs: 20_000 });
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      await early.release();

      writeFileSync(file, record(4242, 'build-agent-7'));
      untouchedFor(file, 120_000);
      const byDefault = await StoreLock.acquire(file);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      await byDefault.release();
    });

    it('a live holder keeps its lock fresh, so nobody takes it over as stale', async () => {
      const file = lockPath();
      const lock = await StoreLock.acquire(file, { heartbeatMs: 25 });
      try {
        untouchedFor(file, 3_600_000);
        await until('the holder to touch its lock', () => Date.now() - statSync(file).mtimeMs < 10_000);
        const err = await refusal(StoreLock.acquire(file, { staleMs: 10_000 }));
        assert.equal(err.holder?.pid, process.pid);
      } finally {
        await lock.release();
      }
    });

    it('a lock naming a pid no process can have (0, negative) on this host is taken over as gone', async () => {
      for (const pid of [0, -1]) {
        const file = lockPath();
        writeFileSync(file, record(pid));
        const lock = await StoreLock.acquire(file);
        assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid, `pid ${pid}`);
        await lock.release();
      }
    });

    it('a holder that has exited but is not yet reaped (a zombie) counts as gone', async function () {
      if (process.platform !== 'linux') this.skip();
      // The shell starts `cat` on its stdin and then becomes `sleep 30`, which never reaps it; once that exec is
      // done, ending stdin makes `cat` exit and stay a zombie.
      const parent = spawn('sh', ['-c', 'exec 3<&0; cat <&3 >/dev/null & echo $!; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
      children.push(parent);
      const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      await until('the shell to become `sleep`', () => readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() === 'sleep');
      parent.stdin!.end();
      const state = () => {
        const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      };
      await until(`pid ${zombie} to become a zombie`, () => state() === 'Z');
      const file = lockPath();
      writeFileSync(file, record(zombie));
      const lock = await StoreLock.acquire(file);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      await lock.release();
    });

    it("a live process of another user (one this process may not signal) still counts as alive", async function () {
      const file = lockPath();
      if (process.getuid?.() === 0) {
        // Root may signal anything; look at the lock as an ordinary user (euid nobody), the holder a third user.
        const holder = spawn('sleep', ['60'], { uid: 4321, gid: 4321, stdio: 'ignore' });
        children.push(holder);
        await until('the holder to run as its own user', () => holder.pid !== undefined && readFileSync(`/proc/${holder.pid}/comm`, 'utf8').trim() === 'sleep');
        chmodSync(path.dirname(file), 0o777);
        writeFileSync(file, record(holder.pid!));
        let err: StoreLockedError;
        try {
          process.seteuid!(65534);
        } catch {
          this.skip();
        }
        try {
          err = await refusal(StoreLock.acquire(file));
        } finally {
          process.seteuid!(0);
        }
        assert.equal(err.holder?.pid, holder.pid);
      } else {
        const eperm = (() => {
          try {
            process.kill(1, 0);
            return false;
          } catch (e) {
            return (e as NodeJS.ErrnoException).code === 'EPERM';
          }
        })();
        if (!eperm) this.skip();
        writeFileSync(file, record(1));
        const err = await refusal(StoreLock.acquire(file));
        assert.equal(err.holder?.pid, 1);
      }
    });
  });

  describe('a lock file that is not a complete lock record', () => {
    const gone = goneProcessPid();
    const full = { pid: gone, host: hostname(), nonce: 'nonce-of-a-gone-process', startedAt: '2026-11-22T08:00:00.000Z' };
    const without = (field: keyof typeof full) => JSON.stringify({ ...full, [field]: undefined });
    const cases: [string, string][] = [
      ['half-written', JSON.stringify(full).slice(0, 20)],
      ['without a pid', without('pid')],
      ['with the pid as text', JSON.stringify({ ...full, pid: String(gone) })],
      ['without a host', without('host')],
      ['without a nonce', without('nonce')],
      ['without startedAt', without('startedAt')],
    ];

    it('is respected while fresh, and reported as held by an unknown process, whatever part is missing', async () => {
      for (const [name, text] of cases) {
        const file = lockPath();
        writeFileSync(file, text);
        const err = await refusal(StoreLock.acquire(file));
        assert.equal(err.holder, null, name);
        assert.match(err.message, /in use by another process$/, name);
        assert.equal(readFileSync(file, 'utf8'), text, `${name}: the file is left as it was`);
      }
    });

    it('is taken over once untouched for staleMs (an empty one is what a crash right after creating it leaves)', async () => {
      for (const [name, text] of [['empty', ''] as [string, string], ...cases]) {
        const file = lockPath();
        writeFileSync(file, text);
        untouchedFor(file, 120_000);
        const lock = await StoreLock.acquire(file);
        assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid, name);
        await lock.release();
      }
    });
  });

  describe('fail and wait', () => {
    it('in fail mode a held lock is refused on the first look, with no retry even if no clock time passes', async () => {
      const file = lockPath();
      const holder = liveProcessPid();
      writeFileSync(file, record(holder));
      const realNow = Date.now;
      const frozen = realNow();
      Date.now = () => frozen;
      try {
        const err = await refusal(StoreLock.acquire(file));
        assert.equal(err.holder?.pid, holder);
      } finally {
        Date.now = realNow;
      }
    });

    it('in wait mode a lock that stays held is refused once waitMs has passed, naming its holder', async () => {
      const file = lockPath();
      const holder = liveProcessPid();
      const held = record(holder);
      writeFileSync(file, held);
      const started = Date.now();
      const err = await refusal(StoreLock.acquire(file, { mode: 'wait', waitMs: 300 }));
      assert.ok(Date.now() - started >= 300, `refused after ${Date.now() - started} ms`);
      assert.equal(err.holder?.pid, holder);
      assert.equal(readFileSync(file, 'utf8'), held);
    });
  });

  describe('errors that are not about the lock', () => {
    it('a store directory that does not exist is reported as such, not as locked, and not waited on', async () => {
      const missing = path.join(path.dirname(lockPath()), 'no-such-dir', 'LOCK');
      assert.equal((await failure(StoreLock.acquire(missing, { mode: 'wait', waitMs: 1000 }))).code, 'ENOENT');
      const file = lockPath();
      writeFileSync(file, '');
      assert.equal((await failure(StoreLock.acquire(path.join(file, 'LOCK')))).code, 'ENOTDIR');
    });

    it('a lock path that cannot be read as a file (a directory) is reported as the filesystem error it is', async () => {
      const file = lockPath();
      mkdirSync(file);
      assert.equal((await failure(StoreLock.acquire(file))).code, 'EISDIR');
    });

    // A dangling symlink exists for O_EXCL but reads as missing: acquire retried the create forever (even in fail
    // mode, at full CPU). tryCreate now retries a few times, then reports an unknown holder.
    it('a lock path that is a dangling symlink ends in an error instead of spinning forever', async () => {
      const file = lockPath();
      symlinkSync(path.join(path.dirname(file), 'nowhere'), file);
      await refusal(StoreLock.acquire(file));
    });
  });

  describe('release', () => {
    it("a holder whose lock was taken over as stale does not remove its successor's lock when it releases", async () => {
      const file = lockPath();
      // Its heartbeat will not run during the test: a holder suspended for longer than the successor's staleMs.
      const suspended = await StoreLock.acquire(file, { heartbeatMs: 60_000 });
      untouchedFor(file, 120_000);
      const successor = await StoreLock.acquire(file, { staleMs: 60_000 });
      const successorsLock = readFileSync(file, 'utf8');
      await suspended.release();
      assert.equal(readFileSync(file, 'utf8'), successorsLock);
      await successor.release();
      assert.equal(existsSync(file), false);
    });

    it('releasing a lock whose file is already gone (removed by hand, or with its directory) succeeds', async () => {
      const file = lockPath();
      const lock = await StoreLock.acquire(file);
      rmSync(path.dirname(file), { recursive: true, force: true });
      await lock.release();
      assert.equal(existsSync(file), false);
    });
  });

  describe('a lock that changes while it is being looked at', () => {
    it('a stale lock that another process takes over while this one is judging it is left to that process', async () => {
      const file = lockPath();
      fifoAt(file);
      const acquiring = StoreLock.acquire(file);
      const winner = record(liveProcessPid());
      await answerRead(file, record(goneProcessPid()), () => anotherProcessTakesOver(file, winner));
      const err = await refusal(acquiring);
      assert.equal(err.holder?.pid, JSON.parse(winner).pid);
      assert.equal(readFileSync(file, 'utf8'), winner);
    });

    it('a stale lock replaced by one still being written while this one is judging it is left alone', async () => {
      const file = lockPath();
      fifoAt(file);
      const acquiring = StoreLock.acquire(file);
      await answerRead(file, record(goneProcessPid()), () => anotherProcessTakesOver(file, ''));
      const err = await refusal(acquiring);
      assert.equal(err.holder, null);
      assert.equal(readFileSync(file, 'utf8'), '');
    });

    it('a waiting acquirer gets a lock that is released while it is looking at it', async () => {
      const file = lockPath();
      fifoAt(file);
      const acquiring = StoreLock.acquire(file, { mode: 'wait', waitMs: 5000 });
      await answerRead(file, record(liveProcessPid()), () => unlinkSync(file));
      const lock = await acquiring;
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      await lock.release();
    });

    it('a stale lock that vanishes just as it is being removed does not make the takeover fail', async () => {
      const file = lockPath();
      fifoAt(file);
      const next = `${file}.next`;
      fifoAt(next);
      const acquiring = StoreLock.acquire(file);
      const stale = record(goneProcessPid());
      // First read: judged stale. Its re-read (to remove only what was judged) reads the same, then the file is gone.
      await answerRead(file, stale, () => renameSync(next, file));
      await answerRead(file, stale, () => unlinkSync(file));
      const lock = await acquiring;
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      await lock.release();
    });

    it('releasing succeeds when the lock file vanishes at the same moment', async () => {
      const file = lockPath();
      const lock = await StoreLock.acquire(file);
      const mine = readFileSync(file, 'utf8');
      unlinkSync(file);
      fifoAt(file);
      const releasing = lock.release();
      await answerRead(file, mine, () => unlinkSync(file));
      await releasing;
      assert.equal(existsSync(file), false);
    });

    describe('two processes racing for the same stale lock', () => {
      /** Runs `act` the moment a lock file other than `stale` appears at `file` (the acquirer's own, just created). */
      function whenReplaced(file: string, stale: string, act: () => void): () => void {
        let done = false;
        const watcher = watch(path.dirname(file), () => {
          if (done) return;
          let text: string;
          try {
            text = readFileSync(file, 'utf8');
          } catch {
            return;
          }
          if (text === stale) return;
          done = true;
          watcher.close();
          act();
        });
        return () => watcher.close();
      }

      it('the one whose fresh lock the other replaces backs off and names the other as the holder', async () => {
        const file = lockPath();
        const stale = record(goneProcessPid());
        writeFileSync(file, stale);
        const other = record(liveProcessPid());
        const stop = whenReplaced(file, stale, () => anotherProcessTakesOver(file, other));
        try {
          const err = await refusal(StoreLock.acquire(file));
          assert.equal(err.holder?.pid, JSON.parse(other).pid);
          assert.equal(readFileSync(file, 'utf8'), other);
        } finally {
          stop();
        }
      });

      it('the one whose fresh lock the other removes backs off without claiming the lock or naming a holder', async () => {
        const file = lockPath();
        const stale = record(goneProcessPid());
        writeFileSync(file, stale);
        const stop = whenReplaced(file, stale, () => rmSync(file));
        try {
          const err = await refusal(StoreLock.acquire(file));
          assert.equal(err.holder, null);
          assert.equal(existsSync(file), false);
        } finally {
          stop();
        }
      });
    });
  });
});
