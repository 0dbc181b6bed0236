import type { IncidentState } from '../core/incidentState';
import { emptyIncident, fold, reduce, reduceLost } from '../core/reducer';
import type { SequencedEvent } from '../protocol/events';
import { type IncidentSummary, type LostSeqs, parseServerMessage } from '../protocol/messages';
import type { Logger } from '../server/logger';
import type { SessionAuth, SessionSink, StatusSource } from '../server/session';
import { MAX_RESOLVED, RECENTLY_RESOLVED_MS, statusPage } from './statusModel';
import type { StatusPage } from './statusSchema';

/** All the feeds need of the channel server's core (`ChannelCore`): in-process sessions and its clock. */
export interface FeedHost {
  connect(channel: string, sink: SessionSink, auth?: SessionAuth): { receive(raw: unknown): void; disconnect(): void };
  readonly now: () => number;
  readonly isClosing: boolean;
  readonly logger: Logger;
}

/** A status page that has not caught up within this long is answered with 503. */
const READY_TIMEOUT_MS = 5_000;
/** How long a feed nobody watches stays (a page reloading, status.json polled) before its session ends. */
const IDLE_MS = 30_000;
/** How often a watched page is rebuilt when nothing happens (resolved incidents leave it after 72 hours). */
const TICK_MS = 60_000;
/** Resolved incidents looked at when a feed starts: the newest by number (the page shows at most `MAX_RESOLVED`). */
const RESOLVED_CANDIDATES = 2 * MAX_RESOLVED;

interface Watcher {
  readonly send: (frame: string) => void;
  /** The `watchStatus` still to answer (its first frame carries it); null once answered. */
  requestId: string | null;
}

/**
 * One channel's status page, kept live by an in-process protocol client of the channel core (Hocuspocus's
 * DirectConnection): it says hello, subscribes to the open incidents and the recently resolved ones, folds their
 * events with the core reducer and rebuilds the page (statusModel.ts) when they change. The page holds only what
 * stakeholders may see; the folded states never leave this object.
 */
class StatusFeed {
  private readonly session: ReturnType<FeedHost['connect']>;
  private readonly summaries = new Map<string, IncidentSummary>();
  private readonly states = new Map<string, IncidentState>();
  /** Incidents whose replay has not reached the head the server named yet (Infinity: no reply yet). */
  private readonly catchingUp = new Map<string, number>();
  private readonly readyWaiters: (() => void)[] = [];
  readonly watchers = new Set<Watcher>();
  private welcomed = false;
  private ready = false;
  private scheduled = false;
  private lastContent = '';
  private lastFrame = '';
  private tick: NodeJS.Timeout | undefined;
  closed = false;

  constructor(private readonly host: FeedHost, readonly channel: string, private readonly onClose: (feed: StatusFeed) => void) {
    this.session = host.connect(channel, {
      send: (frame) => this.receive(frame),
      close: () => this.ended(),
    }, { access: 'read' });
    this.session.receive({ type: 'hello', protocol: 1, clientId: `status-feed-${channel}`, user: { id: 'status-page', name: 'Status page' } });
  }

  /** Resolves once every incident the page shows has been replayed up to its head. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The page now. */
  page(): StatusPage {
    return statusPage(this.channel, this.states.values(), this.host.now());
  }

  watch(watcher: Watcher): void {
    this.watchers.add(watcher);
    if (this.ready) this.answer(watcher);
    if (!this.tick) {
      this.tick = setInterval(() => this.schedule(), TICK_MS);
      this.tick.unref();
    }
  }

  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) this.stopTick();
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTick();
    this.session.disconnect();
  }

  private stopTick(): void {
    clearInterval(this.tick);
    this.tick = undefined;
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTick();
    this.onClose(this);
  }

  private receive(frame: string): void {
    const parsed = parseServerMessage(frame);
    if (!parsed.ok) {
      this.host.logger.error('status feed: a frame from the core failed its schema', { channel: this.channel, error: parsed.error });
      return;
    }
    const m = parsed.value;
    switch (m.type) {
      case 'welcome':
        this.welcomed = true;
        for (const s of m.incidents) this.summaries.set(s.id, s);
        for (const id of this.initialIncidents()) this.subscribe(id);
        break;
      case 'incident':
        this.summaries.set(m.summary.id, m.summary);
        if (!this.states.has(m.summary.id) && !this.catchingUp.has(m.summary.id) && m.summary.status !== 'resolved') this.subscribe(m.summary.id);
        break;
      case 'events':
        this.apply(m.incidentId, m.events, m.lost ?? []);
        if ((this.states.get(m.incidentId)?.headSeq ?? 0) >= m.headSeq) this.catchingUp.delete(m.incidentId);
        else if (this.catchingUp.has(m.incidentId)) this.catchingUp.set(m.incidentId, m.headSeq);
        break;
      case 'event':
        this.apply(m.incidentId, [m.event], []);
        break;
      case 'error':
        this.host.logger.warn('status feed: the core refused a request', { channel: this.channel, code: m.code, message: m.message });
        return;
      default:
        return;
    }
    this.checkReady();
    this.schedule();
  }

  /** The open incidents, and the newest resolved ones (which of those were resolved lately, their events say). */
  private initialIncidents(): string[] {
    const byNumber = [...this.summaries.values()].sort((a, b) => Number(b.id.slice(4)) - Number(a.id.slice(4)));
    const open = byNumber.filter((s) => s.status !== 'resolved');
    const resolved = byNumber.filter((s) => s.status === 'resolved').slice(0, RESOLVED_CANDIDATES);
    return [...open, ...resolved].map((s) => s.id);
  }

  private subscribe(incidentId: string): void {
    this.catchingUp.set(incidentId, Infinity);
    this.session.receive({ type: 'subscribe', incidentId, afterSeq: this.states.get(incidentId)?.headSeq ?? 0 });
  }

  /** Fold events (and lost ranges, which count as held) in seq order. */
  private apply(incidentId: string, events: readonly SequencedEvent[], lost: readonly LostSeqs[]): void {
    let state = this.states.get(incidentId) ?? emptyIncident(incidentId);
    const ranges = [...lost].sort((a, b) => a.fromSeq - b.fromSeq);
    let run: SequencedEvent[] = [];
    for (const e of events) {
      if (ranges.length > 0 && ranges[0]!.fromSeq <= e.seq) {
        state = fold(incidentId, run, state);
        run = [];
        while (ranges.length > 0 && ranges[0]!.fromSeq <= e.seq) state = reduceLost(state, ranges.shift()!);
      }
      run.push(e);
    }
    state = run.length === 1 ? reduce(state, run[0]!) : fold(incidentId, run, state);
    for (const r of ranges) state = reduceLost(state, r);
    this.states.set(incidentId, state);
  }

  private checkReady(): void {
    if (this.ready || !this.welcomed || this.catchingUp.size > 0) return;
    this.ready = true;
    // Resolved incidents that left the page long ago need not stay loaded.
    const now = this.host.now();
    for (const [id, s] of this.states) {
      const resolvedAt = s.status === 'resolved' ? Date.parse(s.statusHistory.at(-1)?.at ?? s.declaredAt) : NaN;
      if (now - resolvedAt > RECENTLY_RESOLVED_MS) {
        this.states.delete(id);
        this.session.receive({ type: 'unsubscribe', incidentId: id });
      }
    }
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private schedule(): void {
    if (this.scheduled || !this.ready) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.publish();
    });
  }

  /** Send the page to every watcher if what it shows changed (or to a watcher still waiting for its answer). */
  private publish(): void {
    if (this.closed) return;
    const page = this.page();
    const content = JSON.stringify([page.open, page.recentlyResolved]);
    if (content !== this.lastContent) {
      this.lastContent = content;
      // One string for every watcher: the transport encodes it once.
      this.lastFrame = JSON.stringify({ type: 'status', page });
      for (const w of this.watchers) if (w.requestId === null) w.send(this.lastFrame);
    }
    for (const w of this.watchers) if (w.requestId !== null) this.answer(w, page);
  }

  private answer(w: Watcher, page = this.page()): void {
    const requestId = w.requestId;
    w.requestId = null;
    w.send(requestId === null ? JSON.stringify({ type: 'status', page }) : JSON.stringify({ type: 'status', requestId, page }));
  }
}

/**
 * The status pages of every channel someone is looking at: one feed per channel, kept while a page watches it and
 * for `IDLE_MS` after the last look. Serves `watchStatus` (StatusSource) and `GET …/status.json` (`snapshot`).
 */
export class StatusFeeds implements StatusSource {
  private readonly feeds = new Map<string, StatusFeed>();
  private readonly idle = new Map<string, NodeJS.Timeout>();

  constructor(private readonly host: FeedHost, private readonly idleMs = IDLE_MS) {}

  watch(channel: string, requestId: string, send: (frame: string) => void): () => void {
    const watcher: Watcher = { send, requestId };
    this.feed(channel).watch(watcher);
    return () => {
      const feed = this.feeds.get(channel);
      if (!feed) return;
      feed.unwatch(watcher);
      if (feed.watchers.size === 0) this.idleLater(channel);
    };
  }

  /** The channel's page once its feed has caught up; rejects after `timeoutMs`. */
  async snapshot(channel: string, timeoutMs = READY_TIMEOUT_MS): Promise<StatusPage> {
    const feed = this.feed(channel);
    if (feed.watchers.size === 0) this.idleLater(channel);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        feed.whenReady(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the status of ${channel} did not load within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return feed.page();
  }

  /** Feeds loaded now (for tests and metrics). */
  get size(): number {
    return this.feeds.size;
  }

  close(): void {
    for (const t of this.idle.values()) clearTimeout(t);
    this.idle.clear();
    for (const f of this.feeds.values()) f.dispose();
    this.feeds.clear();
  }

  private feed(channel: string): StatusFeed {
    clearTimeout(this.idle.get(channel));
    this.idle.delete(channel);
    let feed = this.feeds.get(channel);
    if (!feed) {
      feed = new StatusFeed(this.host, channel, (ended) => this.ended(ended));
      this.feeds.set(channel, feed);
    }
    return feed;
  }

  /** A feed whose session the core ended: its watchers move to a new one, unless the server is shutting down. */
  private ended(feed: StatusFeed): void {
    if (this.feeds.get(feed.channel) !== feed) return;
    this.feeds.delete(feed.channel);
    if (this.host.isClosing || feed.watchers.size === 0) return;
    const next = this.feed(feed.channel);
    for (const w of feed.watchers) next.watch(w);
  }

  private idleLater(channel: string): void {
    clearTimeout(this.idle.get(channel));
    const timer = setTimeout(() => {
      this.idle.delete(channel);
      const feed = this.feeds.get(channel);
      if (feed && feed.watchers.size === 0) {
        this.feeds.delete(channel);
        feed.dispose();
      }
    }, this.idleMs);
    timer.unref();
    this.idle.set(channel, timer);
  }
}
