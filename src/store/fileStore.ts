import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import { canChangeSummary, reduceSummary } from '../core/summary';
import { CHANNEL_PATTERN } from '../protocol/codes';
import type { EventKind, SequencedEvent } from '../protocol/events';
import type { IncidentSummary, Signal } from '../protocol/messages';
import {
  type AppendRecord, type CommitInfo, type EventStore, type IncidentRecord, incidentNumber, type RecoveryReport, signalToKeep, StoreError,
  type StoreHealth, type StoreStats, type StoredEvent,
} from './eventStore';
import {
  decodeAt, encodeBatch, HEADER_BYTES, kindOfCode, MAX_RECORD_BYTES, RECORD_MAGIC, type RecordHeader, readUuid, SIGNAL_RECORD,
} from './recordCodec';
import { type LockOptions, StoreLock } from './storeLock';

/** First bytes of the log file: a format marker, so a foreign file is refused instead of "repaired". */
const FILE_MAGIC = Buffer.from('IRLOG\u0000v1\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1');
const FILE_HEADER_BYTES = FILE_MAGIC.length; // 16
const SCAN_CHUNK = 8 * 1024 * 1024;
/** Records of one incident closer than this in the file are read with one read call. */
const READ_MERGE_GAP = 16 * 1024;
/**
 * Where the platform has O_DSYNC (Linux, macOS) the log is opened with it: each group commit is then one write call
 * that returns once the data is on stable storage, instead of a write and an fdatasync — one trip through libuv's
 * thread pool instead of two, which halved the median ack latency at low rates on a busy machine. Elsewhere
 * (Windows) it writes, then fdatasyncs.
 */
const O_DSYNC: number | undefined = (fsConstants as { O_DSYNC?: number }).O_DSYNC;

/** Marks each entry of the quarantine file: 'IRQ1', then a u32 length of the entry's JSON description, then the bytes. */
const QUARANTINE_MAGIC = 0x31515249; // 'IRQ1' read as little-endian u32
/** The largest incident number an id can carry (`INC-` and at most 10 digits). */
const MAX_INCIDENT_NUMBER = 9_999_999_999;

export type StoreLogLevel = 'info' | 'warn' | 'error';

export interface FileStoreOptions {
  /** The data directory (`--data`); created if missing. */
  readonly dir: string;
  /** What to do when another process holds the directory (see `StoreLock`). Default: fail at once. */
  readonly lock?: LockOptions;
  /** Called after every group commit (one durable write: O_DSYNC, or write + fdatasync); `fsyncMs` is its duration. */
  readonly onCommit?: (info: CommitInfo) => void;
  /** Things worth a log line: recovery, truncation, failures. */
  readonly log?: (level: StoreLogLevel, event: string, fields: Record<string, unknown>) => void;
}

/** Where an incident's events are in the log, indexed by seq - 1; rebuilt on every open. */
class IncidentLog {
  offsets = new Float64Array(16).fill(-1);
  lengths = new Uint32Array(16);
  ids = Buffer.alloc(16 * 16);
  head = 0;
  count = 0;
  summary: IncidentSummary | null = null;
  declareEventId = '';

  constructor(readonly channel: string, readonly number: number, readonly incidentId: string) {}

  put(seq: number, offset: number, length: number, src: Buffer, idOffset: number): boolean {
    const i = seq - 1;
    if (i >= this.offsets.length) this.grow(Math.max(i + 1, this.offsets.length * 2));
    if ((this.offsets[i] ?? -1) >= 0) return false;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    // 16 bytes: a plain loop beats Buffer#copy's call overhead, and this runs once per event at recovery.
    const ids = this.ids;
    for (let b = 0, to = i * 16; b < 16; b++) ids[to + b] = src[idOffset + b]!;
    if (seq > this.head) this.head = seq;
    this.count++;
    return true;
  }

  /** A seq known to have been written (from a damaged record's header) but not servable: it stays taken. */
  reserve(seq: number): void {
    if (seq - 1 >= this.offsets.length) this.grow(Math.max(seq, this.offsets.length * 2));
    if (seq > this.head) this.head = seq;
  }

  /** Forget where a seq's record is (it was found damaged); false when it was not indexed. */
  drop(seq: number): boolean {
    if ((this.offsets[seq - 1] ?? -1) < 0) return false;
    this.offsets[seq - 1] = -1;
    this.count--;
    return true;
  }

  /** Drop the growth slack once recovery is done (1M events: 28 MB instead of up to 56). */
  trim(): void {
    if (this.offsets.length > this.head + 64) this.grow(this.head + 64);
  }

  private grow(capacity: number): void {
    const offsets = new Float64Array(capacity).fill(-1);
    offsets.set(this.offsets.subarray(0, Math.min(capacity, this.offsets.length)));
    const lengths = new Uint32Array(capacity);
    lengths.set(this.lengths.subarray(0, Math.min(capacity, this.lengths.length)));
    const ids = Buffer.alloc(capacity * 16);
    this.ids.copy(ids, 0, 0, Math.min(ids.length, this.ids.length));
    this.offsets = offsets;
    this.lengths = lengths;
    this.ids = ids;
  }
}

/** Where a damaged record is, and what its header seems to say (unchecked: the checksum failed). */
interface Damage {
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
  readonly guess: { readonly channel: string; readonly incidentNumber: number; readonly seq: number } | null;
}

interface Pending {
  readonly records: readonly AppendRecord[];
  /** A `putSignals` (then `records` is empty): kept in memory once the commit that holds it is durable. */
  readonly signals: { readonly channel: string; readonly list: readonly Signal[] } | null;
  readonly buf: Buffer;
  readonly offsets: number[];
  readonly lengths: number[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The embedded event store: one append-only log file (`events.log`) under the data directory, plus an exclusive
 * `LOCK` file.
 *
 * - Durable acks with group commit: `append` encodes and queues; one commit writes everything queued with one
 *   durable write (O_DSYNC, or write + fdatasync), then resolves all of it. Appends arriving while a commit runs
 *   wait for the next one, so under load one fsync covers hundreds of events.
 * - Recovery on open: the log is scanned once (CRC per record). Only an incomplete last record (a torn write, never
 *   acked) is truncated. A complete record that fails its check was acked once: it is left where it is, copied
 *   aside into `events.log.quarantine` (never deleted), logged at error level and counted in `health()`; its seq
 *   and incident number stay taken, read from its header where that is plausible. It never refuses to start over
 *   damage; a record found damaged by a later read is handled the same way.
 *   Indexes (per incident: offset, length, id of every event; the summary) live in memory, ~28 bytes per event.
 * - Signals (`putSignals`) are records of the same log, in the same group commits, in call order with appends; the
 *   latest signal of each fingerprint is kept in memory (rebuilt by the same scan: the last record of a fingerprint
 *   wins, a null `incidentId` never clearing an earlier link).
 * - Two processes: the second `open` of the same directory throws `StoreLockedError` (or waits, see `lock`).
 */
export class FileStore implements EventStore {
  readonly logPath: string;
  readonly lockPath: string;
  /** Damaged bytes are copied here, each region once, with where it was and why. */
  readonly quarantinePath: string;
  private fh: FileHandle | null = null;
  private lock: StoreLock | null = null;
  private size = 0;
  private readonly channels = new Map<string, Map<number, IncidentLog>>();
  /** Channel → fingerprint → the latest durable signal. */
  private readonly signals = new Map<string, Map<string, Signal>>();
  private totalSignalRecords = 0;
  private totalEvents = 0;
  private totalIncidents = 0;
  private queue: Pending[] = [];
  private committing: Promise<void> | null = null;
  private commitScheduled = false;
  private failed: StoreError | null = null;
  private closed = false;
  private readonly commitListeners: ((info: CommitInfo) => void)[] = [];
  private truncatedBytes = 0;
  private damagedRecords = 0;
  private damagedBytes = 0;
  /** Set once damaged bytes were written to the quarantine file (or found there already). */
  private quarantined = false;
  /** `offset:bytes:crc` of every region the quarantine file holds, loaded on first use. */
  private quarantineKeys: Set<string> | null = null;
  /** Copies into the quarantine file, one at a time. */
  private quarantineTail: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileStoreOptions) {
    if (options.onCommit) this.commitListeners.push(options.onCommit);
    this.logPath = path.join(options.dir, 'events.log');
    this.lockPath = path.join(options.dir, 'LOCK');
    this.quarantinePath = `${this.logPath}.quarantine`;
  }

  async open(): Promise<RecoveryReport> {
    if (this.fh) throw new Error('FileStore.open called twice');
    const started = performance.now();
    await fsp.mkdir(this.options.dir, { recursive: true });
    this.lock = await StoreLock.acquire(this.lockPath, this.options.lock);
    try {
      const created = await this.openLog();
      const report = await this.recover(started);
      if (created) await syncDir(this.options.dir);
      return report;
    } catch (e) {
      await (this.fh as FileHandle | null)?.close().catch(() => undefined);
      this.fh = null;
      await this.lock.release();
      this.lock = null;
      throw e;
    }
  }

  async listIncidents(channel: string): Promise<IncidentRecord[]> {
    const logs = [...(this.channels.get(channel)?.values() ?? [])].sort((a, b) => a.number - b.number);
    return logs.flatMap((l) => (l.summary ? [{ summary: { ...l.summary, headSeq: l.head }, declareEventId: l.declareEventId }] : []));
  }

  async highestIncidentNumber(channel: string): Promise<number> {
    let max = 0;
    for (const n of this.channels.get(channel)?.keys() ?? []) if (n > max) max = n;
    return max;
  }

  append(records: readonly AppendRecord[]): Promise<void> {
    if (this.closed || !this.fh) return Promise.reject(new StoreError('store_closed', 'the store is closed'));
    if (this.failed) return Promise.reject(this.failed);
    if (records.length === 0) return Promise.resolve();
    let encoded: ReturnType<typeof encodeBatch>;
    try {
      encoded = encodeBatch(records.map((r) => ({ ...r, incidentNumber: incidentNumber(r.incidentId) })));
    } catch (e) {
      // A record that cannot be encoded (an unknown kind, an id that is no UUID) is a bug upstream of the store. The
      // contract says a rejected append fails every later one: the room has already sequenced what follows it, and
      // storing that would leave a gap and let the room hand the same seqs out again.
      this.failed = new StoreError('store_failed', `an event could not be encoded: ${(e as Error).message}`);
      this.options.log?.('error', 'store failed', { path: this.logPath, error: (e as Error).message });
      rejectAll(this.queue.splice(0), this.failed);
      return Promise.reject(e);
    }
    const { buf, offsets, lengths } = encoded;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, signals: null, buf, offsets, lengths, resolve, reject });
      this.scheduleCommit();
    });
  }

  putSignals(channel: string, signals: readonly Signal[]): Promise<void> {
    if (this.closed || !this.fh) return Promise.reject(new StoreError('store_closed', 'the store is closed'));
    if (this.failed) return Promise.reject(this.failed);
    if (signals.length === 0) return Promise.resolve();
    let encoded: ReturnType<typeof encodeBatch>;
    try {
      encoded = encodeBatch(signals.map((sig) => ({ channel, incidentNumber: 0, seq: 0, id: SIGNAL_RECORD.id, kind: SIGNAL_RECORD.kind, json: JSON.stringify(sig) })));
    } catch (e) {
      // Unlike an event, a signal takes no seq: refusing this call alone leaves nothing inconsistent behind.
      return Promise.reject(new StoreError('store_failed', `a signal could not be encoded: ${(e as Error).message}`));
    }
    const { buf, offsets, lengths } = encoded;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records: [], signals: { channel, list: signals }, buf, offsets, lengths, resolve, reject });
      this.scheduleCommit();
    });
  }

  async listSignals(channel: string, fingerprints?: readonly string[]): Promise<Signal[]> {
    const kept = this.signals.get(channel);
    if (!kept) return [];
    return fingerprints ? fingerprints.flatMap((f) => kept.get(f) ?? []) : [...kept.values()];
  }

  async read(channel: string, incidentId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const log = this.channels.get(channel)?.get(incidentNumber(incidentId));
    const fh = this.fh;
    if (!log || !fh || limit <= 0) return [];
    const from = Math.max(1, afterSeq + 1);
    const to = Math.min(log.head, afterSeq + limit);
    const out: StoredEvent[] = [];
    let seq = from;
    while (seq <= to) {
      // One read covers a run of records that sit close together in the file.
      const start = log.offsets[seq - 1] ?? -1;
      if (start < 0) {
        seq++;
        continue;
      }
      let end = start + (log.lengths[seq - 1] ?? 0);
      let last = seq;
      while (last + 1 <= to) {
        const next = log.offsets[last] ?? -1;
        if (next < 0 || next < end || next - end > READ_MERGE_GAP) break;
        end = next + (log.lengths[last] ?? 0);
        last++;
      }
      const buf = Buffer.allocUnsafe(end - start);
      // Where the run's records were when it was read: another read may drop one of them (damage) while this one
      // waits, and a dropped record's offset (-1) would then be decoded from before the buffer.
      const offsets = log.offsets.slice(seq - 1, last);
      const lengths = log.lengths.slice(seq - 1, last);
      await readFully(fh, buf, start);
      for (let s = seq; s <= last; s++) {
        const at = (offsets[s - seq] ?? 0) - start;
        const length = lengths[s - seq] ?? 0;
        const decoded = decodeAt(buf, at, Math.min(length, buf.length - at));
        if (!decoded.ok || decoded.header.total !== length || decoded.header.seq !== s) {
          // Damaged since it was indexed (bit rot): the event is lost, the rest is served.
          this.lostAtRuntime(log, s, at + start, buf.subarray(at, at + length), decoded.ok ? 'record changed since it was indexed' : decoded.detail);
          continue;
        }
        const h = decoded.header;
        const json = buf.toString('utf8', h.payloadStart, at + h.total);
        out.push({ channel, incidentId, seq: s, id: readUuid(buf, h.idOffset), kind: kindOfCode(h.kindCode) ?? parseKind(json), json });
      }
      seq = last + 1;
    }
    return out;
  }

  async readIds(channel: string, incidentId: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const log = this.channels.get(channel)?.get(incidentNumber(incidentId));
    if (!log) return ids;
    for (let seq = 1; seq <= log.head; seq++) {
      if ((log.offsets[seq - 1] ?? -1) >= 0) ids.set(readUuid(log.ids, (seq - 1) * 16), seq);
    }
    return ids;
  }

  stats(): StoreStats {
    return { channels: this.channels.size, incidents: this.totalIncidents, events: this.totalEvents, failed: this.failed !== null };
  }

  health(): StoreHealth {
    let lostEvents = 0;
    let incidentsWithLostEvents = 0;
    let incidentsWithoutDeclaration = 0;
    for (const incidents of this.channels.values()) {
      for (const log of incidents.values()) {
        if (log.count < log.head) {
          lostEvents += log.head - log.count;
          incidentsWithLostEvents++;
        }
        if (!log.summary) incidentsWithoutDeclaration++;
      }
    }
    const damaged = this.damagedRecords > 0 || lostEvents > 0 || incidentsWithoutDeclaration > 0;
    return {
      state: damaged ? 'degraded' : 'ok', damagedRecords: this.damagedRecords, quarantinedBytes: this.damagedBytes,
      ...(this.quarantined ? { quarantineFile: this.quarantinePath } : {}),
      lostEvents, incidentsWithLostEvents, incidentsWithoutDeclaration, truncatedBytes: this.truncatedBytes,
    };
  }

  onCommit(listener: (info: CommitInfo) => void): void {
    this.commitListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.committing || this.queue.length > 0) {
      if (this.committing) await this.committing;
      else await this.commit();
    }
    await this.quarantineTail;
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    await this.lock?.release();
    this.lock = null;
  }

  // ---- writing ----

  private scheduleCommit(): void {
    if (this.committing || this.commitScheduled) return;
    // setImmediate, not a microtask: appends from every socket read in this loop turn join the same commit.
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (!this.committing) void this.commit();
    });
  }

  private commit(): Promise<void> {
    const run = this.runCommit().finally(() => {
      this.committing = null;
      // Whatever arrived during this fsync goes now, in one commit.
      if (this.queue.length > 0 && !this.failed) void this.commit();
    });
    this.committing = run;
    return run;
  }

  private async runCommit(): Promise<void> {
    const fh = this.fh;
    const batch = this.queue.splice(0);
    if (batch.length === 0 || !fh) return;
    if (this.failed) return rejectAll(batch, this.failed);
    const base = this.size;
    const buf = batch.length === 1 ? batch[0]!.buf : Buffer.concat(batch.map((p) => p.buf));
    try {
      const t0 = performance.now();
      await writeFully(fh, buf, base);
      if (O_DSYNC === undefined) await fh.datasync();
      const fsyncMs = performance.now() - t0;
      this.size = base + buf.length;
      let at = base;
      let events = 0;
      for (const p of batch) {
        for (let i = 0; i < p.records.length; i++) this.index(p.records[i]!, at + p.offsets[i]!, p.lengths[i]!, p.buf, p.offsets[i]! + 32);
        if (p.signals) for (const sig of p.signals.list) this.keepSignal(p.signals.channel, sig);
        at += p.buf.length;
        events += p.records.length;
      }
      for (const listener of this.commitListeners) listener({ events, bytes: buf.length, fsyncMs });
      for (const p of batch) p.resolve();
    } catch (e) {
      // After a failed write or fsync the page cache can no longer be trusted (fsyncgate): fail for good.
      this.failed = new StoreError('store_failed', `writing the event log failed: ${(e as Error).message}`);
      this.options.log?.('error', 'store failed', { path: this.logPath, error: (e as Error).message });
      rejectAll(batch, this.failed);
      rejectAll(this.queue.splice(0), this.failed);
      await fh.truncate(base).catch(() => undefined);
    }
  }

  private index(r: AppendRecord, offset: number, length: number, src: Buffer, idOffset: number): void {
    const log = this.logFor(r.channel, incidentNumber(r.incidentId));
    if (!log.put(r.seq, offset, length, src, idOffset)) return;
    this.totalEvents++;
    if (r.seq === 1 && r.kind === 'incident.declared') log.declareEventId = r.id.toLowerCase();
    log.summary = reduceSummary(log.summary, log.incidentId, r.event);
  }

  private keepSignal(channel: string, sig: Signal): void {
    let kept = this.signals.get(channel);
    if (!kept) this.signals.set(channel, (kept = new Map()));
    kept.set(sig.fingerprint, signalToKeep(kept.get(sig.fingerprint), sig));
  }

  private logFor(channel: string, number: number): IncidentLog {
    let incidents = this.channels.get(channel);
    if (!incidents) this.channels.set(channel, (incidents = new Map()));
    let log = incidents.get(number);
    if (!log) {
      incidents.set(number, (log = new IncidentLog(channel, number, `INC-${number}`)));
      this.totalIncidents++;
    }
    return log;
  }

  // ---- opening and recovery ----

  /** Open (or create) the log; true when it was created. */
  private async openLog(): Promise<boolean> {
    let created = false;
    const sync = O_DSYNC ?? 0;
    try {
      this.fh = await fsp.open(this.logPath, fsConstants.O_RDWR | sync);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.fh = await fsp.open(this.logPath, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL | sync);
      created = true;
    }
    const { size } = await this.fh.stat();
    if (size < FILE_HEADER_BYTES) {
      // New, or a crash while creating it: nothing can have been acked yet.
      const head = Buffer.alloc(FILE_HEADER_BYTES);
      if (size > 0) await readFully(this.fh, head.subarray(0, size), 0);
      if (!FILE_MAGIC.subarray(0, size).equals(head.subarray(0, size))) throw formatError(this.logPath);
      await this.fh.truncate(0);
      await writeFully(this.fh, FILE_MAGIC, 0);
      await this.fh.sync();
      if (size > 0) this.options.log?.('warn', 'recovery: rewrote a torn log header', { path: this.logPath, bytes: size });
      return true;
    }
    const head = Buffer.alloc(FILE_HEADER_BYTES);
    await readFully(this.fh, head, 0);
    if (!head.equals(FILE_MAGIC)) throw formatError(this.logPath);
    return created;
  }

  private async recover(started: number): Promise<RecoveryReport> {
    const fh = this.fh!;
    const fileSize = (await fh.stat()).size;
    const reader = new LogReader(fh, fileSize);
    const damage: Damage[] = [];
    let truncatedBytes = 0;
    let pos = FILE_HEADER_BYTES;
    while (pos < fileSize) {
      // Fast path, synchronous: every valid record wholly inside the resident window (nearly all of them).
      const { buf, start } = reader;
      const stop = start + reader.len;
      while (pos + HEADER_BYTES <= stop) {
        const at = pos - start;
        if (buf.readUInt32LE(at) !== RECORD_MAGIC) break;
        const total = buf.readUInt32LE(at + 4);
        if (total > MAX_RECORD_BYTES || pos + total > stop) break;
        const decoded = decodeAt(buf, at, total);
        if (!decoded.ok) break;
        this.indexRecovered(buf, at, pos, decoded.header);
        pos += total;
      }
      if (pos >= fileSize) break;
      // Slow path: slide the window, or look closely at a record that is not valid.
      const result = await reader.recordAt(pos);
      if (result.ok) {
        this.indexRecovered(reader.buf, pos - reader.start, pos, result.header);
        pos += result.header.total;
        continue;
      }
      // Looked for even when the record claims to run past the end: its length field may be what is damaged.
      let next = await reader.findNextRecord(pos + 1);
      if (next < 0) {
        // Nothing valid follows. A torn tail was never acked (acks follow fsync, fsync follows the whole write) and
        // is cut off; but a whole record that fails its check was acked once, and is damage like any other.
        const whole = await reader.wholeRecordAt(pos);
        if (whole === 0) {
          truncatedBytes = fileSize - pos;
          this.options.log?.('warn', 'recovery: truncated a torn last record', { path: this.logPath, offset: pos, bytes: truncatedBytes, reason: result.detail });
          await fh.truncate(pos);
          await fh.sync();
          break;
        }
        next = pos + whole;
      }
      damage.push({ offset: pos, bytes: next - pos, reason: result.detail, guess: await reader.headerGuess(pos, next - pos) });
      pos = next;
    }
    this.size = Math.min(pos, fileSize);
    this.truncatedBytes = truncatedBytes;
    if (damage.length > 0) await this.recoverDamage(damage);
    for (const incidents of this.channels.values()) {
      for (const log of incidents.values()) {
        log.trim();
        if (log.summary) log.summary = { ...log.summary, headSeq: log.head };
        if (log.count !== log.head) this.options.log?.('error', 'recovery: an incident has missing events', { channel: log.channel, incident: log.incidentId, head: log.head, present: log.count });
        if (!log.summary) this.options.log?.('error', 'recovery: an incident lost its declaration; its number stays taken', { channel: log.channel, incident: log.incidentId, present: log.count });
      }
    }
    const report: RecoveryReport = {
      events: this.totalEvents, incidents: this.totalIncidents, channels: this.channels.size, truncatedBytes,
      skipped: damage.map((d) => ({ offset: d.offset, bytes: d.bytes })), durationMs: Math.round(performance.now() - started),
    };
    this.options.log?.('info', 'store opened', {
      path: this.logPath, bytes: this.size, events: report.events, incidents: report.incidents, signalRecords: this.totalSignalRecords, ms: report.durationMs,
    });
    return report;
  }

  /**
   * Damaged records found by the recovery scan: keep their seqs and incident numbers taken (where their header is
   * plausible), copy their bytes aside, say so at error level. They stay in the log too: rewriting it to remove them
   * would risk what is intact, and the next scan finds the same damage and gives the same answers.
   */
  private async recoverDamage(damage: readonly Damage[]): Promise<void> {
    // A header that failed its checksum is believed only within what the intact records make plausible: an
    // incident number or seq at most one past the highest seen per damaged record (a damaged tail of a few records).
    const slack = damage.length;
    for (const { guess } of damage) {
      if (!guess) continue;
      let max = 0;
      for (const n of this.channels.get(guess.channel)?.keys() ?? []) max = Math.max(max, n);
      const head = this.channels.get(guess.channel)?.get(guess.incidentNumber)?.head ?? 0;
      if (guess.incidentNumber <= max + slack && guess.seq <= head + slack) this.logFor(guess.channel, guess.incidentNumber).reserve(guess.seq);
    }
    for (const d of damage) {
      this.damagedRecords++;
      this.damagedBytes += d.bytes;
      const where = d.guess ? { channel: d.guess.channel, incident: `INC-${d.guess.incidentNumber}`, seq: d.guess.seq } : {};
      this.options.log?.('error', 'recovery: skipped a damaged region of the log and copied it aside', {
        path: this.logPath, offset: d.offset, bytes: d.bytes, reason: d.reason, ...where, quarantine: this.quarantinePath,
      });
    }
    await this.copyAside(damage.map((d) => ({ offset: d.offset, bytes: d.bytes, reason: d.reason, data: null })));
  }

  /** A record that fails its check on a read after open (bit rot): its seq becomes a lost one, its bytes go aside. */
  private lostAtRuntime(log: IncidentLog, seq: number, offset: number, data: Buffer, reason: string): void {
    if (!log.drop(seq)) return;
    this.totalEvents--;
    this.damagedRecords++;
    this.damagedBytes += data.length;
    this.options.log?.('error', 'a damaged record was found by a read; its event is lost and its bytes copied aside', {
      path: this.logPath, channel: log.channel, incident: log.incidentId, seq, offset, bytes: data.length, reason, quarantine: this.quarantinePath,
    });
    void this.copyAside([{ offset, bytes: data.length, reason, data: Buffer.from(data) }]);
  }

  /**
   * Append damaged regions to the quarantine file (each region once, however often it is found) and make them
   * durable. Failing to copy is logged, never thrown: the bytes are still in the log, and serving goes on.
   */
  private copyAside(regions: readonly { offset: number; bytes: number; reason: string; data: Buffer | null }[]): Promise<void> {
    const run = async () => {
      const fh = this.fh;
      if (!fh) return;
      let out: FileHandle | null = null;
      let created = false;
      try {
        const keys = await this.loadQuarantineKeys();
        for (const r of regions) {
          const data = r.data ?? Buffer.allocUnsafe(r.bytes);
          if (!r.data) await readFully(fh, data, r.offset);
          const key = `${r.offset}:${r.bytes}:${crc32(data)}`;
          if (keys.has(key)) continue;
          if (!out) {
            out = await fsp.open(this.quarantinePath, 'a');
            created = (await out.stat()).size === 0;
          }
          const meta = Buffer.from(JSON.stringify({
            log: path.basename(this.logPath), offset: r.offset, bytes: r.bytes, crc32: crc32(data), reason: r.reason, foundAt: new Date().toISOString(),
          }));
          const head = Buffer.alloc(8);
          head.writeUInt32LE(QUARANTINE_MAGIC, 0);
          head.writeUInt32LE(meta.length, 4);
          await out.write(Buffer.concat([head, meta, data]));
          keys.add(key);
        }
        if (out) await out.sync();
        if (created) await syncDir(this.options.dir);
        this.quarantined = true;
      } catch (e) {
        this.options.log?.('error', 'copying damaged records aside failed; they are still in the log', { path: this.quarantinePath, error: (e as Error).message });
      } finally {
        await out?.close().catch(() => undefined);
      }
    };
    const next = this.quarantineTail.then(run);
    this.quarantineTail = next.catch(() => undefined);
    return next;
  }

  /**
   * The regions the quarantine file already holds whole. A copy torn by a crash (its description or its bytes cut
   * short, or its bytes not matching their checksum) does not count: that region is copied again, after it, and the
   * scan resumes at the next entry marker, so the new copy is found on the next open and is not made again. The file
   * holds only damaged bytes: it is read whole.
   */
  private async loadQuarantineKeys(): Promise<Set<string>> {
    if (this.quarantineKeys) return this.quarantineKeys;
    const keys = new Set<string>();
    this.quarantineKeys = keys;
    const file = await fsp.readFile(this.quarantinePath).catch(() => null);
    if (!file) return keys;
    const marker = Buffer.alloc(4);
    marker.writeUInt32LE(QUARANTINE_MAGIC);
    for (let pos = file.indexOf(marker); pos >= 0;) {
      const entry = quarantineEntry(file, pos);
      if (entry) keys.add(entry.key);
      pos = entry ? file.indexOf(marker, entry.end) : file.indexOf(marker, pos + 1);
    }
    return keys;
  }

  private indexRecovered(buf: Buffer, at: number, offset: number, h: RecordHeader): void {
    if (h.kindCode === SIGNAL_RECORD.code) return this.recoverSignal(buf, at, offset, h);
    if (!(h.seq >= 1 && Number.isSafeInteger(h.seq) && h.incidentNumber >= 1 && Number.isSafeInteger(h.incidentNumber))) return;
    const log = this.logFor(h.channel, h.incidentNumber);
    if (!log.put(h.seq, offset, h.total, buf, h.idOffset)) {
      this.options.log?.('warn', 'recovery: ignored a second record for the same seq', { channel: h.channel, incident: log.incidentId, seq: h.seq, offset });
      return;
    }
    this.totalEvents++;
    const kind = kindOfCode(h.kindCode);
    // Only kinds that can change a summary are parsed; a kind this build has no code for is parsed to find out.
    if (kind !== undefined && !canChangeSummary(kind)) return;
    let event: SequencedEvent;
    try {
      event = JSON.parse(buf.toString('utf8', h.payloadStart, at + h.total)) as SequencedEvent;
    } catch {
      this.options.log?.('error', 'recovery: a record with unreadable JSON', { channel: h.channel, incident: log.incidentId, seq: h.seq, offset });
      return;
    }
    if (h.seq === 1 && event.kind === 'incident.declared') log.declareEventId = String(event.id).toLowerCase();
    log.summary = reduceSummary(log.summary, log.incidentId, event);
  }

  private recoverSignal(buf: Buffer, at: number, offset: number, h: RecordHeader): void {
    const sig = parseSignal(buf.toString('utf8', h.payloadStart, at + h.total));
    if (!sig || !CHANNEL_PATTERN.test(h.channel)) {
      this.options.log?.('error', 'recovery: a signal record with unreadable JSON', { channel: h.channel, offset });
      return;
    }
    this.totalSignalRecords++;
    this.keepSignal(h.channel, sig);
  }
}

/** A signal record found by the recovery scan: the latest of its fingerprint so far (its checksum held). */
/** The quarantine entry at `pos` if it is whole (description and bytes all there, the bytes matching their checksum). */
function quarantineEntry(file: Buffer, pos: number): { key: string; end: number } | null {
  if (pos + 8 > file.length || file.readUInt32LE(pos) !== QUARANTINE_MAGIC) return null;
  const dataStart = pos + 8 + file.readUInt32LE(pos + 4);
  if (dataStart > file.length) return null;
  let m: { offset?: unknown; bytes?: unknown; crc32?: unknown } | null;
  try {
    m = JSON.parse(file.toString('utf8', pos + 8, dataStart)) as typeof m;
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || typeof m.bytes !== 'number' || !Number.isSafeInteger(m.bytes) || m.bytes < 0) return null;
  const end = dataStart + m.bytes;
  if (end > file.length || crc32(file.subarray(dataStart, end)) !== m.crc32) return null;
  return { key: `${String(m.offset)}:${m.bytes}:${String(m.crc32)}`, end };
}

function parseSignal(json: string): Signal | null {
  try {
    const sig = JSON.parse(json) as Signal;
    return typeof sig === 'object' && sig !== null && typeof sig.fingerprint === 'string' ? sig : null;
  } catch {
    return null;
  }
}

/** A sliding window over the log for the recovery scan. */
class LogReader {
  buf: Buffer = Buffer.alloc(SCAN_CHUNK);
  start = 0;
  len = 0;

  constructor(private readonly fh: FileHandle, private readonly size: number) {}

  /** Make [pos, pos + n) resident if the file has it; returns how many bytes from pos are resident. */
  async ensure(pos: number, n: number): Promise<number> {
    const want = Math.min(n, this.size - pos);
    if (pos >= this.start && pos + want <= this.start + this.len) return this.start + this.len - pos;
    const length = Math.min(Math.max(n, SCAN_CHUNK), this.size - pos);
    if (length > this.buf.length) this.buf = Buffer.alloc(length);
    this.start = pos;
    this.len = length;
    await readFully(this.fh, this.buf.subarray(0, length), pos);
    return length;
  }

  async recordAt(pos: number): Promise<
    | { ok: true; header: RecordHeader }
    | { ok: false; reason: 'short' | 'bad'; detail: string; atEof: boolean }> {
    let available = await this.ensure(pos, HEADER_BYTES);
    const at = pos - this.start;
    if (available >= 8 && this.buf.readUInt32LE(at) === RECORD_MAGIC) {
      const total = this.buf.readUInt32LE(at + 4);
      if (total <= MAX_RECORD_BYTES && total > available) available = await this.ensure(pos, total);
    }
    const result = decodeAt(this.buf, pos - this.start, available);
    if (result.ok) return result;
    return { ...result, atEof: pos + available >= this.size };
  }

  /**
   * The length of a whole record at `pos` that fails its check, or 0 when the bytes there are a torn write. Whole:
   * its length field is plausible and lies within the file and its marker or checksum is right, or its checksum
   * matches the bytes to the end of the file (a damaged length). A torn write matches neither.
   */
  async wholeRecordAt(pos: number): Promise<number> {
    const available = this.size - pos;
    if (available < HEADER_BYTES) return 0;
    await this.ensure(pos, HEADER_BYTES);
    let at = pos - this.start;
    const marker = this.buf.readUInt32LE(at) === RECORD_MAGIC;
    const total = this.buf.readUInt32LE(at + 4);
    const stored = this.buf.readUInt32LE(at + 8);
    if (total > HEADER_BYTES && total <= MAX_RECORD_BYTES && total <= available) {
      await this.ensure(pos, total);
      at = pos - this.start;
      if (marker || crc32(this.buf.subarray(at + 12, at + total)) === stored) return total;
    }
    // A damaged length (and perhaps marker): the record is whole if its checksum covers the rest of the file. A torn
    // write's checksum never matches the part of it that was written, so a torn tail is still cut off.
    if (available <= MAX_RECORD_BYTES) {
      await this.ensure(pos, available);
      at = pos - this.start;
      if (crc32(this.buf.subarray(at + 12, at + available)) === stored) return available;
    }
    return 0;
  }

  /** What a damaged record's header says about where it belonged, when that is plausible at all. */
  async headerGuess(pos: number, bytes: number): Promise<Damage['guess']> {
    if (bytes < HEADER_BYTES) return null;
    await this.ensure(pos, HEADER_BYTES + 255);
    const at = pos - this.start;
    const channelLength = this.buf.readUInt8(at + 13);
    if (HEADER_BYTES + channelLength > bytes) return null;
    const channel = this.buf.toString('latin1', at + HEADER_BYTES, at + HEADER_BYTES + channelLength);
    const incidentNumber = this.buf.readDoubleLE(at + 16);
    const seq = this.buf.readDoubleLE(at + 24);
    const plausible = (n: number) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_INCIDENT_NUMBER;
    return CHANNEL_PATTERN.test(channel) && plausible(incidentNumber) && plausible(seq) ? { channel, incidentNumber, seq } : null;
  }

  /** The offset of the next valid record at or after `from`, or -1 if none follows (a torn tail). */
  async findNextRecord(from: number): Promise<number> {
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(RECORD_MAGIC);
    let pos = from;
    while (pos + HEADER_BYTES <= this.size) {
      await this.ensure(pos, SCAN_CHUNK);
      const idx = this.buf.subarray(0, this.len).indexOf(magic, pos - this.start);
      if (idx < 0) {
        pos = this.start + this.len - 3;
        if (this.start + this.len >= this.size) return -1;
        continue;
      }
      const candidate = this.start + idx;
      const r = await this.recordAt(candidate);
      if (r.ok) return candidate;
      pos = candidate + 1;
    }
    return -1;
  }
}

function parseKind(json: string): EventKind {
  try {
    return (JSON.parse(json) as { kind: EventKind }).kind;
  } catch {
    return 'note.added';
  }
}

function rejectAll(batch: readonly Pending[], error: unknown): void {
  for (const p of batch) p.reject(error);
}

async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead <= 0) throw new StoreError('store_corrupt', `unexpected end of the log at ${position + done}`);
    done += bytesRead;
  }
}

/** Make a newly created file's directory entry durable too. */
async function syncDir(dir: string): Promise<void> {
  const d = await fsp.open(dir, 'r').catch(() => null);
  if (!d) return;
  await d.sync().catch(() => undefined); // not supported on every platform (Windows)
  await d.close();
}

function formatError(file: string): StoreError {
  return new StoreError('store_format', `${file} is not an Incident Room event log (unknown header); refusing to touch it`);
}

export type { RecoveryReport };
