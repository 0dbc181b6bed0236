import { LOST_REASONS } from '../protocol/codes';
import type { ClientEvent, DeclareEvent, SequencedEvent } from '../protocol/events';
import type { LostSeqs } from '../protocol/messages';
import { type AppendRecord, type EventStore, eventIdKey, type SharedSequencing, type UnsequencedEvent } from '../store/eventStore';
import type { ChannelObserver } from './channelObserver';
import { errorText } from './errorText';
import { ackFrame, declaredFrame, eventFrame, eventsFrame } from './frames';
import type { Logger } from './logger';

/** Events of a room kept in memory for catch-up without reading the store. */
const RECENT_EVENTS = 1024;
/** At most this many events per replay read from the store. */
const REPLAY_READ = 512;
/** A shared store that failed a read of events another server committed is asked again after this long. */
const FILL_RETRY_MS = 500;
/** A replay frame stops growing past this size (it always carries at least one event). */
const REPLAY_FRAME_BYTES = 1024 * 1024;

/**
 * All a room knows of a subscriber or of whoever appended (a session): who it speaks for and where its frames go.
 * The room never sees the session's channel, state machine or transport (Hocuspocus's Document and Connection).
 */
export interface RoomConnection {
  /** The user stamped as `actor` on every event it appends. */
  readonly actor: EventActor;
  /** The token's name, stamped as `via` beside `actor`. */
  readonly via: string | undefined;
  readonly closed: boolean;
  /** Send one serialized server message. */
  send(frame: string): void;
  /** Resolves once the peer can take more replay. */
  drained(): Promise<void>;
  /** Answer a request with the server's fault (logged where it happened). */
  internalError(requestId: string | undefined): void;
}

/** All a room knows of the channel that owns it: where events go and what it is told when they are durable. */
export interface RoomOwner {
  /** The channel's name. */
  readonly name: string;
  readonly store: Pick<EventStore, 'append' | 'read' | 'readIds' | 'shared'>;
  readonly logger: Logger;
  readonly observer: ChannelObserver;
  /** Wall clock for `receivedAt` (ms since the epoch). */
  now(): number;
  /** Events became durable, in seq order: advance the incident's summary. */
  applyDurable(incidentId: string, events: readonly SequencedEvent[]): void;
  /**
   * Events this server committed, each once (`applyDurable` also hears, through a shared store, what other servers
   * committed): what the channel does once per event, whichever servers fan it out.
   */
  committed(incidentId: string, events: readonly SequencedEvent[]): void;
  /** The declaration never became durable: the incident does not exist. */
  forgetUndeclared(incidentId: string): void;
  /** The room may have gone idle. */
  roomMaybeIdle(room: Room): void;
}

type EventActor = SequencedEvent['actor'];

/** An append or declare as it reaches a room. */
export interface AppendRequest {
  readonly session: RoomConnection;
  readonly requestId: string;
  readonly event: ClientEvent | (DeclareEvent & { readonly kind: 'incident.declared' });
  /** `performance.now()` when the frame arrived: the start of the append-to-ack latency. */
  readonly receivedAt: number;
}

interface Reply {
  readonly session: RoomConnection;
  readonly requestId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly duplicate: boolean;
  readonly declare: boolean;
  readonly receivedAt: number;
}

/** Events sequenced in one turn of the event loop: one store append, one fan-out frame once durable. */
interface Batch {
  readonly firstSeq: number;
  lastSeq: number;
  readonly records: AppendRecord[];
  readonly replies: Reply[];
  done: boolean;
}

interface Subscription {
  readonly session: RoomConnection;
  /** The last seq this subscriber has been sent (or said it holds). */
  delivered: number;
  /** Caught up: receives the shared live frames. Otherwise its own catch-up loop is still replaying. */
  live: boolean;
  sentFirst: boolean;
}

/**
 * One incident's room (the y-websocket/Hocuspocus shape): its sequencer, idempotency index, subscribers and recent
 * events. Created on first use, dropped by its channel when idle.
 *
 * Sequencing is synchronous: an append gets `head + 1` the moment it is processed, so the order of seqs is the order
 * of arrival. It is acked and fanned out only once the store says it is durable, in seq order, and everything that
 * became durable together goes to each subscriber as one frame serialized once.
 *
 * With a store that several server processes share (`store.shared`, PostgreSQL) the room numbers nothing: appends of
 * one turn of the event loop go to the store as one call, which numbers them in its transaction (and recognises a
 * re-send by its id, whichever server it went through); they are acked once committed. Fan-out stays in seq order:
 * the room knows the head from its own commits and from the store's notifications of other servers' commits, and
 * reads from the store whatever it has not seen before sending on (so every server sends every subscriber the same
 * order, without a gap).
 */
export class Room {
  /** Last seq assigned (durable or not). */
  private head: number;
  /** Last seq durable and fanned out: what subscribers can be given. */
  private delivered: number;
  /** Event id (lower-cased) → seq; loaded lazily on the first append so a plain subscribe stays cheap. */
  private ids: Map<string, number> | null;
  private idsLoading = false;
  /** Appends waiting for `ids`, in arrival order. */
  private waiting: AppendRequest[] = [];
  private current: Batch | null = null;
  private readonly inflight: Batch[] = [];
  private flushScheduled = false;
  private readonly subs = new Map<RoomConnection, Subscription>();
  private recent: string[] = [];
  private recentFirst: number;
  /** The shared store that sequences for this room, if it has one (then `head`, `ids` and the batches above stay unused). */
  private readonly shared: SharedSequencing | undefined;
  /** Shared: appends of this turn of the event loop, sent to the store together. */
  private sharedBatch: AppendRequest[] = [];
  /** Shared: calls to the store not answered yet. */
  private sharedInflight = 0;
  /** Shared: events this server committed that cannot be fanned out yet (an earlier seq of another server is not read yet). */
  private readonly committed = new Map<number, { readonly json: string; readonly event: SequencedEvent }>();
  /** Shared: the highest seq known to be committed, by any server. */
  private knownHead: number;
  /** Shared: a read of events other servers committed is under way. */
  private filling = false;
  /** Shared: an `advance` is queued for the end of this burst of commits (see `advanceSoon`). */
  private advanceQueued = false;
  private fillTimer: NodeJS.Timeout | undefined;

  constructor(private readonly owner: RoomOwner, readonly incidentId: string, headSeq: number, ids: Map<string, number> | null) {
    this.head = headSeq;
    this.delivered = headSeq;
    this.ids = ids;
    this.recentFirst = headSeq + 1;
    this.shared = owner.store.shared;
    this.knownHead = headSeq;
  }

  get headSeq(): number {
    return this.delivered;
  }

  /** The highest seq known to be committed: `headSeq`, or more while events of other servers are still being read. */
  get knownHeadSeq(): number {
    return Math.max(this.delivered, this.knownHead);
  }

  /** Nothing in flight, nobody subscribed: the channel may drop it. */
  isIdle(): boolean {
    return this.subs.size === 0 && this.isQuiet();
  }

  /** No append waiting, sequenced or being written. */
  isQuiet(): boolean {
    return this.current === null && this.inflight.length === 0 && this.waiting.length === 0 && !this.idsLoading
      && this.sharedBatch.length === 0 && this.sharedInflight === 0 && !this.filling && !this.advanceQueued;
  }

  // ---- appends ----

  append(req: AppendRequest): void {
    if (this.shared) return this.appendShared(req);
    if (this.ids === null || this.waiting.length > 0) {
      this.waiting.push(req);
      this.loadIds();
      return;
    }
    this.sequence(req, this.ids);
  }

  private loadIds(): void {
    if (this.idsLoading) return;
    this.idsLoading = true;
    const core = this.owner;
    core.store.readIds(this.owner.name, this.incidentId).then(
      (ids) => {
        this.idsLoading = false;
        this.ids = ids;
        const waiting = this.waiting.splice(0);
        for (const req of waiting) this.sequence(req, ids);
        this.owner.roomMaybeIdle(this);
      },
      (e: unknown) => {
        this.idsLoading = false;
        core.logger.error('loading an incident failed', { channel: this.owner.name, incident: this.incidentId, error: errorText(e) });
        for (const req of this.waiting.splice(0)) req.session.internalError(req.requestId);
        this.owner.roomMaybeIdle(this);
      },
    );
  }

  private sequence(req: AppendRequest, ids: Map<string, number>): void {
    const core = this.owner;
    const { event } = req;
    const key = eventIdKey(event.id);
    const declare = event.kind === 'incident.declared';
    const known = ids.get(key);
    if (known !== undefined) {
      core.observer.appended?.('duplicate');
      const reply: Reply = { session: req.session, requestId: req.requestId, eventId: event.id, seq: known, duplicate: true, declare, receivedAt: req.receivedAt };
      // A duplicate of an event still being written is acked with it, never before it is durable.
      const pending = known > this.delivered ? this.batchOf(known) : undefined;
      if (pending) pending.replies.push(reply);
      else this.reply(reply);
      return;
    }
    core.observer.appended?.('new');
    const seq = ++this.head;
    ids.set(key, seq);
    const sequenced = {
      seq, id: event.id, kind: event.kind, at: event.at, receivedAt: new Date(core.now()).toISOString(),
      actor: req.session.actor, ...(req.session.via ? { via: req.session.via } : {}), data: event.data,
    } as SequencedEvent;
    const json = JSON.stringify(sequenced);
    let batch = this.current;
    if (!batch) {
      batch = this.current = { firstSeq: seq, lastSeq: seq, records: [], replies: [], done: false };
      // Everything sequenced in this turn of the event loop goes to the store as one append.
      queueMicrotask(() => this.submit());
    }
    batch.lastSeq = seq;
    batch.records.push({ channel: this.owner.name, incidentId: this.incidentId, seq, id: event.id, kind: event.kind, json, event: sequenced });
    batch.replies.push({ session: req.session, requestId: req.requestId, eventId: event.id, seq, duplicate: false, declare, receivedAt: req.receivedAt });
  }

  private batchOf(seq: number): Batch | undefined {
    if (this.current && seq >= this.current.firstSeq) return this.current;
    return this.inflight.find((b) => seq >= b.firstSeq && seq <= b.lastSeq);
  }

  private submit(): void {
    const batch = this.current;
    if (!batch) return;
    this.current = null;
    this.inflight.push(batch);
    this.owner.store.append(batch.records).then(
      () => {
        batch.done = true;
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          // Batches committed by the same fsync resolve together: flush them as one frame.
          queueMicrotask(() => this.flush());
        }
      },
      (e: unknown) => this.fail(batch, e),
    );
  }

  /** Ack and fan out every durable batch at the front of the queue. */
  private flush(): void {
    this.flushScheduled = false;
    let n = 0;
    while (n < this.inflight.length && this.inflight[n]!.done) n++;
    if (n === 0) return;
    const batches = this.inflight.splice(0, n);
    const jsons: string[] = [];
    const events: SequencedEvent[] = [];
    for (const b of batches) {
      for (const r of b.records) {
        jsons.push(r.json);
        events.push(r.event);
      }
    }
    this.delivered = batches[batches.length - 1]!.lastSeq;
    this.remember(jsons);
    this.owner.applyDurable(this.incidentId, events);
    this.owner.committed(this.incidentId, events);

    const now = performance.now();
    const observer = this.owner.observer;
    for (const b of batches) {
      for (const r of b.replies) {
        this.reply(r);
        observer.acked?.(now - r.receivedAt);
      }
    }
    this.fanOut(jsons);
    this.owner.roomMaybeIdle(this);
  }

  /** One frame for everything that became durable together (up to `delivered`), serialized once for every subscriber. */
  private fanOut(jsons: readonly string[]): void {
    const frame = jsons.length === 1 ? eventFrame(this.incidentId, jsons[0]!) : eventsFrame(this.incidentId, jsons, this.delivered);
    for (const sub of this.subs.values()) {
      if (!sub.live) continue;
      sub.delivered = this.delivered;
      sub.session.send(frame);
    }
  }

  // ---- appends through a shared store ----

  private appendShared(req: AppendRequest): void {
    // Everything that arrives in this turn of the event loop goes to the store as one call.
    if (this.sharedBatch.length === 0) queueMicrotask(() => this.submitShared());
    this.sharedBatch.push(req);
  }

  private submitShared(): void {
    const shared = this.shared!;
    const reqs = this.sharedBatch.splice(0);
    if (reqs.length === 0) return;
    const core = this.owner;
    const receivedAt = new Date(core.now()).toISOString();
    const events = reqs.map(({ event, session }) => ({
      id: event.id, kind: event.kind, at: event.at, receivedAt, actor: session.actor, ...(session.via ? { via: session.via } : {}), data: event.data,
    }) as UnsequencedEvent);
    this.sharedInflight++;
    shared.appendNew(core.name, this.incidentId, events).then(
      (outcomes) => {
        this.sharedInflight--;
        const now = performance.now();
        const fresh: SequencedEvent[] = [];
        reqs.forEach((req, i) => {
          const o = outcomes[i]!;
          core.observer.appended?.(o.duplicate ? 'duplicate' : 'new');
          if (!o.duplicate && o.json !== null && o.event !== null && o.seq > this.delivered) this.committed.set(o.seq, { json: o.json, event: o.event });
          if (!o.duplicate && o.event !== null) fresh.push(o.event);
          this.knownHead = Math.max(this.knownHead, o.seq);
          // Committed: acked now, even if an earlier seq of another server is still being read for the fan-out.
          this.reply({ session: req.session, requestId: req.requestId, eventId: req.event.id, seq: o.seq, duplicate: o.duplicate, declare: false, receivedAt: req.receivedAt });
          core.observer.acked?.(now - req.receivedAt);
        });
        this.advanceSoon();
        if (fresh.length > 0) core.committed(this.incidentId, fresh);
      },
      (e: unknown) => {
        this.sharedInflight--;
        // Nothing is acked without a commit. A commit whose answer was lost is found by the client's re-send (its id).
        core.logger.error('append failed', { channel: core.name, incident: this.incidentId, events: reqs.length, error: errorText(e) });
        core.observer.storeFailed?.(e);
        for (const r of reqs) r.session.internalError(r.requestId);
        this.advance();
      },
    );
  }

  /** A server (this one or another) committed events of this incident up to `toSeq`. */
  notified(toSeq: number): void {
    if (!this.shared || toSeq <= this.knownHead) return;
    this.knownHead = toSeq;
    // Our own call in flight will advance when it returns (and often covers this very commit).
    if (this.sharedInflight === 0) this.advance();
  }

  /**
   * `advance` once the calls that one transaction answered have all been heard: the store settles them together, so
   * their continuations are queued together, and a microtask queued by the first runs after the last. Their events
   * then go to each subscriber as one frame, as the file store's group commit does: one send per subscriber per
   * commit instead of one per call, which under load is most of what fan-out costs (a socket write each).
   */
  private advanceSoon(): void {
    if (this.advanceQueued) return;
    this.advanceQueued = true;
    queueMicrotask(() => {
      this.advanceQueued = false;
      this.advance();
    });
  }

  /**
   * Fan out, in seq order, everything known to be committed: our own commits as they are, what other servers
   * committed read from the store first.
   */
  private advance(): void {
    const jsons: string[] = [];
    const events: SequencedEvent[] = [];
    for (let next = this.committed.get(this.delivered + 1); next; next = this.committed.get(this.delivered + 1)) {
      this.committed.delete(this.delivered + 1);
      jsons.push(next.json);
      events.push(next.event);
      this.delivered++;
    }
    if (jsons.length > 0) this.deliver(jsons, events);
    for (const seq of this.committed.keys()) if (seq <= this.delivered) this.committed.delete(seq);
    if (this.delivered < this.knownHead) this.fill();
    else this.owner.roomMaybeIdle(this);
  }

  private deliver(jsons: readonly string[], events: readonly SequencedEvent[]): void {
    this.remember(jsons);
    this.owner.applyDurable(this.incidentId, events);
    this.fanOut(jsons);
  }

  /** Read what other servers committed after `delivered`, then fan it out. */
  private fill(): void {
    if (this.filling || this.fillTimer) return;
    this.filling = true;
    const from = this.delivered;
    const limit = Math.min(REPLAY_READ, this.knownHead - from);
    this.owner.store.read(this.owner.name, this.incidentId, from, limit).then(
      (stored) => {
        this.filling = false;
        if (this.delivered !== from) return this.advance();
        const jsons: string[] = [];
        const events: SequencedEvent[] = [];
        for (const e of stored) {
          if (e.seq !== this.delivered + 1) break;
          const own = this.committed.get(e.seq);
          jsons.push(own?.json ?? e.json);
          events.push(own?.event ?? (JSON.parse(e.json) as SequencedEvent));
          this.committed.delete(e.seq);
          this.delivered = e.seq;
        }
        if (jsons.length > 0) {
          this.deliver(jsons, events);
          this.advance();
        } else {
          // Nothing to read yet (never expected: a notified seq is committed): ask again in a moment, not in a loop.
          this.retryFill();
        }
      },
      (e: unknown) => {
        this.filling = false;
        this.owner.logger.warn('reading events another server committed failed; retrying', { channel: this.owner.name, incident: this.incidentId, error: errorText(e) });
        this.retryFill();
      },
    );
  }

  private retryFill(): void {
    this.fillTimer = setTimeout(() => {
      this.fillTimer = undefined;
      this.advance();
    }, FILL_RETRY_MS);
    this.fillTimer.unref?.();
  }

  /** The store refused a batch: it and everything after it fail (the store fails all later appends too). */
  private fail(batch: Batch, e: unknown): void {
    this.flush();
    const core = this.owner;
    core.logger.error('append failed', { channel: this.owner.name, incident: this.incidentId, seqs: `${batch.firstSeq}-${batch.lastSeq}`, error: errorText(e) });
    core.observer.storeFailed?.(e);
    const failed = this.inflight.splice(0);
    if (this.current) failed.push(this.current);
    this.current = null;
    for (const b of failed) for (const r of b.replies) r.session.internalError(r.requestId);
    // Forget what was sequenced but never stored; the next append reloads the ids from the store.
    this.head = this.delivered;
    this.ids = null;
    if (this.delivered === 0) this.owner.forgetUndeclared(this.incidentId);
    if (this.waiting.length > 0) this.loadIds();
    this.owner.roomMaybeIdle(this);
  }

  private reply(r: Reply): void {
    r.session.send(r.declare ? declaredFrame(r.requestId, this.incidentId) : ackFrame(r.requestId, this.incidentId, r.eventId, r.seq, r.duplicate));
  }

  private remember(jsons: readonly string[]): void {
    for (const j of jsons) this.recent.push(j);
    if (this.recent.length > 2 * RECENT_EVENTS) {
      const drop = this.recent.length - RECENT_EVENTS;
      this.recent = this.recent.slice(drop);
      this.recentFirst += drop;
    }
  }

  // ---- subscriptions ----

  /** Start (or restart) a subscription: replay everything after `afterSeq`, then live events. */
  subscribe(session: RoomConnection, afterSeq: number): void {
    const sub: Subscription = { session, delivered: afterSeq, live: false, sentFirst: false };
    this.subs.set(session, sub);
    void this.catchUp(sub);
  }

  unsubscribe(session: RoomConnection): void {
    if (this.subs.delete(session)) this.owner.roomMaybeIdle(this);
  }

  /**
   * Replay in chunks from memory or the store until the subscriber has everything delivered so far, then make it
   * live; the last check and the switch happen in one synchronous step, so no live frame can slip between.
   */
  private async catchUp(sub: Subscription): Promise<void> {
    const stillCurrent = () => this.subs.get(sub.session) === sub && !sub.session.closed;
    try {
      for (;;) {
        if (!stillCurrent()) return;
        const target = this.delivered;
        if (sub.delivered >= target) {
          if (!sub.sentFirst) sub.session.send(eventsFrame(this.incidentId, [], target));
          sub.live = true;
          return;
        }
        let jsons: string[];
        let seqs: number[];
        let last: number;
        let lost: LostSeqs[] = [];
        const from = sub.delivered + 1;
        if (this.recent.length > 0 && from >= this.recentFirst) {
          const start = from - this.recentFirst;
          jsons = this.recent.slice(start, start + REPLAY_READ);
          last = from + jsons.length - 1;
          seqs = []; // contiguous, nothing lost: only needed to place lost ranges
        } else {
          const limit = Math.min(REPLAY_READ, target - sub.delivered);
          const events = await this.owner.store.read(this.owner.name, this.incidentId, sub.delivered, limit);
          if (!stillCurrent()) return;
          jsons = events.map((e) => e.json);
          seqs = events.map((e) => e.seq);
          // The store answers for (delivered, delivered + limit]: a seq it did not return is one it has lost to
          // damage. The client is told so, once, instead of finding a gap it would ask about again and again.
          last = sub.delivered + limit;
          lost = lostSeqs(sub.delivered, last, seqs);
          if (lost.length > 0) {
            this.owner.logger.warn('replay: telling a subscriber about lost events', {
              channel: this.owner.name, incident: this.incidentId, lost: lost.map((l) => `${l.fromSeq}-${l.toSeq}`).join(','),
            });
          }
        }
        for (const frame of replayFrames(this.incidentId, jsons, seqs, lost, this.delivered)) {
          sub.session.send(frame);
          sub.sentFirst = true;
        }
        sub.delivered = Math.max(sub.delivered, last);
        await sub.session.drained();
        // Let other sessions' frames in between chunks: a long replay never holds the event loop.
        if (sub.delivered < this.delivered) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (e) {
      this.owner.logger.error('replay failed', { channel: this.owner.name, incident: this.incidentId, error: errorText(e) });
      if (this.subs.get(sub.session) === sub) this.subs.delete(sub.session);
      sub.session.internalError(undefined);
      this.owner.roomMaybeIdle(this);
    }
  }
}

/** The seqs in (after, last] missing from `seqs` (ascending), as ranges lost to storage damage. */
function lostSeqs(after: number, last: number, seqs: readonly number[]): LostSeqs[] {
  const out: LostSeqs[] = [];
  let expected = after + 1;
  for (const seq of [...seqs, last + 1]) {
    if (seq > expected) out.push({ fromSeq: expected, toSeq: Math.min(seq - 1, last), reason: LOST_REASONS[0] });
    expected = Math.max(expected, seq + 1);
  }
  return out;
}

/**
 * Replay frames of bounded size, in seq order. Each lost range rides in the frame of the events just before it (or
 * the first frame when nothing precedes it), so a client meets every seq in order: held, sent or declared lost.
 */
function* replayFrames(incidentId: string, jsons: readonly string[], seqs: readonly number[], lost: readonly LostSeqs[], headSeq: number): Generator<string> {
  let sent = 0;
  let l = 0;
  for (const chunk of chunksBySize(jsons)) {
    sent += chunk.length;
    const nextSeq = seqs[sent] ?? Number.POSITIVE_INFINITY;
    const ranges: LostSeqs[] = [];
    while (l < lost.length && lost[l]!.fromSeq < nextSeq) ranges.push(lost[l++]!);
    yield eventsFrame(incidentId, chunk, headSeq, ranges);
  }
  if (l < lost.length) yield eventsFrame(incidentId, [], headSeq, lost.slice(l));
}

function* chunksBySize(jsons: readonly string[]): Generator<string[]> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const j of jsons) {
    if (chunk.length > 0 && bytes + j.length > REPLAY_FRAME_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(j);
    bytes += j.length;
  }
  if (chunk.length > 0) yield chunk;
}

