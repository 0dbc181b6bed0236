import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StoreLockedError } from '../../../src/store/eventStore';
import { FileStore, type StoreLogLevel } from '../../../src/store/fileStore';
import { removeTempDirs, tempDir } from '../server/helpers';
import { records, statusRecord } from './fixtures';

type LogLine = { level: StoreLogLevel; event: string; fields: Record<string, unknown> };

async function open(dir: string, logs: LogLine[] = [], commits: number[] = []) {
  const store = new FileStore({ dir, log: (level, event, fields) => logs.push({ level, event, fields }), onCommit: (i) => commits.push(i.events) });
  const report = await store.open();
  return { store, report, logs, commits };
}

describe('store/fileStore', () => {
  after(removeTempDirs);

  it('appends, reads ranges, ids and summaries, per channel, and rebuilds all of it on reopen', async () => {
    const dir = tempDir();
    const { store } = await open(dir);
    const a1 = records('alpha', 'INC-1', 1, 300);
    const a2 = records('alpha', 'INC-2', 1, 3);
    const b1 = records('beta', 'INC-1', 1, 2);
    // Interleaved, as incidents of a busy channel are in the log.
    for (let i = 0; i < 300; i += 100) await Promise.all([store.append(a1.slice(i, i + 100)), store.append(a2.slice(i / 100, i / 100 + 1))]);
    await store.append(b1);
    await store.append([statusRecord('alpha', 'INC-2', 4, 'resolved')]);
    const check = async (s: FileStore) => {
      assert.deepEqual((await s.read('alpha', 'INC-1', 250, 10)).map((e) => e.seq), [251, 252, 253, 254, 255, 256, 257, 258, 259, 260]);
      const tail = await s.read('alpha', 'INC-1', 295, 100);
      assert.deepEqual(tail.map((e) => e.json), a1.slice(295).map((r) => r.json));
      assert.equal(tail[0]!.kind, 'note.added');
      assert.deepEqual((await s.read('beta', 'INC-1', 0, 10)).map((e) => e.json), b1.map((r) => r.json));
      assert.deepEqual(await s.read('gamma', 'INC-1', 0, 10), []);
      const ids = await s.readIds('alpha', 'INC-1');
      assert.equal(ids.size, 300);
      assert.equal(ids.get(a1[41]!.id), 42);
      const list = await s.listIncidents('alpha');
      assert.deepEqual(list.map((i) => [i.summary.id, i.summary.headSeq, i.summary.status]), [['INC-1', 300, 'investigating'], ['INC-2', 4, 'resolved']]);
      assert.equal(list[1]!.declareEventId, a2[0]!.id);
      assert.deepEqual(s.stats(), { channels: 2, incidents: 3, events: 306, failed: false });
    };
    await check(store);
    await store.close();
    const reopened = await open(dir);
    assert.equal(reopened.report.events, 306);
    assert.equal(reopened.report.truncatedBytes, 0);
    await check(reopened.store);
    await reopened.store.close();
  });

  it('group-commits: appends arriving while an fsync runs share the next one, in call order', async () => {
    const { store, commits } = await open(tempDir());
    const evs = records('c', 'INC-1', 1, 2000);
    const order: number[] = [];
    await Promise.all(evs.map((r) => store.append([r]).then(() => order.push(r.seq))));
    assert.deepEqual(order, evs.map((r) => r.seq), 'resolved in call order');
    assert.equal(commits.reduce((a, b) => a + b, 0), 2000);
    assert.ok(commits.length <= 20, `2000 appends took ${commits.length} fsyncs`);
    assert.deepEqual((await store.read('c', 'INC-1', 0, 5000)).map((e) => e.seq), evs.map((r) => r.seq));
    await store.close();
  });

  for (const cut of [1, 7, 30, 60, -1]) {
    it(`recovers from a torn last record (cut ${cut < 0 ? 'one byte short' : `${cut} bytes in`}): truncates it, says so, appends after it`, async () => {
      const dir = tempDir();
      const { store } = await open(dir);
      await store.append(records('c', 'INC-1', 1, 19));
      const before = statSync(path.join(dir, 'events.log')).size;
      const last = records('c', 'INC-1', 20, 20);
      await store.append(last);
      const after = statSync(path.join(dir, 'events.log')).size;
      await store.close();
      truncateSync(path.join(dir, 'events.log'), cut < 0 ? after - 1 : before + cut);
      const { store: s2, report, logs } = await open(dir);
      assert.equal(report.events, 19);
      assert.equal(report.truncatedBytes, cut < 0 ? after - 1 - before : cut);
      assert.ok(logs.some((l) => l.level === 'warn' && /truncated a torn last record/.test(l.event)), 'recovery is logged');
      assert.equal(statSync(path.join(dir, 'events.log')).size, before, 'the torn bytes are gone from the file');
      await s2.append(last);
      await s2.close();
      const { store: s3, report: r3 } = await open(dir);
      assert.equal(r3.truncatedBytes, 0);
      assert.deepEqual((await s3.read('c', 'INC-1', 0, 100)).map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      await s3.close();
    });
  }

  it('truncates trailing zeros (a crash after the file grew but before data landed)', async () => {
    const dir = tempDir();
    const { store } = await open(dir);
    await store.append(records('c', 'INC-1', 1, 5));
    await store.close();
    appendFileSync(path.join(dir, 'events.log'), Buffer.alloc(4096));
    const { store: s2, report } = await open(dir);
    assert.equal(report.events, 5);
    assert.equal(report.truncatedBytes, 4096);
    await s2.close();
  });

  it('skips a damaged record in the middle, reports it loudly, and keeps everything after it', async () => {
    const dir = tempDir();
    const { store } = await open(dir);
    const evs = records('c', 'INC-1', 1, 10);
    for (const r of evs) await store.append([r]);
    await store.close();
    const file = path.join(dir, 'events.log');
    const bytes = readFileSync(file);
    const fifth = bytes.indexOf(Buffer.from(evs[4]!.json));
    bytes[fifth + 10] = bytes[fifth + 10]! ^ 0xff;
    writeFileSync(file, bytes);
    const { store: s2, report, logs } = await open(dir);
    assert.equal(report.events, 9);
    assert.equal(report.skipped.length, 1);
    assert.equal(report.truncatedBytes, 0);
    assert.ok(logs.some((l) => l.level === 'error' && /damaged region/.test(l.event)));
    assert.ok(logs.some((l) => l.level === 'error' && /missing events/.test(l.event)));
    assert.deepEqual((await s2.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
    await s2.close();
  });

  it('refuses a file that is not an event log instead of repairing it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'events.log'), 'name,amount\nalice,3\n');
    await assert.rejects(new FileStore({ dir }).open(), { code: 'store_format' });
    assert.equal(readFileSync(path.join(dir, 'events.log'), 'utf8'), 'name,amount\nalice,3\n');
    // and the lock was released
    const again = new FileStore({ dir: tempDir() });
    await again.open();
    await again.close();
  });

  it('after a failed write, fails for good: pending and later appends reject, reads still work', async () => {
    const { store, logs } = await open(tempDir());
    await store.append(records('c', 'INC-1', 1, 3));
    // Pull the file out from under it, as a dying disk would.
    await (store as unknown as { fh: FileHandle }).fh.close();
    const pending = [store.append(records('c', 'INC-1', 4, 4)), store.append(records('c', 'INC-1', 5, 5))];
    for (const p of pending) await assert.rejects(p, { code: 'store_failed' });
    await assert.rejects(store.append(records('c', 'INC-1', 6, 6)), { code: 'store_failed' });
    assert.equal(store.stats().failed, true);
    assert.ok(logs.some((l) => l.level === 'error' && l.event === 'store failed'));
  });

  it('lets only one opener have a directory at a time', async () => {
    const dir = tempDir();
    const { store } = await open(dir);
    const second = new FileStore({ dir });
    const err = await second.open().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof StoreLockedError, String(err));
    assert.equal(err.code, 'store_locked');
    assert.equal(err.holder?.pid, process.pid);
    assert.match(err.message, /is in use by process \d+/);
    await store.close();
    const third = new FileStore({ dir });
    await third.open();
    await third.close();
  });
});
