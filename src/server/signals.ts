import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Limits } from '../protocol/codes';
import { ClientEvent, type User } from '../protocol/events';
import type { Signal } from '../protocol/messages';
import type { EventStore } from '../store/eventStore';
import type { IncomingAlert } from './alertPayload';
import { errorText } from './errorText';
import type { Logger } from './logger';
import { nextSlice, SLICE_MS } from './slices';
import { type SignalCounts, SIGNALS_RESOLVED_LISTED_MS } from '../core/signals';

/** All a channel's signals know of their channel (`ChannelState`), so neither module imports the other. */
export interface SignalsOwner {
  /** The channel's name. */
  readonly name: string;
  readonly store: Pick<EventStore, 'putSignals' | 'listSignals' | 'shared'>;
  readonly logger: Logger;
  /** Wall clock (ms since the epoch). */
  now(): number;
  /**
   * Append an event to an incident of the channel as the server does (not a session): resolves true once it is
   * durable (or was already there: a duplicate), false when the channel has no such incident; rejects when the store
   * refused it.
   */
  appendAsServer(incidentId: string, event: ClientEvent, actor: User, via: string | undefined): Promise<boolean>;
}

/** A session told of signals: one of the channel's with write or read access (never a public one). */
export interface SignalRecipient {
  send(frame: string): void;
  /** Bytes queued for it and not yet written to its socket. */
  bufferedAmount(): number;
  /** Hold what is sent until `uncork` (one write for many frames), where the transport can. */
  cork?(): void;
  uncork?(): void;
}

/** Alerts merged per turn of the event loop; also the most fingerprints re-read at once. */
const MERGE_PER_TURN = 500;
/**
 * Signals per `putSignals`, and one put in flight per channel: a storm's signals go to the store a few hundred at a
 * time, so each group commit (which live events share, in call order) stays small.
 */
const SIGNALS_PER_PUT = 250;
/**
 * A recipient gets more `signal` frames only while less than this is queued for it (a slow reader is never closed as
 * too slow by a storm)…
 */
const SIGNAL_LOW_WATER = 128 * 1024;
/**
 * …and at most this many bytes of them a second, after a burst of `SIGNAL_BURST`: what the server queues is only
 * what it can see; the socket's kernel buffers take megabytes more, and a live event sent after them waits until the
 * client has read them all. At 1 MiB/s a sidebar is told about 1,000 signals a second; bench:alerts (100 sessions, a
 * storm of 10,000) had the live events' p99 at 0.3 s instead of 2.8 s, on the same busy machine.
 */
const SIGNAL_BYTES_PER_SECOND = 1024 * 1024;
const SIGNAL_BURST = 256 * 1024;
/** How soon the fan-out looks again at recipients that had too much queued. */
const DRAIN_POLL_MS = 5;
/**
 * Digests (sessions that asked for `signalDigest` in `hello`): one at most this often per channel; the first change
 * after a quiet spell goes at once (in the next turn of the event loop, with whatever else became durable in it).
 */
const DIGEST_INTERVAL_MS = 250;
/** …carrying at most this many changed signals, the newest changes; the rest are counted in `omitted`. */
export const DIGEST_ITEMS = 25;
/** The answer to `signals` (resolved ones listed for SIGNALS_RESOLVED_LISTED_MS) holds at most this many, firing first, and stops before this many bytes of them. */
export const MAX_LISTED_SIGNALS = 500;
const MAX_LISTED_BYTES = 4 * 1024 * 1024;

/**
 * One channel's signals (PROTOCOL.md "Signals"): what the store holds, merged with what monitoring sends, told to
 * the channel's sessions.
 *
 * - Merging: by fingerprint. A later notification updates the signal (firing → resolved, a new start after a
 *   resolution); one for an earlier start than the signal has is late and changes nothing; one that changes nothing
 *   (Alertmanager repeats every `repeat_interval`) is neither stored nor told. `receivedAt` is when the server first
 *   heard of it, `updatedAt` when it last changed; a link stays until a newer one.
 * - Durability: merged signals are written by one writer per channel, a few hundred per put and one put at a time
 *   (so the group commits that the channel's live events share stay small), and told to the sessions only once
 *   durable. A linked signal that resolved makes the server append `signal.resolved` to its
 *   incident, with an event id derived from the channel, the fingerprint and `endsAt`, so a re-delivered resolution
 *   is a duplicate. An ingest resolves once all of that is durable.
 * - Fan-out: one `signal` frame per change, serialized once for every session, from a log of changes each session
 *   reads at its own pace: it is sent more only while little is queued for it and at most about 1 MiB a second (so
 *   a live event does not wait behind megabytes of a storm's frames), a change that a newer one of the same
 *   fingerprint superseded is skipped by a session that has not had it yet, and sending stops every few milliseconds
 *   to let other work in.
 * - Replicas (a shared store): what another server stored is heard as `StoreChange` `signals` and re-read from the
 *   store, one read at a time, so this server's view only moves forward. A merge starts from what the store holds
 *   (the fingerprints are re-read first), and what this server stored is re-read too, since the store may have kept
 *   a link this server had not heard of yet. Two servers changing one signal within the same few milliseconds can
 *   still overwrite each other's change (the store keeps whole signals, the last put wins; only a link is never lost).
 */
export class ChannelSignals {
  /** What the store holds (committed), loaded on first use. */
  private durable: Map<string, Signal> | null = null;
  /**
   * Of `durable`: how many fire, and when each resolved one ended (ms since the epoch), kept as signals change: a
   * digest's counts, 4 a second in a storm, counted over 10,000 signals took 0.4 to 1.9 ms each, in one turn.
   */
  private firingCount = 0;
  private readonly resolvedEnds = new Map<string, number>();
  private loading: Promise<Map<string, Signal>> | null = null;
  /** Merged and handed to the store, not durable yet: the next merge of a fingerprint starts from here. */
  private readonly pending = new Map<string, Signal>();
  /** Durable changes in the order they became so, from absolute index `logStart`; what every recipient reads. */
  private log: LogEntry[] = [];
  private logStart = 0;
  /** fingerprint → absolute index of its newest entry in `log`. */
  private readonly newest = new Map<string, number>();
  /** Each recipient → the absolute index of the next entry it is to be sent, and its allowance of bytes. */
  private readonly cursors = new Map<SignalRecipient, Cursor>();
  private pumpScheduled = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  /** Sessions told by digest, each with whether it missed one (too much queued for it): its next says `omitted`. */
  private readonly digestRecipients = new Map<SignalRecipient, { missed: boolean }>();
  /** Signals changed since the last digest, by fingerprint, in the order of their latest change. */
  private readonly digestChanged = new Map<string, Signal>();
  private digestTimer: NodeJS.Timeout | undefined;
  private digestScheduled = false;
  private lastDigestAt = -Infinity;
  /** Merged signals waiting for the writer, in merge order, each group with whoever waits for it. */
  private readonly writeQueue: WriteGroup[] = [];
  private writing = false;
  /** Ingests and links under way (the channel is not dropped, nor the store closed, under them). */
  private busy = 0;
  /** Fingerprints to re-read from a shared store, and whether everything is (after an outage). */
  private refreshWanted = new Set<string>();
  private refreshAllWanted = false;
  private refreshing: Promise<void> | null = null;
  private disposed = false;

  constructor(private readonly owner: SignalsOwner) {}

  /** Nothing being merged, stored or read. */
  isQuiet(): boolean {
    return this.busy === 0 && this.refreshing === null && !this.writing;
  }

  /**
   * A session to tell of every change from now on (what came before, it asks for with `signals`): each change in a
   * `signal` frame of its own, or, for `digest`, in `signalDigest`s.
   */
  addRecipient(recipient: SignalRecipient, mode: 'each' | 'digest' = 'each'): void {
    if (mode === 'digest') this.digestRecipients.set(recipient, { missed: false });
    else this.cursors.set(recipient, { next: this.logStart + this.log.length, allowance: SIGNAL_BURST, refilledAt: performance.now() });
  }

  removeRecipient(recipient: SignalRecipient): void {
    this.cursors.delete(recipient);
    this.digestRecipients.delete(recipient);
  }

  /** The channel's signals as the store holds them, read once however many ask. */
  load(): Promise<Map<string, Signal>> {
    if (this.durable) return Promise.resolve(this.durable);
    this.loading ??= this.owner.store.listSignals(this.owner.name).then(
      (list) => {
        this.loading = null;
        this.durable = new Map(list.map((s) => [s.fingerprint, s]));
        for (const s of this.durable.values()) this.count(s, 1);
        return this.durable;
      },
      (e: unknown) => {
        this.loading = null;
        throw e;
      },
    );
    return this.loading;
  }

  /**
   * Merge a payload's alerts into the channel's signals; resolves once every change, and every `signal.resolved`
   * it makes the server append, is durable. `via`: the name of the token the alerts came with.
   */
  async ingest(alerts: readonly IncomingAlert[], via: string | undefined): Promise<void> {
    this.busy++;
    try {
      await this.load();
      const puts: Promise<void>[] = [];
      for (let i = 0; i < alerts.length;) {
        // Its turn, shared with every other ingest and parse (server/slices.ts).
        await nextSlice();
        // Another server may have changed these since this one heard: merge onto what the store has now.
        if (this.owner.store.shared) await this.refresh(alerts.slice(i, i + MERGE_PER_TURN).map((a) => a.fingerprint));
        const now = new Date(this.owner.now()).toISOString();
        const started = performance.now();
        const merged: Signal[] = [];
        // At most a few hundred, and a few milliseconds' worth (the store then encodes them in this turn too).
        for (const end = Math.min(alerts.length, i + MERGE_PER_TURN); i < end; i++) {
          const alert = alerts[i]!;
          const next = mergeAlert(this.latest(alert.fingerprint), alert, now);
          if (next) {
            this.pending.set(next.fingerprint, next);
            merged.push(next);
          }
          if (i % 8 === 7 && performance.now() - started >= SLICE_MS) {
            i++;
            break;
          }
        }
        if (merged.length > 0) puts.push(this.write(merged));
      }
      // Every chunk settles before the answer, so none is still being written when the caller hears of a failure.
      const failed = (await Promise.allSettled(puts)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      await this.appendResolutions(alerts, via);
    } finally {
      this.busy--;
    }
  }

  /** A `signal.linked` event of `incidentId` was committed by this server: link the channel's signal to it. */
  link(fingerprint: string, incidentId: string): void {
    this.busy++;
    this.linkNow(fingerprint, incidentId)
      .catch((e: unknown) => this.owner.logger.error('linking a signal failed; the signal.linked event stands', {
        channel: this.owner.name, fingerprint, incident: incidentId, error: errorText(e),
      }))
      .finally(() => this.busy--);
  }

  /** A shared store says another server (or this one) stored these fingerprints. */
  heard(fingerprints: readonly string[]): void {
    // Nobody here holds the channel's signals: the next load reads them as they are.
    if (!this.durable && !this.loading) return;
    this.refresh(fingerprints).catch((e: unknown) => this.owner.logger.warn('re-reading signals another server stored failed', { channel: this.owner.name, error: errorText(e) }));
  }

  /** A shared store may have missed notifications: re-read every signal held. */
  resync(): void {
    if (!this.durable) return;
    this.refreshAllWanted = true;
    this.refresh([]).catch((e: unknown) => this.owner.logger.warn('re-reading signals after a store outage failed', { channel: this.owner.name, error: errorText(e) }));
  }

  /** The answer to `signals`, serialized: firing (newest start first), then resolved in the last 24 h (newest end first). */
  async listFrame(requestId: string): Promise<string> {
    const all = await this.load();
    const parts: string[] = [];
    let bytes = 0;
    for (const s of listedSignals(all.values(), this.owner.now())) {
      const json = JSON.stringify(s);
      if (parts.length > 0 && bytes + json.length > MAX_LISTED_BYTES) break;
      parts.push(json);
      bytes += json.length;
    }
    const { firing, resolved } = this.counts();
    return `{"type":"signals","requestId":${JSON.stringify(requestId)},"items":[${parts.join(',')}],"firing":${firing},"resolved":${resolved}}`;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.pumpTimer);
    clearTimeout(this.digestTimer);
    this.cursors.clear();
    this.digestRecipients.clear();
    this.digestChanged.clear();
    this.log = [];
    this.newest.clear();
  }

  /** A durable signal held (1) or let go (-1), in the counts. */
  private count(s: Signal, sign: 1 | -1): void {
    if (s.status === 'firing') this.firingCount += sign;
    else if (s.endsAt === null) return;
    else if (sign > 0) this.resolvedEnds.set(s.fingerprint, Date.parse(s.endsAt));
    else this.resolvedEnds.delete(s.fingerprint);
  }

  /** The channel's counts (`core/signals.ts` signalCounts over what is durable): firing, and resolved in the last 24 h. */
  private counts(): SignalCounts {
    const since = this.owner.now() - SIGNALS_RESOLVED_LISTED_MS;
    let resolved = 0;
    for (const end of this.resolvedEnds.values()) if (end >= since) resolved++;
    return { firing: this.firingCount, resolved };
  }

  private latest(fingerprint: string): Signal | undefined {
    return this.pending.get(fingerprint) ?? this.durable?.get(fingerprint);
  }

  private async linkNow(fingerprint: string, incidentId: string): Promise<void> {
    await this.load();
    // Stored or changed through another server a moment ago, and not heard of here yet.
    if (this.owner.store.shared) await this.refresh([fingerprint]);
    const current = this.latest(fingerprint);
    // A fingerprint the channel never had: the event stands, nothing is linked.
    if (!current || current.incidentId === incidentId) return;
    const next = signalOf(current, incidentId, current.receivedAt, new Date(this.owner.now()).toISOString());
    this.pending.set(fingerprint, next);
    await this.write([next]);
  }

  /** Hand merged signals to the channel's writer; resolves once they are durable (and told). */
  private write(signals: readonly Signal[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      for (let i = 0; i < signals.length; i += SIGNALS_PER_PUT) {
        const last = i + SIGNALS_PER_PUT >= signals.length;
        this.writeQueue.push({ signals: signals.slice(i, i + SIGNALS_PER_PUT), resolve: last ? resolve : noop, reject });
      }
      if (!this.writing) void this.drainWrites();
    });
  }

  /**
   * The writer: one put at a time, of the queued groups that fit in one (call order kept), each in a slice of its
   * own (server/slices.ts): the store encodes a put's signals in the call (a few milliseconds for 250), and done in
   * the merge's turn that came on top of the merge's own slice (bench:alerts: turns of 15 to 25 ms in a storm).
   */
  private async drainWrites(): Promise<void> {
    this.writing = true;
    try {
      while (this.writeQueue.length > 0) {
        await nextSlice();
        const groups: WriteGroup[] = [];
        let count = 0;
        while (this.writeQueue.length > 0 && (groups.length === 0 || count + this.writeQueue[0]!.signals.length <= SIGNALS_PER_PUT)) {
          const g = this.writeQueue.shift()!;
          groups.push(g);
          count += g.signals.length;
        }
        try {
          await this.put(groups.flatMap((g) => g.signals));
          for (const g of groups) g.resolve();
        } catch (e) {
          for (const g of groups) g.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Store merged signals; once durable (and re-read, from a shared store) they are the channel's and are told. */
  private async put(signals: readonly Signal[]): Promise<void> {
    const settle = () => {
      for (const s of signals) if (this.pending.get(s.fingerprint) === s) this.pending.delete(s.fingerprint);
    };
    try {
      await this.owner.store.putSignals(this.owner.name, signals);
    } catch (e) {
      settle();
      throw e;
    }
    if (this.owner.store.shared) {
      // The store is the judge of what it kept (a link another server made); merges meanwhile start from `pending`.
      try {
        await this.refresh(signals.map((s) => s.fingerprint));
      } finally {
        settle();
      }
      return;
    }
    // Told in a slice of its own: the put resolves in the turn that completes the store's commit, which acks and fans
    // out the live events of the same commit; taking 250 signals there (a millisecond or so) held them behind it.
    await nextSlice();
    settle();
    for (const s of signals) this.take(s);
  }

  /** A durable signal: kept, and told to the sessions unless it is what they were told already. */
  private take(signal: Signal): void {
    const durable = this.durable;
    if (!durable) return;
    const known = durable.get(signal.fingerprint);
    if (known && sameSignal(known, signal)) return;
    if (known) this.count(known, -1);
    this.count(signal, 1);
    durable.set(signal.fingerprint, signal);
    if (this.disposed) return;
    if (this.digestRecipients.size > 0) {
      // Latest change last: a signal changed again moves to the end.
      this.digestChanged.delete(signal.fingerprint);
      this.digestChanged.set(signal.fingerprint, signal);
      this.scheduleDigest();
    }
    if (this.cursors.size === 0) return;
    const end = this.logStart + this.log.length;
    const previous = this.newest.get(signal.fingerprint);
    if (previous !== undefined && previous >= this.logStart) this.log[previous - this.logStart]!.superseded = true;
    this.newest.set(signal.fingerprint, end);
    this.log.push({ signal, frame: null, superseded: false });
    this.schedulePump();
  }

  /** Re-read fingerprints from the store, one read at a time (so what is held only moves forward). */
  private refresh(fingerprints: readonly string[]): Promise<void> {
    for (const f of fingerprints) this.refreshWanted.add(f);
    this.refreshing ??= this.runRefreshes();
    return this.refreshing;
  }

  private async runRefreshes(): Promise<void> {
    let failure: unknown = null;
    try {
      await this.load();
      while (this.refreshWanted.size > 0 || this.refreshAllWanted) {
        const all = this.refreshAllWanted;
        // A few hundred at a time, so that no one answer takes long to take in.
        const wanted = [...this.refreshWanted].slice(0, MERGE_PER_TURN);
        for (const f of wanted) this.refreshWanted.delete(f);
        this.refreshAllWanted = false;
        try {
          const stored = all ? await this.owner.store.listSignals(this.owner.name) : await this.owner.store.listSignals(this.owner.name, wanted);
          for (const s of stored) this.take(s);
        } catch (e) {
          failure = e;
        }
      }
    } finally {
      this.refreshing = null;
    }
    if (failure) throw failure;
  }

  /** For each linked signal of the payload that is now resolved: `signal.resolved` on its incident, idempotently. */
  private async appendResolutions(alerts: readonly IncomingAlert[], via: string | undefined): Promise<void> {
    const appends: Promise<unknown>[] = [];
    const seen = new Set<string>();
    for (const alert of alerts) {
      if (alert.status !== 'resolved' || seen.has(alert.fingerprint)) continue;
      seen.add(alert.fingerprint);
      const s = this.durable?.get(alert.fingerprint);
      if (!s || s.status !== 'resolved' || s.incidentId === null || s.endsAt === null) continue;
      const event = ClientEvent.safeParse({
        id: signalResolvedEventId(this.owner.name, s.fingerprint, s.endsAt), kind: 'signal.resolved', at: s.endsAt,
        data: { fingerprint: s.fingerprint, alertname: signalName(s), startsAt: s.startsAt, endsAt: s.endsAt },
      });
      if (!event.success) {
        this.owner.logger.error('a resolved signal makes no valid signal.resolved event', { channel: this.owner.name, fingerprint: s.fingerprint });
        continue;
      }
      const actor: User = { id: 'alerts', name: (s.receiver || 'Alertmanager').slice(0, Limits.nameLength) };
      appends.push(this.owner.appendAsServer(s.incidentId, event.data, actor, via));
    }
    await Promise.all(appends);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.disposed) return;
    this.pumpScheduled = true;
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Send each recipient the entries it has not had, furthest behind first (so recipients at the same entry share its
   * frame, serialized once), to those with little queued, for a few milliseconds; then again in the next turn of the
   * event loop, or in a moment when only recipients with too much queued are left.
   */
  private pump(): void {
    if (this.disposed) return;
    // Each recipient's frames of this turn leave in one write (a syscall per frame was most of a storm's cost).
    const corked = new Set<SignalRecipient>();
    let outcome: 'done' | 'more' | 'full';
    try {
      outcome = this.sendFor(SLICE_MS, corked);
    } finally {
      for (const r of corked) r.uncork?.();
    }
    this.compact();
    if (outcome === 'more') this.schedulePump();
    else if (outcome === 'full' && !this.pumpTimer) {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, DRAIN_POLL_MS);
      this.pumpTimer.unref?.();
    }
  }

  /** One turn of `pump`: `more` when time ran out, `full` when only recipients with too much queued are left. */
  private sendFor(ms: number, corked: Set<SignalRecipient>): 'done' | 'more' | 'full' {
    const end = this.logStart + this.log.length;
    const started = performance.now();
    let sent = 0;
    const now = performance.now();
    for (const c of this.cursors.values()) {
      c.allowance = Math.min(SIGNAL_BURST, c.allowance + ((now - c.refilledAt) * SIGNAL_BYTES_PER_SECOND) / 1000);
      c.refilledAt = now;
    }
    const ready = (r: SignalRecipient, c: Cursor) => c.allowance > 0 && r.bufferedAmount() <= SIGNAL_LOW_WATER;
    for (;;) {
      let next = end;
      let full = false;
      for (const [r, c] of this.cursors) {
        if (c.next >= end) continue;
        if (!ready(r, c)) full = true;
        else if (c.next < next) next = c.next;
      }
      if (next === end) return full ? 'full' : 'done';
      const entry = this.log[next - this.logStart]!;
      const frame = entry.superseded ? null : (entry.frame ??= signalFrame(entry.signal));
      for (const [r, c] of this.cursors) {
        if (c.next !== next) continue;
        if (frame !== null) {
          if (!ready(r, c)) continue;
          if (!corked.has(r)) {
            corked.add(r);
            r.cork?.();
          }
          c.allowance -= frame.length;
          r.send(frame);
        }
        c.next = next + 1;
      }
      if (frame !== null && ++sent % 8 === 0 && performance.now() - started >= ms) return 'more';
    }
  }

  /** A digest in the next turn when the last one is old enough (changes of one turn go together), else when it is. */
  private scheduleDigest(): void {
    if (this.digestScheduled || this.disposed) return;
    this.digestScheduled = true;
    const wait = this.lastDigestAt + DIGEST_INTERVAL_MS - performance.now();
    const go = () => {
      this.digestTimer = undefined;
      this.digestScheduled = false;
      this.sendDigest();
    };
    if (wait <= 0) setImmediate(go);
    else {
      this.digestTimer = setTimeout(go, wait);
      this.digestTimer.unref?.();
    }
  }

  /**
   * One `signalDigest` for every digest session, serialized once: the counts, the newest changes, how many changed
   * signals it leaves out. A session with too much queued is skipped, and its next digest says it missed some
   * (`omitted` ≥ 1), so it asks for the list; one is sent again in a moment even if nothing else changes.
   */
  private sendDigest(): void {
    if (this.disposed || !this.durable) return;
    const anyMissed = [...this.digestRecipients.values()].some((r) => r.missed);
    if (this.digestChanged.size === 0 && !anyMissed) return;
    this.lastDigestAt = performance.now();
    const changed = [...this.digestChanged.values()];
    this.digestChanged.clear();
    const items = changed.slice(-DIGEST_ITEMS);
    const omitted = changed.length - items.length;
    const { firing, resolved } = this.counts();
    const frames = new Map<number, string>();
    const frameFor = (left: number) => {
      let f = frames.get(left);
      if (f === undefined) {
        f = `{"type":"signalDigest","firing":${firing},"resolved":${resolved},"items":[${items.map((s) => JSON.stringify(s)).join(',')}],"omitted":${left}}`;
        frames.set(left, f);
      }
      return f;
    };
    let missedAgain = false;
    for (const [r, state] of this.digestRecipients) {
      if (r.bufferedAmount() > SIGNAL_LOW_WATER) {
        state.missed = true;
        missedAgain = true;
        continue;
      }
      r.send(frameFor(state.missed ? Math.max(1, omitted) : omitted));
      state.missed = false;
    }
    if (missedAgain) this.scheduleDigest();
  }

  /** Forget the entries every recipient has had. */
  private compact(): void {
    let lowest = this.logStart + this.log.length;
    for (const c of this.cursors.values()) lowest = Math.min(lowest, c.next);
    const drop = lowest - this.logStart;
    if (drop <= 0 || (drop < 1024 && drop < this.log.length)) return;
    for (const e of this.log.slice(0, drop)) {
      const fp = e.signal.fingerprint;
      if ((this.newest.get(fp) ?? Infinity) < lowest) this.newest.delete(fp);
    }
    this.log = this.log.slice(drop);
    this.logStart = lowest;
  }
}

/** Where a recipient is in the log of changes, and how many bytes of frames it may be sent now. */
interface Cursor {
  next: number;
  allowance: number;
  refilledAt: number;
}

/** Signals the writer stores together, and whoever waits for them (the last group of a `write` resolves it). */
interface WriteGroup {
  readonly signals: readonly Signal[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

const noop = (): void => undefined;

/** One durable change of a signal, as the fan-out keeps it. */
interface LogEntry {
  readonly signal: Signal;
  /** Its `signal` frame, serialized when first sent. */
  frame: string | null;
  /** A newer change of the same fingerprint came after it: a recipient that has not had it gets only that one. */
  superseded: boolean;
}

/**
 * `current` updated by one alert of a payload (`now`: ISO), or null when that changes nothing: the same content
 * again (a repeat), or a notification of an earlier start than `current` has (it arrived late).
 */
export function mergeAlert(current: Signal | undefined, alert: IncomingAlert, now: string): Signal | null {
  if (current && Date.parse(alert.startsAt) < Date.parse(current.startsAt)) return null;
  const next = signalOf(alert, current?.incidentId ?? null, current?.receivedAt ?? now, now);
  return current && sameContent(current, next) ? null : next;
}

/**
 * A signal of an alert's fields (or of another signal's, relinked), built field by field in one order (the order `{ ...alert, incidentId, receivedAt,
 * updatedAt }` gave, so its JSON reads the same). Not by spreading the alert: in optimized code V8 gave each signal
 * so made a hidden class of its own, and with 10,000 signals held the server held 20,000 maps, descriptor arrays and
 * property arrays more (a fifth of its heap), which every garbage collection of a storm walked (bench:alerts).
 */
function signalOf(alert: IncomingAlert, incidentId: string | null, receivedAt: string, updatedAt: string): Signal {
  const s: Signal = {
    fingerprint: alert.fingerprint, status: alert.status, labels: alert.labels, annotations: alert.annotations,
    startsAt: alert.startsAt, endsAt: alert.endsAt, generatorURL: alert.generatorURL,
  } as Signal;
  if (alert.silenceURL !== undefined) s.silenceURL = alert.silenceURL;
  if (alert.dashboardURL !== undefined) s.dashboardURL = alert.dashboardURL;
  if (alert.panelURL !== undefined) s.panelURL = alert.panelURL;
  if (alert.values !== undefined) s.values = alert.values;
  if (alert.externalURL !== undefined) s.externalURL = alert.externalURL;
  if (alert.receiver !== undefined) s.receiver = alert.receiver;
  s.incidentId = incidentId;
  s.receivedAt = receivedAt;
  s.updatedAt = updatedAt;
  return s;
}

/**
 * The fields a change of which is told. Not the source (`externalURL`, `receiver`): two Alertmanagers of one HA pair
 * send the same alert with their own, and that must not make every repeat a change.
 */
const CONTENT_FIELDS = ['fingerprint', 'status', 'startsAt', 'endsAt', 'generatorURL', 'silenceURL', 'dashboardURL', 'panelURL', 'incidentId'] as const;

function sameContent(a: Signal, b: Signal): boolean {
  for (const k of CONTENT_FIELDS) if ((a[k] ?? null) !== (b[k] ?? null)) return false;
  return samePairs(a.labels, b.labels) && samePairs(a.annotations, b.annotations) && samePairs(a.values ?? {}, b.values ?? {});
}

function sameSignal(a: Signal, b: Signal): boolean {
  return sameContent(a, b) && a.receivedAt === b.receivedAt && a.updatedAt === b.updatedAt && a.externalURL === b.externalURL && a.receiver === b.receiver;
}

function samePairs(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

/** What `signals` lists: firing (newest start first), then resolved within the last 24 h (newest end first), capped. */
export function listedSignals(all: Iterable<Signal>, now: number): Signal[] {
  const firing: Signal[] = [];
  const resolved: Signal[] = [];
  for (const s of all) {
    if (s.status === 'firing') firing.push(s);
    else if (s.endsAt !== null && Date.parse(s.endsAt) >= now - SIGNALS_RESOLVED_LISTED_MS) resolved.push(s);
  }
  // Each time parsed once, not in the comparator: with 10,000 signals that was some 280,000 Date.parse calls, and the
  // answer held the event loop for 60 ms (bench:alerts).
  const newestFirst = (list: Signal[], time: (s: Signal) => string) => list
    .map((s) => ({ s, t: Date.parse(time(s)) }))
    .sort((a, b) => b.t - a.t || (a.s.fingerprint < b.s.fingerprint ? -1 : a.s.fingerprint > b.s.fingerprint ? 1 : 0))
    .map((x) => x.s);
  return [...newestFirst(firing, (s) => s.startsAt), ...newestFirst(resolved, (s) => s.endsAt!)].slice(0, MAX_LISTED_SIGNALS);
}

/** The `signal` frame telling a session of one signal. */
export const signalFrame = (signal: Signal): string => `{"type":"signal","signal":${JSON.stringify(signal)}}`;

/** A signal's name for a timeline: Prometheus's `alertname`, else Grafana's `rulename`, else its fingerprint. */
export function signalName(s: Pick<Signal, 'labels' | 'fingerprint'>): string {
  return (s.labels['alertname'] || s.labels['rulename'] || s.fingerprint).slice(0, Limits.nameLength);
}

/**
 * The id of the `signal.resolved` event for one resolution of a signal: a UUID (version 8, RFC 9562's custom
 * layout) of the SHA-256 of the channel, the fingerprint and `endsAt`, so a resolution delivered twice (through one
 * server or two) is the same event, and a later resolution of the same alert another one.
 */
export function signalResolvedEventId(channel: string, fingerprint: string, endsAt: string): string {
  const h = createHash('sha256').update(`signal.resolved\u0000${channel}\u0000${fingerprint}\u0000${endsAt}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

