// What recovery promises, checked on real damaged logs: a log is written by the store, closed, then cut or has bytes
// flipped with fs (the record layout is recordCodec's), and reopened. Nothing acked is lost but the damaged record
// itself; damage is reported (RecoveryReport, health(), the log) and copied aside once, never silently dropped or
// repeated; a torn tail is cut and is no damage; the store never refuses to start over damage.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AppendRecord } from '../../../src/store/eventStore';
import { FileStore, type StoreLogLevel } from '../../../src/store/fileStore';
import { decodeAt, encodedLength, RECORD_MAGIC } from '../../../src/store/recordCodec';
import { removeTempDirs, tempDir } from '../server/helpers';
import { records, signal } from './fixtures';

type LogLine = { level: StoreLogLevel; event: string; fields: Record<string, unknown> };

const logFile = (dir: string) => path.join(dir, 'events.log');
const quarantineFile = (dir: string) => path.join(dir, 'events.log.quarantine');
const HEADER = 16; // the log's file header
const WINDOW = 8 * 1024 * 1024; // what the recovery scan reads at a time

async function open(dir: string) {
  const logs: LogLine[] = [];
  const store = new FileStore({ dir, log: (level, event, fields) => logs.push({ level, event, fields }) });
  const t0 = performance.now();
  const report = await store.open();
  return { store, report, logs, elapsedMs: performance.now() - t0 };
}

/** Write records with the store, one append each, and close it. */
async function written(dir: string, ...lists: AppendRecord[][]): Promise<void> {
  const { store } = await open(dir);
  for (const list of lists) for (const r of list) await store.append([r]);
  await store.close();
}

interface OnDisk { readonly offset: number; readonly total: number; readonly channel: string; readonly incident: number; readonly seq: number }

/** Every record of an intact log, where it lies, as recordCodec reads it. */
function recordsOnDisk(dir: string): OnDisk[] {
  const bytes = readFileSync(logFile(dir));
  const out: OnDisk[] = [];
  for (let pos = HEADER; pos < bytes.length;) {
    const d = decodeAt(bytes, pos, bytes.length - pos);
    assert.ok(d.ok, `an intact record at ${pos}`);
    out.push({ offset: pos, total: d.header.total, channel: d.header.channel, incident: d.header.incidentNumber, seq: d.header.seq });
    pos += d.header.total;
  }
  return out;
}

function onDisk(dir: string, channel: string, incident: number, seq: number): OnDisk {
  const r = recordsOnDisk(dir).find((x) => x.channel === channel && x.incident === incident && x.seq === seq);
  assert.ok(r, `${channel} INC-${incident} seq ${seq} is in the log`);
  return r;
}

/** Flip bits of one byte of the log, as bit rot would. */
function flip(dir: string, at: number, mask = 0x20): void {
  const bytes = readFileSync(logFile(dir));
  bytes[at] = bytes[at]! ^ mask;
  writeFileSync(logFile(dir), bytes);
}

/** Damage a record in its event JSON (past the 48-byte header and the channel name): its checksum no longer holds. */
const damageJson = (dir: string, r: OnDisk) => flip(dir, r.offset + 48 + r.channel.length + 10);

function occurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
}

/** Open descriptors of this process on `file` (Linux: /proc/self/fd). */
function handlesOn(file: string): number {
  const targets = new Set([file, existsSync(file) ? realpathSync(file) : file]);
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (targets.has(readlinkSync(`/proc/self/fd/${fd}`))) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

const clean = (truncatedBytes = 0) => ({
  state: 'ok', damagedRecords: 0, quarantinedBytes: 0, lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes,
});

/** INC-1 with seqs 1..10 and INC-2 with 1..3 in channel c; then INC-1 seq 5 and INC-2's declaration are damaged. */
async function twoDamagedRegions(dir: string): Promise<{ five: OnDisk; declare2: OnDisk; regions: Buffer[] }> {
  await written(dir, records('c', 'INC-1', 1, 10), records('c', 'INC-2', 1, 3));
  const five = onDisk(dir, 'c', 1, 5);
  const declare2 = onDisk(dir, 'c', 2, 1);
  damageJson(dir, five);
  damageJson(dir, declare2);
  const bytes = readFileSync(logFile(dir));
  return { five, declare2, regions: [five, declare2].map((r) => Buffer.from(bytes.subarray(r.offset, r.offset + r.total))) };
}

describe('store/fileStore: recovery on open, and damage found later', () => {
  after(removeTempDirs);

  describe('opening the log', () => {
    it('rewrites a log header torn while the log was being created, says so once, and then works as a new log', async () => {
      const dir = tempDir();
      const first = await open(dir);
      assert.deepEqual(first.logs.filter((l) => l.level !== 'info'), [], 'creating a log is no repair');
      await first.store.close();
      const header = readFileSync(logFile(dir));
      assert.equal(header.length, HEADER);
      truncateSync(logFile(dir), 7); // the crash came while the header was being written

      const { store, report, logs } = await open(dir);
      assert.deepEqual(logs.filter((l) => l.level !== 'info'), [{ level: 'warn', event: 'recovery: rewrote a torn log header', fields: { path: logFile(dir), bytes: 7 } }]);
      assert.deepEqual(readFileSync(logFile(dir)), header, 'the header is whole again');
      assert.deepEqual([report.events, report.truncatedBytes, report.skipped], [0, 0, []]);
      assert.deepEqual(store.health(), clean());
      await store.append(records('c', 'INC-1', 1, 3));
      await store.close();

      const again = await open(dir);
      assert.deepEqual(again.logs.filter((l) => l.level !== 'info'), [], 'nothing to repair the next time');
      assert.deepEqual((await again.store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 3]);
      await again.store.close();
    });

    it('refuses a file shorter than a log header that is not one, and leaves its bytes as they were', async () => {
      const dir = tempDir();
      writeFileSync(logFile(dir), 'id\n7\n');
      await assert.rejects(new FileStore({ dir }).open(), { code: 'store_format' });
      assert.equal(readFileSync(logFile(dir), 'utf8'), 'id\n7\n', 'not "repaired" into an empty log');
      await assert.rejects(new FileStore({ dir }).open(), { code: 'store_format' }, 'the same answer again: the lock was released');
    });

    it('reports a log it cannot open (a directory in its place) with the system\'s reason, instead of trying to create it', async () => {
      const dir = tempDir();
      mkdirSync(logFile(dir));
      await assert.rejects(new FileStore({ dir }).open(), { code: 'EISDIR' });
      await assert.rejects(new FileStore({ dir }).open(), { code: 'EISDIR' }, 'the same answer again: the lock was released');
    });

    it('reopening a clean log repairs nothing: no warning, no damage, no quarantine, one line saying what it found', async () => {
      const dir = tempDir();
      const empty = await open(dir);
      await empty.store.close();
      const reopenedEmpty = await open(dir);
      assert.deepEqual(reopenedEmpty.logs.map((l) => [l.level, l.event]), [['info', 'store opened']], 'an empty log is not a torn one');
      await reopenedEmpty.store.append(records('c', 'INC-1', 1, 3));
      await reopenedEmpty.store.putSignals('c', [signal('aaaaaaaaaaaaaaaa'), signal('bbbbbbbbbbbbbbbb')]);
      await reopenedEmpty.store.close();
      const size = statSync(logFile(dir)).size;

      const { store, report, logs, elapsedMs } = await open(dir);
      assert.deepEqual(report, { events: 3, incidents: 1, channels: 1, truncatedBytes: 0, skipped: [], durationMs: report.durationMs });
      assert.ok(report.durationMs >= 0 && report.durationMs <= Math.ceil(elapsedMs), `took ${report.durationMs} ms of ${elapsedMs}`);
      assert.deepEqual(logs, [{
        level: 'info', event: 'store opened',
        fields: { path: logFile(dir), bytes: size, events: 3, incidents: 1, signalRecords: 2, ms: report.durationMs },
      }]);
      assert.deepEqual(store.health(), clean(), 'no quarantine file is named: nothing was damaged');
      assert.equal(statSync(logFile(dir)).size, size);
      assert.equal(existsSync(quarantineFile(dir)), false);
      await store.close();
    });

    it('reopens a log larger than its scan window whole, with a record starting right at the window\'s edge', async () => {
      const dir = tempDir();
      const edge = HEADER + WINDOW;
      const filler = 'x'.repeat(4000);
      const evs: AppendRecord[] = records('c', 'INC-1', 1, 1);
      let end = HEADER + encodedLength({ ...evs[0]!, incidentNumber: 1 });
      while (edge - end > 10_000) {
        const [r] = records('c', 'INC-1', evs.length + 1, evs.length + 1, filler);
        evs.push(r!);
        end += encodedLength({ ...r!, incidentNumber: 1 });
      }
      // One record that ends exactly at the edge, then some past it.
      const seq = evs.length + 1;
      const shortest = encodedLength({ ...records('c', 'INC-1', seq, seq, '')[0]!, incidentNumber: 1 });
      evs.push(records('c', 'INC-1', seq, seq, 'y'.repeat(edge - end - shortest))[0]!);
      evs.push(...records('c', 'INC-1', seq + 1, seq + 20, filler));
      const { store: writer } = await open(dir);
      for (let i = 0; i < evs.length; i += 300) await writer.append(evs.slice(i, i + 300));
      await writer.close();
      const bytes = readFileSync(logFile(dir));
      assert.equal(bytes.readUInt32LE(edge), RECORD_MAGIC, 'a record starts at the edge of the first window');
      assert.ok(bytes.length > edge + 40_000);

      const { store, report, logs } = await open(dir);
      assert.deepEqual([report.events, report.truncatedBytes, report.skipped], [evs.length, 0, []]);
      assert.deepEqual(logs.filter((l) => l.level !== 'info'), []);
      const around = (await store.read('c', 'INC-1', seq - 3, 10)).map((e) => [e.seq, e.id, e.json.length]);
      assert.deepEqual(around, evs.slice(seq - 3, seq + 7).map((r) => [r.seq, r.id, r.json.length]), 'the records around the edge, intact');
      assert.equal((await store.readIds('c', 'INC-1')).size, evs.length);
      assert.deepEqual(store.health(), clean());
      await store.close();
    });
  });

  describe('a torn last record', () => {
    it('is cut off where it starts, the log says where and how much, and none of it counts as damage', async () => {
      const dir = tempDir();
      await written(dir, records('c', 'INC-1', 1, 10));
      const good = statSync(logFile(dir)).size;
      await written(dir, records('c', 'INC-1', 11, 11));
      truncateSync(logFile(dir), good + 30);

      const { store, report, logs } = await open(dir);
      assert.equal(report.truncatedBytes, 30);
      const cut = logs.filter((l) => l.level !== 'info');
      assert.deepEqual(cut.map((l) => [l.level, l.event]), [['warn', 'recovery: truncated a torn last record']]);
      const { reason, ...where } = cut[0]!.fields;
      assert.deepEqual(where, { path: logFile(dir), offset: good, bytes: 30 });
      assert.match(String(reason), /cut short/);
      assert.deepEqual(store.health(), clean(30), 'a torn tail was never acked: no damage, no quarantine');
      assert.equal(existsSync(quarantineFile(dir)), false);
      await store.close();
    });
  });

  describe('damaged complete records', () => {
    it('reports each damaged record where it lies and what it belonged to: in the report, in health() and in the log', async () => {
      const dir = tempDir();
      const { five, declare2 } = await twoDamagedRegions(dir);
      const { store, report, logs, elapsedMs } = await open(dir);
      assert.deepEqual(report.skipped, [{ offset: five.offset, bytes: five.total }, { offset: declare2.offset, bytes: declare2.total }]);
      assert.deepEqual([report.events, report.incidents, report.truncatedBytes], [11, 2, 0]);
      assert.ok(report.durationMs >= 0 && report.durationMs <= Math.ceil(elapsedMs), `took ${report.durationMs} ms of ${elapsedMs}`);

      const errors = (re: RegExp) => logs.filter((l) => l.level === 'error' && re.test(l.event)).map((l) => l.fields);
      const region = (r: OnDisk) => ({
        path: logFile(dir), offset: r.offset, bytes: r.total, reason: 'checksum mismatch', channel: 'c', incident: `INC-${r.incident}`, seq: r.seq,
        quarantine: quarantineFile(dir),
      });
      assert.deepEqual(errors(/skipped a damaged region/), [region(five), region(declare2)]);
      assert.deepEqual(errors(/missing events/), [
        { channel: 'c', incident: 'INC-1', head: 10, present: 9 },
        { channel: 'c', incident: 'INC-2', head: 3, present: 2 },
      ]);
      assert.deepEqual(errors(/lost its declaration; its number stays taken/), [{ channel: 'c', incident: 'INC-2', present: 2 }]);

      assert.deepEqual(store.health(), {
        state: 'degraded', damagedRecords: 2, quarantinedBytes: five.total + declare2.total, quarantineFile: quarantineFile(dir),
        lostEvents: 2, incidentsWithLostEvents: 2, incidentsWithoutDeclaration: 1, truncatedBytes: 0,
      });
      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
      assert.deepEqual((await store.read('c', 'INC-2', 0, 100)).map((e) => e.seq), [2, 3]);
      assert.deepEqual((await store.listIncidents('c')).map((i) => [i.summary.id, i.summary.headSeq]), [['INC-1', 10]]);
      assert.equal(await store.highestIncidentNumber('c'), 2);
      await store.close();
    });

    it('copies each damaged region aside once: reopening again and again adds nothing and still names the quarantine file', async () => {
      const dir = tempDir();
      const { regions } = await twoDamagedRegions(dir);
      const first = await open(dir);
      await first.store.close();
      const quarantined = readFileSync(quarantineFile(dir));
      for (const r of regions) assert.equal(occurrences(quarantined, r), 1, 'each damaged region is in the quarantine file once');

      for (const round of [2, 3]) {
        const { store, logs } = await open(dir);
        assert.deepEqual(logs.filter((l) => /copying damaged records aside failed/.test(l.event)), [], `open ${round}: nothing failed`);
        assert.deepEqual([store.health().damagedRecords, store.health().quarantineFile], [2, quarantineFile(dir)], `open ${round}: still reported`);
        await store.close();
        assert.deepEqual(readFileSync(quarantineFile(dir)), quarantined, `open ${round} copied nothing again`);
      }
      assert.equal(occurrences(readFileSync(logFile(dir)), regions[0]!), 1, 'and the damaged bytes are still in the log');
    });

    it('keeps no file handle open on the quarantine file, after copying regions into it or reading what it holds', async function () {
      if (!existsSync('/proc/self/fd')) this.skip();
      const dir = tempDir();
      await twoDamagedRegions(dir);
      const first = await open(dir);
      assert.ok(existsSync(quarantineFile(dir)));
      assert.equal(handlesOn(quarantineFile(dir)), 0, 'after copying two regions aside');
      await first.store.close();
      const second = await open(dir);
      assert.equal(handlesOn(quarantineFile(dir)), 0, 'after reading which regions it holds');
      await second.store.close();
    });

    it('a damaged header naming a seq far past its incident\'s head does not move the head: only that record is lost', async () => {
      const dir = tempDir();
      await written(dir, records('c', 'INC-1', 1, 10));
      const five = onDisk(dir, 'c', 1, 5);
      flip(dir, five.offset + 24 + 7, 0x01); // the seq's top byte: 5 now reads 327680
      assert.equal(readFileSync(logFile(dir)).readDoubleLE(five.offset + 24), 327_680);

      const { store, report } = await open(dir);
      assert.deepEqual(report.skipped, [{ offset: five.offset, bytes: five.total }]);
      assert.deepEqual((await store.listIncidents('c')).map((i) => i.summary.headSeq), [10], 'the head is still 10: the next event is 11');
      assert.deepEqual([store.health().lostEvents, store.health().incidentsWithLostEvents], [1, 1], 'seq 5 is the one hole');
      await store.append(records('c', 'INC-1', 11, 11));
      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
      await store.close();
    });

    it('a damaged declaration whose header names a far-off incident number takes no number: the next incident is still max + 1', async () => {
      const dir = tempDir();
      const one = records('c', 'INC-1', 1, 3);
      const two = records('c', 'INC-2', 1, 3);
      await written(dir, one.flatMap((r, i) => [r, two[i]!]));
      const declare2 = onDisk(dir, 'c', 2, 1);
      flip(dir, declare2.offset + 16 + 6, 0x80); // an exponent bit of the incident number: 2 now reads 512
      assert.equal(readFileSync(logFile(dir)).readDoubleLE(declare2.offset + 16), 512);

      const { store } = await open(dir);
      assert.equal(await store.highestIncidentNumber('c'), 2, 'INC-512 was never declared: the next incident is INC-3');
      assert.deepEqual((await store.listIncidents('c')).map((i) => i.summary.id), ['INC-1']);
      assert.deepEqual((await store.read('c', 'INC-2', 0, 10)).map((e) => e.seq), [2, 3]);
      assert.deepEqual(
        [store.stats().incidents, store.health().incidentsWithoutDeclaration, store.health().lostEvents], [2, 1, 1],
        'INC-2 lost its declaration; no other incident appeared',
      );
      await store.close();
    });

    it('keeps INC-1 taken in a channel whose only record, its declaration, is damaged in the middle of the log', async () => {
      const dir = tempDir();
      await written(dir, records('c', 'INC-1', 1, 3), records('solo', 'INC-1', 1, 1), records('c', 'INC-1', 4, 4));
      damageJson(dir, onDisk(dir, 'solo', 1, 1));

      const { store } = await open(dir);
      assert.equal(await store.highestIncidentNumber('solo'), 1, 'the next incident of solo is INC-2');
      assert.deepEqual(await store.listIncidents('solo'), []);
      assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 3, 4]);
      assert.deepEqual([store.health().incidentsWithoutDeclaration, store.health().lostEvents, store.stats().channels], [1, 1, 2]);
      await store.close();
    });

    it('stray bytes between two records, too short to be one, are skipped and copied aside, and take no seq or incident number', async () => {
      const dir = tempDir();
      await written(dir, records('c', 'INC-1', 1, 4));
      const [declare, , third] = recordsOnDisk(dir);
      const bytes = readFileSync(logFile(dir));
      // 45 bytes that start like the declaration's header (marker, length, channel c, INC-1, seq 1) but are no record.
      const stray = Buffer.from(bytes.subarray(declare!.offset, declare!.offset + 45));
      writeFileSync(logFile(dir), Buffer.concat([bytes.subarray(0, third!.offset), stray, bytes.subarray(third!.offset)]));

      const { store, report } = await open(dir);
      assert.deepEqual(report.skipped, [{ offset: third!.offset, bytes: 45 }]);
      assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 3, 4], 'every event is served');
      assert.deepEqual(store.health(), {
        state: 'degraded', damagedRecords: 1, quarantinedBytes: 45, quarantineFile: quarantineFile(dir),
        lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
      });
      assert.deepEqual([store.stats().channels, store.stats().incidents], [1, 1], 'no incident was made up from them');
      await store.close();
      assert.equal(occurrences(readFileSync(quarantineFile(dir)), stray), 1);
    });

    it('never refuses to start when the damaged bytes cannot be copied aside: says why, and health() names no quarantine file', async () => {
      const dir = tempDir();
      await written(dir, records('c', 'INC-1', 1, 5));
      const third = onDisk(dir, 'c', 1, 3);
      damageJson(dir, third);
      mkdirSync(quarantineFile(dir)); // something that cannot be appended to is in its place

      const { store, report, logs } = await open(dir);
      assert.deepEqual(report.skipped, [{ offset: third.offset, bytes: third.total }]);
      const failed = logs.filter((l) => /copying damaged records aside failed/.test(l.event));
      assert.deepEqual(failed.map((l) => [l.level, l.event, l.fields.path]), [['error', 'copying damaged records aside failed; they are still in the log', quarantineFile(dir)]]);
      assert.match(String(failed[0]!.fields.error), /EISDIR|directory/);
      assert.deepEqual(store.health(), {
        state: 'degraded', damagedRecords: 1, quarantinedBytes: third.total, lostEvents: 1, incidentsWithLostEvents: 1, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
      });
      assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 4, 5]);
      await store.append(records('c', 'INC-1', 6, 6));
      await store.close();
    });
  });

  describe('a quarantine file whose last copy was torn (a crash while copying aside)', () => {
    // Only whole entries (bytes present, checksum right) count as copied, and the scan resumes at the next entry
    // marker: a region whose copy was cut short is copied again, and a copy made after a torn one is found again.
    for (const [what, cut] of [['in the copied bytes', 10], ['in the description before them', 0]] as const) {
      it(`copies the region again, whole, once: later opens add nothing (torn ${what})`, async () => {
        const dir = tempDir();
        await written(dir, records('c', 'INC-1', 1, 5));
        const third = onDisk(dir, 'c', 1, 3);
        damageJson(dir, third);
        const damaged = Buffer.from(readFileSync(logFile(dir)).subarray(third.offset, third.offset + third.total));
        const first = await open(dir);
        await first.store.close();
        const whole = statSync(quarantineFile(dir)).size;
        truncateSync(quarantineFile(dir), cut > 0 ? whole - cut : 30);

        const sizes: number[] = [];
        for (let round = 0; round < 3; round++) {
          const { store } = await open(dir);
          assert.equal(store.health().quarantineFile, quarantineFile(dir));
          await store.close();
          sizes.push(statSync(quarantineFile(dir)).size);
        }
        assert.equal(occurrences(readFileSync(quarantineFile(dir)), damaged), 1, 'the damaged bytes are in the quarantine file, whole, once');
        assert.deepEqual(sizes, [sizes[0], sizes[0], sizes[0]], `copied once, not on every open (sizes ${sizes.join(', ')})`);
      });
    }
  });

  describe('damage found by a read after open', () => {
    it('the event is counted out, its bytes counted and copied aside once, and the log line says which event it was', async () => {
      const dir = tempDir();
      const { store, logs } = await open(dir);
      await store.append(records('c', 'INC-1', 1, 10));
      const five = onDisk(dir, 'c', 1, 5);
      damageJson(dir, five);
      const damaged = Buffer.from(readFileSync(logFile(dir)).subarray(five.offset, five.offset + five.total));
      assert.equal(store.stats().events, 10);

      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
      assert.equal(store.stats().events, 9, 'one event fewer is served');
      assert.deepEqual(logs.filter((l) => l.level === 'error').map((l) => l.fields), [{
        path: logFile(dir), channel: 'c', incident: 'INC-1', seq: 5, offset: five.offset, bytes: five.total, reason: 'checksum mismatch',
        quarantine: quarantineFile(dir),
      }]);
      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
      await store.close(); // waits for the copy
      assert.deepEqual(store.health(), {
        state: 'degraded', damagedRecords: 1, quarantinedBytes: five.total, quarantineFile: quarantineFile(dir),
        lostEvents: 1, incidentsWithLostEvents: 1, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
      }, 'found by two reads, counted once');
      assert.equal(occurrences(readFileSync(quarantineFile(dir)), damaged), 1);
    });
  });

  it('without a log function it recovers from every kind of damage all the same', async () => {
    // A torn header.
    const torn = tempDir();
    const fresh = new FileStore({ dir: torn });
    await fresh.open();
    await fresh.close();
    truncateSync(logFile(torn), 5);
    const s1 = new FileStore({ dir: torn });
    assert.equal((await s1.open()).events, 0);
    await s1.close();

    // A lost declaration, missing events, a damaged region that cannot be copied aside, a torn tail; then a read finds more.
    const dir = tempDir();
    await written(dir, records('c', 'INC-1', 1, 5), records('c', 'INC-2', 1, 2));
    const good = statSync(logFile(dir)).size;
    await written(dir, records('c', 'INC-1', 6, 6));
    const [declare2, three] = [onDisk(dir, 'c', 2, 1), onDisk(dir, 'c', 1, 3)];
    truncateSync(logFile(dir), good + 20);
    damageJson(dir, declare2);
    mkdirSync(quarantineFile(dir));
    const store = new FileStore({ dir });
    const report = await store.open();
    assert.deepEqual([report.events, report.skipped.length, report.truncatedBytes], [6, 1, 20]);
    damageJson(dir, three);
    assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 4, 5]);
    await store.close();
    assert.deepEqual([store.health().damagedRecords, store.health().lostEvents, store.health().incidentsWithoutDeclaration], [2, 2, 1]);
  });
});
