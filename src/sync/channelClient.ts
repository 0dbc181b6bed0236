import { randomUUID } from 'node:crypto';
import { CloseCode, PROTOCOL_VERSION } from '../protocol/codes';
import type { AppendKind, ClientEventOf, DeclareEvent, EventDataOf, SequencedEvent, User } from '../protocol/events';
import type { ClientMessage, IncidentSummary, LostSeqs, PresentUser, ServerMessage, Signal, SignalDigestMessage } from '../protocol/messages';
import type { IncidentState } from '../core/incidentState';
import { signalCounts, sortSignals, type SignalChange, type SignalCounts } from '../core/signals';
import { emptyIncident, fold, reduce, reduceLost } from '../core/reducer';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { Emitter, type Disposable } from './emitter';
import type { Outbox, OutboxEntry, RejectedEntry } from './outbox';
import { type Link, type LinkFailure, linkFailureOf, type Transport } from './transport';

export type ConnectionStatus = 'connecting' | 'online' | 'offline' | 'unauthorized' | 'forbidden' | 'stopped';

/** What the UI shows about the link: `offline · 3 queued`. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  readonly queued: number;
  readonly target: string;
  readonly lastError?: string;
  /** When the next reconnect attempt is due (epoch ms), while offline. */
  readonly retryAt?: number;
}

export interface ChannelClientOptions {
  readonly transport: Transport;
  readonly outbox: Outbox;
  readonly user: () => User;
  readonly clientId?: string;
  readonly backoff?: BackoffOptions;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Client-side liveness: a ping every interval; no pong within the timeout drops the link. */
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  /**
   * How often entries not acked yet are offered again (they are also resent on every reconnect), together with what
   * other windows sharing the outbox folder queued meanwhile (default 15 s).
   */
  readonly resendAfterMs?: number;
}

const OUTBOX_PREFIX = 'o:';

/** An event to append to an incident once its queued declaration has been numbered (`declare`'s `then`). */
export interface FollowUp<K extends AppendKind = AppendKind> {
  readonly kind: K;
  readonly data: EventDataOf<K>;
}

/** An incident that fell behind what the server says it has, and the bounded, backed-off way back. */
interface Resync {
  readonly backoff: Backoff;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The highest seq the server has shown for the incident (in a frame's `headSeq`, an event or a lost range). */
  target: number;
  /** What the client held when the current check was scheduled: more by the time it fires means the replay is moving. */
  heldAt: number;
}
/** Events sent and not yet acked at most: a long offline queue goes out paced, under the server's rate limit. */
const MAX_IN_FLIGHT = 64;
/**
 * Pauses after the server answers a queued event with `rate_limited` or `internal`: 1 s, doubling while the answers
 * keep coming (a failed store answers every resend), up to 30 s; the next ack starts over.
 */
const SEND_BACKOFF: BackoffOptions = { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0.2 };
/** How long an event queued on an in-process link waits in memory for its ack before it is written to the outbox. */
const HOLD_FOR_ACK_MS = 5000;
/** After a digest that left changes out, the list is read again once none has for this long… */
const SIGNALS_RELOAD_QUIET_MS = 1000;
/** …or this long after the first such digest, while a storm goes on. */
const SIGNALS_RELOAD_MAX_WAIT_MS = 5000;

/**
 * The channel client: keeps one link to a channel open (reconnecting with capped backoff and jitter), keeps the
 * focused incidents subscribed and folded through the core reducer, resumes with `afterSeq` after any reconnect,
 * and sends every local action through the durable outbox until the server acks it.
 */
export class ChannelClient implements Disposable {
  private readonly _onDidChangeConnection = new Emitter<ConnectionState>();
  /** The link's status or the queue length changed. */
  readonly onDidChangeConnection = this._onDidChangeConnection.event;
  private readonly _onDidChangeIncident = new Emitter<IncidentState>();
  /** A subscribed incident's state changed (new events applied). */
  readonly onDidChangeIncident = this._onDidChangeIncident.event;
  private readonly _onDidChangeIncidents = new Emitter<readonly IncidentSummary[]>();
  /** The channel's list of incidents changed. */
  readonly onDidChangeIncidents = this._onDidChangeIncidents.event;
  private readonly _onDidReject = new Emitter<RejectedEntry>();
  /** The server refused a queued event for good; it was moved aside, with the reason. */
  readonly onDidReject = this._onDidReject.event;
  private readonly _onDidChangePresence = new Emitter<readonly PresentUser[]>();
  /** Who is on the channel changed (told by the server; empty while offline). */
  readonly onDidChangePresence = this._onDidChangePresence.event;
  private present: readonly PresentUser[] = [];
  private readonly _onDidChangeSignals = new Emitter<SignalChange>();
  /** The channel's signals changed: the list on connect (`fresh` empty), or one signal told live. */
  readonly onDidChangeSignals = this._onDidChangeSignals.event;
  private readonly signalMap = new Map<string, Signal>();
  /** `signals`, sorted once per change and only when asked: a storm tells thousands of signals, a render reads them once. */
  private sortedSignals: Signal[] | null = null;
  /** The channel's counts as the server last said (a digest, or the list's answer); null from a server before them. */
  private serverSignalCounts: SignalCounts | null = null;
  /** A digest left changes out: the list is read again once the digests settle (`SIGNALS_RELOAD_*`). */
  private signalsReload: { timer: ReturnType<typeof setTimeout>; firstAt: number } | undefined;
  private readonly _onDidDeclare = new Emitter<{ eventId: string; incidentId: string }>();
  /** A queued declaration got its incident id. */
  readonly onDidDeclare = this._onDidDeclare.event;

  private readonly clientId: string;
  private readonly backoff: Backoff;
  private readonly sendBackoff = new Backoff(SEND_BACKOFF);
  private link: Link | undefined;
  private ready = false;
  private stopped = true;
  private status: ConnectionStatus = 'stopped';
  private lastError: string | undefined;
  /** The message of an `error` with code `forbidden` and no request: the reason for the close that follows. */
  private refusal: string | undefined;
  private retryAt: number | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private resendTimer: ReturnType<typeof setInterval> | undefined;
  private pingOutstanding: { id: string; sentAt: number } | undefined;
  private queued = 0;
  private readonly summaries = new Map<string, IncidentSummary>();
  private readonly states = new Map<string, IncidentState>();
  private readonly subscribed = new Set<string>();
  /**
   * Acked events of subscribed incidents, from the ack until both their event is folded (the server acks before it
   * fans out) and their removal from the outbox is over: `pendingNow` shows such an entry while its event is not
   * folded and hides it once it is, so a note is on the timeline exactly once at every moment, never in neither
   * place nor in both.
   */
  private readonly acked = new Map<string, { readonly entry: OutboxEntry & { type: 'append' }; readonly seq: number; removed: boolean }>();
  private readonly resyncs = new Map<string, Resync>();
  /** Event ids sent on the current link and not acked yet. */
  private readonly inFlight = new Set<string>();
  private readonly declareWaiters = new Map<string, { resolve: (id: string) => void; reject: (e: Error) => void }>();
  private readonly requestWaiters = new Map<string, (message: ServerMessage) => void>();
  /** Events held in memory for an in-process ack: told true once settled, false when they must go to disk. */
  private readonly holdWaiters = new Map<string, (settled: boolean) => void>();
  private flushing: Promise<void> | undefined;
  private flushPausedUntil = 0;
  private linkGeneration = 0;

  constructor(private readonly options: ChannelClientOptions) {
    this.clientId = options.clientId ?? randomUUID();
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
  }

  get connection(): ConnectionState {
    return {
      status: this.status, queued: this.queued, target: this.options.transport.description,
      ...(this.lastError ? { lastError: this.lastError } : {}), ...(this.retryAt ? { retryAt: this.retryAt } : {}),
    };
  }

  /** The channel's incidents, newest first. */
  get incidents(): IncidentSummary[] {
    return [...this.summaries.values()].sort((a, b) => Date.parse(b.declaredAt) - Date.parse(a.declaredAt));
  }

  /** Who is on the channel now, as the server last said (empty while offline, or from a server that does not say). */
  get presence(): readonly PresentUser[] {
    return this.present;
  }

  private setPresence(users: readonly PresentUser[]): void {
    if (users.length === 0 && this.present.length === 0) return;
    this.present = users;
    this._onDidChangePresence.fire(users);
  }

  /**
   * The channel's signals as the server last said: firing first (newest first), then resolved (newest end first).
   * Kept while offline (they are what monitoring said last, and say when), replaced by the list on reconnect.
   */
  get signals(): readonly Signal[] {
    this.sortedSignals ??= sortSignals([...this.signalMap.values()]);
    return this.sortedSignals;
  }

  /**
   * How many of the channel's signals fire, and how many resolved in the last 24 hours: the server's figures where it
   * gives them (its list is capped at a few hundred), else what `signals` holds.
   */
  get signalCounts(): SignalCounts {
    return this.serverSignalCounts ?? signalCounts(this.signalMap.values(), Date.now());
  }

  /**
   * Ask for the list. Its answer is applied as it is handled, like any frame, not after an `await`: frames that came
   * behind it in the same read from the socket (a digest, newer than the list) are applied after it, never before.
   * Before, such a digest was applied first and then wiped by the older list (PROTOCOL.md: what follows the answer is
   * never older than it).
   */
  private loadSignals(): void {
    if (!this.ready) return;
    const requestId = `s:${randomUUID()}`;
    const timer = setTimeout(() => this.requestWaiters.delete(requestId), 15_000);
    timer.unref?.();
    this.requestWaiters.set(requestId, (reply) => {
      clearTimeout(timer);
      if (reply.type === 'signals') return this.applySignalList(reply);
      // A server before signals refuses the request: it has none to tell. (A lost link is said elsewhere.)
      if (reply.type === 'error' && reply.message !== 'link lost') this.log('info', `the channel server keeps no signals (${reply.code}: ${reply.message})`);
    });
    this.send({ type: 'signals', requestId });
  }

  private applySignalList(reply: Extract<ServerMessage, { type: 'signals' }>): void {
    this.signalMap.clear();
    for (const s of reply.items) this.signalMap.set(s.fingerprint, s);
    this.serverSignalCounts = reply.firing !== undefined && reply.resolved !== undefined ? { firing: reply.firing, resolved: reply.resolved } : null;
    this.sortedSignals = null;
    this._onDidChangeSignals.fire({ fresh: [] });
  }

  /**
   * A `signalDigest`: its signals replace what is held, its counts are the channel's. When it left changes out (a
   * storm), the list is read again once digests stop leaving any out for a second, and at least every 5 seconds
   * while they go on: one read of a few hundred signals, not every alert's body.
   */
  private applyDigest(m: SignalDigestMessage): void {
    const fresh: Signal[] = [];
    for (const signal of m.items) {
      if (signal.status === 'firing' && this.signalMap.get(signal.fingerprint)?.status !== 'firing') fresh.push(signal);
      this.signalMap.set(signal.fingerprint, signal);
    }
    this.serverSignalCounts = { firing: m.firing, resolved: m.resolved };
    this.sortedSignals = null;
    if (m.omitted > 0) {
      const now = Date.now();
      const firstAt = this.signalsReload?.firstAt ?? now;
      if (this.signalsReload) clearTimeout(this.signalsReload.timer);
      const wait = Math.max(0, Math.min(SIGNALS_RELOAD_QUIET_MS, firstAt + SIGNALS_RELOAD_MAX_WAIT_MS - now));
      const timer = setTimeout(() => {
        this.signalsReload = undefined;
        this.loadSignals();
      }, wait);
      timer.unref?.();
      this.signalsReload = { timer, firstAt };
    }
    this._onDidChangeSignals.fire({ fresh });
  }

  private applySignal(signal: Signal): void {
    const before = this.signalMap.get(signal.fingerprint);
    this.signalMap.set(signal.fingerprint, signal);
    this.sortedSignals = null;
    const fresh = signal.status === 'firing' && before?.status !== 'firing' ? [signal] : [];
    this._onDidChangeSignals.fire({ fresh });
  }

  /** The folded state of a subscribed incident. */
  incident(id: string): IncidentState | undefined {
    return this.states.get(id);
  }

  /**
   * Entries to show as pending, in queue order: queued and not acked yet, and acked but not folded yet. Reads the
   * outbox's folder the first time (the start of a client); `pendingNow` is the same, without waiting.
   */
  async pending(): Promise<OutboxEntry[]> {
    await this.options.outbox.list();
    return this.pendingNow();
  }

  /** `pending()` as of now, from the outbox's view in memory (empty until the outbox was first read). */
  pendingNow(): OutboxEntry[] {
    const queued = this.options.outbox.view();
    if (this.acked.size === 0) return queued;
    // Acked ones were queued before any still queued (the outbox sends in order).
    const unfolded = [...this.acked.values()].filter((a) => !this.isFolded(a.entry.incidentId, a.seq)).map((a) => a.entry);
    return [...unfolded, ...queued.filter((e) => !this.acked.has(e.event.id))];
  }

  private isFolded(incidentId: string, seq: number): boolean {
    return (this.states.get(incidentId)?.headSeq ?? Infinity) >= seq;
  }

  /** Start connecting (and keep reconnecting until disposed). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.refreshQueued();
    this.connect();
  }

  /** Drop the current link and connect again now (the "Connect to Channel" command). */
  reconnect(): void {
    this.backoff.reset();
    this.clearRetry();
    this.dropLink(1000, 'reconnect requested');
    if (this.stopped) this.start();
    else this.connect();
  }

  /** Keep this incident subscribed (and resumed after every reconnect). */
  subscribe(incidentId: string): void {
    if (this.subscribed.has(incidentId)) return;
    this.subscribed.add(incidentId);
    if (!this.states.has(incidentId)) this.states.set(incidentId, emptyIncident(incidentId));
    if (this.ready) this.send({ type: 'subscribe', incidentId, afterSeq: this.states.get(incidentId)?.headSeq ?? 0 });
  }

  unsubscribe(incidentId: string): void {
    if (!this.subscribed.delete(incidentId)) return;
    this.states.delete(incidentId);
    for (const [id, a] of this.acked) if (a.entry.incidentId === incidentId) this.acked.delete(id);
    this.stopResync(incidentId);
    if (this.ready) this.send({ type: 'unsubscribe', incidentId });
  }

  /**
   * Declare an incident. The declaration is queued durably first; resolves with the server-assigned id
   * once it is sequenced (immediately when online, after the next reconnect otherwise).
   */
  async declare(
    data: EventDataOf<'incident.declared'>, at = new Date(), then: readonly FollowUp[] = [],
  ): Promise<{ eventId: string; incidentId: Promise<string> }> {
    const event: DeclareEvent = { id: randomUUID(), at: at.toISOString(), data };
    const incidentId = new Promise<string>((resolve, reject) => this.declareWaiters.set(event.id, { resolve, reject }));
    incidentId.catch(() => undefined); // callers that don't wait must not cause an unhandled rejection
    const followUps = then.map((f) => ({ id: randomUUID(), kind: f.kind, at: event.at, data: f.data }) as unknown as ClientEventOf<AppendKind>);
    await this.queue({ type: 'declare', event, queuedAt: new Date().toISOString(), ...(followUps.length ? { then: followUps } : {}) });
    return { eventId: event.id, incidentId };
  }

  /**
   * Append an event to an incident; resolves once it is durable: queued in the outbox (the server's ack comes later),
   * or, on an in-process link, acked by the channel's store.
   */
  async append<K extends AppendKind>(incidentId: string, kind: K, data: EventDataOf<K>, at = new Date()): Promise<string> {
    const event = { id: randomUUID(), kind, at: at.toISOString(), data } as unknown as ClientEventOf<K>;
    await this.queue({ type: 'append', incidentId, event, queuedAt: new Date().toISOString() });
    return event.id;
  }

  /** Ask the server for a round trip; resolves with the latency in ms. */
  ping(timeoutMs = 5000): Promise<number> {
    const requestId = `p:${randomUUID()}`;
    const started = Date.now();
    return this.request({ type: 'ping', requestId }, timeoutMs).then(() => Date.now() - started);
  }

  dispose(): void {
    this.stopped = true;
    this.clearRetry();
    this.dropLink(1000, 'client closing');
    for (const id of [...this.resyncs.keys()]) this.stopResync(id);
    this.setStatus('stopped');
    this.releaseHeld();
    for (const w of this.declareWaiters.values()) w.reject(new Error('the channel client was closed'));
    this.declareWaiters.clear();
    for (const e of [
      this._onDidChangeConnection, this._onDidChangeIncident, this._onDidChangeIncidents, this._onDidReject, this._onDidDeclare,
      this._onDidChangePresence, this._onDidChangeSignals,
    ]) e.dispose();
  }

  // ---- connection lifecycle ----

  private connect(): void {
    if (this.stopped || this.link) return;
    const generation = ++this.linkGeneration;
    this.setStatus('connecting');
    this.options.transport
      .open({
        onMessage: (m) => generation === this.linkGeneration && this.onMessage(m),
        onInvalid: (error) => this.log('warn', `ignored an invalid frame from the server: ${error}`),
        onClose: (failure) => generation === this.linkGeneration && this.onLinkLost(failure),
      })
      .then(
        (link) => {
          if (generation !== this.linkGeneration || this.stopped) return link.close(1000, 'superseded');
          this.link = link;
          link.send({ type: 'hello', protocol: PROTOCOL_VERSION, clientId: this.clientId, user: this.options.user(), presence: true, signalDigest: true });
        },
        (error: unknown) => {
          if (generation !== this.linkGeneration) return;
          this.onLinkLost(linkFailureOf(error));
        },
      );
  }

  private onLinkLost(failure: LinkFailure): void {
    this.link = undefined;
    this.ready = false;
    this.setPresence([]);
    this.inFlight.clear();
    this.releaseHeld();
    this.stopTimers();
    // The welcome of the next link re-subscribes everything from what is held.
    for (const id of [...this.resyncs.keys()]) this.stopResync(id);
    this.failRequests();
    if (this.stopped) return;
    this.lastError = failure.message;
    this.log('warn', `channel link lost: ${failure.message}`);
    const refusal = this.refusal;
    this.refusal = undefined;
    // Refused credentials or identity won't fix themselves quickly: keep trying, but at the slow end of the curve.
    if (failure.kind === 'closed' && failure.code === CloseCode.Forbidden) {
      this.lastError = refusal ?? failure.message;
      this.setStatus('forbidden');
      this.scheduleRetry(Math.max(this.backoff.next(), 30_000));
      return;
    }
    if (failure.kind === 'unauthorized' || failure.kind === 'forbidden') {
      this.setStatus(failure.kind);
      this.scheduleRetry(Math.max(this.backoff.next(), 30_000));
      return;
    }
    if (failure.kind === 'closed' && failure.code === CloseCode.ProtocolError) this.log('error', `the server closed the link: protocol error (${failure.message})`);
    this.setStatus('offline');
    this.scheduleRetry(this.backoff.next());
  }

  private scheduleRetry(delay: number): void {
    this.clearRetry();
    this.retryAt = Date.now() + delay;
    this.fireConnection();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = undefined;
      this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = undefined;
  }

  private dropLink(code: number, reason: string): void {
    this.linkGeneration++;
    const link = this.link;
    this.link = undefined;
    this.ready = false;
    this.setPresence([]);
    this.inFlight.clear();
    this.releaseHeld();
    this.stopTimers();
    for (const id of [...this.resyncs.keys()]) this.stopResync(id);
    // Their answers would come on this link, which is gone: failed now, not when their timers run out.
    this.failRequests();
    link?.close(code, reason);
  }

  /** Every request waiting for an answer fails with "link lost" (and its timer stops). */
  private failRequests(): void {
    for (const waiter of this.requestWaiters.values()) waiter({ type: 'error', code: 'internal', message: 'link lost' });
    this.requestWaiters.clear();
  }

  private startTimers(): void {
    const every = this.options.pingIntervalMs ?? 20_000;
    const timeout = this.options.pingTimeoutMs ?? 10_000;
    this.pingTimer = setInterval(() => {
      if (this.pingOutstanding && Date.now() - this.pingOutstanding.sentAt > timeout) {
        this.log('warn', 'no pong from the channel server: reconnecting');
        const link = this.link;
        this.pingOutstanding = undefined;
        this.linkGeneration++;
        link?.close(4000, 'liveness timeout');
        this.onLinkLost({ kind: 'unreachable', message: 'the channel server stopped answering' });
        return;
      }
      if (!this.pingOutstanding) {
        const id = `l:${randomUUID()}`;
        this.pingOutstanding = { id, sentAt: Date.now() };
        this.send({ type: 'ping', requestId: id });
      }
    }, Math.min(every, timeout));
    // The resend also takes in what other windows sharing the outbox folder queued since (one listing per tick).
    this.resendTimer = setInterval(() => void this.flush(true), this.options.resendAfterMs ?? 15_000);
  }

  private stopTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.pingTimer = undefined;
    this.resendTimer = undefined;
    this.pingOutstanding = undefined;
    // The welcome of the next link reads the list anyway.
    if (this.signalsReload) clearTimeout(this.signalsReload.timer);
    this.signalsReload = undefined;
  }

  // ---- messages ----

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'welcome':
        this.ready = true;
        this.backoff.reset();
        this.lastError = undefined;
        this.summaries.clear();
        for (const s of m.incidents) this.summaries.set(s.id, s);
        this._onDidChangeIncidents.fire(this.incidents);
        // Resume: ask only for what came after the last seq we hold.
        for (const id of this.subscribed) this.send({ type: 'subscribe', incidentId: id, afterSeq: this.states.get(id)?.headSeq ?? 0 });
        this.startTimers();
        this.setStatus('online');
        // Send what waits, with what other windows sharing the outbox folder queued while this one was away.
        void this.flush(true);
        this.loadSignals();
        return;
      case 'events':
        return this.applyEvents(m.incidentId, m.events, m.headSeq, m.lost);
      case 'event':
        return this.applyEvents(m.incidentId, [m.event], m.event.seq);
      case 'incident':
        this.summaries.set(m.summary.id, m.summary);
        this._onDidChangeIncidents.fire(this.incidents);
        return;
      case 'presence':
        return this.setPresence(m.users);
      case 'signal':
        return this.applySignal(m.signal);
      case 'signalDigest':
        return this.applyDigest(m);
      case 'signals':
      case 'incidents':
      case 'pong':
        if (m.type === 'pong' && this.pingOutstanding?.id === m.requestId) this.pingOutstanding = undefined;
        // (`signals` answers the request of `loadSignals`.)
        this.requestWaiters.get(m.requestId)?.(m);
        this.requestWaiters.delete(m.requestId);
        return;
      case 'ack':
        this.holdUntilFolded(m.incidentId, m.eventId, m.seq);
        return void this.settle(m.eventId, undefined);
      case 'declared': {
        const eventId = m.requestId.startsWith(OUTBOX_PREFIX) ? m.requestId.slice(OUTBOX_PREFIX.length) : undefined;
        if (!eventId) return;
        return void this.declared(eventId, m.incidentId);
      }
      case 'error':
        return this.onError(m);
    }
  }

  private onError(m: Extract<ServerMessage, { type: 'error' }>): void {
    const requestId = m.requestId;
    if (requestId && this.requestWaiters.has(requestId)) {
      this.requestWaiters.get(requestId)?.(m);
      this.requestWaiters.delete(requestId);
      return;
    }
    if (!requestId?.startsWith(OUTBOX_PREFIX)) {
      this.log('warn', `channel server error ${m.code}: ${m.message}`);
      // A refused identity is followed by close 4403: keep the server's words for the status line.
      if (m.code === 'forbidden') this.refusal = m.message;
      return;
    }
    const eventId = requestId.slice(OUTBOX_PREFIX.length);
    this.inFlight.delete(eventId);
    if (m.code === 'rate_limited' || m.code === 'internal') {
      // Not the event's fault: it stays queued; pause sending for a moment, then go on from the queue.
      this.log('warn', `event ${eventId} not accepted yet (${m.code}); it stays queued`);
      this.release(eventId, false);
      // One step per pause, not per refusal: a window of 64 refused together is one step.
      if (this.flushPausedUntil <= Date.now()) this.pauseFlush(this.sendBackoff.next());
      return;
    }
    void this.settle(eventId, `${m.code}: ${m.message}`);
  }

  /** An ack that came before its event (the server's order): the entry is shown until the event is folded. */
  private holdUntilFolded(incidentId: string, eventId: string, seq: number): void {
    if (!this.subscribed.has(incidentId) || this.isFolded(incidentId, seq)) return;
    const entry = this.options.outbox.peek(eventId);
    if (entry?.type === 'append') this.acked.set(eventId, { entry, seq, removed: false });
  }

  /** Forget acked entries that are folded and out of the outbox. */
  private forgetAcked(): void {
    for (const [id, a] of this.acked) if (a.removed && this.isFolded(a.entry.incidentId, a.seq)) this.acked.delete(id);
  }

  /**
   * A queued declaration has its incident: its follow-ups are queued (durably, before the declaration leaves the
   * outbox, so a crash in between queues them again under the same ids), then whoever waits is told.
   */
  private async declared(eventId: string, incidentId: string): Promise<void> {
    const entry = this.options.outbox.peek(eventId);
    if (entry?.type === 'declare') {
      for (const event of entry.then ?? []) await this.queue({ type: 'append', incidentId, event, queuedAt: new Date().toISOString() });
    }
    this.declareWaiters.get(eventId)?.resolve(incidentId);
    this.declareWaiters.delete(eventId);
    this._onDidDeclare.fire({ eventId, incidentId });
    await this.settle(eventId, undefined);
  }

  private async settle(eventId: string, rejection: string | undefined): Promise<void> {
    this.inFlight.delete(eventId);
    if (rejection === undefined) {
      this.sendBackoff.reset();
      try {
        await this.options.outbox.remove(eventId);
      } finally {
        const a = this.acked.get(eventId);
        if (a) {
          a.removed = true;
          this.forgetAcked();
        }
      }
    } else {
      const record = await this.options.outbox.reject(eventId, rejection);
      this.log('error', `the server refused event ${eventId}: ${rejection}`);
      const waiter = this.declareWaiters.get(eventId);
      if (waiter) {
        waiter.reject(new Error(`the server refused the declaration: ${rejection}`));
        this.declareWaiters.delete(eventId);
      }
      if (record) this._onDidReject.fire(record);
    }
    // Acked, or set aside with its reason: either way it is on disk and no longer the outbox's to keep.
    this.release(eventId, true);
    await this.refreshQueued();
    // Acks free room in the window: send what waits behind them.
    if (this.queued > this.inFlight.size && this.inFlight.size < MAX_IN_FLIGHT / 2) void this.flush();
  }

  private pauseFlush(ms: number): void {
    if (this.flushPausedUntil > Date.now()) return;
    this.flushPausedUntil = Date.now() + ms;
    // The pause ends when its timer fires, not when Date.now() says so: a timer may fire a millisecond before the
    // wall clock reaches the deadline, and a flush that found itself still paused would leave the queue waiting
    // for the periodic resend.
    setTimeout(() => {
      this.flushPausedUntil = 0;
      void this.flush();
    }, ms).unref?.();
  }

  /**
   * Apply what follows on from what the client holds, in seq order: events, and ranges the server declared lost
   * (held from then on, shown once on the timeline). Anything after a seq that is neither is a gap: see `resync`.
   */
  private applyEvents(incidentId: string, events: readonly SequencedEvent[], headSeq: number, lost: readonly LostSeqs[] = []): void {
    const before = this.states.get(incidentId);
    if (!before || !this.subscribed.has(incidentId)) return;
    const sorted = events.length > 1 ? [...events].sort((a, b) => a.seq - b.seq) : events;
    const ranges = lost.length > 1 ? [...lost].sort((a, b) => a.fromSeq - b.fromSeq) : lost;
    let state = before;
    let run: SequencedEvent[] = [];
    // fold is linear in the batch; reducing a long replay one event at a time would copy the state each time.
    const applyRun = () => {
      if (run.length > 0) state = run.length === 1 ? reduce(state, run[0] as SequencedEvent) : fold(incidentId, run, state);
      run = [];
    };
    let head = before.headSeq;
    let gap = false;
    for (let i = 0, r = 0; ;) {
      while (i < sorted.length && sorted[i]!.seq <= head) i++;
      while (r < ranges.length && ranges[r]!.toSeq <= head) r++;
      const e = sorted[i];
      const l = ranges[r];
      if (e && e.seq === head + 1) {
        run.push(e);
        head = e.seq;
        i++;
      } else if (l && l.fromSeq <= head + 1) {
        applyRun();
        state = reduceLost(state, l);
        head = l.toSeq;
        r++;
        this.log('error', `${incidentId}: the channel server lost seqs ${l.fromSeq}-${l.toSeq} (${l.reason}); shown on the timeline`);
      } else {
        gap = e !== undefined || l !== undefined;
        break;
      }
    }
    applyRun();
    if (state !== before) {
      this.states.set(incidentId, state);
      if (this.acked.size > 0) this.forgetAcked();
      this._onDidChangeIncident.fire(state);
    }
    const known = Math.max(headSeq, sorted[sorted.length - 1]?.seq ?? 0, ranges[ranges.length - 1]?.toSeq ?? 0);
    this.resync(incidentId, state.headSeq, known, gap);
  }

  /**
   * An incident behind what the server has shown: re-subscribe from what is held, but never once per frame (an
   * undeclared hole would otherwise make every later frame ask again, as fast as the server answers). A gap seen in
   * a frame asks at once; then the incident is checked after each backoff step (capped exponential with jitter, as
   * reconnects are) and asked again only if the replay made no progress meanwhile. Catching up ends it.
   */
  private resync(incidentId: string, held: number, known: number, gap: boolean): void {
    let r = this.resyncs.get(incidentId);
    if (r) r.target = Math.max(r.target, known);
    if (held >= (r?.target ?? known)) return this.stopResync(incidentId);
    if (r) return; // a check is already scheduled: nothing more until it fires
    r = { backoff: new Backoff(this.options.backoff ?? DEFAULT_BACKOFF), timer: undefined, target: known, heldAt: held };
    this.resyncs.set(incidentId, r);
    // A frame that skips seqs is a hole nobody declared; a head not reached yet is usually a replay still coming.
    if (gap) this.resubscribe(incidentId, held);
    this.scheduleResync(incidentId, r);
  }

  private scheduleResync(incidentId: string, r: Resync): void {
    r.timer = setTimeout(() => {
      r.timer = undefined;
      const held = this.states.get(incidentId)?.headSeq ?? 0;
      if (!this.ready || this.resyncs.get(incidentId) !== r || held >= r.target) return this.stopResync(incidentId);
      if (held === r.heldAt) this.resubscribe(incidentId, held);
      r.heldAt = held;
      this.scheduleResync(incidentId, r);
    }, r.backoff.next());
    r.timer.unref?.();
  }

  private resubscribe(incidentId: string, held: number): void {
    this.log('warn', `${incidentId}: missing events after seq ${held}; resuming`);
    this.send({ type: 'subscribe', incidentId, afterSeq: held });
  }

  private stopResync(incidentId: string): void {
    const r = this.resyncs.get(incidentId);
    if (!r) return;
    clearTimeout(r.timer);
    this.resyncs.delete(incidentId);
  }

  // ---- outbox ----

  /**
   * Queue an entry so that it survives a crash once this resolves. Over a socket it goes to the outbox on disk first.
   * On an in-process link the channel's ack already means "on disk" (its store's), in the same process: the entry
   * waits in the outbox's memory for that ack, and is written to disk only if the ack does not come (link lost,
   * store failing, slow) — durability paid once, and nothing lost either way.
   */
  private async queue(entry: OutboxEntry): Promise<void> {
    const outbox = this.options.outbox;
    if (!this.ready || !this.link?.sameProcess) {
      await outbox.add(entry);
      return this.afterQueued();
    }
    const id = entry.event.id;
    const settled = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => this.release(id, false), HOLD_FOR_ACK_MS);
      this.holdWaiters.set(id, (done) => {
        clearTimeout(timer);
        resolve(done);
      });
    });
    outbox.hold(entry);
    await this.afterQueued();
    // Not sent after all (the window is full, sending is paused): it waits on disk like any other.
    if (!this.inFlight.has(id)) this.release(id, false);
    if (!(await settled)) await outbox.persist(id);
  }

  private release(eventId: string, settled: boolean): void {
    const waiter = this.holdWaiters.get(eventId);
    if (!waiter) return;
    this.holdWaiters.delete(eventId);
    waiter(settled);
  }

  /** The link is gone: every event held for its ack goes to disk. */
  private releaseHeld(): void {
    for (const id of [...this.holdWaiters.keys()]) this.release(id, false);
  }

  private async afterQueued(): Promise<void> {
    await this.refreshQueued();
    if (this.ready) await this.flush();
  }

  /**
   * Send every queued entry not already on the wire, in queue order; with `merge`, first take into the outbox's view
   * what other windows queued in its folder (and what they acked), and count the queue again.
   */
  private flush(merge = false): Promise<void> {
    // One flush at a time keeps entries in order; a flush requested meanwhile runs after it.
    const run = async (): Promise<void> => {
      if (!this.ready) return;
      if (merge) {
        await this.options.outbox.merge().catch((error: unknown) => this.log('warn', `cannot read the outbox folder: ${String(error)}`));
        await this.refreshQueued();
      }
      if (!this.ready || Date.now() < this.flushPausedUntil) return;
      const entries = await this.options.outbox.list();
      for (const entry of entries) {
        if (!this.ready || this.inFlight.size >= MAX_IN_FLIGHT) return;
        const id = entry.event.id;
        if (this.inFlight.has(id)) continue;
        this.inFlight.add(id);
        if (entry.type === 'declare') this.send({ type: 'declare', requestId: OUTBOX_PREFIX + id, event: entry.event });
        else this.send({ type: 'append', requestId: OUTBOX_PREFIX + id, incidentId: entry.incidentId, event: entry.event });
      }
    };
    // The failure is logged here, so the chain the next flush waits on never rejects, nor goes unhandled: before, the
    // rejected chain held in `flushing` reached the extension host as an unhandled rejection.
    const next = (this.flushing ?? Promise.resolve())
      .then(run, run)
      .catch((error: unknown) => this.log('error', `outbox flush failed: ${String(error)}`));
    const tail: Promise<void> = next.finally(() => {
      if (this.flushing === tail) this.flushing = undefined;
    });
    this.flushing = tail;
    return next;
  }

  private async refreshQueued(): Promise<void> {
    const n = await this.options.outbox.count().catch(() => this.queued);
    if (n !== this.queued) {
      this.queued = n;
      this.fireConnection();
    }
  }

  // ---- plumbing ----

  private request(message: ClientMessage & { requestId: string }, timeoutMs: number): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      if (!this.ready) return reject(new Error(`not connected to ${this.options.transport.description}`));
      const timer = setTimeout(() => {
        this.requestWaiters.delete(message.requestId);
        reject(new Error('the channel server did not answer in time'));
      }, timeoutMs);
      this.requestWaiters.set(message.requestId, (reply) => {
        clearTimeout(timer);
        if (reply.type === 'error') reject(new Error(reply.message));
        else resolve(reply);
      });
      this.send(message);
    });
  }

  private send(message: ClientMessage): void {
    this.link?.send(message);
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.log('info', `channel ${this.options.transport.description}: ${status}${this.lastError && status !== 'online' ? ` (${this.lastError})` : ''}`);
    this.fireConnection();
  }

  private fireConnection(): void {
    this._onDidChangeConnection.fire(this.connection);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }
}
