// Promises of the file store that fileStore.test.ts, fileStoreDurability.test.ts and the store contract leave
// unchecked: what a commit listener is told, what a closed, closing, never-opened or failed store answers (and that it
// answers at once, never leaving a call waiting), what close() keeps, the order of incidents, what an acked seq and a
// declaration id stay, what health() says, and how reads treat records that changed under the store.
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import type { SequencedEvent } from '../../../src/protocol/events';
import { type AppendRecord, type CommitInfo, type EventStore, type StoreHealth, StoreError } from '../../../src/store/eventStore';
import { FileStore, type StoreLogLevel } from '../../../src/store/fileStore';
import { encodeBatch, MAX_RECORD_BYTES, UnknownKindError } from '../../../src/store/recordCodec';
import { records, signal, statusRecord } from './fixtures';

type LogLine = { level: StoreLogLevel; event: string; fields: Record<string, unknown> };

const dirs: string[] = [];
const stores: FileStore[] = [];

function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ir-store-promises-'));
  dirs.push(dir);
  return dir;
}

/** A store opened on `dir` that collects its log lines (or, with `log: false`, has no log function at all). */
async function openStore(dir: string, { log = true } = {}) {
  const logs: LogLine[] = [];
  const store = new FileStore({ dir, ...(log ? { log: (level: StoreLogLevel, event: string, fields: Record<string, unknown>) => logs.push({ level, event, fields }) } : {}) });
  stores.push(store);
  const report = await store.open();
  return { store, report, logs };
}

const logFile = (dir: string) => path.join(dir, 'events.log');

/** Where a record starts in the log: its JSON follows the 48-byte header and the channel name. */
function recordStart(bytes: Buffer, r: AppendRecord): number {
  const at = bytes.indexOf(Buffer.from(r.json));
  assert.ok(at > 0, `seq ${r.seq} found in the log`);
  return at - 48 - r.channel.length;
}

const recordLength = (r: AppendRecord) => 48 + r.channel.length + Buffer.byteLength(r.json);

/** Overwrite bytes of the log in place, through a descriptor of its own, as a misbehaving disk or tool would. */
function overwrite(dir: string, at: number, data: Buffer): void {
  const fd = openSync(logFile(dir), 'r+');
  try {
    writeSync(fd, data, 0, data.length, at);
  } finally {
    closeSync(fd);
  }
}

/** Flip a bit in the JSON of `r`'s record, as bit rot would (the store may be open); returns where the record starts. */
function rotByte(dir: string, r: AppendRecord): number {
  const at = recordStart(readFileSync(logFile(dir)), r);
  const pos = at + 48 + r.channel.length + 20;
  const [byte] = readFileSync(logFile(dir)).subarray(pos, pos + 1);
  overwrite(dir, pos, Buffer.from([byte! ^ 0x20]));
  return at;
}

/** The entries of the quarantine file: where each damaged region was, how long, and why. */
function quarantined(dir: string): { offset: number; bytes: number; reason: string }[] {
  const buf = readFileSync(`${logFile(dir)}.quarantine`);
  const out: { offset: number; bytes: number; reason: string }[] = [];
  for (let pos = 0; pos + 8 <= buf.length;) {
    const metaLength = buf.readUInt32LE(pos + 4);
    const meta = JSON.parse(buf.toString('utf8', pos + 8, pos + 8 + metaLength)) as { offset: number; bytes: number; reason: string };
    out.push({ offset: meta.offset, bytes: meta.bytes, reason: meta.reason });
    pos += 8 + metaLength + meta.bytes;
  }
  return out;
}

/** A declaration as an incident's event `seq` (a second one, or one that is not seq 1), with a fresh id. */
function declarationAt(channel: string, incidentId: string, seq: number): AppendRecord {
  const [d] = records(channel, incidentId, 1, 1);
  const event = { ...d!.event, seq } as SequencedEvent;
  return { ...d!, seq, event, json: JSON.stringify(event) };
}

type Outcome = { state: 'pending' } | { state: 'resolved' } | { state: 'rejected'; error: unknown };

/** Follows a promise from the moment it is made, so a test can ask how it stands at a given state of the store. */
function follow(p: Promise<unknown>): { readonly now: Outcome } {
  let now: Outcome = { state: 'pending' };
  p.then(() => (now = { state: 'resolved' }), (error: unknown) => (now = { state: 'rejected', error }));
  return { get now() { return now; } };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A refusal is immediate: by the next turn of the event loop the call has been rejected, not queued for a commit. */
async function refusedAtOnce(p: Promise<unknown>, what: string): Promise<unknown> {
  const outcome = follow(p);
  await nextTurn();
  const now = outcome.now;
  assert.equal(now.state, 'rejected', `${what}: refused at once, not left waiting`);
  return now.state === 'rejected' ? now.error : undefined;
}

function assertStoreError(e: unknown, code: StoreError['code'], message: RegExp): void {
  assert.ok(e instanceof StoreError, `a StoreError: ${String(e)}`);
  assert.equal(e.code, code);
  assert.match(e.message, message);
}

/** Wait until the store reaches a state, one event-loop turn at a time (bounded by the test's timeout). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await nextTurn();
}

const healthy: StoreHealth = {
  state: 'ok', damagedRecords: 0, quarantinedBytes: 0, lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
};

describe('store/fileStore promises', () => {
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });
  after(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('tells every commit listener how many events and bytes each commit made durable and how long it took; an empty call commits nothing', async () => {
    const dir = freshDir();
    const fromOptions: CommitInfo[] = [];
    const fromMethod: CommitInfo[] = [];
    const store = new FileStore({ dir, onCommit: (i) => fromOptions.push(i) });
    stores.push(store);
    store.onCommit((i) => fromMethod.push(i));
    await store.open();
    const sizeAtOpen = statSync(logFile(dir)).size;
    const t0 = performance.now();
    await store.append(records('c', 'INC-1', 1, 3));
    const elapsed = performance.now() - t0;
    const afterAppend = statSync(logFile(dir)).size;
    await store.putSignals('c', [signal('aaaa000000000001'), signal('bbbb000000000002')]);
    const afterPut = statSync(logFile(dir)).size;
    assert.equal(fromMethod.length, 2, 'a listener added with onCommit() hears of every commit');
    const [appended, put] = fromMethod;
    assert.deepEqual([appended!.events, appended!.bytes], [3, afterAppend - sizeAtOpen]);
    assert.ok(appended!.fsyncMs >= 0 && appended!.fsyncMs <= elapsed, `the durable write took ${appended!.fsyncMs} ms of an append that took ${elapsed} ms`);
    assert.deepEqual([put!.events, put!.bytes], [0, afterPut - afterAppend], 'signals are bytes, not events');
    assert.deepEqual(fromOptions, fromMethod, 'the listener given to the constructor is told the same');

    await store.append([]);
    await store.putSignals('c', []);
    assert.equal(fromMethod.length, 2, 'an empty append or put is no commit');
    assert.equal(statSync(logFile(dir)).size, afterPut, 'and writes nothing');
  });

  it('refuses appends and puts at once with store_closed before it is opened and after it is closed; close() without an open is harmless', async () => {
    const never = new FileStore({ dir: freshDir() });
    const [r] = records('c', 'INC-1', 1, 1);
    assertStoreError(await refusedAtOnce(never.append([r!]), 'an append before open'), 'store_closed', /closed/);
    assertStoreError(await refusedAtOnce(never.putSignals('c', [signal('aaaa000000000001')]), 'a put before open'), 'store_closed', /closed/);
    await never.close();

    const dir = freshDir();
    const { store } = await openStore(dir);
    await store.append([r!]);
    await store.close();
    assertStoreError(await refusedAtOnce(store.append(records('c', 'INC-1', 2, 2)), 'an append after close'), 'store_closed', /closed/);
    assertStoreError(await refusedAtOnce(store.putSignals('c', [signal('aaaa000000000001')]), 'a put after close'), 'store_closed', /closed/);
    await store.close();
    const { store: reopened } = await openStore(dir);
    assert.deepEqual((await reopened.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1], 'nothing refused reached the log');
    assert.deepEqual(await reopened.listSignals('c'), []);
  });

  it('close() acks everything queued before it, durably, and refuses what arrives while it closes', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 3);
    const queued = follow(store.append(evs.slice(0, 2)));
    const put = follow(store.putSignals('c', [signal('aaaa000000000001', { incidentId: 'INC-1' })]));
    const closing = store.close();
    const [late, latePut] = await Promise.all([
      refusedAtOnce(store.append(evs.slice(2)), 'an append while closing'),
      refusedAtOnce(store.putSignals('c', [signal('bbbb000000000002')]), 'a put while closing'),
    ]);
    assertStoreError(late, 'store_closed', /closed/);
    assertStoreError(latePut, 'store_closed', /closed/);
    await closing;
    assert.deepEqual([queued.now.state, put.now.state], ['resolved', 'resolved'], 'acked before close() resolved');
    const { store: reopened } = await openStore(dir);
    assert.deepEqual((await reopened.read('c', 'INC-1', 0, 10)).map((e) => e.json), evs.slice(0, 2).map((e) => e.json));
    assert.deepEqual((await reopened.listSignals('c')).map((s) => [s.fingerprint, s.incidentId]), [['aaaa000000000001', 'INC-1']]);
  });

  it('close() during a commit waits for it and for what queued behind it: both durable, in order, nothing overwritten', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 7);
    const first = follow(store.append(evs.slice(0, 3)));
    await nextTurn(); // the group commit scheduled for this turn is now writing `first`
    const second = follow(store.append(evs.slice(3)));
    await store.close();
    assert.deepEqual([first.now.state, second.now.state], ['resolved', 'resolved']);
    const { store: reopened, report } = await openStore(dir);
    assert.deepEqual({ events: report.events, truncatedBytes: report.truncatedBytes, skipped: report.skipped }, { events: 7, truncatedBytes: 0, skipped: [] });
    assert.deepEqual((await reopened.read('c', 'INC-1', 0, 10)).map((e) => e.json), evs.map((e) => e.json));
    assert.deepEqual(reopened.health(), healthy);
  });

  it('after an event that cannot be encoded, refuses every later append and put at once with one store_failed error, with or without a log', async () => {
    for (const log of [true, false]) {
      const dir = freshDir();
      const { store, logs } = await openStore(dir, { log });
      const [declared, note, next] = records('c', 'INC-1', 1, 3);
      const writing = store.append([declared!]);
      await nextTurn(); // its commit is being written when the failure comes
      const unknown = { ...note!, kind: 'incident.archived' } as unknown as AppendRecord;
      await assert.rejects(store.append([unknown]), (e: unknown) => e instanceof UnknownKindError, 'refused by a rejected promise, not a throw');
      const refusedPut = await refusedAtOnce(store.putSignals('c', [signal('aaaa000000000001')]), 'a put after the failure');
      assertStoreError(refusedPut, 'store_failed', /an event could not be encoded: .*incident\.archived/);
      assert.equal(await refusedAtOnce(store.append([next!]), 'an append after the failure'), refusedPut, 'the same error for every later call');
      await writing; // what was already being written is acked: it is durable
      assert.equal(store.stats().failed, true);
      if (log) {
        assert.deepEqual(logs.filter((l) => l.level === 'error').map((l) => [l.event, l.fields.path]), [['store failed', logFile(dir)]]);
        assert.match(String(logs.find((l) => l.event === 'store failed')?.fields.error), /incident\.archived/);
      }
      await store.close();
      const { store: reopened } = await openStore(dir);
      assert.deepEqual((await reopened.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1]);
      assert.deepEqual(await reopened.listSignals('c'), []);
    }
  });

  it('after a failed write, rejects what it was writing and refuses everything later with store_failed saying the write failed, with or without a log', async () => {
    for (const log of [true, false]) {
      const dir = freshDir();
      const { store, logs } = await openStore(dir, { log });
      await store.append(records('c', 'INC-1', 1, 2));
      // Pull the file out from under it, as a dying disk would.
      await (store as unknown as { fh: FileHandle }).fh.close();
      const pending = follow(store.append(records('c', 'INC-1', 3, 3)));
      await until(() => store.stats().failed);
      const now = pending.now;
      assert.equal(now.state, 'rejected', 'the append it was writing is rejected once the store has failed');
      const error = now.state === 'rejected' ? now.error : undefined;
      assertStoreError(error, 'store_failed', /writing the event log failed: \S/);
      assert.equal(await refusedAtOnce(store.putSignals('c', [signal('aaaa000000000001')]), 'a later put'), error);
      assert.equal(await refusedAtOnce(store.append(records('c', 'INC-1', 3, 3)), 'a later append'), error);
      if (log) {
        const line = logs.find((l) => l.event === 'store failed');
        assert.equal(line?.level, 'error');
        assert.equal(line?.fields.path, logFile(dir));
        assert.ok(typeof line?.fields.error === 'string' && line.fields.error.length > 0, 'says what went wrong');
      }
      assert.deepEqual((await store.readIds('c', 'INC-1')).size, 2, 'what was acked is still served');
    }
  });

  it('refuses a put holding a signal too big for a record, that call alone: none of it is kept and the store goes on', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const small = signal('aaaa000000000001');
    const huge = signal('bbbb000000000002', { annotations: { summary: 'x'.repeat(MAX_RECORD_BYTES) } });
    const err = await store.putSignals('c', [small, huge]).then(() => null, (e: unknown) => e);
    assertStoreError(err, 'store_failed', new RegExp(`^a signal could not be encoded: .*${MAX_RECORD_BYTES}-byte limit`));
    assert.deepEqual(await store.listSignals('c'), [], 'nothing of the refused call');
    assert.equal(store.stats().failed, false, 'a signal takes no seq: the store has not failed');
    await store.putSignals('c', [small]);
    await store.append(records('c', 'INC-1', 1, 1));
    await store.close();
    const { store: reopened } = await openStore(dir);
    assert.deepEqual(await reopened.listSignals('c'), [small]);
    assert.deepEqual((await reopened.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1]);
  });

  it('opens once: a second open is refused; an open that fails gives up the directory, and close() after it is harmless', async () => {
    const { store } = await openStore(freshDir());
    await assert.rejects(store.open(), /open called twice/);
    await store.append(records('c', 'INC-1', 1, 1));
    assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1], 'the store it opened first still works');

    const dir = freshDir();
    mkdirSync(logFile(dir)); // something that is no log file where the log belongs
    const broken = new FileStore({ dir });
    await assert.rejects(broken.open(), { code: 'EISDIR' });
    await broken.close();
    rmdirSync(logFile(dir));
    const { store: fixed } = await openStore(dir);
    assert.deepEqual(fixed.stats(), { channels: 0, incidents: 0, events: 0, failed: false }, 'the failed open released the lock');
  });

  it('lists incidents by number, INC-1 first, and knows the highest, whatever order their records reached the log in; an unknown channel has none', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    await store.append(records('c', 'INC-3', 1, 1));
    await store.append(records('c', 'INC-1', 1, 3));
    await store.append(records('c', 'INC-2', 1, 2));
    const check = async (s: EventStore, when: string) => {
      assert.deepEqual((await s.listIncidents('c')).map((i) => [i.summary.id, i.summary.headSeq]), [['INC-1', 3], ['INC-2', 2], ['INC-3', 1]], when);
      assert.equal(await s.highestIncidentNumber('c'), 3, when);
      assert.deepEqual(await s.listIncidents('nobody'), [], when);
      assert.equal(await s.highestIncidentNumber('nobody'), 0, when);
      assert.equal((await s.readIds('nobody', 'INC-1')).size, 0, when);
    };
    await check(store, 'live');
    await store.close();
    await check((await openStore(dir)).store, 'after a reopen');
  });

  it('never changes an acked event: a second record for a seq it holds is ignored, live and after a reopen', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 3);
    await store.append(evs);
    const [again] = records('c', 'INC-1', 3, 3, 'rewritten');
    await store.append([again!]);
    const check = async (s: EventStore, when: string) => {
      assert.deepEqual((await s.read('c', 'INC-1', 0, 10)).map((e) => e.json), evs.map((e) => e.json), when);
      const ids = await s.readIds('c', 'INC-1');
      assert.deepEqual([ids.get(evs[2]!.id), ids.has(again!.id)], [3, false], when);
      assert.deepEqual(s.stats(), { channels: 1, incidents: 1, events: 3, failed: false }, when);
    };
    await check(store, 'live');
    await store.close();
    const { store: reopened, report, logs } = await openStore(dir);
    assert.equal(report.events, 3);
    assert.ok(logs.some((l) => l.level === 'warn' && /second record for the same seq/.test(l.event)));
    await check(reopened, 'after a reopen');
  });

  it('serves every intact event after a damaged run longer than the room its index had for the incident', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 60);
    await store.append(evs);
    await store.close();
    // Seqs 17..50 zeroed, as a dead stretch of a disk reads back; seq 51 comes far past the 16 slots an incident starts with.
    const bytes = readFileSync(logFile(dir));
    const from = recordStart(bytes, evs[16]!);
    bytes.fill(0, from, recordStart(bytes, evs[50]!));
    writeFileSync(logFile(dir), bytes);
    const { store: s2 } = await openStore(dir);
    const intact = [...evs.slice(0, 16), ...evs.slice(50)];
    assert.deepEqual((await s2.read('c', 'INC-1', 0, 100)).map((e) => e.json), intact.map((e) => e.json));
    assert.deepEqual([...(await s2.readIds('c', 'INC-1')).entries()], intact.map((e) => [e.id, e.seq]));
    assert.equal(s2.health().lostEvents, 34);
  });

  it('copies a record a read finds damaged aside once, saying where in the log it was, and not again when a reopen finds it', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 10);
    await store.append(evs);
    const at = rotByte(dir, evs[4]!);
    const intact = evs.filter((e) => e.seq !== 5).map((e) => e.seq);
    assert.deepEqual((await store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), intact);
    const health = store.health();
    assert.deepEqual([health.state, health.damagedRecords, health.quarantinedBytes, health.lostEvents], ['degraded', 1, recordLength(evs[4]!), 1]);
    await store.close();
    assert.deepEqual(quarantined(dir).map((q) => [q.offset, q.bytes]), [[at, recordLength(evs[4]!)]], 'one entry, saying where in the log the bytes are');
    const size = statSync(`${logFile(dir)}.quarantine`).size;
    const { store: s2, report } = await openStore(dir);
    assert.deepEqual(report.skipped, [{ offset: at, bytes: recordLength(evs[4]!) }], 'the reopen finds the same region');
    assert.equal(s2.health().damagedRecords, 1);
    await s2.close();
    assert.equal(statSync(`${logFile(dir)}.quarantine`).size, size, 'and does not copy it aside a second time');
  });

  // read() decodes each run with the offsets it read it with: another read that found a record of the run damaged
  // meanwhile has set its offset to -1, which was decoded from before the buffer (a RangeError, not the other events).
  it('serves two reads that find the same damaged record at once, and counts it as one damaged record and one lost event', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 10);
    await store.append(evs);
    rotByte(dir, evs[4]!);
    const intact = evs.filter((e) => e.seq !== 5).map((e) => e.seq);
    const [a, b] = await Promise.all([store.read('c', 'INC-1', 0, 100), store.read('c', 'INC-1', 0, 100)]);
    assert.deepEqual([a.map((e) => e.seq), b.map((e) => e.seq)], [intact, intact]);
    const health = store.health();
    assert.deepEqual([health.damagedRecords, health.lostEvents, health.incidentsWithLostEvents], [1, 1, 1]);
    assert.equal(store.stats().events, 9);
    assert.equal((await store.readIds('c', 'INC-1')).size, 9);
  });

  it('never serves a record that changed since it was indexed: a shorter rewrite of its seq, or another record misdirected into its place', async () => {
    const dir = freshDir();
    const { store, logs } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 10);
    await store.append(evs);
    const bytes = readFileSync(logFile(dir));
    // Seq 3 rewritten in place, shorter, with a valid checksum: what a tool editing the log would leave.
    const third = evs[2]!;
    const shorter = { ...third.event, data: { text: 'x', tag: 'note' } } as SequencedEvent;
    overwrite(dir, recordStart(bytes, third), encodeBatch([{ ...third, incidentNumber: 1, json: JSON.stringify(shorter) }]).buf);
    // Seq 7's record written where seq 6's was (a misdirected write): the same length, a valid record, the wrong seq.
    assert.equal(recordLength(evs[5]!), recordLength(evs[6]!));
    const seventh = bytes.subarray(recordStart(bytes, evs[6]!), recordStart(bytes, evs[6]!) + recordLength(evs[6]!));
    overwrite(dir, recordStart(bytes, evs[5]!), Buffer.from(seventh));
    const served = await store.read('c', 'INC-1', 0, 100);
    assert.deepEqual(served.map((e) => [e.seq, e.json]), evs.filter((e) => e.seq !== 3 && e.seq !== 6).map((e) => [e.seq, e.json]));
    assert.deepEqual([store.health().damagedRecords, store.health().lostEvents], [2, 2]);
    const found = logs.filter((l) => l.level === 'error' && /found by a read/.test(l.event));
    assert.deepEqual(found.map((l) => l.fields.seq), [3, 6]);
    for (const l of found) assert.match(String(l.fields.reason), /changed since it was indexed/);
  });

  it('serves a record whose kind this build has no code for (code 0, as a newer build writes it) with the kind its JSON names', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const evs = records('c', 'INC-1', 1, 2);
    await store.append(evs);
    await store.close();
    const at = new Date().toISOString();
    const event = { seq: 3, id: '5b0c3f9e-2d7a-4e8b-9c1f-0a6d4e2b7c55', kind: 'incident.archived', at, receivedAt: at, actor: { id: 'bob@example.com', name: 'Bob' }, data: {} };
    const json = JSON.stringify(event);
    const { buf } = encodeBatch([{ channel: 'c', incidentNumber: 1, seq: 3, id: event.id, kind: 'note.added', json }]);
    buf.writeUInt8(0, 12); // "read the kind from the payload"
    buf.writeUInt32LE(crc32(buf.subarray(12)), 8);
    appendFileSync(logFile(dir), buf);
    const { store: s2, report } = await openStore(dir);
    assert.deepEqual([report.events, report.skipped], [3, []]);
    assert.deepEqual((await s2.read('c', 'INC-1', 0, 10)).map((e) => [e.seq, e.kind, e.json]), [...evs.map((e) => [e.seq, e.kind, e.json]), [3, 'incident.archived', json]]);
  });

  it('health() is ok, with no quarantine file, while nothing is wrong, live and after a reopen', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    await store.append([...records('c', 'INC-1', 1, 3), ...records('c', 'INC-2', 1, 2), ...records('d', 'INC-1', 1, 1)]);
    await store.putSignals('c', [signal('aaaa000000000001')]);
    assert.deepEqual(store.health(), healthy);
    await store.close();
    assert.deepEqual((await openStore(dir)).store.health(), healthy);
  });

  it('health() is degraded whenever it counts a hole in an incident or an incident without declaration, even when no record is damaged', async () => {
    // A hole: seq 3 missing from an otherwise sound log (cut out cleanly, e.g. by a copy that skipped it).
    const holed = freshDir();
    const { store } = await openStore(holed);
    const evs = records('c', 'INC-1', 1, 5);
    await store.append(evs);
    await store.close();
    const bytes = readFileSync(logFile(holed));
    const cut = recordStart(bytes, evs[2]!);
    writeFileSync(logFile(holed), Buffer.concat([bytes.subarray(0, cut), bytes.subarray(cut + recordLength(evs[2]!))]));
    const { store: s2, report } = await openStore(holed);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual((await s2.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 4, 5]);
    assert.deepEqual(s2.health(), { ...healthy, state: 'degraded', lostEvents: 1, incidentsWithLostEvents: 1 });

    // An incident whose log begins with a status change: every seq is there, but there is no declaration to list.
    const { store: s3 } = await openStore(freshDir());
    await s3.append([statusRecord('c', 'INC-1', 1, 'mitigating')]);
    assert.deepEqual(await s3.listIncidents('c'), []);
    assert.deepEqual(s3.health(), { ...healthy, state: 'degraded', incidentsWithoutDeclaration: 1 });
  });

  it('keeps the id of the seq-1 declaration only: a later second declaration never replaces it, and an incident whose seq 1 is none has none', async () => {
    const dir = freshDir();
    const { store } = await openStore(dir);
    const one = [...records('c', 'INC-1', 1, 2), declarationAt('c', 'INC-1', 3)];
    const two = [statusRecord('c', 'INC-2', 1, 'mitigating'), declarationAt('c', 'INC-2', 2)];
    await store.append(one);
    await store.append(two);
    const check = async (s: EventStore, when: string) => {
      assert.deepEqual((await s.listIncidents('c')).map((i) => [i.summary.id, i.summary.headSeq, i.declareEventId]), [['INC-1', 3, one[0]!.id], ['INC-2', 2, '']], when);
    };
    await check(store, 'live');
    await store.close();
    await check((await openStore(dir)).store, 'after a reopen');
  });
});
