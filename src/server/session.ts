import { CloseCode, type ErrorCode, PROTOCOL_VERSION, Limits } from '../protocol/codes';
import type { User } from '../protocol/events';
import type { DeclareEvent } from '../protocol/events';
import { type ClientMessage, type IncidentSummary, parseClientMessage } from '../protocol/messages';
import { describeZodError } from '../protocol/zodMessage';
import { WatchStatusMessage } from '../status/statusWatch';
import type { Access } from './auth';
import type { ChannelObserver } from './channelObserver';
import { errorText } from './errorText';
import { errorFrame } from './frames';
import { MAX_NESTING, nestingTooDeep, topLevelRequestId } from './frameGuard';
import type { Logger } from './logger';
import type { Room, RoomConnection } from './room';

/**
 * Where a session's frames go: a WebSocket in the server, a callback in the extension's local mode.
 * `send` gets one serialized server message; the same string instance is passed to every subscriber of a fan-out,
 * so a transport may cache its encoding by identity.
 */
export interface SessionSink {
  send(frame: string): void;
  /** End the session with a close code of PROTOCOL.md (4400, 4408, 4429, 1001). */
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written; replay pauses while this is high. Omit when there is no such buffer. */
  bufferedAmount?(): number;
  /** Hold frames until `uncork`, then write them at once (a socket's cork); omit where there is nothing to gain. */
  cork?(): void;
  uncork?(): void;
}

/** What the transport learnt from the credentials a session came with. */
export interface SessionAuth {
  /** The token's name: stamped as `via` beside `actor` on every event the session appends. */
  readonly via?: string;
  /** The user ids (exact) the token may speak for in `hello`; absent or null: anyone. */
  readonly users?: readonly string[] | null;
  /**
   * What the session may do (PROTOCOL.md "Access"): `write` (the default) everything; `read` everything but
   * `declare` and `append`; `public` (no token, a public channel) only `hello`, `list`, `ping` and `watchStatus`,
   * and it never learns who holds a role.
   */
  readonly access?: Access;
  /** Where `watchStatus` is served from; absent: the transport serves no status page (local mode). */
  readonly status?: StatusSource;
}

/** The channels' status pages (src/status/statusFeed.ts), as a session needs them for `watchStatus`. */
export interface StatusSource {
  /**
   * Send `channel`'s status page to `send` now (a `status` frame answering `requestId`) and again on every change,
   * until the returned function is called.
   */
  watch(channel: string, requestId: string, send: (frame: string) => void): () => void;
}

/** A client message of PROTOCOL.md v1, or the status page's `watchStatus`. */
type SessionMessage = ClientMessage | WatchStatusMessage;

/** All a session knows of the server that made it (`ChannelCore`). */
export interface SessionHost {
  readonly logger: Logger;
  readonly observer: ChannelObserver;
  /** Wall clock for `serverTime` (ms since the epoch). */
  readonly now: () => number;
  /** Shutting down: new appends and declares are refused. */
  readonly isClosing: boolean;
  /** The channel's state, loaded once however many sessions ask. */
  channel(name: string): Promise<SessionChannel>;
  /** The session has ended. */
  sessionEnded(session: ChannelSession): void;
}

/** All a session knows of its channel (`ChannelState`). */
export interface SessionChannel {
  join(session: ChannelSession): void;
  leave(session: ChannelSession): void;
  /** The session wrote: presence says when its user was last active. */
  active(session: ChannelSession): void;
  has(incidentId: string): boolean;
  incidents(): IncidentSummary[];
  /** The room of a durable incident, loaded on first use. */
  room(incidentId: string): Room;
  loadedRoom(incidentId: string): Room | undefined;
  declare(session: RoomConnection, requestId: string, event: DeclareEvent, receivedAt: number): void;
  /** The answer to `signals`, serialized (PROTOCOL.md "Signals"). */
  signalsFrame(requestId: string): Promise<string>;
}

/** Replay waits for the peer's outbound buffer to fall below this before sending more. */
const REPLAY_HIGH_WATER = 1024 * 1024;
/** Messages accepted between `hello` and the welcome (while the channel loads). */
const MAX_EARLY_MESSAGES = 1024;

type State = 'new' | 'joining' | 'ready' | 'closed';

/** One client of one channel, speaking PROTOCOL.md. Created by `ChannelCore.connect`. */
export class ChannelSession implements RoomConnection {
  private state: State = 'new';
  private user: User | null = null;
  private channelState: SessionChannel | null = null;
  private readonly early: { msg: SessionMessage; receivedAt: number }[] = [];
  private readonly subscribed = new Set<string>();

  /** The token's name, stamped as `via` on every event this session appends. */
  readonly via: string | undefined;
  private readonly users: ReadonlySet<string> | null;
  /** What this session may do (see `SessionAuth.access`). */
  readonly access: Access;
  private readonly status: StatusSource | undefined;
  private unwatchStatus: (() => void) | null = null;
  /** Asked for `presence` frames in `hello`. */
  wantsPresence = false;
  /** Asked for `signalDigest` frames instead of one `signal` per change, in `hello`. */
  wantsSignalDigest = false;

  constructor(private readonly core: SessionHost, readonly channel: string, private readonly sink: SessionSink, auth: SessionAuth = {}) {
    this.via = auth.via;
    this.users = auth.users ? new Set(auth.users) : null;
    this.access = auth.access ?? 'write';
    this.status = auth.status;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Whether the session has had its `hello` (or is past it): a refused frame before it does not count. */
  get greeted(): boolean {
    return this.state !== 'new';
  }

  /** The user from `hello`, stamped as `actor` on every event this session appends. */
  get actor(): User {
    return this.user ?? { id: 'unknown', name: 'unknown' };
  }

  /** Handle one client frame: text as received, or a value already parsed from JSON. Never throws. */
  receive(raw: string | unknown): void {
    if (this.state === 'closed') return;
    const receivedAt = performance.now();
    let value: unknown = raw;
    if (typeof raw === 'string') {
      if (nestingTooDeep(raw)) return this.refuseInput('invalid_message', `message nests deeper than ${MAX_NESTING} levels`, topLevelRequestId(raw, Limits.requestIdLength));
      try {
        value = JSON.parse(raw);
      } catch {
        return this.refuseInput('invalid_message', 'frame is not valid JSON', topLevelRequestId(raw, Limits.requestIdLength));
      }
    }
    // Checked here too: a JSON string literal handed to parseClientMessage would be taken for frame text.
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.refuseInput('invalid_message', 'message must be a JSON object', undefined);
    const parsed = (value as { type?: unknown }).type === 'watchStatus' ? parseWatchStatus(value) : parseClientMessage(value);
    if (!parsed.ok) return this.refuseInput('invalid_message', parsed.error, requestIdOf(value));
    try {
      this.handle(parsed.value, receivedAt);
    } catch (e) {
      this.core.logger.error('handling a message failed', { channel: this.channel, type: parsed.value.type, error: errorText(e) });
      this.internalError(requestIdOf(value));
    }
  }

  /** Answer a frame the transport refused before parsing it (rate limit, binary, bad UTF-8). */
  refuse(code: ErrorCode, message: string, raw?: string): void {
    if (this.state === 'closed') return;
    // Read without parsing (a refused frame must cost little): a rate-limited frame of any size gets its requestId
    // back, so the client keeps that event queued and resends it instead of waiting for a reconnect.
    this.error(code, message, raw === undefined ? undefined : topLevelRequestId(raw, Limits.requestIdLength));
  }

  /** The peer went away (or the transport closed it). */
  disconnect(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.cleanup();
  }

  /** Close with a code of PROTOCOL.md. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.cleanup();
    try {
      this.sink.close(code, reason);
    } catch (e) {
      this.core.logger.warn('closing a session failed', { channel: this.channel, error: errorText(e) });
    }
  }

  /** @internal send one serialized server message. */
  send(frame: string): void {
    if (this.state === 'closed') return;
    try {
      this.sink.send(this.access === 'public' && frame.startsWith(INCIDENT_FRAME) ? publicIncidentFrame(frame) : frame);
    } catch (e) {
      this.core.logger.warn('sending to a session failed', { channel: this.channel, error: errorText(e) });
      this.close(CloseCode.GoingAway, 'send failed');
    }
  }

  /** @internal bytes queued for the peer and not yet written (0 where the transport has no such buffer). */
  bufferedAmount(): number {
    return this.sink.bufferedAmount?.() ?? 0;
  }

  /** @internal hold what is sent until `uncork`, so many frames leave in one write (signal fan-out). */
  cork(): void {
    this.sink.cork?.();
  }

  /** @internal */
  uncork(): void {
    this.sink.uncork?.();
  }

  /** @internal resolves once the peer's outbound buffer is low enough for more replay (or the session closed). */
  async drained(): Promise<void> {
    const buffered = this.sink.bufferedAmount;
    if (!buffered) return;
    while (this.state !== 'closed' && buffered.call(this.sink) > REPLAY_HIGH_WATER) await new Promise((r) => setTimeout(r, 10));
  }

  /** @internal the server's fault: the client gets no detail (it is logged where it happened). */
  internalError(requestId: string | undefined): void {
    this.error('internal', 'internal server error', requestId);
  }

  private error(code: ErrorCode, message: string, requestId: string | undefined): void {
    this.core.observer.errorSent?.(code);
    this.send(errorFrame(code, message, requestId));
  }

  private refuseInput(code: ErrorCode, message: string, requestId: string | undefined): void {
    this.error(code, message, requestId);
    if (this.state === 'new') this.close(CloseCode.ProtocolError, 'the first message must be hello');
  }

  private handle(msg: SessionMessage, receivedAt: number): void {
    switch (this.state) {
      case 'new':
        return this.hello(msg);
      case 'joining':
        if (this.early.length >= MAX_EARLY_MESSAGES) return this.error('rate_limited', 'too many messages before the welcome', requestIdOf(msg));
        this.early.push({ msg, receivedAt });
        return;
      case 'ready':
        return this.dispatch(msg, receivedAt);
      case 'closed':
        return;
    }
  }

  private hello(msg: SessionMessage): void {
    if (msg.type !== 'hello') {
      this.error('invalid_message', `type: the first message must be hello, got ${msg.type}`, requestIdOf(msg));
      return this.close(CloseCode.ProtocolError, 'the first message must be hello');
    }
    if (msg.protocol !== PROTOCOL_VERSION) {
      this.error('invalid_message', `protocol: unsupported version ${msg.protocol}, this server speaks ${PROTOCOL_VERSION}`, undefined);
      return this.close(CloseCode.ProtocolError, 'unsupported protocol version');
    }
    if (this.users && !this.users.has(msg.user.id)) {
      this.core.logger.warn('identity refused', { channel: this.channel, via: this.via, user: msg.user.id });
      this.error('forbidden', `user.id: the token "${this.via ?? ''}" may not speak for "${msg.user.id}"`, undefined);
      return this.close(CloseCode.Forbidden, 'forbidden: the token may not speak for this user');
    }
    this.user = { id: msg.user.id, name: msg.user.name };
    this.wantsPresence = msg.presence === true;
    this.wantsSignalDigest = msg.signalDigest === true;
    this.state = 'joining';
    this.core.channel(this.channel).then(
      (state) => {
        if (this.state !== 'joining') return;
        this.channelState = state;
        state.join(this);
        this.send(JSON.stringify({
          type: 'welcome', protocol: PROTOCOL_VERSION, channel: this.channel, serverTime: new Date(this.core.now()).toISOString(),
          incidents: this.visible(state.incidents()),
        }));
        this.state = 'ready';
        for (const { msg: m, receivedAt } of this.early.splice(0)) {
          if (this.state !== 'ready') break;
          this.dispatch(m, receivedAt);
        }
      },
      (e: unknown) => {
        this.core.logger.error('loading a channel failed', { channel: this.channel, error: errorText(e) });
        this.internalError(undefined);
        this.close(CloseCode.GoingAway, 'channel unavailable');
      },
    );
  }

  private dispatch(msg: SessionMessage, receivedAt: number): void {
    const channel = this.channelState!;
    const refusal = this.refusal(msg);
    if (refusal !== null) return this.error('forbidden', refusal, 'requestId' in msg ? msg.requestId : undefined);
    switch (msg.type) {
      case 'hello':
        return this.error('invalid_message', 'type: hello was already received on this connection', undefined);
      case 'watchStatus':
        return this.watchStatus(msg.requestId);
      case 'subscribe':
        if (!channel.has(msg.incidentId)) return this.error('unknown_incident', `incidentId: no incident ${msg.incidentId} in channel ${this.channel}`, undefined);
        this.subscribed.add(msg.incidentId);
        return channel.room(msg.incidentId).subscribe(this, msg.afterSeq);
      case 'unsubscribe':
        this.subscribed.delete(msg.incidentId);
        channel.loadedRoom(msg.incidentId)?.unsubscribe(this);
        return;
      case 'declare':
        if (this.core.isClosing) return this.error('internal', 'server shutting down; send it again after reconnecting', msg.requestId);
        channel.active(this);
        return channel.declare(this, msg.requestId, msg.event, receivedAt);
      case 'append':
        if (!channel.has(msg.incidentId)) return this.error('unknown_incident', `incidentId: no incident ${msg.incidentId} in channel ${this.channel}`, msg.requestId);
        if (this.core.isClosing) return this.error('internal', 'server shutting down; send it again after reconnecting', msg.requestId);
        channel.active(this);
        return channel.room(msg.incidentId).append({ session: this, requestId: msg.requestId, event: msg.event, receivedAt });
      case 'list':
        return this.send(JSON.stringify({ type: 'incidents', requestId: msg.requestId, items: this.visible(channel.incidents()) }));
      case 'ping':
        return this.send(JSON.stringify({ type: 'pong', requestId: msg.requestId, serverTime: new Date(this.core.now()).toISOString() }));
      case 'signals':
        return void channel.signalsFrame(msg.requestId).then((frame) => this.send(frame), (e: unknown) => {
          this.core.logger.error('listing signals failed', { channel: this.channel, error: errorText(e) });
          this.internalError(msg.requestId);
        });
    }
  }

  /** Why this session may not send `msg` (its access), or null when it may. */
  private refusal(msg: SessionMessage): string | null {
    if (this.access === 'write') return null;
    const verb = msg.type === 'declare' ? 'declare incidents' : msg.type === 'append' ? 'append events' : null;
    if (this.access === 'read') {
      return verb === null ? null : `${msg.type}: the token "${this.via ?? ''}" is read-only ("access": "read"): it may list, subscribe and receive, not ${verb}`;
    }
    if (msg.type === 'declare' || msg.type === 'append' || msg.type === 'subscribe' || msg.type === 'unsubscribe' || msg.type === 'signals') {
      return `${msg.type}: no token: this public channel serves its status page only (list, ping, watchStatus); ${msg.type} needs a token`;
    }
    return null;
  }

  /** Summaries as this session may see them: a public session never learns who holds a role. */
  private visible(summaries: IncidentSummary[]): IncidentSummary[] {
    return this.access === 'public' ? summaries.map((s) => ({ ...s, commander: null })) : summaries;
  }

  private watchStatus(requestId: string): void {
    if (!this.status) return this.error('invalid_message', 'type: watchStatus: this server serves no status page', requestId);
    this.unwatchStatus?.();
    this.unwatchStatus = this.status.watch(this.channel, requestId, (frame) => this.send(frame));
  }

  private cleanup(): void {
    this.unwatchStatus?.();
    this.unwatchStatus = null;
    this.early.length = 0;
    const channel = this.channelState;
    if (channel) {
      for (const id of this.subscribed) channel.loadedRoom(id)?.unsubscribe(this);
      channel.leave(this);
    }
    this.subscribed.clear();
    this.core.sessionEnded(this);
  }
}

const INCIDENT_FRAME = '{"type":"incident",';

/** An `incident` frame for a public session: the same summary with no commander. */
function publicIncidentFrame(frame: string): string {
  const m = JSON.parse(frame) as { type: 'incident'; summary: IncidentSummary };
  return JSON.stringify({ type: 'incident', summary: { ...m.summary, commander: null } });
}

function parseWatchStatus(value: unknown): { ok: true; value: WatchStatusMessage } | { ok: false; error: string } {
  const parsed = WatchStatusMessage.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: describeZodError(parsed.error) };
}

/** The `requestId` of a frame that failed validation, when it has a usable one (so the error can echo it). */
function requestIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { requestId?: unknown }).requestId;
  return typeof id === 'string' && id.length >= 1 && id.length <= Limits.requestIdLength ? id : undefined;
}
