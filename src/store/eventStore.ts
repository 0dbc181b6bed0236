import type { EventKind, SequencedEvent } from '../protocol/events';
import type { IncidentSummary, Signal } from '../protocol/messages';

/** One sequenced event as a store holds it: addressed by channel, incident and seq, with its JSON kept verbatim. */
export interface StoredEvent {
  readonly channel: string;
  /** `INC-n`, unique within the channel. */
  readonly incidentId: string;
  readonly seq: number;
  /** The event id as the client sent it. */
  readonly id: string;
  readonly kind: EventKind;
  /** The `SequencedEvent` serialized once; sent to clients as is, so replay never re-serializes. */
  readonly json: string;
}

/** What the channel core hands to `append`: the stored form plus the parsed event (stores index summaries from it). */
export interface AppendRecord extends StoredEvent {
  readonly event: SequencedEvent;
}

/** What a store knows about one incident without reading its log. */
export interface IncidentRecord {
  /** The summary as of the incident's last stored event (`headSeq` included). */
  readonly summary: IncidentSummary;
  /** Id of the `incident.declared` event (seq 1), lower-cased: a re-sent `declare` is recognised by it. */
  readonly declareEventId: string;
}

export interface StoreStats {
  readonly channels: number;
  readonly incidents: number;
  readonly events: number;
  /**
   * Set once an append has failed: the store then refuses every later append until it is reopened. A database store
   * (`shared`) sets it while the database is unreachable instead, and clears it itself once the database is back.
   */
  readonly failed: boolean;
}

/** One group commit: how many events one fsync (or transaction) made durable, and how long the fsync took. */
export interface CommitInfo {
  readonly events: number;
  readonly bytes: number;
  readonly fsyncMs: number;
}

/** What `open` found and repaired. */
export interface RecoveryReport {
  readonly events: number;
  readonly incidents: number;
  readonly channels: number;
  /** Bytes cut off the end of the log (a torn last record, never acked); 0 when the log ended cleanly. */
  readonly truncatedBytes: number;
  /**
   * Damaged regions of the log (records that were acked once and now fail their check), skipped and copied aside;
   * never expected, logged at error level, counted in `health()`.
   */
  readonly skipped: readonly { readonly offset: number; readonly bytes: number }[];
  readonly durationMs: number;
}

/**
 * What a store knows about damage to what it holds: counts and sizes, never contents, so it can go into `/healthz`,
 * metrics and alerts. A store that finds damage keeps serving everything else.
 */
export interface StoreHealth {
  /** `degraded` once any acked record was found damaged (at open or by a later read); `ok` otherwise. */
  readonly state: 'ok' | 'degraded';
  /**
   * Damaged records found since the store was opened (by the recovery scan or by reads), each counted once; only
   * grows while the store is open, so it can feed a counter. Damage still in the log is found again after a restart.
   */
  readonly damagedRecords: number;
  /** Bytes of those records, all copied to `quarantineFile`. */
  readonly quarantinedBytes: number;
  /** Where damaged bytes are copied (next to the log); absent while nothing has been damaged or could not be copied. */
  readonly quarantineFile?: string;
  /** Seqs of incidents that the store can no longer serve (acked events lost to damage): the holes clients are told about. */
  readonly lostEvents: number;
  /** How many incidents have at least one lost seq. */
  readonly incidentsWithLostEvents: number;
  /** Incidents whose `incident.declared` event was lost: their number stays taken, but they have no summary to list. */
  readonly incidentsWithoutDeclaration: number;
  /** Bytes of a torn last record cut off at open: normal after a crash (it was never acked), not damage. */
  readonly truncatedBytes: number;
}

/** A `SequencedEvent` before it has its seq: what the core hands a store that numbers events itself. */
export type UnsequencedEvent = SequencedEvent extends infer E ? (E extends SequencedEvent ? Omit<E, 'seq'> : never) : never;

/** What a shared store did with one event handed to `appendNew`. */
export interface SequencedOutcome {
  /** The seq it got, or (`duplicate`) the seq the incident already held it at. */
  readonly seq: number;
  /** The incident already held an event with this id (a re-send, possibly through another server): nothing was written. */
  readonly duplicate: boolean;
  /** The stored JSON and event; null for a duplicate. */
  readonly json: string | null;
  readonly event: SequencedEvent | null;
}

/** What a shared store did with a declaration. */
export interface DeclareOutcome {
  readonly incidentId: string;
  /** The declaration's event id was already known: `incidentId` is the incident it made then, nothing was written. */
  readonly duplicate: boolean;
  readonly json: string | null;
  readonly event: SequencedEvent | null;
}

/** Something another server process (or this one) committed, as a shared store hears of it. */
export type StoreChange =
  /** Events `fromSeq..toSeq` of an incident were committed; `summaryChanged`: one of them changes its summary. */
  | { readonly type: 'events'; readonly channel: string; readonly incidentId: string; readonly fromSeq: number; readonly toSeq: number; readonly summaryChanged: boolean }
  /** Signals of a channel were stored (by any process): their fingerprints. */
  | { readonly type: 'signals'; readonly channel: string; readonly fingerprints: readonly string[] }
  /** Changes may have been missed (the store lost its connection for a while): everything held in memory is re-read. */
  | { readonly type: 'resync' };

/**
 * Sequencing in the store, for stores that several server processes share (PostgreSQL). The core then never
 * numbers anything itself: the store gives seqs and incident numbers inside its transaction, under a lock, so two
 * processes appending to one incident at once never give a seq twice or leave a gap; and it tells every process
 * what any of them committed, so each can fan out what the others appended.
 */
export interface SharedSequencing {
  /**
   * Number and commit events of one incident, in order; resolves once committed. An event whose id the incident
   * already holds is not written again: its outcome is the seq it has (`duplicate`). Rejects with nothing written.
   */
  appendNew(channel: string, incidentId: string, events: readonly UnsequencedEvent[]): Promise<SequencedOutcome[]>;
  /** Open a new incident (the next INC-n of the channel, in the database) with its declaration as seq 1, or find the one a re-sent declaration made. */
  declare(channel: string, event: UnsequencedEvent): Promise<DeclareOutcome>;
  /** One incident as committed now, or null when there is none with a declaration. */
  incident(channel: string, incidentId: string): Promise<IncidentRecord | null>;
  /** Hear of every commit (this process's included); returns how to stop. */
  onChange(listener: (change: StoreChange) => void): () => void;
}

/**
 * Where a channel's signals (alerts) are kept, in the same store as its incidents. The core merges (dedup by
 * fingerprint, firing → resolved, links) and hands the store whole signals to keep; the store keeps the latest of
 * each fingerprint per channel.
 */
export interface SignalStore {
  /**
   * Keep these signals of a channel (each replaces the one with its fingerprint); resolves once durable, in call order
   * with `append`. A signal stored with an `incidentId` keeps it when a later put carries `incidentId: null` (a
   * notification from monitoring never unlinks; only a newer link replaces a link).
   */
  putSignals(channel: string, signals: readonly Signal[]): Promise<void>;
  /**
   * The channel's signals, each fingerprint once (order unspecified; the core sorts); with `fingerprints`, only those
   * of them the store has (a replica re-reads what another one stored, as `StoreChange` `signals` names it).
   */
  listSignals(channel: string, fingerprints?: readonly string[]): Promise<Signal[]>;
}

/**
 * What a store keeps when `incoming` replaces `stored` (the same fingerprint): `incoming`, except that a null
 * `incidentId` never clears a link (SignalStore.putSignals).
 */
export function signalToKeep(stored: Signal | undefined, incoming: Signal): Signal {
  return incoming.incidentId === null && stored?.incidentId ? { ...incoming, incidentId: stored.incidentId } : incoming;
}

/**
 * Where the channel core keeps events. The core does sequencing, idempotency and fan-out and never knows which
 * store it has: `MemoryStore` (tests), `FileStore` (the embedded default and the extension's local mode),
 * `PostgresStore` (several server processes on one database; it sequences itself, see `shared`).
 *
 * Contract:
 * - `append` resolves only once every record is durable (fsync'd / committed). Calls are committed in call order,
 *   and a later call never becomes visible or durable before an earlier one.
 * - After an `append` rejects, the store rejects every later `append` too (until it is reopened), so a failure can
 *   never leave a gap in an incident's seqs.
 * - Reads only see committed records.
 * - The store trusts the core: seqs arrive contiguous per incident, ids unique per incident.
 * - Damage never makes a store reuse what it handed out: a lost event's seq stays taken (it counts in the incident's
 *   `headSeq`) and a lost declaration's incident number stays taken (`highestIncidentNumber`).
 */
export interface EventStore extends SignalStore {
  /** Open the store (recovering from a crash if needed). Called once, before anything else. */
  open(): Promise<RecoveryReport>;
  /** The channel's incidents in declaration order (INC-1 first). */
  listIncidents(channel: string): Promise<IncidentRecord[]>;
  /**
   * The highest incident number (`INC-n` → n) the store has ever seen in the channel, including incidents that have
   * no summary because their declaration was damaged; 0 for none. New incidents are numbered above it, so a number
   * is never given twice.
   */
  highestIncidentNumber(channel: string): Promise<number>;
  /** Persist already-sequenced events; resolves once they are durable. */
  append(records: readonly AppendRecord[]): Promise<void>;
  /**
   * Events of an incident with afterSeq < seq <= afterSeq + limit (and at most the head), in seq order. A seq the
   * store has lost to damage is absent from the result rather than an error: the caller tells clients it is lost.
   */
  read(channel: string, incidentId: string, afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** Every event id of an incident (lower-cased) → its seq: the core's idempotency index for a room. */
  readIds(channel: string, incidentId: string): Promise<Map<string, number>>;
  stats(): StoreStats;
  /** Damage found in what the store holds (counts, never contents), for `/healthz` and `/metrics`. Cheap; call it per scrape. */
  health(): StoreHealth;
  /** Stores that make appends durable in batches report each batch here (metrics: fsync duration, batch size). */
  onCommit?(listener: (info: CommitInfo) => void): void;
  /** Wait for pending appends, release files and locks. */
  close(): Promise<void>;
  /**
   * Present on a store that several server processes share: the core then sequences through it, not in memory.
   * Such a store also takes `append` (already sequenced records) but checks each incident's head under its lock
   * and refuses records that do not follow it; a rejected call leaves nothing behind, so it need not fail later
   * calls, and it recovers by itself from a database outage.
   */
  readonly shared?: SharedSequencing;
}

/** Base of the typed errors a store throws; `code` is stable for callers to switch on. */
export class StoreError extends Error {
  constructor(
    readonly code: 'store_locked' | 'store_failed' | 'store_corrupt' | 'store_format' | 'store_closed' | 'store_unavailable' | 'store_conflict',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Another live process (or another FileStore in this one) holds the store directory. */
export class StoreLockedError extends StoreError {
  constructor(readonly lockPath: string, readonly holder: { readonly pid: number; readonly host: string; readonly startedAt: string } | null) {
    super('store_locked', `the store ${lockPath.replace(/[\\/]LOCK$/, '')} is in use by ${holder ? `process ${holder.pid} on ${holder.host} (since ${holder.startedAt})` : 'another process'}`);
    this.name = 'StoreLockedError';
  }
}

/** Normalises an event id for idempotency: UUIDs compare case-insensitively. */
export const eventIdKey = (id: string): string => id.toLowerCase();

/** `INC-7` → 7 (0 when not an incident id). */
export function incidentNumber(incidentId: string): number {
  const m = /^INC-([1-9][0-9]{0,9})$/.exec(incidentId);
  return m ? Number(m[1]) : 0;
}
