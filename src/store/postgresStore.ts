import { performance } from 'node:perf_hooks';
import { Client, type ClientConfig, escapeLiteral, Pool, type PoolClient, types as pgTypes } from 'pg';
import { z } from 'zod';
import { changesSummary, reduceSummary } from '../core/summary';
import { CHANNEL_PATTERN } from '../protocol/codes';
import { EVENT_KINDS, type SequencedEvent } from '../protocol/events';
import { IncidentSummary, type Signal } from '../protocol/messages';
import {
  type AppendRecord, type CommitInfo, type DeclareOutcome, type EventStore, eventIdKey, type IncidentRecord, incidentNumber, type RecoveryReport,
  type SequencedOutcome, type SharedSequencing, signalToKeep, type StoreChange, StoreError, type StoreHealth, type StoreStats, type StoredEvent,
  type UnsequencedEvent,
} from './eventStore';

export type PgLogLevel = 'info' | 'warn' | 'error';

/** `postgres://…` or `postgresql://…`, as `--pg-url` or `DATABASE_URL` give it. */
export const PgUrl = z.string().trim().min(1).refine((u) => {
  try {
    const { protocol, hostname, pathname } = new URL(u);
    return (protocol === 'postgres:' || protocol === 'postgresql:') && (hostname !== '' || /[?&]host=/.test(u)) && pathname.length > 1;
  } catch {
    return false;
  }
}, { message: 'must be a URL like postgres://user:password@host:5432/database' });

export interface PostgresStoreOptions {
  /** The database (`--pg-url` / `DATABASE_URL`). */
  readonly url: string;
  /** Things worth a log line: migrations, the database going away and coming back. Never the URL (it may hold a password). */
  readonly log?: (level: PgLogLevel, event: string, fields: Record<string, unknown>) => void;
  readonly onCommit?: (info: CommitInfo) => void;
  /** Connections for transactions and reads. Default 4. */
  readonly poolSize?: number;
  /** How long getting a connection may take before the database counts as unreachable. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** How long one statement may take before its transaction is given up (nothing is acked). Default 15 s. */
  readonly queryTimeoutMs?: number;
  /** Reconnect backoff while the database is unreachable: first and longest wait. Default 100 ms … 2 s. */
  readonly retryMs?: { readonly first: number; readonly max: number };
  /** How often the counts of `stats()` are re-read (other servers write too). Default 5 s. */
  readonly statsRefreshMs?: number;
}

/** The LISTEN/NOTIFY channel every server of one database shares. */
export const NOTIFY_CHANNEL = 'incident_room_events';
/**
 * Where stored signals are announced: `{c, f}` (channel, fingerprints). A channel of its own, so a server from before
 * signals, still running beside a newer one, never hears a notification it does not know.
 */
export const NOTIFY_SIGNALS_CHANNEL = 'incident_room_signals';
/** A notification's payload stays below PostgreSQL's 8,000-byte limit: fingerprints are split over several. */
const MAX_NOTIFY_BYTES = 7000;
/** Signals upserted per statement: serializing one statement's parameters holds the event loop, so a few hundred at a time. */
const SIGNALS_PER_STATEMENT = 200;
/** Most events one transaction takes (its array parameters stay a few MB at most). */
const MAX_EVENTS_PER_COMMIT = 5000;
/** A new database's ir_events is analyzed once this many events were written (see `analyzeWhenGrown`). */
const ANALYZE_AFTER_EVENTS = 1000;
/** A transaction that deadlocks or fails serialization is run again this often before its appends are refused. */
const MAX_TX_ATTEMPTS = 4;
/** Key of the advisory lock that lets one server at a time migrate the schema. */
const MIGRATION_LOCK = 0x49524d31; // 'IRM1'

/**
 * The schema, one entry per version, applied in order inside one transaction under an advisory lock, so servers
 * starting together migrate once. Never edit an entry that has shipped: add the next version.
 */
const MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE ir_channels (
        channel text PRIMARY KEY,
        -- The highest INC-n ever given in the channel: a declaration takes highest_number + 1 under this row's lock.
        highest_number bigint NOT NULL DEFAULT 0
      );
      CREATE TABLE ir_incidents (
        channel text NOT NULL,
        number bigint NOT NULL,
        -- The last seq committed: an append takes head_seq + 1 … under this row's lock.
        head_seq bigint NOT NULL,
        declare_event_id uuid NOT NULL,
        -- The summary as of head_seq (its headSeq field is head_seq).
        summary jsonb NOT NULL,
        PRIMARY KEY (channel, number),
        UNIQUE (channel, declare_event_id)
      );
      CREATE TABLE ir_events (
        channel text NOT NULL,
        number bigint NOT NULL,
        seq bigint NOT NULL,
        id uuid NOT NULL,
        kind text NOT NULL,
        -- The SequencedEvent as the server serialized it, sent to clients verbatim.
        json text NOT NULL,
        PRIMARY KEY (channel, number, seq),
        -- An event id is unique per incident: a re-send is recognised, never stored twice.
        UNIQUE (channel, number, id)
      );`,
  },
  {
    version: 2,
    sql: `
      -- Signals (alerts), the latest of each fingerprint per channel (issue #11).
      CREATE TABLE ir_signals (
        channel text NOT NULL,
        fingerprint text NOT NULL,
        -- The Signal as the server merged it.
        signal jsonb NOT NULL,
        -- Its incidentId, kept apart so an upsert can keep a link that a later null must not clear.
        incident_id text,
        PRIMARY KEY (channel, fingerprint)
      );`,
  },
  {
    version: 3,
    sql: `
      -- Which of an append's event ids are stored already: looked up by id alone, through this index. Looked up by
      -- (channel, number, id), the planner may take the primary key's (channel, number) prefix instead of the unique
      -- index, whenever its statistics say the incident is small: always for a new incident, and for every incident
      -- until autovacuum first analyzes the table. Each id then reads every event of the incident, and one append to an
      -- incident of 10,000 events costs about 1 ms of the database per event in it (found by bench:replicas, whose
      -- acks waited seconds). No other index starts with id, so this lookup cannot be planned any other way.
      CREATE INDEX ir_events_by_id ON ir_events (id);`,
  },
];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

// int8 comes back as a string by default; every bigint here (seqs, INC numbers, counts) is far below 2^53.
const int8 = (v: string) => Number(v);
const TYPES: ClientConfig['types'] = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? int8 : pgTypes.getTypeParser(oid, format))) as never };

const Count = z.number().int().nonnegative();
const EventRow = z.object({ seq: z.number().int().positive(), id: z.string(), kind: z.enum(EVENT_KINDS), json: z.string() });
const IncidentRow = z.object({ number: z.number().int().positive(), head_seq: Count, declare_event_id: z.string(), summary: z.record(z.string(), z.unknown()) });
const LockedRow = z.object({ channel: z.string(), number: z.number().int().positive(), head_seq: Count, summary: z.record(z.string(), z.unknown()) });
const Notification = z.object({ c: z.string().regex(CHANNEL_PATTERN), i: z.number().int().positive(), f: z.number().int().positive(), l: z.number().int().positive(), s: z.union([z.literal(0), z.literal(1)]) });
const SignalsNotification = z.object({ c: z.string().regex(CHANNEL_PATTERN), f: z.array(z.string().min(1).max(128)).min(1) });
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

type Job =
  | { readonly type: 'records'; readonly records: readonly AppendRecord[]; readonly resolve: () => void; readonly reject: (e: unknown) => void }
  | { readonly type: 'new'; readonly channel: string; readonly number: number; readonly incidentId: string; readonly events: readonly UnsequencedEvent[]; readonly resolve: (r: SequencedOutcome[]) => void; readonly reject: (e: unknown) => void }
  | { readonly type: 'declare'; readonly channel: string; readonly event: UnsequencedEvent; readonly resolve: (r: DeclareOutcome) => void; readonly reject: (e: unknown) => void }
  | { readonly type: 'signals'; readonly channel: string; readonly signals: readonly Signal[]; readonly resolve: () => void; readonly reject: (e: unknown) => void };

/** One incident row as a transaction sees it once locked, and what the transaction does to it. */
interface IncidentPlan {
  readonly channel: string;
  readonly number: number;
  head: number;
  summary: IncidentSummary | null;
  declareEventId: string;
  /** Created by this transaction (INSERT), or already there (UPDATE). */
  readonly isNew: boolean;
  touched: boolean;
  summaryChanged: boolean;
  /** First seq this transaction writes (for the notification). */
  firstSeq: number;
  /** Event ids (lower-case) written by this transaction → seq. */
  readonly newIds: Map<string, number>;
}

const key = (channel: string, number: number) => `${number}\u0000${channel}`;

/**
 * An array written into a query as a literal, for the queries of several statements (which take no parameters):
 * each text escaped as PostgreSQL's own client escapes a literal (`escapeLiteral`: quotes and backslashes doubled),
 * numbers checked to be integers. `ARRAY[]::type[]` when empty.
 */
function sqlArray(values: readonly (string | number | null)[], type: 'text' | 'uuid' | 'int8'): string {
  const items = values.map((v) => {
    if (v === null) return 'NULL';
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new Error(`not an integer for a ${type} literal: ${v}`);
      return String(v);
    }
    return escapeLiteral(v);
  });
  return `ARRAY[${items.join(',')}]::${type}[]`;
}

/**
 * The event store on PostgreSQL (`--store postgres`), for one or many server processes on one database.
 *
 * - Group commit: every call queued while a transaction runs goes into the next one — one transaction, one
 *   multi-row INSERT (unnest of arrays) — and each call resolves only after COMMIT.
 * - Sequencing (`shared`): the store gives seqs and INC numbers itself, inside the transaction, under row locks:
 *   `SELECT … FOR UPDATE` on the incident's row (it holds head_seq) before numbering, and an upsert on the channel's
 *   row (it holds highest_number) before a declaration. Why a row lock: that row must be updated in the same
 *   transaction anyway (head, summary); the lock is held exactly until COMMIT/ROLLBACK and is released by the server
 *   if the process dies, so no crash leaves it behind; writers queue on it in order, so under contention every
 *   transaction still makes progress (a conditional insert — `INSERT … WHERE head = n` — would make the loser of
 *   every race re-read and retry, which starves one of two pipelining replicas); and it needs no hashing of
 *   (channel, incident) into an advisory lock's 64-bit key. Rows are locked in one global order (channels, then
 *   incidents, each sorted), so two transactions never deadlock; should one anyway, it is run again. The primary
 *   key (channel, number, seq) and UNIQUE (channel, number, id) stay as the last guard: a bug can make a
 *   transaction fail, never store a duplicate seq or id.
 * - Fan-out across servers: each transaction NOTIFYs `incident_room_events` with `{c, i, f, l, s}` (channel,
 *   incident number, first and last seq, summary changed) per incident — under 120 bytes, far below the 8,000-byte
 *   limit; the events themselves are read from the table. A dedicated connection LISTENs; when it is lost the store
 *   reconnects and announces `resync`, and the core re-reads what it holds from the table.
 * - Signals: `putSignals` is a job of the same queue, upserted into `ir_signals` in the same transaction as the
 *   appends beside it (so in call order), keeping a stored `incident_id` that the new row would clear with null;
 *   each transaction NOTIFYs `incident_room_signals` with the channel and fingerprints it stored.
 * - Outage: a transaction that fails rejects its calls (nothing acked without COMMIT). A connection error marks the
 *   store unavailable (`stats().failed`, so /healthz says 503): calls are refused at once until a probe succeeds
 *   and LISTEN is back, which the store retries by itself with capped backoff. A COMMIT whose answer was lost may
 *   have committed: the client's re-send is then recognised by its event id.
 */
export class PostgresStore implements EventStore, SharedSequencing {
  readonly shared: SharedSequencing = this;
  private pool: Pool | null = null;
  private listener: Client | null = null;
  private queue: Job[] = [];
  private committing: Promise<void> | null = null;
  private commitScheduled = false;
  private closed = false;
  private available = false;
  private reconnecting: Promise<void> | null = null;
  private readonly changeListeners = new Set<(change: StoreChange) => void>();
  private readonly commitListeners: ((info: CommitInfo) => void)[] = [];
  private counts = { channels: 0, incidents: 0, events: 0 };
  private statsTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retry: { readonly first: number; readonly max: number };
  /** The database has no statistics of ir_events yet (see `analyzeWhenGrown`). */
  private unanalyzed = false;
  private writtenSinceOpen = 0;

  constructor(private readonly options: PostgresStoreOptions) {
    PgUrl.parse(options.url);
    if (options.onCommit) this.commitListeners.push(options.onCommit);
    this.retry = options.retryMs ?? { first: 100, max: 2000 };
  }

  async open(): Promise<RecoveryReport> {
    if (this.pool) throw new Error('PostgresStore.open called twice');
    const started = performance.now();
    const pool = new Pool({
      connectionString: this.options.url, types: TYPES, max: this.options.poolSize ?? 4,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000, query_timeout: this.options.queryTimeoutMs ?? 15_000,
      keepAlive: true, application_name: 'incident-room-server',
    });
    // An idle connection the server dropped (restart, failover): the pool discards it; the next checkout gets a new one.
    pool.on('error', (e) => this.log('warn', 'database connection lost (idle)', { error: e.message }));
    this.pool = pool;
    try {
      await this.migrate();
      await this.listen();
      await this.refreshStats();
      this.unanalyzed = await this.hasNoStatistics();
    } catch (e) {
      await this.shutdown();
      throw e instanceof StoreError ? e : new StoreError('store_unavailable', `cannot open the PostgreSQL store: ${(e as Error).message}`);
    }
    this.available = true;
    const every = this.options.statsRefreshMs ?? 5000;
    this.statsTimer = setInterval(() => void this.refreshStats().catch(() => undefined), every);
    this.statsTimer.unref();
    const report: RecoveryReport = { ...this.counts, truncatedBytes: 0, skipped: [], durationMs: Math.round(performance.now() - started) };
    this.log('info', 'store opened', { store: 'postgres', schema: SCHEMA_VERSION, events: report.events, incidents: report.incidents, ms: report.durationMs });
    return report;
  }

  // ---- reads ----

  async listIncidents(channel: string): Promise<IncidentRecord[]> {
    const { rows } = await this.db().query('SELECT number, head_seq, declare_event_id::text AS declare_event_id, summary FROM ir_incidents WHERE channel = $1 ORDER BY number', [channel]);
    return rows.flatMap((r) => this.incidentRecord(channel, r));
  }

  async incident(channel: string, incidentId: string): Promise<IncidentRecord | null> {
    const { rows } = await this.db().query('SELECT number, head_seq, declare_event_id::text AS declare_event_id, summary FROM ir_incidents WHERE channel = $1 AND number = $2', [channel, incidentNumber(incidentId)]);
    return rows.flatMap((r) => this.incidentRecord(channel, r))[0] ?? null;
  }

  async highestIncidentNumber(channel: string): Promise<number> {
    const { rows } = await this.db().query('SELECT highest_number FROM ir_channels WHERE channel = $1', [channel]);
    return Count.parse(rows[0]?.highest_number ?? 0);
  }

  async read(channel: string, incidentId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    if (limit <= 0) return [];
    const { rows } = await this.db().query(
      'SELECT seq, id::text AS id, kind, json FROM ir_events WHERE channel = $1 AND number = $2 AND seq > $3 AND seq <= $3::bigint + $4 ORDER BY seq',
      [channel, incidentNumber(incidentId), Math.max(0, afterSeq), limit],
    );
    return z.array(EventRow).parse(rows).map((r) => ({ channel, incidentId, ...r }));
  }

  async listSignals(channel: string, fingerprints?: readonly string[]): Promise<Signal[]> {
    if (fingerprints?.length === 0) return [];
    const { rows } = fingerprints
      ? await this.db().query('SELECT signal FROM ir_signals WHERE channel = $1 AND fingerprint = ANY($2::text[])', [channel, fingerprints])
      : await this.db().query('SELECT signal FROM ir_signals WHERE channel = $1', [channel]);
    // Rows this server wrote from signals it had checked: a shape check, not the schema (5,000 rows through zod
    // would hold the event loop for a good part of a second).
    return rows.flatMap((r: { signal: unknown }) => {
      if (looksLikeSignal(r.signal)) return [r.signal];
      this.log('error', 'a signal row is not what this server wrote; it is left out', { channel });
      return [];
    });
  }

  async readIds(channel: string, incidentId: string): Promise<Map<string, number>> {
    const { rows } = await this.db().query('SELECT id::text AS id, seq FROM ir_events WHERE channel = $1 AND number = $2 ORDER BY seq', [channel, incidentNumber(incidentId)]);
    return new Map(z.array(EventRow.pick({ id: true, seq: true })).parse(rows).map((r) => [r.id, r.seq]));
  }

  stats(): StoreStats {
    return { ...this.counts, failed: !this.available };
  }

  /** Re-read the counts `stats()` reports (cheap: one row per incident, not per event). */
  async refreshStats(): Promise<StoreStats> {
    const { rows } = await this.db().query(
      'SELECT (SELECT count(*) FROM ir_channels) AS channels, count(*) AS incidents, coalesce(sum(head_seq), 0)::bigint AS events FROM ir_incidents',
    );
    this.counts = z.object({ channels: Count, incidents: Count, events: Count }).parse(rows[0]);
    return this.stats();
  }

  /** PostgreSQL keeps its own checksums and WAL: there is no damage this store finds or reports. */
  health(): StoreHealth {
    return { state: 'ok', damagedRecords: 0, quarantinedBytes: 0, lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes: 0 };
  }

  /** Whether the database is reachable and the store takes appends (the readiness /healthz reports). */
  get ready(): boolean {
    return this.available && !this.closed;
  }

  onCommit(listener: (info: CommitInfo) => void): void {
    this.commitListeners.push(listener);
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.committing || (this.queue.length > 0 && this.available)) {
      if (this.committing) await this.committing;
      else await this.commit();
    }
    for (const job of this.queue.splice(0)) job.reject(new StoreError('store_closed', 'the store is closed'));
    await this.shutdown();
  }

  // ---- writes ----

  append(records: readonly AppendRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const bad = records.find((r) => !UUID.test(r.id) || !CHANNEL_PATTERN.test(r.channel) || incidentNumber(r.incidentId) === 0);
    if (bad) return Promise.reject(new StoreError('store_failed', `not a storable event: ${bad.channel}/${bad.incidentId} id ${bad.id}`));
    return new Promise((resolve, reject) => this.enqueue({ type: 'records', records, resolve, reject }));
  }

  appendNew(channel: string, incidentId: string, events: readonly UnsequencedEvent[]): Promise<SequencedOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    const number = incidentNumber(incidentId);
    const bad = events.find((e) => !UUID.test(e.id));
    if (number === 0 || !CHANNEL_PATTERN.test(channel) || bad) return Promise.reject(new StoreError('store_failed', `not a storable event: ${channel}/${incidentId}${bad ? ` id ${bad.id}` : ''}`));
    return new Promise((resolve, reject) => this.enqueue({ type: 'new', channel, number, incidentId, events, resolve, reject }));
  }

  declare(channel: string, event: UnsequencedEvent): Promise<DeclareOutcome> {
    if (!CHANNEL_PATTERN.test(channel) || !UUID.test(event.id) || event.kind !== 'incident.declared') {
      return Promise.reject(new StoreError('store_failed', `not a storable declaration in ${channel}`));
    }
    return new Promise((resolve, reject) => this.enqueue({ type: 'declare', channel, event, resolve, reject }));
  }

  putSignals(channel: string, signals: readonly Signal[]): Promise<void> {
    if (signals.length === 0) return Promise.resolve();
    if (!CHANNEL_PATTERN.test(channel)) return Promise.reject(new StoreError('store_failed', `not a storable signal: channel ${channel}`));
    return new Promise((resolve, reject) => this.enqueue({ type: 'signals', channel, signals, resolve, reject }));
  }

  private enqueue(job: Job): void {
    if (this.closed || !this.pool) return job.reject(new StoreError('store_closed', 'the store is closed'));
    if (!this.available) return job.reject(new StoreError('store_unavailable', 'the database is unreachable; nothing was written'));
    this.queue.push(job);
    this.scheduleCommit();
  }

  private scheduleCommit(): void {
    if (this.committing || this.commitScheduled) return;
    // setImmediate, not a microtask: appends from every socket read in this loop turn join the same transaction.
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (!this.committing) void this.commit();
    });
  }

  private commit(): Promise<void> {
    const run = this.runCommits().finally(() => {
      this.committing = null;
      // Calls made by the callers just resolved (their continuations ran before this): they start the next one.
      if (this.queue.length > 0 && !this.closed) this.scheduleCommit();
    });
    this.committing = run;
    return run;
  }

  /** Commit everything queued, one transaction after another, until the queue is empty. */
  private async runCommits(): Promise<void> {
    while (this.queue.length > 0) {
      let events = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || events < MAX_EVENTS_PER_COMMIT)) events += jobSize(this.queue[n++]!);
      const jobs = this.queue.splice(0, n);
      const started = performance.now();
      let outcome: { settle: () => void; info: CommitInfo };
      try {
        outcome = await this.transaction(jobs);
      } catch (e) {
        const unreachable = isConnectionError(e);
        const error = unreachable
          ? new StoreError('store_unavailable', `the database is unreachable; nothing was acked: ${(e as Error).message}`)
          : new StoreError('store_failed', `a transaction failed and was rolled back: ${(e as Error).message}`);
        this.log('error', unreachable ? 'database unreachable: appends refused until it is back' : 'transaction failed', { jobs: jobs.length, events, error: (e as Error).message });
        for (const job of jobs) job.reject(error);
        if (unreachable) {
          for (const job of this.queue.splice(0)) job.reject(error);
          this.markUnavailable();
        }
        continue;
      }
      const info = { ...outcome.info, fsyncMs: performance.now() - started };
      outcome.settle();
      this.analyzeWhenGrown(info.events);
      for (const l of this.commitListeners) l(info);
    }
  }

  /**
   * One group commit. Resolves with what to tell the callers (called only after COMMIT); calls whose records do not
   * follow their incident's head (pre-sequenced `append`) or name an incident that does not exist are refused alone.
   */
  private async transaction(jobs: readonly Job[]): Promise<{ settle: () => void; info: CommitInfo }> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.checkout();
      let broken: Error | undefined;
      try {
        const result = await this.runTransaction(client, jobs);
        return result;
      } catch (e) {
        broken = isConnectionError(e) ? (e as Error) : undefined;
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        const code = (e as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < MAX_TX_ATTEMPTS) {
          this.log('warn', 'transaction retried', { code, attempt });
          continue;
        }
        throw e;
      } finally {
        client.removeAllListeners('error');
        client.release(broken);
      }
    }
  }

  /** Whether PostgreSQL has never analyzed ir_events (a new database: autovacuum looks once a minute at most). */
  private async hasNoStatistics(): Promise<boolean> {
    const { rows } = await this.db().query(
      "SELECT count(*) AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'ir_events' AND attname = 'id'",
    );
    return Count.parse(rows[0]?.n ?? 0) === 0;
  }

  /**
   * On a new database, analyze ir_events once this server has written ANALYZE_AFTER_EVENTS events, instead of waiting
   * for autovacuum. Without statistics the planner guesses that an id matches 0.5% of the table, and a large batch's
   * id lookup (step 3 of a transaction) becomes a scan of the whole table; with them it knows ids are unique and
   * probes ir_events_by_id. Once is enough: that estimate scales with the table, and autovacuum keeps it current.
   */
  private analyzeWhenGrown(events: number): void {
    this.writtenSinceOpen += events;
    if (!this.unanalyzed || this.writtenSinceOpen < ANALYZE_AFTER_EVENTS) return;
    this.unanalyzed = false;
    this.db().query('ANALYZE ir_events').then(
      () => this.log('info', 'analyzed ir_events', { after: this.writtenSinceOpen }),
      (e: unknown) => this.log('warn', 'analyzing ir_events failed (autovacuum will)', { error: (e as Error).message }),
    );
  }

  /**
   * A pooled connection for a transaction. While it is checked out the pool does not listen for its errors, and a
   * connection the server drops (restart, `pg_ctl stop`) would emit one with nobody listening: an uncaught exception.
   * The query in flight fails with the same error, and that is what the caller handles.
   */
  private async checkout(): Promise<PoolClient> {
    const client = await this.db().connect();
    client.on('error', () => undefined);
    return client;
  }

  private async runTransaction(client: PoolClient, jobs: readonly Job[]): Promise<{ settle: () => void; info: CommitInfo }> {
    // Steps 1-3 go to the database as one query (BEGIN, then each step as a statement of its own, in order) and the
    // write and COMMIT as another: two round trips for a group commit instead of five, each of which waits for the
    // database's process to be scheduled on a busy machine. One query of several statements takes no parameters (the
    // simple query protocol), so the values are written into it as literals (`literal`, `sqlArray`).
    const declareChannels = new Set<string>();
    const lockIncidents = new Map<string, { channel: string; number: number }>();
    for (const job of jobs) {
      if (job.type === 'signals') continue;
      if (job.type === 'declare') declareChannels.add(job.channel);
      else if (job.type === 'new') lockIncidents.set(key(job.channel, job.number), { channel: job.channel, number: job.number });
      else {
        for (const r of job.records) {
          const number = incidentNumber(r.incidentId);
          if (r.seq === 1) declareChannels.add(r.channel);
          lockIncidents.set(key(r.channel, number), { channel: r.channel, number });
        }
      }
    }
    const ids: string[] = [];
    const declChannels: string[] = [];
    const declIds: string[] = [];
    for (const job of jobs) {
      if (job.type === 'signals') continue;
      if (job.type === 'declare') {
        declChannels.push(job.channel);
        declIds.push(job.event.id);
      } else if (job.type === 'new') {
        for (const e of job.events) ids.push(e.id);
      } else {
        for (const r of job.records) ids.push(r.id);
      }
    }
    const steps: { readonly step: 'channels' | 'locks' | 'ids'; readonly sql: string }[] = [];
    // 1. Lock the channel rows of declarations (and of pre-sequenced first events), creating them as needed.
    if (declareChannels.size > 0) {
      steps.push({ step: 'channels', sql: `INSERT INTO ir_channels (channel) SELECT unnest(${sqlArray([...declareChannels].sort(), 'text')}) ORDER BY 1
         ON CONFLICT (channel) DO UPDATE SET highest_number = ir_channels.highest_number RETURNING channel, highest_number` });
    }
    // 2. Lock the incident rows, in one global order (channel rows first, then incidents sorted): no deadlock.
    if (lockIncidents.size > 0) {
      const wanted = [...lockIncidents.values()].sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : a.number - b.number));
      steps.push({ step: 'locks', sql: `SELECT i.channel, i.number, i.head_seq, i.summary FROM ir_incidents i
         JOIN unnest(${sqlArray(wanted.map((w) => w.channel), 'text')}, ${sqlArray(wanted.map((w) => w.number), 'int8')}) AS w(c, n) ON i.channel = w.c AND i.number = w.n
         ORDER BY i.channel, i.number FOR UPDATE OF i` });
    }
    // 3. Which of the ids are there already (read after the locks: the rows' writers have committed or will wait;
    //    each statement of the query reads what was committed when it starts). By id alone (index ir_events_by_id, see
    //    migration 3): the rows of the same id in other incidents, if a client ever reused one, are dropped below.
    if (ids.length > 0 || declIds.length > 0) {
      steps.push({ step: 'ids', sql: `SELECT 'e' AS t, e.channel, e.number, e.id::text AS id, e.seq FROM ir_events e
           WHERE e.id = ANY(${sqlArray([...new Set(ids)], 'uuid')})
         UNION ALL
         SELECT 'd', i.channel, i.number, i.declare_event_id::text, 1 FROM ir_incidents i
           JOIN unnest(${sqlArray(declChannels, 'text')}, ${sqlArray(declIds, 'uuid')}) AS w(c, i) ON i.channel = w.c AND i.declare_event_id = w.i` });
    }
    const answers = await client.query(['BEGIN', ...steps.map((s) => s.sql)].join(';\n'));
    // A query of one statement answers with one result, of several with one per statement.
    const results = Array.isArray(answers) ? (answers as { rows: unknown[] }[]) : [answers as { rows: unknown[] }];
    const rowsOf = (step: 'channels' | 'locks' | 'ids'): unknown[] => {
      const at = steps.findIndex((s) => s.step === step);
      return at < 0 ? [] : results[at + 1]!.rows;
    };

    const highest = new Map<string, number>();
    for (const r of z.array(z.object({ channel: z.string(), highest_number: Count })).parse(rowsOf('channels'))) highest.set(r.channel, r.highest_number);
    const plans = new Map<string, IncidentPlan>();
    for (const r of z.array(LockedRow).parse(rowsOf('locks'))) {
      const summary = IncidentSummary.safeParse({ ...r.summary, headSeq: r.head_seq });
      plans.set(key(r.channel, r.number), {
        channel: r.channel, number: r.number, head: r.head_seq, summary: summary.success ? summary.data : null, declareEventId: '', isNew: false,
        touched: false, summaryChanged: false, firstSeq: 0, newIds: new Map(),
      });
    }
    const existingIds = new Map<string, number>(); // key + id → seq
    const existingDeclares = new Map<string, number>(); // channel + id → number
    const Row = z.object({ t: z.enum(['e', 'd']), channel: z.string(), number: z.number().int().positive(), id: z.string(), seq: z.number().int().positive() });
    for (const r of z.array(Row).parse(rowsOf('ids'))) {
      // Keyed by incident: only the incident the id was appended to counts (seqOf looks it up by that incident).
      if (r.t === 'e') existingIds.set(`${key(r.channel, r.number)}\u0000${r.id}`, r.seq);
      else existingDeclares.set(`${r.channel}\u0000${r.id}`, r.number);
    }

    // 4. Plan, in call order.
    const insert = { channel: [] as string[], number: [] as number[], seq: [] as number[], id: [] as string[], kind: [] as string[], json: [] as string[] };
    const settles: (() => void)[] = [];
    let bytes = 0;
    const seqOf = (plan: IncidentPlan, id: string) => plan.newIds.get(id) ?? existingIds.get(`${key(plan.channel, plan.number)}\u0000${id}`);
    const write = (plan: IncidentPlan, event: SequencedEvent, json: string) => {
      const id = eventIdKey(event.id);
      insert.channel.push(plan.channel);
      insert.number.push(plan.number);
      insert.seq.push(event.seq);
      insert.id.push(id);
      insert.kind.push(event.kind);
      insert.json.push(json);
      bytes += json.length;
      plan.newIds.set(id, event.seq);
      if (!plan.touched) plan.firstSeq = event.seq;
      plan.touched = true;
      plan.head = event.seq;
      const before = plan.summary;
      plan.summary = reduceSummary(plan.summary, `INC-${plan.number}`, event);
      if (changesSummary(event) || before === null) plan.summaryChanged = true;
    };
    const newIncident = (channel: string, number: number, declareEventId: string): IncidentPlan => {
      const plan: IncidentPlan = { channel, number, head: 0, summary: null, declareEventId, isNew: true, touched: false, summaryChanged: true, firstSeq: 1, newIds: new Map() };
      plans.set(key(channel, number), plan);
      highest.set(channel, Math.max(highest.get(channel) ?? 0, number));
      return plan;
    };
    const declaredHere = new Map<string, number>(); // channel + declare id → number, declared by this transaction
    // channel + fingerprint → the signal to store: one row each, as a statement may not upsert a row twice.
    const signals = new Map<string, { readonly channel: string; readonly signal: Signal }>();

    for (const job of jobs) {
      if (job.type === 'signals') {
        for (const sig of job.signals) {
          const k = `${job.channel}\u0000${sig.fingerprint}`;
          signals.set(k, { channel: job.channel, signal: signalToKeep(signals.get(k)?.signal, sig) });
        }
        settles.push(() => job.resolve());
      } else if (job.type === 'declare') {
        const declareId = eventIdKey(job.event.id);
        const known = existingDeclares.get(`${job.channel}\u0000${declareId}`) ?? declaredHere.get(`${job.channel}\u0000${declareId}`);
        if (known !== undefined) {
          settles.push(() => job.resolve({ incidentId: `INC-${known}`, duplicate: true, json: null, event: null }));
          continue;
        }
        const number = (highest.get(job.channel) ?? 0) + 1;
        const plan = newIncident(job.channel, number, declareId);
        declaredHere.set(`${job.channel}\u0000${declareId}`, number);
        const event = { seq: 1, ...job.event } as SequencedEvent;
        const json = JSON.stringify(event);
        write(plan, event, json);
        settles.push(() => job.resolve({ incidentId: `INC-${number}`, duplicate: false, json, event }));
      } else if (job.type === 'new') {
        const plan = plans.get(key(job.channel, job.number));
        if (!plan || plan.summary === null) {
          settles.push(() => job.reject(new StoreError('store_conflict', `${job.channel}/${job.incidentId} does not exist`)));
          continue;
        }
        const outcomes: SequencedOutcome[] = [];
        for (const e of job.events) {
          const known = seqOf(plan, eventIdKey(e.id));
          if (known !== undefined) {
            outcomes.push({ seq: known, duplicate: true, json: null, event: null });
            continue;
          }
          const event = { seq: plan.head + 1, ...e } as SequencedEvent;
          const json = JSON.stringify(event);
          write(plan, event, json);
          outcomes.push({ seq: event.seq, duplicate: false, json, event });
        }
        settles.push(() => job.resolve(outcomes));
      } else {
        // Pre-sequenced records: each must follow its incident's head, or the whole call is refused.
        const snapshot = new Map<string, IncidentPlan | undefined>();
        const highestBefore = new Map(highest);
        const rowsBefore = insert.seq.length;
        const bytesBefore = bytes;
        const conflict = this.planRecords(job.records, plans, snapshot, existingIds, newIncident, write);
        if (conflict) {
          // Undo what the call planned: it is refused alone, the rest of the transaction goes on.
          for (const [k, p] of snapshot) {
            if (p === undefined) plans.delete(k);
            else plans.set(k, p);
          }
          for (const column of Object.values(insert)) column.length = rowsBefore;
          bytes = bytesBefore;
          highest.clear();
          for (const [c, h] of highestBefore) highest.set(c, h);
          settles.push(() => job.reject(new StoreError('store_conflict', conflict)));
          continue;
        }
        settles.push(() => job.resolve());
      }
    }

    // 5. Write it all and announce it, in one statement, then COMMIT.
    const touched = [...plans.values()].filter((p) => p.touched);
    const created = touched.filter((p) => p.isNew);
    const updated = touched.filter((p) => !p.isNew);
    const summaryText = (p: IncidentPlan) => (p.summary ? JSON.stringify({ ...p.summary, headSeq: undefined }) : null);
    const notes = touched.map((p) => JSON.stringify({ c: p.channel, i: p.number, f: p.firstSeq, l: p.head, s: p.summaryChanged ? 1 : 0 }));
    const channelsHigh = [...highest].filter(([c]) => declareChannels.has(c));
    // The write and COMMIT in one query (one round trip; see above), after the signals' statements when there are any.
    const statements: string[] = [];
    if (insert.seq.length > 0 || channelsHigh.length > 0) {
      statements.push(`WITH ev AS (
           INSERT INTO ir_events (channel, number, seq, id, kind, json)
           SELECT * FROM unnest(${sqlArray(insert.channel, 'text')}, ${sqlArray(insert.number, 'int8')}, ${sqlArray(insert.seq, 'int8')}, ${sqlArray(insert.id, 'uuid')}, ${sqlArray(insert.kind, 'text')}, ${sqlArray(insert.json, 'text')})
         ), inc_new AS (
           INSERT INTO ir_incidents (channel, number, head_seq, declare_event_id, summary)
           SELECT c, n, h, d, s::jsonb FROM unnest(${sqlArray(created.map((p) => p.channel), 'text')}, ${sqlArray(created.map((p) => p.number), 'int8')}, ${sqlArray(created.map((p) => p.head), 'int8')}, ${sqlArray(created.map((p) => p.declareEventId), 'uuid')}, ${sqlArray(created.map(summaryText), 'text')}) AS t(c, n, h, d, s)
         ), inc_upd AS (
           UPDATE ir_incidents i SET head_seq = t.h, summary = coalesce(t.s::jsonb, i.summary)
           FROM unnest(${sqlArray(updated.map((p) => p.channel), 'text')}, ${sqlArray(updated.map((p) => p.number), 'int8')}, ${sqlArray(updated.map((p) => p.head), 'int8')}, ${sqlArray(updated.map((p) => (p.summaryChanged ? summaryText(p) : null)), 'text')}) AS t(c, n, h, s) WHERE i.channel = t.c AND i.number = t.n
         ), chan AS (
           UPDATE ir_channels ch SET highest_number = t.h FROM unnest(${sqlArray(channelsHigh.map(([c]) => c), 'text')}, ${sqlArray(channelsHigh.map(([, h]) => h), 'int8')}) AS t(c, h)
           WHERE ch.channel = t.c AND ch.highest_number < t.h
         )
         SELECT pg_notify('${NOTIFY_CHANNEL}', p) FROM unnest(${sqlArray(notes, 'text')}) AS p`);
    }
    if (signals.size > 0) {
      if (statements.length > 0) await client.query(statements.splice(0).join(';\n'));
      await this.upsertSignals(client, [...signals.values()]);
    }
    await client.query([...statements, 'COMMIT'].join(';\n'));
    this.counts = { channels: this.counts.channels, incidents: this.counts.incidents + created.length, events: this.counts.events + insert.seq.length };
    return { settle: () => settles.forEach((s) => s()), info: { events: insert.seq.length, bytes, fsyncMs: 0 } };
  }

  /**
   * Store signals (one per channel and fingerprint) and announce them, in the transaction of `client`. A stored
   * `incident_id` is kept when the new signal has none, in the row and in its JSON (`signalToKeep` in SQL).
   */
  private async upsertSignals(client: PoolClient, rows: readonly { readonly channel: string; readonly signal: Signal }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += SIGNALS_PER_STATEMENT) {
      const slice = rows.slice(i, i + SIGNALS_PER_STATEMENT);
      await client.query(
        `WITH up AS (
           INSERT INTO ir_signals (channel, fingerprint, signal, incident_id)
           SELECT c, f, s::jsonb, s::jsonb->>'incidentId' FROM unnest($1::text[], $2::text[], $3::text[]) AS t(c, f, s)
           ON CONFLICT (channel, fingerprint) DO UPDATE SET
             signal = CASE WHEN excluded.incident_id IS NULL AND ir_signals.incident_id IS NOT NULL
                           THEN jsonb_set(excluded.signal, '{incidentId}', to_jsonb(ir_signals.incident_id)) ELSE excluded.signal END,
             incident_id = coalesce(excluded.incident_id, ir_signals.incident_id)
         )
         SELECT pg_notify('${NOTIFY_SIGNALS_CHANNEL}', p) FROM unnest($4::text[]) AS p`,
        [slice.map((r) => r.channel), slice.map((r) => r.signal.fingerprint), slice.map((r) => JSON.stringify(r.signal)), signalNotes(slice)],
      );
    }
  }

  /** Plan pre-sequenced records; returns why they cannot be stored (and leaves undoing to the caller), or null. */
  private planRecords(
    records: readonly AppendRecord[], plans: Map<string, IncidentPlan>, snapshot: Map<string, IncidentPlan | undefined>, existingIds: ReadonlyMap<string, number>,
    newIncident: (channel: string, number: number, declareEventId: string) => IncidentPlan, write: (plan: IncidentPlan, event: SequencedEvent, json: string) => void,
  ): string | null {
    for (const r of records) {
      const number = incidentNumber(r.incidentId);
      const k = key(r.channel, number);
      if (!snapshot.has(k)) {
        const p = plans.get(k);
        snapshot.set(k, p && { ...p, newIds: new Map(p.newIds) });
      }
      let plan = plans.get(k);
      if (!plan && r.seq === 1 && r.kind === 'incident.declared') plan = newIncident(r.channel, number, eventIdKey(r.id));
      if (!plan) return `${r.channel}/${r.incidentId}: seq ${r.seq} for an incident the database does not have`;
      if (r.seq !== plan.head + 1) return `${r.channel}/${r.incidentId}: seq ${r.seq} does not follow ${plan.head}`;
      const id = eventIdKey(r.id);
      if (plan.newIds.has(id) || existingIds.has(`${k}\u0000${id}`)) return `${r.channel}/${r.incidentId}: event ${r.id} is already stored`;
      write(plan, r.event, r.json);
    }
    return null;
  }

  // ---- schema ----

  private async migrate(): Promise<void> {
    const client = await this.checkout();
    try {
      await client.query('BEGIN');
      // Servers starting together: one migrates, the others wait here and then find nothing left to do.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS ir_schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query('SELECT coalesce(max(version), 0) AS v FROM ir_schema_version');
      const current = Count.parse(rows[0]?.v ?? 0);
      if (current > SCHEMA_VERSION) {
        throw new StoreError('store_format', `the database's schema is version ${current}, newer than this server knows (${SCHEMA_VERSION}); upgrade the server`);
      }
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO ir_schema_version (version) VALUES ($1)', [m.version]);
        this.log('info', 'schema migrated', { version: m.version });
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.removeAllListeners('error');
      client.release();
    }
  }

  // ---- LISTEN and recovery ----

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.options.url, types: TYPES, keepAlive: true, application_name: 'incident-room-server (listen)', connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000 });
    const lost = (e?: Error) => {
      if (this.listener !== client) return;
      this.listener = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.log('error', 'database connection lost: appends refused until it is back', { error: e?.message ?? 'connection ended' });
      this.markUnavailable();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel === NOTIFY_SIGNALS_CHANNEL && n.payload !== undefined) {
        const heard = SignalsNotification.safeParse(safeJson(n.payload));
        if (heard.success) this.emit({ type: 'signals', channel: heard.data.c, fingerprints: heard.data.f });
        else this.log('warn', 'ignored a notification that is not ours', { payload: n.payload.slice(0, 200) });
        return;
      }
      if (n.channel !== NOTIFY_CHANNEL || n.payload === undefined) return;
      let parsed: z.infer<typeof Notification>;
      try {
        parsed = Notification.parse(JSON.parse(n.payload));
      } catch {
        this.log('warn', 'ignored a notification that is not ours', { payload: n.payload.slice(0, 200) });
        return;
      }
      this.emit({ type: 'events', channel: parsed.c, incidentId: `INC-${parsed.i}`, fromSeq: parsed.f, toSeq: parsed.l, summaryChanged: parsed.s === 1 });
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${NOTIFY_CHANNEL}; LISTEN ${NOTIFY_SIGNALS_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.listener = client;
  }

  private markUnavailable(): void {
    this.available = false;
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = null;
    });
  }

  /** Probe until the database answers and LISTEN is back; then take appends again and have the core re-read. */
  private async reconnect(): Promise<void> {
    let wait = this.retry.first;
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        this.retryTimer = setTimeout(resolve, wait);
        // The server's listener keeps the process alive; a store alone (a test, a script) should not.
        this.retryTimer.unref();
      });
      if (this.closed) return;
      try {
        await this.db().query('SELECT 1');
        if (!this.listener) await this.listen();
        this.available = true;
        this.log('info', 'database reachable again: appends accepted', {});
        void this.refreshStats().catch(() => undefined);
        this.emit({ type: 'resync' });
        return;
      } catch (e) {
        this.log('warn', 'database still unreachable', { error: (e as Error).message, retryMs: wait });
        wait = Math.min(this.retry.max, wait * 2);
      }
    }
  }

  private emit(change: StoreChange): void {
    for (const l of this.changeListeners) {
      try {
        l(change);
      } catch (e) {
        this.log('error', 'a change listener failed', { error: (e as Error).message });
      }
    }
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.statsTimer);
    clearTimeout(this.retryTimer);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    const pool = this.pool;
    this.pool = null;
    await pool?.end().catch(() => undefined);
    this.available = false;
  }

  // ---- helpers ----

  private db(): Pool {
    if (!this.pool) throw new StoreError('store_closed', 'the store is closed');
    return this.pool;
  }

  private incidentRecord(channel: string, row: unknown): IncidentRecord[] {
    const r = IncidentRow.safeParse(row);
    const summary = r.success ? IncidentSummary.safeParse({ ...r.data.summary, headSeq: r.data.head_seq }) : null;
    if (!r.success || !summary?.success) {
      this.log('error', 'an incident row is not what this server wrote; it is left out', { channel });
      return [];
    }
    return [{ summary: summary.data, declareEventId: r.data.declare_event_id }];
  }

  private log(level: PgLogLevel, event: string, fields: Record<string, unknown>): void {
    this.options.log?.(level, event, fields);
  }
}

function jobSize(job: Job): number {
  return job.type === 'declare' ? 1 : job.type === 'new' ? job.events.length : job.type === 'signals' ? job.signals.length : job.records.length;
}

/** The payloads announcing stored signals: `{c, f}` per channel, fingerprints split so each stays under the limit. */
function signalNotes(rows: readonly { readonly channel: string; readonly signal: Signal }[]): string[] {
  const byChannel = new Map<string, string[]>();
  for (const r of rows) {
    let list = byChannel.get(r.channel);
    if (!list) byChannel.set(r.channel, (list = []));
    list.push(r.signal.fingerprint);
  }
  const notes: string[] = [];
  for (const [c, fingerprints] of byChannel) {
    let f: string[] = [];
    let bytes = c.length + 20;
    for (const fp of fingerprints) {
      if (f.length > 0 && bytes + fp.length + 3 > MAX_NOTIFY_BYTES) {
        notes.push(JSON.stringify({ c, f }));
        f = [];
        bytes = c.length + 20;
      }
      f.push(fp);
      bytes += fp.length + 3;
    }
    if (f.length > 0) notes.push(JSON.stringify({ c, f }));
  }
  return notes;
}

function looksLikeSignal(value: unknown): value is Signal {
  const s = value as Partial<Signal> | null;
  return typeof s === 'object' && s !== null && typeof s.fingerprint === 'string' && (s.status === 'firing' || s.status === 'resolved')
    && typeof s.labels === 'object' && s.labels !== null && typeof s.annotations === 'object' && s.annotations !== null && typeof s.startsAt === 'string';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Errors that mean the database (or the way to it) is gone, as opposed to a statement it refused. */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  // Class 08: connection exception; 57P01-57P03: shutdown, crash shutdown, cannot connect now; 53300: too many connections.
  if (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  const message = typeof err?.message === 'string' ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout|Connection ended/i.test(message);
}
