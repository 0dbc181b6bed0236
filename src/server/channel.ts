import { changesSummary, reduceSummary } from '../core/summary';
import { CloseCode } from '../protocol/codes';
import type { ClientEvent, DeclareEvent, SequencedEvent, User } from '../protocol/events';
import type { IncidentSummary } from '../protocol/messages';
import { type EventStore, eventIdKey, incidentNumber, type SharedSequencing, type StoreChange, type UnsequencedEvent } from '../store/eventStore';
import type { IncomingAlert } from './alertPayload';
import type { ChannelObserver } from './channelObserver';
import { errorText } from './errorText';
import { declaredFrame, incidentFrame } from './frames';
import { type Logger, silentLogger } from './logger';
import { ChannelPresence } from './presence';
import { Room, type RoomConnection, type RoomOwner } from './room';
import { ServerAppend } from './serverAppend';
import { ChannelSession, type SessionAuth, type SessionHost, type SessionSink } from './session';
import { ChannelSignals, type SignalsOwner } from './signals';

export interface ChannelCoreOptions {
  readonly store: EventStore;
  readonly logger?: Logger;
  readonly observer?: ChannelObserver;
  /** Wall clock for `receivedAt` and `serverTime` (ms since the epoch). */
  readonly now?: () => number;
  /** How long a room with no subscribers and nothing in flight stays in memory. Default 30 s. */
  readonly roomIdleMs?: number;
  /** How long a channel with no sessions and no rooms stays in memory. Default 60 s. */
  readonly channelIdleMs?: number;
}

/**
 * The channel server without a transport: sequencing (INC-n per channel, seq per incident), idempotency by event
 * id, per-incident rooms, subscribe/afterSeq replay, batched fan-out, summaries. It talks to sessions through
 * `SessionSink` and to storage through `EventStore`, so the WebSocket server and the extension's in-process local
 * mode run the same code.
 *
 * ```ts
 * const core = new ChannelCore({ store });
 * const session = core.connect('payments-oncall', { send: (frame) => …, close: (code, reason) => … });
 * session.receive('{"type":"hello",…}');   // every client frame, as text (or an already-parsed object)
 * session.disconnect();                      // when the peer goes away
 * ```
 */
export class ChannelCore implements SessionHost {
  readonly store: EventStore;
  readonly logger: Logger;
  readonly observer: ChannelObserver;
  readonly now: () => number;
  readonly roomIdleMs: number;
  readonly channelIdleMs: number;
  private readonly channels = new Map<string, ChannelState>();
  private readonly loading = new Map<string, Promise<ChannelState>>();
  private readonly sessions = new Set<ChannelSession>();
  private closing = false;
  /** Changes heard from a shared store while a channel was loading: applied once it has loaded. */
  private readonly heardWhileLoading = new Map<string, StoreChange[]>();
  private readonly stopListening: () => void;

  constructor(options: ChannelCoreOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.observer = options.observer ?? {};
    this.now = options.now ?? Date.now;
    this.roomIdleMs = options.roomIdleMs ?? 30_000;
    this.channelIdleMs = options.channelIdleMs ?? 60_000;
    // Other servers on the same database append and declare too: hear of it to fan out and keep summaries current.
    this.stopListening = this.store.shared?.onChange((change) => this.storeChanged(change)) ?? (() => undefined);
  }

  private storeChanged(change: StoreChange): void {
    if (change.type === 'resync') {
      for (const c of this.channels.values()) c.resync();
      for (const heard of this.heardWhileLoading.values()) heard.push(change);
      return;
    }
    const loaded = this.channels.get(change.channel);
    if (loaded) loaded.storeChanged(change);
    else this.heardWhileLoading.get(change.channel)?.push(change);
  }

  /**
   * A new session on `channel` (already authorised by the transport). It expects `hello` first. `auth` (or just the
   * token's name) names the token it authenticated with — stamped as `via` beside `actor` on every event the session
   * appends — and the user ids that token may speak for (a `hello` for anyone else is refused).
   */
  connect(channel: string, sink: SessionSink, auth?: string | SessionAuth): ChannelSession {
    const session = new ChannelSession(this, channel, sink, typeof auth === 'string' ? { via: auth } : auth);
    this.sessions.add(session);
    if (this.closing) session.close(CloseCode.GoingAway, 'server shutting down');
    return session;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** The channel's state, loaded once however many sessions ask at the same time. */
  channel(name: string): Promise<ChannelState> {
    const loaded = this.channels.get(name);
    if (loaded) return Promise.resolve(loaded);
    let pending = this.loading.get(name);
    if (!pending) {
      // A shared store's notifications that arrive while the list is read may be newer than it: kept and replayed.
      if (this.store.shared) this.heardWhileLoading.set(name, []);
      pending = Promise.all([this.store.listIncidents(name), this.store.highestIncidentNumber(name)]).then(([records, highest]) => {
        const state = new ChannelState(this, name, records.map((r) => r.summary), records.map((r) => [r.declareEventId, r.summary.id] as const), highest);
        this.channels.set(name, state);
        for (const change of this.heardWhileLoading.get(name) ?? []) {
          if (change.type === 'resync') state.resync();
          else state.storeChanged(change);
        }
        // A channel loaded for an ingest alone (no session) goes idle like one whose last session left.
        state.idleIfUnused();
        return state;
      });
      this.loading.set(name, pending);
      const forget = () => {
        this.loading.delete(name);
        this.heardWhileLoading.delete(name);
      };
      pending.then(forget, forget);
    }
    return pending;
  }

  /**
   * Alerts from monitoring for `channel` (already authorised by the transport): merged into its signals, told to its
   * sessions; resolves once durable. `via`: the name of the token they came with.
   */
  async ingestAlerts(channel: string, alerts: readonly IncomingAlert[], via: string | undefined): Promise<void> {
    if (this.closing) throw new Error('the server is shutting down');
    const state = await this.channel(channel);
    try {
      await state.signals.ingest(alerts, via);
    } finally {
      state.idleIfUnused();
    }
  }

  /** @internal called by a session that has ended. */
  sessionEnded(session: ChannelSession): void {
    this.sessions.delete(session);
  }

  /** @internal drop a channel that went idle. */
  dropChannel(state: ChannelState): void {
    if (this.channels.get(state.name) === state) this.channels.delete(state.name);
  }

  stats(): { sessions: number; channels: number; rooms: number } {
    let rooms = 0;
    for (const c of this.channels.values()) rooms += c.roomCount;
    return { sessions: this.sessions.size, channels: this.channels.size, rooms };
  }

  /**
   * Shut down: refuse new appends, wait until everything already sequenced is durable and acked, then close every
   * session with 1001. The caller closes the store afterwards.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.stopListening();
    for (let waited = 0; [...this.channels.values()].some((c) => !c.isQuiet()) && waited < 10_000; waited += 5) {
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const s of [...this.sessions]) s.close(CloseCode.GoingAway, 'server shutting down');
    for (const c of this.channels.values()) c.dispose();
    this.channels.clear();
  }
}

/**
 * One channel: its sessions, incident summaries, INC-n counter, loaded rooms and signals. It is each room's
 * `RoomOwner` and its signals' `SignalsOwner`.
 */
export class ChannelState implements RoomOwner, SignalsOwner {
  /** The channel's signals (alerts), loaded on first use. */
  readonly signals: ChannelSignals;
  private readonly sessions = new Set<ChannelSession>();
  /** Who is on the channel, told to the sessions that asked (PROTOCOL.md "Presence"). */
  private readonly presence: ChannelPresence;
  /** Durable incidents in INC order. */
  private readonly summaries = new Map<string, IncidentSummary>();
  /** `incident.declared` event id → incident id, durable or being written: a re-sent declare finds its incident. */
  private readonly declareIds = new Map<string, string>();
  private readonly rooms = new Map<string, Room>();
  private readonly idleTimers = new Map<Room | ChannelState, NodeJS.Timeout>();
  private nextNumber: number;
  /** Shared store: declarations sent to it and not answered yet. */
  private pendingDeclares = 0;
  /** Shared store: incidents whose summary is being re-read (one read at a time each). */
  private readonly refreshing = new Map<string, Promise<void>>();

  /** `highestNumber`: the highest INC-n the store has seen, with a summary or not (a damaged declaration): never reused. */
  constructor(
    private readonly core: ChannelCore, readonly name: string, summaries: readonly IncidentSummary[], declareIds: ReadonlyArray<readonly [string, string]>,
    highestNumber = 0,
  ) {
    let max = highestNumber;
    for (const s of summaries) {
      this.summaries.set(s.id, s);
      max = Math.max(max, incidentNumber(s.id));
    }
    for (const [eventId, incidentId] of declareIds) this.declareIds.set(eventIdKey(eventId), incidentId);
    this.nextNumber = max + 1;
    this.presence = new ChannelPresence(() => this.core.now());
    this.signals = new ChannelSignals(this);
  }

  get store(): EventStore {
    return this.core.store;
  }

  get logger(): Logger {
    return this.core.logger;
  }

  get observer(): ChannelObserver {
    return this.core.observer;
  }

  now(): number {
    return this.core.now();
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  incidents(): IncidentSummary[] {
    const all = [...this.summaries.values()];
    // Through a shared store incidents are learnt of in the order other servers' notifications come: list by number.
    return this.core.store.shared ? all.sort((a, b) => incidentNumber(a.id) - incidentNumber(b.id)) : all;
  }

  has(incidentId: string): boolean {
    return this.summaries.has(incidentId);
  }

  join(session: ChannelSession): void {
    this.sessions.add(session);
    this.presence.add(session);
    this.cancelIdle(this);
    // Write and read sessions are told of signals (a public one, the status page, never is); a responder's client
    // asks for the list right after the welcome: have it read by then.
    if (session.access !== 'public') {
      this.signals.addRecipient(session, session.wantsSignalDigest ? 'digest' : 'each');
      this.signals.load().catch((e: unknown) => this.core.logger.warn('loading a channel\'s signals failed', { channel: this.name, error: errorText(e) }));
    }
  }

  /** The answer to a session's `signals`. */
  signalsFrame(requestId: string): Promise<string> {
    return this.signals.listFrame(requestId);
  }

  async appendAsServer(incidentId: string, event: ClientEvent, actor: User, via: string | undefined): Promise<boolean> {
    // Declared through another server a moment ago, and not heard of here yet.
    if (!this.summaries.has(incidentId) && this.core.store.shared) await this.refreshIncident(incidentId);
    if (!this.summaries.has(incidentId)) return false;
    if (this.core.isClosing) throw new Error('the server is shutting down');
    const connection = new ServerAppend(actor, via);
    this.room(incidentId).append({ session: connection, requestId: connection.requestId, event, receivedAt: performance.now() });
    await connection.done;
    return true;
  }

  /** Events this server committed (each once, whichever servers fan it out): a `signal.linked` links its signal. */
  committed(incidentId: string, events: readonly SequencedEvent[]): void {
    for (const e of events) if (e.kind === 'signal.linked') this.signals.link(e.data.fingerprint, incidentId);
  }

  /** Go idle if nothing holds the channel (an ingest loaded it without a session). */
  idleIfUnused(): void {
    this.maybeIdle();
  }

  leave(session: ChannelSession): void {
    this.sessions.delete(session);
    this.signals.removeRecipient(session);
    this.presence.remove(session);
    this.maybeIdle();
  }

  /** The session wrote (declared or appended): its user is active (presence). */
  active(session: ChannelSession): void {
    this.presence.active(session);
  }

  /** The room of a durable incident, loaded on first use. */
  room(incidentId: string): Room {
    let room = this.rooms.get(incidentId);
    if (!room) {
      room = new Room(this, incidentId, this.summaries.get(incidentId)?.headSeq ?? 0, null);
      this.rooms.set(incidentId, room);
    }
    this.cancelIdle(room);
    return room;
  }

  loadedRoom(incidentId: string): Room | undefined {
    return this.rooms.get(incidentId);
  }

  /** Open a new incident (INC-n, n = next in this channel), or answer a re-sent declare with the incident it made. */
  declare(session: RoomConnection, requestId: string, event: DeclareEvent, receivedAt: number): void {
    const shared = this.core.store.shared;
    if (shared) return this.declareShared(shared, session, requestId, event, receivedAt);
    const existing = this.declareIds.get(eventIdKey(event.id));
    const request = { session, requestId, event: { ...event, kind: 'incident.declared' as const }, receivedAt };
    if (existing !== undefined) {
      const room = this.rooms.get(existing) ?? (this.summaries.has(existing) ? this.room(existing) : undefined);
      if (room) {
        room.append(request);
        return;
      }
    }
    const incidentId = `INC-${this.nextNumber++}`;
    const room = new Room(this, incidentId, 0, new Map());
    this.rooms.set(incidentId, room);
    this.declareIds.set(eventIdKey(event.id), incidentId);
    room.append(request);
  }

  /**
   * Through a shared store the number is given by the database (servers declaring at once never get the same one),
   * and a re-sent declare is recognised there, whichever server it went through first.
   */
  private declareShared(shared: SharedSequencing, session: RoomConnection, requestId: string, event: DeclareEvent, receivedAt: number): void {
    const sequenced = {
      id: event.id, kind: 'incident.declared', at: event.at, receivedAt: new Date(this.core.now()).toISOString(), actor: session.actor,
      ...(session.via ? { via: session.via } : {}), data: event.data,
    } as UnsequencedEvent;
    this.pendingDeclares++;
    shared.declare(this.name, sequenced)
      .then(async (r) => {
        this.core.observer.appended?.(r.duplicate ? 'duplicate' : 'new');
        if (r.event && !this.summaries.has(r.incidentId)) this.applyDurable(r.incidentId, [r.event]);
        // The session will subscribe or append next: the incident must be known here before it hears of it.
        if (!this.summaries.has(r.incidentId)) await this.refreshIncident(r.incidentId);
        session.send(declaredFrame(requestId, r.incidentId));
        this.core.observer.acked?.(performance.now() - receivedAt);
      })
      .catch((e: unknown) => {
        this.core.logger.error('declare failed', { channel: this.name, error: errorText(e) });
        this.core.observer.storeFailed?.(e);
        session.internalError(requestId);
      })
      .finally(() => {
        this.pendingDeclares--;
      });
  }

  /** A shared store committed events of an incident, or stored signals (on this server or another). */
  storeChanged(change: Exclude<StoreChange, { type: 'resync' }>): void {
    if (change.type === 'signals') return this.signals.heard(change.fingerprints);
    const { incidentId, toSeq } = change;
    const room = this.rooms.get(incidentId);
    // A loaded room fans out and advances the summary itself (reading what it has not seen).
    if (room) return room.notified(toSeq);
    const summary = this.summaries.get(incidentId);
    if (!summary || change.summaryChanged) {
      void this.refreshIncident(incidentId);
      return;
    }
    if (toSeq > summary.headSeq) this.summaries.set(incidentId, { ...summary, headSeq: toSeq });
  }

  /** The shared store's notifications may have been missed: re-read every incident, catch up every loaded room. */
  resync(): void {
    this.signals.resync();
    this.core.store.listIncidents(this.name).then(
      (records) => {
        for (const { summary, declareEventId } of records) {
          this.declareIds.set(eventIdKey(declareEventId), summary.id);
          const room = this.rooms.get(summary.id);
          if (room) room.notified(summary.headSeq);
          else this.takeSummary(summary);
        }
      },
      (e: unknown) => this.core.logger.warn('re-reading a channel after a store outage failed', { channel: this.name, error: errorText(e) }),
    );
  }

  /** Re-read one incident's summary from the shared store (one read at a time per incident). */
  private refreshIncident(incidentId: string): Promise<void> {
    const pending = this.refreshing.get(incidentId);
    if (pending) return pending;
    const run = this.core.store.shared!.incident(this.name, incidentId).then(
      (record) => {
        if (!record) return;
        this.declareIds.set(eventIdKey(record.declareEventId), incidentId);
        const room = this.rooms.get(incidentId);
        if (room) room.notified(record.summary.headSeq);
        else this.takeSummary(record.summary);
      },
      (e: unknown) => this.core.logger.warn('reading an incident failed', { channel: this.name, incident: incidentId, error: errorText(e) }),
    ).finally(() => this.refreshing.delete(incidentId));
    this.refreshing.set(incidentId, run);
    return run;
  }

  /** A summary read from the shared store: kept if newer than ours, announced if what it shows changed. */
  private takeSummary(summary: IncidentSummary): void {
    const mine = this.summaries.get(summary.id);
    if (mine && mine.headSeq >= summary.headSeq) return;
    this.summaries.set(summary.id, summary);
    if (mine && sameShown(mine, summary)) return;
    const frame = incidentFrame(summary);
    for (const s of this.sessions) s.send(frame);
  }

  /** Durable events of an incident, in seq order: advance its summary and announce changes to the channel. */
  applyDurable(incidentId: string, events: readonly SequencedEvent[]): void {
    let summary = this.summaries.get(incidentId) ?? null;
    let changed = false;
    for (const e of events) {
      summary = reduceSummary(summary, incidentId, e);
      changed ||= changesSummary(e);
    }
    if (!summary) return;
    this.summaries.set(incidentId, summary);
    if (!changed) return;
    const frame = incidentFrame(summary);
    for (const s of this.sessions) s.send(frame);
  }

  /** A declare whose event never became durable: the incident does not exist. */
  forgetUndeclared(incidentId: string): void {
    if (this.summaries.has(incidentId)) return;
    this.rooms.delete(incidentId);
    for (const [eventId, id] of this.declareIds) if (id === incidentId) this.declareIds.delete(eventId);
  }

  isQuiet(): boolean {
    if (this.pendingDeclares > 0 || !this.signals.isQuiet()) return false;
    for (const r of this.rooms.values()) if (!r.isQuiet()) return false;
    return true;
  }

  /** Drop a room once it has stayed idle for `roomIdleMs`. */
  roomMaybeIdle(room: Room): void {
    if (!room.isIdle() || this.rooms.get(room.incidentId) !== room || this.idleTimers.has(room)) return;
    this.setIdle(room, this.core.roomIdleMs, () => {
      if (room.isIdle() && this.rooms.get(room.incidentId) === room) {
        this.rooms.delete(room.incidentId);
        // Commits of other servers the room heard of but had not read yet: the next room starts from there.
        const summary = this.summaries.get(room.incidentId);
        if (summary && room.knownHeadSeq > summary.headSeq) this.summaries.set(room.incidentId, { ...summary, headSeq: room.knownHeadSeq });
        this.maybeIdle();
      }
    });
  }

  dispose(): void {
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    this.presence.dispose();
    this.signals.dispose();
  }

  private maybeIdle(): void {
    if (this.sessions.size > 0 || this.rooms.size > 0 || this.idleTimers.has(this)) return;
    this.setIdle(this, this.core.channelIdleMs, () => {
      if (this.sessions.size > 0 || this.rooms.size > 0) return;
      // An ingest still under way: look again later.
      if (!this.signals.isQuiet()) return this.maybeIdle();
      this.signals.dispose();
      this.core.dropChannel(this);
    });
  }

  private setIdle(key: Room | ChannelState, ms: number, drop: () => void): void {
    const timer = setTimeout(() => {
      this.idleTimers.delete(key);
      drop();
    }, ms);
    timer.unref?.();
    this.idleTimers.set(key, timer);
  }

  private cancelIdle(key: Room | ChannelState): void {
    const t = this.idleTimers.get(key);
    if (t) {
      clearTimeout(t);
      this.idleTimers.delete(key);
    }
  }
}

/** Whether two summaries show the same (title, severity, status, commander), whatever their headSeq. */
function sameShown(a: IncidentSummary, b: IncidentSummary): boolean {
  return a.title === b.title && a.severity === b.severity && a.status === b.status && a.declaredAt === b.declaredAt
    && a.commander?.id === b.commander?.id && a.commander?.name === b.commander?.name;
}

export { errorText };
export type { ChannelObserver, SessionSink };
