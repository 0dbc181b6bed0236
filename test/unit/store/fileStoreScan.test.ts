// What the recovery scan promises when it rebuilds everything from the log on open: every incident, event, id and
// signal reads back exactly as before; records this build cannot place (no incident, a second copy of a seq, a signal
// it cannot read) are passed over without disturbing the rest; damage is skipped to the very next good record and
// reported with what its header says, where that is believable; logs far larger than the scan's 8 MiB window read
// back whole. Logs are written by the store itself; the few records it would never write are encoded with its own
// codec, and damage is done with fs on the closed file.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, truncateSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { SequencedEvent } from '../../../src/protocol/events';
import { type AppendRecord, type EventStore, incidentNumber } from '../../../src/store/eventStore';
import { FileStore, type StoreLogLevel } from '../../../src/store/fileStore';
import { decodeAt, type EncodableRecord, encodeBatch, HEADER_BYTES, MAX_RECORD_BYTES } from '../../../src/store/recordCodec';
import { removeTempDirs, tempDir } from '../server/helpers';
import { signal } from './fixtures';

type LogLine = { level: StoreLogLevel; event: string; fields: Record<string, unknown> };

/** The log's format marker: records start after it. */
const FILE_HEADER_BYTES = 16;
/** How much of the log the recovery scan holds at once (`SCAN_CHUNK` in fileStore.ts). */
const WINDOW = 8 * 1024 * 1024;

const logFile = (dir: string) => path.join(dir, 'events.log');

/** Open without a log callback: recovery must not need one. */
async function open(dir: string) {
  const store = new FileStore({ dir });
  return { store, report: await store.open() };
}

async function openLogged(dir: string) {
  const logs: LogLine[] = [];
  const store = new FileStore({ dir, log: (level, event, fields) => logs.push({ level, event, fields }) });
  return { store, report: await store.open(), logs };
}

const problems = (logs: readonly LogLine[]) => logs.filter((l) => l.level !== 'info');

// ---- records, as the core hands them to the store ----

const actor = { id: 'alice@example.com', name: 'Alice' };

function eventRecord(channel: string, incidentId: string, seq: number, kind: string, data: Record<string, unknown>): AppendRecord {
  const at = new Date(Date.UTC(2026, 10, 22, 14, 0, seq % 60)).toISOString();
  const event = { seq, id: randomUUID(), kind, at, receivedAt: at, actor, data } as unknown as SequencedEvent;
  return { channel, incidentId, seq, id: event.id, kind: event.kind, json: JSON.stringify(event), event };
}

const declared = (channel: string, incidentId: string, seq = 1, title = `${channel} ${incidentId}`) =>
  eventRecord(channel, incidentId, seq, 'incident.declared', { title, severity: 'SEV2', symptom: 'errors on checkout' });
const note = (channel: string, incidentId: string, seq: number, text = `${channel} note ${seq}`) =>
  eventRecord(channel, incidentId, seq, 'note.added', { text, tag: 'note' });
const status = (channel: string, incidentId: string, seq: number, to: string) => eventRecord(channel, incidentId, seq, 'status.changed', { status: to });

/** Bytes a record takes in the log. */
const recordLength = (r: { channel: string; json: string }) => HEADER_BYTES + r.channel.length + Buffer.byteLength(r.json);

/** A note whose record takes exactly `bytes` bytes in the log. */
function noteOfSize(channel: string, incidentId: string, seq: number, bytes: number): AppendRecord {
  const pad = bytes - recordLength(note(channel, incidentId, seq, ''));
  assert.ok(pad >= 0, `a note cannot be as short as ${bytes} bytes`);
  const r = note(channel, incidentId, seq, 'x'.repeat(pad));
  assert.equal(recordLength(r), bytes);
  return r;
}

/** The bytes the store writes for these records (its own encoder). */
const encode = (records: readonly AppendRecord[]) => encodeBatch(records.map((r) => ({ ...r, incidentNumber: incidentNumber(r.incidentId) }))).buf;
const encodeRaw = (r: EncodableRecord) => encodeBatch([r]).buf;

/** Give one encoded record another kind code (as a build with more kinds writes) and a checksum that matches again. */
function withKindCode(buf: Buffer, code: number): Buffer {
  buf.writeUInt8(code, 12);
  buf.writeUInt32LE(crc32(buf.subarray(12, buf.readUInt32LE(4))), 8);
  return buf;
}

interface Placed { offset: number; total: number; channel: string; incidentNumber: number; seq: number }

/** The records of an intact log, decoded with the codec. */
function layout(file: string): Placed[] {
  const bytes = readFileSync(file);
  const out: Placed[] = [];
  for (let at = FILE_HEADER_BYTES; at < bytes.length;) {
    const d = decodeAt(bytes, at, bytes.length - at);
    assert.ok(d.ok, `record at ${at}: ${d.ok ? '' : d.detail}`);
    out.push({ offset: at, total: d.header.total, channel: d.header.channel, incidentNumber: d.header.incidentNumber, seq: d.header.seq });
    at += d.header.total;
  }
  return out;
}

const find = (recs: readonly Placed[], channel: string, incident: number, seq: number): Placed => {
  const r = recs.find((p) => p.channel === channel && p.incidentNumber === incident && p.seq === seq);
  assert.ok(r, `${channel} INC-${incident} seq ${seq} is in the log`);
  return r;
};

/**
 * The records that cross the end of the scan's window while their header lies inside it: the scan has to stretch
 * its window over each. Only used to check that a fixture really puts records there.
 */
function stretchedRecords(recs: readonly Placed[], size: number): number[] {
  let end = Math.min(FILE_HEADER_BYTES + WINDOW, size);
  const out: number[] = [];
  for (const r of recs) {
    if (r.offset + r.total <= end) continue;
    if (r.offset + HEADER_BYTES <= end) out.push(r.offset);
    end = Math.min(r.offset + WINDOW, size);
  }
  return out;
}

/** A copy of a fixture log in a fresh directory. */
function copyOf(fixtureDir: string): string {
  const dir = tempDir('ir-scan-');
  copyFileSync(logFile(fixtureDir), logFile(dir));
  return dir;
}

function patch(file: string, at: number, change: (bytes: Buffer, at: number) => void): void {
  const bytes = readFileSync(file);
  change(bytes, at);
  writeFileSync(file, bytes);
}

const flip = (bytes: Buffer, at: number) => {
  bytes[at] = bytes[at]! ^ 0x20;
};

/** Everything a client can ask the store about these incidents and channels. */
async function snapshot(store: EventStore, incidents: readonly (readonly [string, string])[]) {
  const channels = [...new Set(incidents.map(([c]) => c))];
  const perChannel = [];
  for (const c of channels) {
    perChannel.push({
      channel: c,
      incidents: await store.listIncidents(c),
      highest: await store.highestIncidentNumber(c),
      signals: (await store.listSignals(c)).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)),
    });
  }
  const perIncident = [];
  for (const [c, id] of incidents) {
    perIncident.push({ channel: c, id, events: await store.read(c, id, 0, 1_000_000), ids: [...(await store.readIds(c, id)).entries()] });
  }
  return { perChannel, perIncident };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

describe('store/fileStore: rebuilding from the log on open', () => {
  after(removeTempDirs);

  it('reads every incident, event, id, declaration and signal back exactly as before a reopen, and counts the signal records', async () => {
    const dir = tempDir('ir-scan-');
    const { store } = await open(dir);
    const put: number[] = [];
    const putSignals = async (channel: string, list: Parameters<EventStore['putSignals']>[1]) => {
      await store.putSignals(channel, list);
      put.push(list.length);
    };
    // payments INC-1 is declared twice (a second declaration refounds nothing); INC-2's first event is a status change.
    await store.append([declared('payments', 'INC-1'), declared('search-eu', 'INC-1'), note('payments', 'INC-1', 2)]);
    await putSignals('payments', [signal('aaaa000000000001'), signal('bbbb000000000002')]);
    await store.append([note('payments', 'INC-1', 3), declared('payments', 'INC-1', 4, 'declared again'), status('payments', 'INC-2', 1, 'mitigating')]);
    await putSignals('payments', [signal('aaaa000000000001', { incidentId: 'INC-1' })]);
    await store.append([declared('payments', 'INC-2', 2), eventRecord('payments', 'INC-1', 5, 'severity.changed', { severity: 'SEV1' })]);
    await putSignals('search-eu', [signal('aaaa000000000001', { labels: { alertname: 'Other' } }), signal('cccc000000000003')]);
    // Resolved by monitoring, from a server that had not heard of the link: the link stays.
    await putSignals('payments', [signal('aaaa000000000001', { status: 'resolved', endsAt: '2026-11-22T15:00:00.000Z' })]);
    await store.append([status('payments', 'INC-1', 6, 'resolved'), note('search-eu', 'INC-1', 2), declared('c', 'INC-7')]);
    const incidents = [['payments', 'INC-1'], ['payments', 'INC-2'], ['search-eu', 'INC-1'], ['c', 'INC-7']] as const;
    const before = await snapshot(store, incidents);
    assert.equal(before.perChannel[0]!.incidents[0]!.declareEventId, before.perIncident[0]!.events[0]!.id);
    assert.equal(before.perChannel[0]!.incidents[1]!.declareEventId, '', 'INC-2 was not declared by its first event');
    const stats = store.stats();
    await store.close();

    const { store: s2, report, logs } = await openLogged(dir);
    assert.deepEqual(await snapshot(s2, incidents), before);
    assert.deepEqual(s2.stats(), stats);
    assert.deepEqual([report.events, report.incidents, report.channels, report.skipped, report.truncatedBytes], [11, 4, 3, [], 0]);
    assert.deepEqual(problems(logs), []);
    const opened = logs.find((l) => l.event === 'store opened');
    assert.equal(opened?.fields.signalRecords, put.reduce((a, b) => a + b, 0), 'every signal record is counted');
    await s2.close();
  });

  it('passes over signal records it cannot read (no fingerprint, not an object, not JSON, no channel name) and keeps every other signal', async () => {
    const dir = tempDir('ir-scan-');
    const { store } = await open(dir);
    const a = signal('aaaa000000000001');
    const b = signal('bbbb000000000002', { incidentId: 'INC-2' });
    await store.putSignals('payments', [a, b]);
    await store.close();
    const unreadable: [string, string][] = [
      ['payments', '{"status":"firing","labels":{}}'],
      ['payments', '{"fingerprint":7,"status":"firing"}'],
      ['payments', '42'],
      ['payments', 'null'],
      ['payments', '{"fingerprint":"cut'],
      ['Payments', JSON.stringify(signal('cccc000000000003'))],
    ];
    const offsets: number[] = [];
    for (const [channel, json] of unreadable) {
      offsets.push(statSync(logFile(dir)).size);
      appendFileSync(logFile(dir), encodeRaw({ channel, incidentNumber: 0, seq: 0, id: '00000000-0000-0000-0000-000000000000', kind: 'signal', json }));
    }
    const check = async (s: FileStore) => {
      assert.deepEqual(await s.listSignals('payments'), [a, b]);
      assert.deepEqual(await s.listSignals('Payments'), []);
      assert.deepEqual(s.stats(), { channels: 0, incidents: 0, events: 0, failed: false });
    };
    const quiet = await open(dir);
    await check(quiet.store);
    await quiet.store.close();
    const { store: s2, report, logs } = await openLogged(dir);
    await check(s2);
    assert.deepEqual(report.skipped, [], 'their checksums hold: they are not damage');
    assert.deepEqual(problems(logs).map((l) => [l.level, l.event, l.fields]),
      unreadable.map(([channel], i) => ['error', 'recovery: a signal record with unreadable JSON', { channel, offset: offsets[i] }]));
    assert.equal(logs.find((l) => l.event === 'store opened')?.fields.signalRecords, 2);
    await s2.close();
  });

  it('passes over records of no incident (incident 0, or seq 0), as a later build\'s non-event records are: no incident, no event, no damage', async () => {
    const dir = tempDir('ir-scan-');
    const { store } = await open(dir);
    const mine = [declared('c', 'INC-1'), note('c', 'INC-1', 2), note('c', 'INC-1', 3)];
    await store.append(mine);
    await store.close();
    appendFileSync(logFile(dir), Buffer.concat([
      encodeRaw({ channel: 'c', incidentNumber: 0, seq: 4, id: randomUUID(), kind: 'note.added', json: note('c', 'INC-1', 4).json }),
      encodeRaw({ channel: 'c', incidentNumber: 1, seq: 0, id: randomUUID(), kind: 'note.added', json: note('c', 'INC-1', 0).json }),
    ]));
    const { store: s2, report, logs } = await openLogged(dir);
    assert.deepEqual([report.events, report.incidents, report.channels, report.skipped], [3, 1, 1, []]);
    assert.deepEqual(s2.stats(), { channels: 1, incidents: 1, events: 3, failed: false });
    assert.equal(s2.health().state, 'ok');
    assert.deepEqual(problems(logs), []);
    assert.deepEqual((await s2.read('c', 'INC-1', 0, 10)).map((e) => e.json), mine.map((r) => r.json));
    assert.equal(await s2.highestIncidentNumber('c'), 1);
    await s2.close();
  });

  it('keeps the first record of a seq when the log holds a second one, and says which one it ignored', async () => {
    const dir = tempDir('ir-scan-');
    const { store } = await open(dir);
    const mine = [declared('c', 'INC-1'), note('c', 'INC-1', 2), note('c', 'INC-1', 3), note('c', 'INC-1', 4)];
    await store.append(mine);
    await store.close();
    // A second copy of seq 1 (another declaration, another id) and of seq 3, as a log pieced together by hand holds.
    const at = statSync(logFile(dir)).size;
    const copies = [declared('c', 'INC-1', 1, 'impostor'), note('c', 'INC-1', 3, 'impostor note')];
    appendFileSync(logFile(dir), encode(copies));
    const check = async (s: FileStore) => {
      assert.deepEqual((await s.read('c', 'INC-1', 0, 10)).map((e) => e.json), mine.map((r) => r.json));
      assert.deepEqual([...(await s.readIds('c', 'INC-1')).keys()], mine.map((r) => r.id));
      const [incident] = await s.listIncidents('c');
      assert.deepEqual([incident?.declareEventId, incident?.summary.title, incident?.summary.headSeq], [mine[0]!.id, 'c INC-1', 4]);
      assert.deepEqual(s.stats(), { channels: 1, incidents: 1, events: 4, failed: false });
    };
    const quiet = await open(dir);
    assert.equal(quiet.report.events, 4);
    await check(quiet.store);
    await quiet.store.close();
    const { store: s2, logs } = await openLogged(dir);
    await check(s2);
    assert.deepEqual(problems(logs).map((l) => [l.level, l.event, l.fields]), [
      ['warn', 'recovery: ignored a second record for the same seq', { channel: 'c', incident: 'INC-1', seq: 1, offset: at }],
      ['warn', 'recovery: ignored a second record for the same seq', { channel: 'c', incident: 'INC-1', seq: 3, offset: at + recordLength(copies[0]!) }],
    ]);
    await s2.close();
  });

  it('reads a payload on open only when its kind can change a summary, and serves a kind it has no code for as its payload names it', async () => {
    const dir = tempDir('ir-scan-');
    const { store } = await open(dir);
    const mine = [declared('c', 'INC-1'), note('c', 'INC-1', 2), status('c', 'INC-1', 3, 'mitigating')];
    await store.append(mine);
    await store.close();
    const at = statSync(logFile(dir)).size;
    const paused = JSON.stringify({ ...JSON.parse(note('c', 'INC-1', 5).json), kind: 'incident.paused', data: { reason: 'maintenance window' } });
    const later: { seq: number; id: string; kind: string; json: string; code?: number }[] = [
      // A note's payload is the client's business: recovery never reads it.
      { seq: 4, id: randomUUID(), kind: 'note.added', json: 'a payload that is not JSON' },
      // Kind codes a newer build wrote (23: a kind it added; 0: "read the kind from the payload").
      { seq: 5, id: randomUUID(), kind: 'incident.paused', json: paused, code: 23 },
      { seq: 6, id: randomUUID(), kind: 'note.added', json: '%% neither JSON nor a kind', code: 0 },
      { seq: 7, id: randomUUID(), kind: 'status.changed', json: status('c', 'INC-1', 7, 'resolved').json },
    ];
    const bufs = later.map((r) => {
      const buf = encodeRaw({ channel: 'c', incidentNumber: 1, seq: r.seq, id: r.id, kind: r.code === undefined ? r.kind : 'note.added', json: r.json });
      return r.code === undefined ? buf : withKindCode(buf, r.code);
    });
    appendFileSync(logFile(dir), Buffer.concat(bufs));
    const check = async (s: FileStore) => {
      assert.deepEqual((await s.read('c', 'INC-1', 0, 10)).map((e) => [e.seq, e.id, e.kind, e.json]),
        [...mine, ...later].map((r) => [r.seq, r.id, r.kind, r.json]));
      const [incident] = await s.listIncidents('c');
      assert.deepEqual([incident?.summary.status, incident?.summary.headSeq, incident?.declareEventId], ['resolved', 7, mine[0]!.id]);
    };
    const quiet = await open(dir);
    await check(quiet.store);
    await quiet.store.close();
    const { store: s2, logs } = await openLogged(dir);
    await check(s2);
    const sixth = at + bufs[0]!.length + bufs[1]!.length;
    assert.deepEqual(problems(logs).map((l) => [l.level, l.event, l.fields]),
      [['error', 'recovery: a record with unreadable JSON', { channel: 'c', incident: 'INC-1', seq: 6, offset: sixth }]]);
    assert.equal(s2.health().state, 'ok');
    await s2.close();
  });

  describe('logs larger than the scan window', () => {
    /** ~13 MiB: 300 kB notes, signals and a small channel between them, a record of the largest size across the first window's end, and another last. */
    const big = { dir: '', size: 0, events: 0, lastSeq: 0, afterFirstMax: 0, firstMax: 0, lastMax: 0, before: null as Snapshot | null };
    const bigIncidents = [['big', 'INC-1'], ['c', 'INC-1']] as const;

    before(async function () {
      this.timeout(60_000);
      big.dir = tempDir('ir-scan-big-');
      const { store } = await open(big.dir);
      let size = statSync(logFile(big.dir)).size;
      // The end of the scan window each record is read in (the rule `stretchedRecords` checks afterwards).
      let windowEnd = FILE_HEADER_BYTES + WINDOW;
      const placed = async (write: Promise<void>) => {
        await write;
        const at = size;
        size = statSync(logFile(big.dir)).size;
        if (size > windowEnd) windowEnd = at + WINDOW;
        return at;
      };
      let seq = 1;
      let small = 1;
      await placed(store.append([declared('big', 'INC-1')]));
      await placed(store.append([declared('c', 'INC-1')]));
      big.events = 2;
      const step = async (i: number) => {
        await placed(store.append([noteOfSize('big', 'INC-1', ++seq, 300_000)]));
        big.events++;
        if (i % 4 === 0) {
          await placed(store.append([note('c', 'INC-1', ++small)]));
          await placed(store.putSignals('big', [signal(`f${String(i).padStart(15, '0')}`, i % 8 === 0 ? { incidentId: 'INC-1' } : {})]));
          big.events++;
        }
      };
      for (let i = 0; i < 16; i++) await step(i);
      big.firstMax = await placed(store.append([noteOfSize('big', 'INC-1', ++seq, MAX_RECORD_BYTES)]));
      big.events++;
      big.afterFirstMax = size;
      // More notes, until a last record of the largest size would cross the end of the window its header is in.
      for (let i = 16; !(size + HEADER_BYTES <= windowEnd && size + MAX_RECORD_BYTES > windowEnd); i++) await step(i);
      big.lastMax = await placed(store.append([noteOfSize('big', 'INC-1', ++seq, MAX_RECORD_BYTES)]));
      big.events++;
      big.lastSeq = seq;
      big.before = await snapshot(store, bigIncidents);
      await store.close();
      big.size = size;
      const recs = layout(logFile(big.dir));
      const across = stretchedRecords(recs, big.size);
      assert.ok(across.includes(big.firstMax) && across.includes(big.lastMax),
        `records across the scan window's end: ${across.join(', ')} (largest records at ${big.firstMax}, ${big.lastMax})`);
      assert.equal(recs.find((r) => r.offset === big.afterFirstMax)?.channel, 'big');
    });

    it('reads every record back exactly, also those that cross the scan window\'s end, one of them of the largest size a record may have', async () => {
      const { store, report, logs } = await openLogged(copyOf(big.dir));
      assert.deepEqual([report.events, report.skipped, report.truncatedBytes], [big.events, [], 0]);
      assert.deepEqual(problems(logs), []);
      assert.deepEqual(await snapshot(store, bigIncidents), big.before);
      assert.equal(store.health().state, 'ok');
      await store.close();
    });

    it('skips a record whose length field is damaged far into the log to the very next record, and loses nothing else', async () => {
      const dir = copyOf(big.dir);
      const damaged = layout(logFile(dir)).find((r) => r.offset === big.afterFirstMax)!;
      patch(logFile(dir), damaged.offset + 7, (bytes, at) => {
        bytes[at] = bytes[at]! | 0x80; // now over 2 GiB
      });
      const { store, report, logs } = await openLogged(dir);
      assert.deepEqual([report.skipped, report.truncatedBytes, report.events], [[{ offset: damaged.offset, bytes: damaged.total }], 0, big.events - 1]);
      assert.equal(statSync(logFile(dir)).size, big.size);
      const expected = big.before!;
      const events = await store.read('big', 'INC-1', 0, 1_000_000);
      assert.deepEqual(events, expected.perIncident[0]!.events.filter((e) => e.seq !== damaged.seq));
      assert.deepEqual(await store.read('c', 'INC-1', 0, 1_000), expected.perIncident[1]!.events);
      assert.deepEqual((await store.listSignals('big')).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)), expected.perChannel[0]!.signals);
      const line = logs.find((l) => l.level === 'error' && /damaged region/.test(l.event));
      assert.ok(line);
      assert.match(String(line.fields.reason), /^implausible record length \d+$/);
      assert.deepEqual([line.fields.channel, line.fields.incident, line.fields.seq], ['big', 'INC-1', damaged.seq]);
      assert.deepEqual([store.health().lostEvents, (await store.listIncidents('big'))[0]?.summary.headSeq], [1, big.lastSeq]);
      await store.close();
    });

    for (const [what, offset, change] of [
      ['in its payload', 5000, flip],
      ['in its length field', 7, (bytes: Buffer, at: number) => { bytes[at] = bytes[at]! | 0x80; }],
    ] as const) {
      it(`keeps a last record of the largest size that is damaged ${what}: skipped and copied aside, never cut off`, async () => {
        const dir = copyOf(big.dir);
        patch(logFile(dir), big.lastMax + offset, change);
        const { store, report } = await openLogged(dir);
        assert.deepEqual([report.truncatedBytes, report.skipped, report.events], [0, [{ offset: big.lastMax, bytes: MAX_RECORD_BYTES }], big.events - 1]);
        assert.equal(statSync(logFile(dir)).size, big.size, 'nothing was cut off');
        assert.deepEqual([store.health().damagedRecords, store.health().quarantinedBytes, store.health().lostEvents], [1, MAX_RECORD_BYTES, 1]);
        assert.equal((await store.listIncidents('big'))[0]?.summary.headSeq, big.lastSeq, 'its seq stays taken');
        await store.close();
      });
    }
  });

  describe('a log with record boundaries at the scan window\'s edges', () => {
    // c INC-1: a few small notes, then from `zeroFrom` notes ending exactly where the first window ends (16 + 8 MiB - 3,
    // `windowEdge`), then one ending at `zeroTo` = zeroFrom + 8 MiB - 2, then small notes.
    const edge = { dir: '', zeroFrom: 0, windowEdge: FILE_HEADER_BYTES + WINDOW - 3, zeroTo: 0, records: [] as AppendRecord[], offsets: [] as number[] };

    before(async function () {
      this.timeout(60_000);
      edge.dir = tempDir('ir-scan-edge-');
      const { store } = await open(edge.dir);
      const size = () => statSync(logFile(edge.dir)).size;
      let seq = 0;
      const add = async (r: AppendRecord) => {
        edge.offsets.push(size());
        edge.records.push(r);
        await store.append([r]);
      };
      await add(declared('c', 'INC-1', ++seq));
      for (let i = 0; i < 4; i++) await add(note('c', 'INC-1', ++seq));
      edge.zeroFrom = size();
      edge.zeroTo = edge.zeroFrom + WINDOW - 2;
      for (let i = 0; i < 7; i++) await add(noteOfSize('c', 'INC-1', ++seq, 1_000_000));
      await add(noteOfSize('c', 'INC-1', ++seq, edge.windowEdge - size()));
      assert.equal(size(), edge.windowEdge);
      await add(noteOfSize('c', 'INC-1', ++seq, edge.zeroTo - size()));
      assert.equal(size(), edge.zeroTo);
      for (let i = 0; i < 3; i++) await add(note('c', 'INC-1', ++seq));
      await store.close();
    });

    it('skips an 8 MiB stretch of zeroed log to the next record, whose marker straddles the end of the window the search is in', async () => {
      const dir = copyOf(edge.dir);
      patch(logFile(dir), edge.zeroFrom, (bytes, at) => bytes.fill(0, at, edge.zeroTo));
      const { store, report, logs } = await openLogged(dir);
      assert.deepEqual([report.skipped, report.truncatedBytes], [[{ offset: edge.zeroFrom, bytes: edge.zeroTo - edge.zeroFrom }], 0]);
      const kept = edge.records.filter((_, i) => edge.offsets[i]! < edge.zeroFrom || edge.offsets[i]! >= edge.zeroTo);
      assert.equal(kept.length, 8);
      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.json), kept.map((r) => r.json));
      assert.deepEqual([store.health().lostEvents, (await store.listIncidents('c'))[0]?.summary.headSeq], [edge.records.length - kept.length, edge.records.length]);
      const line = logs.find((l) => /damaged region/.test(l.event));
      assert.deepEqual([line?.fields.offset, line?.fields.reason, line?.fields.seq], [edge.zeroFrom, 'no record marker', undefined], 'zeros say nothing about where they belonged');
      await store.close();
    });

    it('cuts off a torn tail of a few bytes when the log ends exactly where the first scan window does', async () => {
      const dir = copyOf(edge.dir);
      const whole = edge.offsets.findIndex((o) => o === edge.windowEdge);
      truncateSync(logFile(dir), edge.windowEdge);
      appendFileSync(logFile(dir), encode([edge.records[whole]!]).subarray(0, 3));
      assert.equal(statSync(logFile(dir)).size, FILE_HEADER_BYTES + WINDOW);
      const { store, report } = await openLogged(dir);
      assert.deepEqual([report.truncatedBytes, report.skipped, report.events], [3, [], whole]);
      assert.equal(statSync(logFile(dir)).size, edge.windowEdge);
      assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), edge.records.slice(0, whole).map((r) => r.seq));
      await store.close();
    });
  });

  describe('what a damaged record\'s header is believed for', () => {
    it('makes no channel and no incident of a record damaged in its channel name', async () => {
      const dir = tempDir('ir-scan-');
      const { store } = await open(dir);
      const mine = [declared('c', 'INC-1'), note('c', 'INC-1', 2), note('c', 'INC-1', 3)];
      for (const r of mine) await store.append([r]);
      await store.close();
      patch(logFile(dir), FILE_HEADER_BYTES + HEADER_BYTES, flip); // 'c' → 'C'
      const { store: s2, report, logs } = await openLogged(dir);
      assert.deepEqual([report.skipped.length, report.channels, report.incidents], [1, 1, 1]);
      assert.deepEqual(s2.stats(), { channels: 1, incidents: 1, events: 2, failed: false });
      assert.deepEqual([await s2.highestIncidentNumber('C'), await s2.highestIncidentNumber('c')], [0, 1]);
      assert.deepEqual([s2.health().incidentsWithoutDeclaration, s2.health().lostEvents], [1, 1]);
      const line = logs.find((l) => /damaged region/.test(l.event));
      assert.deepEqual([line?.fields.channel, line?.fields.seq], [undefined, undefined]);
      await s2.close();
    });

    it('takes no incident for a damaged signal record (its header says incident 0, seq 0)', async () => {
      const dir = tempDir('ir-scan-');
      const { store } = await open(dir);
      await store.append([declared('c', 'INC-1'), note('c', 'INC-1', 2)]);
      const sig = signal('aaaaaaaaaaaaaaaa');
      await store.putSignals('c', [sig]);
      await store.append([note('c', 'INC-1', 3)]);
      await store.close();
      patch(logFile(dir), readFileSync(logFile(dir)).indexOf(Buffer.from(JSON.stringify(sig))) + 30, flip);
      const { store: s2, report, logs } = await openLogged(dir);
      assert.deepEqual([report.skipped.length, report.incidents, report.events], [1, 1, 3]);
      assert.deepEqual([s2.health().incidentsWithoutDeclaration, s2.health().lostEvents, s2.health().damagedRecords], [0, 0, 1]);
      assert.equal(await s2.highestIncidentNumber('c'), 1);
      const line = logs.find((l) => /damaged region/.test(l.event));
      assert.deepEqual([line?.fields.incident, line?.fields.seq], [undefined, undefined]);
      await s2.close();
    });

    it('at the top of the number range: keeps INC-9999999999 taken, and takes no number an incident id cannot carry', async () => {
      const dir = tempDir('ir-scan-');
      const { store } = await open(dir);
      const top = 'INC-9999999998';
      await store.append([declared('c', top), declared('c', 'INC-9999999999'), note('c', top, 2)]);
      await store.close();
      // A record of incident 10,000,000,000 (eleven digits: no id names it) between two of INC-9999999998.
      const beyond = statSync(logFile(dir)).size;
      appendFileSync(logFile(dir), encodeRaw({ channel: 'c', incidentNumber: 10_000_000_000, seq: 1, id: randomUUID(), kind: 'incident.declared', json: declared('c', top).json }));
      const second = await open(dir);
      await second.store.append([note('c', top, 3)]);
      await second.store.close();
      const recs = layout(logFile(dir));
      const bytes = readFileSync(logFile(dir));
      for (const at of [find(recs, 'c', 9_999_999_999, 1).offset, beyond]) flip(bytes, at + 100);
      writeFileSync(logFile(dir), bytes);
      const { store: s2, report } = await openLogged(dir);
      assert.equal(report.skipped.length, 2);
      assert.equal(await s2.highestIncidentNumber('c'), 9_999_999_999);
      assert.deepEqual([report.incidents, s2.health().incidentsWithoutDeclaration], [2, 1]);
      assert.deepEqual((await s2.listIncidents('c')).map((i) => i.summary.id), [top]);
      await s2.close();
    });
  });

  it('skips a damaged record whose text holds the record marker ("IRE1") as one region, to the next real record', async () => {
    const dir = tempDir('ir-scan-');
    const { store } = await open(dir);
    const mine = [declared('c', 'INC-1'), note('c', 'INC-1', 2), note('c', 'INC-1', 3, 'IRE1 and IRE1-42 are ticket ids, not records'), note('c', 'INC-1', 4), note('c', 'INC-1', 5)];
    for (const r of mine) await store.append([r]);
    await store.close();
    const third = find(layout(logFile(dir)), 'c', 1, 3);
    patch(logFile(dir), third.offset + 9, flip); // its checksum
    const { store: s2, report, logs } = await openLogged(dir);
    assert.deepEqual([report.skipped, report.events, report.truncatedBytes], [[{ offset: third.offset, bytes: third.total }], 4, 0]);
    assert.deepEqual((await s2.read('c', 'INC-1', 0, 10)).map((e) => e.json), mine.filter((r) => r.seq !== 3).map((r) => r.json));
    assert.deepEqual(logs.filter((l) => /damaged region/.test(l.event)).map((l) => [l.fields.offset, l.fields.seq]), [[third.offset, 3]]);
    assert.equal(s2.health().damagedRecords, 1);
    await s2.close();
  });

  describe('the end of the log', () => {
    /** c INC-1 seq 1..5, one append each; returns the offset and length of the last record. */
    async function fiveEvents(dir: string) {
      const { store } = await open(dir);
      const evs = [declared('c', 'INC-1'), ...[2, 3, 4, 5].map((s) => note('c', 'INC-1', s))];
      for (const r of evs) await store.append([r]);
      await store.close();
      const size = statSync(logFile(dir)).size;
      return { evs, size, last: size - recordLength(evs[4]!), lastLength: recordLength(evs[4]!) };
    }

    for (const length of [0, HEADER_BYTES]) {
      it(`keeps a last record whose length field says ${length}: skipped and copied aside, its seq stays taken, nothing cut off`, async () => {
        const dir = tempDir('ir-scan-');
        const { size, last, lastLength } = await fiveEvents(dir);
        patch(logFile(dir), last + 4, (bytes, at) => bytes.writeUInt32LE(length, at));
        const { store, report } = await openLogged(dir);
        assert.deepEqual([report.truncatedBytes, report.skipped, report.events], [0, [{ offset: last, bytes: lastLength }], 4]);
        assert.equal(statSync(logFile(dir)).size, size);
        assert.equal((await store.listIncidents('c'))[0]?.summary.headSeq, 5);
        await store.close();
      });
    }

    it('cuts off junk at the end that merely has a plausible length where a record has its length, as a torn write', async () => {
      const dir = tempDir('ir-scan-');
      const { size } = await fiveEvents(dir);
      const junk = Buffer.alloc(200, 0xaa);
      junk.writeUInt32LE(0, 0); // no record marker
      junk.writeUInt32LE(100, 4);
      appendFileSync(logFile(dir), junk);
      const { store, report } = await openLogged(dir);
      assert.deepEqual([report.truncatedBytes, report.skipped, report.events], [200, [], 5]);
      assert.equal(statSync(logFile(dir)).size, size);
      assert.equal(store.health().state, 'ok');
      await store.close();
    });

    // A whole last record whose marker and length were both wiped (its first 8 bytes zeroed, the rest intact and
    // matching its checksum) was cut off as a torn write: an acked event deleted without a copy, health 'ok', its seq
    // handed out again. Its checksum over the rest of the file is what says it is whole, marker or not.
    it('keeps a last record whose marker and length were both wiped, since its checksum still matches: never cuts off an acked event', async () => {
      const dir = tempDir('ir-scan-');
      const { size, last, lastLength } = await fiveEvents(dir);
      patch(logFile(dir), last, (bytes, at) => bytes.fill(0, at, at + 8));
      const { store, report } = await openLogged(dir);
      assert.deepEqual([report.truncatedBytes, report.skipped], [0, [{ offset: last, bytes: lastLength }]]);
      assert.equal(statSync(logFile(dir)).size, size);
      assert.equal((await store.listIncidents('c'))[0]?.summary.headSeq, 5, 'seq 5 stays taken');
      assert.equal(store.health().state, 'degraded');
      await store.close();
    });
  });

  describe('file handling', () => {
    it('fails a read of a log cut short under the open store with store_corrupt, naming where the log ends', async () => {
      const dir = tempDir('ir-scan-');
      const { store } = await open(dir);
      const evs = [declared('c', 'INC-1'), ...Array.from({ length: 9 }, (_, i) => note('c', 'INC-1', i + 2))];
      await store.append(evs);
      const cut = statSync(logFile(dir)).size - recordLength(evs[9]!) - recordLength(evs[8]!) + 20;
      truncateSync(logFile(dir), cut);
      await assert.rejects(store.read('c', 'INC-1', 0, 100), (e: unknown) => {
        assert.deepEqual([(e as { code?: string }).code, (e as Error).message], ['store_corrupt', `unexpected end of the log at ${cut}`]);
        return true;
      });
      await store.close();
    });

    it('refuses a file that is not an event log with an error that names the file, short or long', async () => {
      for (const content of ['IRLOGx', 'name,amount\nalice,3\nbob,4\ncarol,5\n']) {
        const dir = tempDir('ir-scan-');
        writeFileSync(logFile(dir), content);
        await assert.rejects(new FileStore({ dir }).open(), {
          code: 'store_format', message: `${logFile(dir)} is not an Incident Room event log (unknown header); refusing to touch it`,
        });
        assert.equal(readFileSync(logFile(dir), 'utf8'), content);
      }
    });

    it('holds no descriptor of the data directory once it has created its log, or its quarantine file, and synced the directory', async function () {
      if (!existsSync('/proc/self/fd')) this.skip();
      // Descriptors of `dir` itself: the store opens one only to sync the directory after creating a file in it.
      const dirDescriptors = (dir: string) => {
        const real = realpathSync(dir);
        return readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === real;
          } catch {
            return false; // closed meanwhile (the descriptor readdir itself used)
          }
        });
      };
      for (let i = 0; i < 3; i++) {
        const dir = tempDir('ir-scan-');
        const { store } = await open(dir); // creates the log
        assert.deepEqual(dirDescriptors(dir), [], 'after creating the log');
        await store.append([declared('c', 'INC-1'), note('c', 'INC-1', 2), note('c', 'INC-1', 3)]);
        await store.close();
        patch(logFile(dir), FILE_HEADER_BYTES + 100, flip);
        const again = await open(dir); // creates the quarantine file
        assert.equal(again.report.skipped.length, 1);
        assert.ok(existsSync(`${logFile(dir)}.quarantine`));
        assert.deepEqual(dirDescriptors(dir), [], 'after creating the quarantine file');
        await again.store.close();
      }
    });
  });
});
