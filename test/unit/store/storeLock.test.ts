import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { StoreLockedError } from '../../../src/store/eventStore';
import { StoreLock } from '../../../src/store/storeLock';
import { removeTempDirs, sleep, tempDir } from '../server/helpers';

const lockFile = (pid: number, host = hostname()) => JSON.stringify({ pid, host, nonce: `n-${pid}`, startedAt: '2026-11-22T00:00:00.000Z' });

describe('store/storeLock', () => {
  after(removeTempDirs);

  it('takes over the lock of a process that is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const file = path.join(tempDir(), 'LOCK');
    writeFileSync(file, lockFile(Number(dead)));
    const lock = await StoreLock.acquire(file);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    await lock.release();
    assert.equal(existsSync(file), false);
  });

  it('refuses a lock held by a live process, or waits for it in wait mode', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const file = path.join(tempDir(), 'LOCK');
      writeFileSync(file, lockFile(child.pid!));
      const err = await StoreLock.acquire(file).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof StoreLockedError);
      assert.equal(err.holder?.pid, child.pid);
      const waiting = StoreLock.acquire(file, { mode: 'wait', waitMs: 5000 });
      await sleep(150);
      child.kill('SIGKILL');
      const lock = await waiting;
      await lock.release();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('treats a lock nobody has touched for staleMs as stale (another host, a reused pid)', async () => {
    const file = path.join(tempDir(), 'LOCK');
    writeFileSync(file, lockFile(process.pid, 'some-other-host'));
    await assert.rejects(StoreLock.acquire(file), StoreLockedError);
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    const lock = await StoreLock.acquire(file, { staleMs: 60_000 });
    await lock.release();
  });

  it('lets exactly one of several racers take over a stale lock', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const file = path.join(tempDir(), 'LOCK');
    writeFileSync(file, lockFile(Number(dead)));
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => StoreLock.acquire(file)));
    const won = results.filter((r): r is PromiseFulfilledResult<StoreLock> => r.status === 'fulfilled');
    assert.equal(won.length, 1, `${won.length} holders`);
    assert.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof StoreLockedError));
    await won[0]!.value.release();
  });
});
