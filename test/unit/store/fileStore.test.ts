import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StoreLockedError } from '../../../src/store/eventStore';
import { FileStore, type StoreLogLevel } from '../../../src/store/fileStore';
import { removeTempDirs, tempDir } from '../server/helpers';
import { records, signal } from './fixtures';
import { storeContract } from './storeContract';
import { decodeAt, encodeBatch, SIGNAL_RECORD, UnknownKindError } from '../../../src/store/recordCodec';
import type { AppendRecord } from '../../../src/store/eventStore';

type LogLine = { level: StoreLogLevel; event: string; fields: Record<string, unknown> };

async function open(dir: string, logs: LogLine[] = [], commits: number[] = []) {
  const store = new FileStore({ dir, log: (level, event, fields) => logs.push({ level, event, fields }), onCommit: (i) => commits.push(i.events) });
  const report = await store.open();
  return { store, report, logs, commits };
}

/** Byte offset where a record starts in the log: its JSON follows the 48-byte header and the channel name. */
function recordStart(bytes: Buffer, r: AppendRecord): number {
  const at = bytes.indexOf(Buffer.from(r.json));
  assert.ok(at > 0, 'record found in the log');
  return at - 48 - r.channel.length;
}

/** Flip one byte of the log at `offset` (relative to `r`'s first byte when `r` is given), as bit rot would. */
function flipByte(dir: string, r: AppendRecord, offsetInRecord: number): void {
  const file = path.join(dir, 'events.log');
  const bytes = readFileSync(file);
  const at = recordStart(bytes, r) + offsetInRecord;
  bytes[at] = bytes[at]! ^ 0x20;
  writeFileSync(file, bytes);
}

const quarantinePath = (dir: string) => path.join(dir, 'events.log.quarantine');

describe('store/fileStore', () => {
  after(removeTempDirs);

  describe('the EventStore contract', () => {
    storeContract(() => ({
      fresh: async () => tempDir(),
      open: async (dir, logs = [], commits = []) => open(dir, logs as LogLine[], commits),
      stats: async (store) => store.stats(),
    }));
  });

  it('refuses an event kind it has no record code for, never writes it, and then fails as the contract says', async () => {
    const dir = tempDir();
    const { store } = await open(dir);
    const [declared, note] = records('c', 'INC-1', 1, 2);
    assert.ok(declared && note);
    await store.append([declared]);
    const unknown = { ...note, kind: 'incident.archived' } as unknown as AppendRecord;
    await assert.rejects(store.append([unknown]), (e: unknown) => e instanceof UnknownKindError && e.kind === 'incident.archived');
    // After a rejected append every later one is rejected too: the room has sequenced past it (no gap, no seq reuse).
    await assert.rejects(store.append([note]), /store_failed|could not be encoded/);
    assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => [e.seq, e.kind]), [[1, 'incident.declared']]);
    await store.close();
    const reopened = await open(dir);
    assert.deepEqual((await reopened.store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1], 'nothing of the refused append was written');
    await reopened.store.close();
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
      assert.equal(s2.health().state, 'ok', 'a torn tail was never acked: not damage');
      assert.equal(s2.health().truncatedBytes, report.truncatedBytes);
      assert.equal(existsSync(quarantinePath(dir)), false);
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
    const length = 48 + 1 + Buffer.byteLength(evs[4]!.json);
    assert.deepEqual(s2.health(), {
      state: 'degraded', damagedRecords: 1, quarantinedBytes: length, quarantineFile: quarantinePath(dir),
      lostEvents: 1, incidentsWithLostEvents: 1, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
    });
    const damaged = bytes.subarray(recordStart(bytes, evs[3]!) + 48 + 1 + Buffer.byteLength(evs[3]!.json)).subarray(0, length);
    assert.ok(readFileSync(quarantinePath(dir)).includes(damaged), 'the damaged record is copied aside, byte for byte');
    assert.ok(readFileSync(file).includes(damaged), 'and still in the log: nothing is deleted');
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

  describe('signals in the log (issue #11)', () => {
    const logFile = (dir: string) => path.join(dir, 'events.log');

    it('writes a signal as a record a build from before signals passes over: incident 0, seq 0, its own kind code', async () => {
      const dir = tempDir();
      const { store } = await open(dir);
      await store.append(records('c', 'INC-1', 1, 1));
      const sig = signal('a1b2c3d4e5f60718');
      await store.putSignals('c', [sig]);
      await store.close();
      const bytes = readFileSync(logFile(dir));
      const at = bytes.indexOf(Buffer.from(JSON.stringify(sig))) - 48 - 1;
      const decoded = decodeAt(bytes, at, bytes.length - at);
      assert.ok(decoded.ok);
      assert.deepEqual([decoded.header.kindCode, decoded.header.incidentNumber, decoded.header.seq, decoded.header.channel], [SIGNAL_RECORD.code, 0, 0, 'c']);
      const { store: s2, report } = await open(dir);
      assert.deepEqual([report.events, report.incidents, await s2.highestIncidentNumber('c')], [1, 1, 1], 'a signal record makes no incident');
      await s2.close();
    });

    for (const cut of [10, 100, -1]) {
      it(`recovers from a torn last signal record (cut ${cut < 0 ? 'one byte short' : `${cut} bytes in`}): the version before it stands, nothing counts as damage`, async () => {
        const dir = tempDir();
        const { store } = await open(dir);
        const fp = '00ff00ff00ff00ff';
        await store.append(records('c', 'INC-1', 1, 2));
        await store.putSignals('c', [signal(fp), signal('1111222233334444')]);
        const before = statSync(logFile(dir)).size;
        await store.putSignals('c', [signal(fp, { status: 'resolved', endsAt: '2026-11-22T15:00:00.000Z', incidentId: 'INC-1' })]);
        const after = statSync(logFile(dir)).size;
        await store.close();
        truncateSync(logFile(dir), cut < 0 ? after - 1 : before + cut);
        const { store: s2, report, logs } = await open(dir);
        assert.equal(report.truncatedBytes, cut < 0 ? after - 1 - before : cut);
        assert.ok(logs.some((l) => l.level === 'warn' && /truncated a torn last record/.test(l.event)));
        assert.deepEqual((await s2.listSignals('c', [fp])).map((x) => [x.status, x.incidentId]), [['firing', null]], 'the torn resolution was never acked');
        assert.equal((await s2.listSignals('c')).length, 2);
        assert.equal(s2.health().state, 'ok');
        assert.deepEqual((await s2.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2]);
        await s2.putSignals('c', [signal(fp, { status: 'resolved', endsAt: '2026-11-22T15:00:00.000Z' })]);
        await s2.close();
        const { store: s3, report: r3 } = await open(dir);
        assert.equal(r3.truncatedBytes, 0);
        assert.deepEqual((await s3.listSignals('c', [fp])).map((x) => x.status), ['resolved']);
        await s3.close();
      });
    }

    it('skips a damaged signal record like any damaged record: the others stand, no incident number is taken by it', async () => {
      const dir = tempDir();
      const { store } = await open(dir);
      const first = signal('aaaaaaaaaaaaaaaa');
      await store.putSignals('c', [first]);
      await store.putSignals('c', [signal('bbbbbbbbbbbbbbbb')]);
      await store.close();
      const bytes = readFileSync(logFile(dir));
      const at = bytes.indexOf(Buffer.from(JSON.stringify(first))) + 20;
      bytes[at] = bytes[at]! ^ 0x20;
      writeFileSync(logFile(dir), bytes);
      const { store: s2, report } = await open(dir);
      assert.equal(report.skipped.length, 1);
      assert.deepEqual((await s2.listSignals('c')).map((x) => x.fingerprint), ['bbbbbbbbbbbbbbbb']);
      assert.equal(await s2.highestIncidentNumber('c'), 0);
      assert.deepEqual([s2.health().state, s2.health().damagedRecords, s2.health().lostEvents], ['degraded', 1, 0]);
      await s2.close();
    });

    it('refuses a put after a failed write, as it refuses appends', async () => {
      const { store } = await open(tempDir());
      await store.putSignals('c', [signal('aaaaaaaaaaaaaaaa')]);
      await (store as unknown as { fh: FileHandle }).fh.close();
      await assert.rejects(store.putSignals('c', [signal('bbbbbbbbbbbbbbbb')]), { code: 'store_failed' });
      await assert.rejects(store.append(records('c', 'INC-1', 1, 1)), { code: 'store_failed' });
      assert.deepEqual((await store.listSignals('c')).map((x) => x.fingerprint), ['aaaaaaaaaaaaaaaa']);
    });
  });

  describe('damage to acked records (issue #10)', () => {
    const logFile = (dir: string) => path.join(dir, 'events.log');
    const encodedLength = (r: AppendRecord) => 48 + r.channel.length + Buffer.byteLength(r.json);

    /** 20 events of INC-1 in the log, one append each, store closed. */
    async function twentyEvents(dir: string): Promise<AppendRecord[]> {
      const { store } = await open(dir);
      const evs = records('c', 'INC-1', 1, 20);
      for (const r of evs) await store.append([r]);
      await store.close();
      return evs;
    }

    for (const [what, offset] of [['in its event JSON', 60], ['in its checksum', 9], ['in its record marker', 0], ['in its length (now past the end of the file)', 6]] as const) {
      it(`keeps a complete last record damaged ${what}: copies it aside, truncates nothing, never reuses its seq`, async () => {
        const dir = tempDir();
        const evs = await twentyEvents(dir);
        const last = evs[19]!;
        flipByte(dir, last, offset);
        const bytes = readFileSync(logFile(dir));
        const damaged = bytes.subarray(bytes.length - encodedLength(last));
        const { store, report, logs } = await open(dir);
        assert.equal(report.truncatedBytes, 0, 'a complete record was acked once: it is not a torn tail');
        assert.equal(statSync(logFile(dir)).size, bytes.length, 'nothing was cut off the log');
        assert.ok(logs.some((l) => l.level === 'error' && /damaged/.test(l.event) && l.fields.quarantine === quarantinePath(dir)), 'logged at error level');
        assert.ok(readFileSync(quarantinePath(dir)).includes(damaged), 'the damaged bytes are in the quarantine file');
        const health = store.health();
        assert.equal(health.state, 'degraded');
        assert.equal(health.damagedRecords, 1);
        assert.equal(health.quarantinedBytes, damaged.length);
        assert.equal(health.lostEvents, 1);
        assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), evs.slice(0, 19).map((r) => r.seq));
        const [incident] = await store.listIncidents('c');
        assert.equal(incident?.summary.headSeq, 20, 'seq 20 stays taken: the next event is 21');
        const next = records('c', 'INC-1', 21, 21);
        await store.append(next);
        await store.close();
        const quarantined = statSync(quarantinePath(dir)).size;
        const again = await open(dir);
        assert.deepEqual((await again.store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [...evs.slice(0, 19), ...next].map((r) => r.seq));
        assert.equal(again.store.health().damagedRecords, 1, 'still reported after a restart');
        assert.equal(statSync(quarantinePath(dir)).size, quarantined, 'copied aside once, not again on every open');
        await again.store.close();
      });
    }

    it('keeps the incident number of a damaged declare record taken, and serves the incident\'s other events', async () => {
      const dir = tempDir();
      const { store } = await open(dir);
      const one = records('c', 'INC-1', 1, 3);
      const two = records('c', 'INC-2', 1, 3);
      for (let i = 0; i < 3; i++) await store.append([one[i]!, two[i]!]);
      await store.close();
      flipByte(dir, two[0]!, 48 + 1 + 30);
      const { store: s2 } = await open(dir);
      assert.deepEqual((await s2.listIncidents('c')).map((i) => i.summary.id), ['INC-1'], 'INC-2 has no declaration to summarise');
      assert.equal(await s2.highestIncidentNumber('c'), 2, 'INC-2 is still taken');
      assert.equal(await s2.highestIncidentNumber('elsewhere'), 0);
      assert.deepEqual((await s2.read('c', 'INC-2', 0, 10)).map((e) => e.seq), [2, 3]);
      assert.equal(s2.health().incidentsWithoutDeclaration, 1);
      await s2.close();
    });

    it('keeps the number of an incident whose only record, its declaration, is damaged at the end of the log', async () => {
      const dir = tempDir();
      const { store } = await open(dir);
      await store.append(records('c', 'INC-1', 1, 3));
      const two = records('c', 'INC-2', 1, 1);
      await store.append(two);
      await store.close();
      flipByte(dir, two[0]!, 48 + 1 + 30);
      const { store: s2, report } = await open(dir);
      assert.equal(report.truncatedBytes, 0);
      assert.equal(await s2.highestIncidentNumber('c'), 2, 'read from the damaged record\'s header');
      assert.equal(s2.health().incidentsWithoutDeclaration, 1);
      await s2.close();
    });

    it('skips, counts and copies aside a record found damaged by a read after open, and goes on serving', async () => {
      const dir = tempDir();
      const { store, logs } = await open(dir);
      const evs = records('c', 'INC-1', 1, 10);
      for (const r of evs) await store.append([r]);
      flipByte(dir, evs[4]!, 48 + 1 + 20);
      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
      assert.deepEqual((await store.read('c', 'INC-1', 4, 1)).map((e) => e.seq), [], 'seq 5 is gone, not an error');
      assert.ok(logs.some((l) => l.level === 'error' && /damaged/.test(l.event)));
      const health = store.health();
      assert.equal(health.damagedRecords, 1);
      assert.equal(health.lostEvents, 1);
      assert.equal((await store.readIds('c', 'INC-1')).size, 9);
      await store.close();
      assert.equal(statSync(quarantinePath(dir)).size > encodedLength(evs[4]!), true, 'copied aside before close');
    });
  });

  describe('promises of issue #18', () => {
    it('after cutting off an injected torn record, appends land right after the last good one: no hole, and the next open finds no damage', async () => {
      const dir = tempDir();
      const file = path.join(dir, 'events.log');
      const { store } = await open(dir);
      const good = records('c', 'INC-1', 1, 6);
      await store.append(good);
      await store.close();
      const goodSize = statSync(file).size;
      // Fault injection: the first bytes of a record that never finished (SIGKILL cannot tear a write; a power cut can).
      const big = records('c', 'INC-1', 7, 7, 'x'.repeat(3000));
      const { buf } = encodeBatch(big.map((r) => ({ ...r, incidentNumber: 1 })));
      const torn = buf.subarray(0, 1500);
      appendFileSync(file, torn);
      const { store: s2, report } = await open(dir);
      assert.equal(report.events, 6);
      assert.equal(report.truncatedBytes, torn.length);
      assert.equal(statSync(file).size, goodSize, 'the torn bytes are cut off on open');
      const next = records('c', 'INC-1', 7, 8);
      await s2.append(next.slice(0, 1));
      await s2.append(next.slice(1));
      const nextBytes = encodeBatch(next.map((r) => ({ ...r, incidentNumber: 1 }))).buf;
      assert.ok(nextBytes.length < torn.length, 'what is appended is shorter than what was torn');
      assert.equal(statSync(file).size, goodSize + nextBytes.length, 'appended right after the last good record');
      assert.deepEqual(readFileSync(file).subarray(goodSize), nextBytes, 'no hole, no torn bytes left between or after');
      assert.deepEqual((await s2.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
      await s2.close();
      const { store: s3, report: r3, logs } = await open(dir);
      assert.deepEqual({ truncatedBytes: r3.truncatedBytes, skipped: r3.skipped, events: r3.events }, { truncatedBytes: 0, skipped: [], events: 8 }, 'the next open finds nothing to repair');
      assert.equal(s3.health().state, 'ok');
      assert.deepEqual(logs.filter((l) => l.level !== 'info').map((l) => l.event), []);
      assert.deepEqual((await s3.read('c', 'INC-1', 0, 100)).map((e) => e.json), [...good, ...next].map((r) => r.json), 'every good record and the new ones');
      assert.equal(existsSync(quarantinePath(dir)), false, 'nothing was taken for damage');
      await s3.close();
    });
  });
});
