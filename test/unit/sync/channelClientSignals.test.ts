import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../src/server/channelServer';
import { FileStore } from '../../../src/store/fileStore';
import { ChannelClient, type ChannelClientOptions, type ConnectionStatus } from '../../../src/sync/channelClient';
import { Outbox } from '../../../src/sync/outbox';
import type { ClientMessage, ServerMessage, Signal } from '../../../src/protocol/messages';
import { ChannelError, type Link, type LinkHandlers, type Transport } from '../../../src/sync/transport';
import { WsTransport } from '../../../src/sync/wsTransport';
import { freePort } from '../../support/ports';
import { until } from '../../support/until';

/**
 * The channel client's own life (construction, start, reconnect, retries, liveness, dispose), its incident list,
 * presence and signals (the list, digests, `signal` frames from servers before digests), seen from what the sidebar
 * and the server get. Where a test needs a server to say something specific it talks to a `ws` server on port 0
 * that speaks the protocol by hand; everything else goes to the real channel server.
 */

const FAST_BACKOFF = { initialMs: 50, factor: 2, maxMs: 400, jitter: 0.5 };
type LogLine = { level: 'info' | 'warn' | 'error'; message: string };
/** A frame the client sent, as the scripted server parsed it off the wire. */
type Frame = { type: string; requestId?: string; incidentId?: string; afterSeq?: number; user?: { id: string }; event?: Record<string, unknown> };

/** One connection to the scripted server: what the client sent on it, and how it ended. */
interface Conn {
  readonly index: number;
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** When each frame arrived (performance.now()), in the order of `frames`. */
  readonly times: number[];
  closed?: { code: number; reason: string };
  send(m: object): void;
}

interface Scripted {
  readonly url: string;
  readonly conns: Conn[];
}

const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString();

function summary(id: string, title: string, headSeq = 1) {
  return { id, title, severity: 'SEV2', status: 'investigating', declaredAt: iso(60_000), commander: null, headSeq };
}

function signal(fingerprint: string, status: 'firing' | 'resolved', extra: Partial<Signal> = {}): Signal {
  return {
    fingerprint, status, labels: { alertname: `Alert ${fingerprint}`, severity: 'critical' }, annotations: { summary: `${fingerprint} is wrong` },
    startsAt: iso(600_000), endsAt: status === 'resolved' ? iso(60_000) : null, generatorURL: null, incidentId: null,
    receivedAt: iso(600_000), updatedAt: iso(), ...extra,
  };
}

const actor = { id: 'alice@example.com', name: 'Alice' };
function declared(incidentId: string) {
  const at = iso(60_000);
  return { seq: 1, id: randomUUID(), kind: 'incident.declared', at, receivedAt: at, actor, data: { title: `${incidentId} title`, severity: 'SEV2', symptom: '' } };
}

describe('ChannelClient: its life, its lists, presence and signals', function () {
  this.timeout(30_000);
  let dir: string;
  let server: RunningServer | undefined;
  let wss: WebSocketServer | undefined;
  const clients: ChannelClient[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-client-signals-'));
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const c of clients.splice(0)) c.dispose();
    await server?.close();
    server = undefined;
    if (wss) {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => wss!.close(r));
      wss = undefined;
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function realServer(options: { port?: number; tokens?: Parameters<typeof startServer>[0]['tokens'] } = {}): Promise<RunningServer> {
    const store = new FileStore({ dir: path.join(dir, 'server-data') });
    await store.open();
    server = await startServer({ host: '127.0.0.1', port: options.port ?? 0, store, tokens: options.tokens ?? null });
    return server;
  }

  /**
   * A `ws` server that speaks the protocol by hand. `script` sees every frame first and returns true when it
   * answered it; otherwise a hello gets a welcome with no incidents, a ping its pong, `signals` an empty list.
   */
  async function scripted(script: (conn: Conn, m: Frame) => boolean = () => false, onConnection?: (conn: Conn) => void): Promise<Scripted> {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const conns: Conn[] = [];
    wss.on('connection', (ws) => {
      const conn: Conn = { index: conns.length, ws, frames: [], times: [], send: (m) => ws.send(JSON.stringify(m)) };
      conns.push(conn);
      ws.on('close', (code, reason) => void (conn.closed = { code, reason: reason.toString() }));
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as Frame;
        conn.frames.push(m);
        conn.times.push(performance.now());
        if (script(conn, m)) return;
        if (m.type === 'hello') conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [] });
        if (m.type === 'ping') conn.send({ type: 'pong', requestId: m.requestId, serverTime: iso() });
        if (m.type === 'signals') conn.send({ type: 'signals', requestId: m.requestId, items: [], firing: 0, resolved: 0 });
      });
      onConnection?.(conn);
    });
    return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, conns };
  }

  const ws = (url: string) => new WsTransport({ serverUrl: url, channel: 'payments', token: async () => undefined, connectTimeoutMs: 2000 });

  /** Everything a client's transport did, for the test to look at. */
  interface Watch {
    /** performance.now() of each `open`. */
    readonly opens: number[];
    readonly sent: ClientMessage[];
    /** performance.now() of each of `sent`. */
    readonly sentAt: number[];
    readonly received: ServerMessage[];
    /** The handlers the client gave each open, by open index: a frame still in a socket reaches them late. */
    readonly handlers: LinkHandlers[];
    /** `onClose` deliveries from links, whichever link and whether the client still cares. */
    closes: number;
    /** performance.now() and code of each close the client asked for. */
    readonly closedByClient: { at: number; code: number | undefined }[];
  }

  /**
   * `inner`, watched. `beforeOpen(n)` runs before the n-th open (0-based) reaches the socket: it may wait (a slow
   * connect) or throw (a connect that fails). `hold` returns true to keep a frame from the client (the test may
   * hand it over later through `handlers`).
   */
  function watched(inner: Transport, hooks: { beforeOpen?: (n: number) => Promise<void>; hold?: (m: ServerMessage, n: number) => boolean } = {}): { transport: Transport; w: Watch } {
    const w: Watch = { opens: [], sent: [], sentAt: [], received: [], handlers: [], closes: 0, closedByClient: [] };
    const transport: Transport = {
      get description() { return inner.description; },
      open: async (h) => {
        const n = w.opens.length;
        w.opens.push(performance.now());
        w.handlers[n] = h;
        await hooks.beforeOpen?.(n);
        const link: Link = await inner.open({
          onMessage: (m) => {
            w.received.push(m);
            if (!hooks.hold?.(m, n)) h.onMessage(m);
          },
          onInvalid: (e) => h.onInvalid(e),
          onClose: (f) => {
            w.closes++;
            h.onClose(f);
          },
        });
        return {
          send: (m) => {
            w.sent.push(m);
            w.sentAt.push(performance.now());
            link.send(m);
          },
          close: (code, reason) => {
            w.closedByClient.push({ at: performance.now(), code });
            link.close(code, reason);
          },
        };
      },
    };
    return { transport, w };
  }

  function client(transport: Transport, options: Partial<ChannelClientOptions> = {}, name = 'alice'): { c: ChannelClient; logs: LogLine[] } {
    const logs: LogLine[] = [];
    const c = new ChannelClient({
      transport, outbox: new Outbox(path.join(dir, `client-${name}`), `${transport.description}#${name}`),
      user: () => ({ id: `${name}@example.com`, name }), backoff: FAST_BACKOFF, resendAfterMs: 500,
      log: (level, message) => void logs.push({ level, message }), ...options,
    });
    clients.push(c);
    return { c, logs };
  }

  /** The statuses a client goes through from now on, each once per change. */
  function statusesOf(c: ChannelClient): ConnectionStatus[] {
    const seen: ConnectionStatus[] = [];
    c.onDidChangeConnection((s) => void (seen.at(-1) !== s.status && seen.push(s.status)));
    return seen;
  }

  const online = (c: ChannelClient) => until('online', () => c.connection.status === 'online');
  const sentOf = (w: Watch, type: string) => w.sent.filter((m) => m.type === type);
  const framesOf = (conn: Conn | undefined, type: string) => (conn?.frames ?? []).filter((m) => m.type === type);
  /** When the last frame of `type` came on `conn` (performance.now()). */
  const lastAt = (conn: Conn, type: string) => conn.times.filter((_, i) => conn.frames[i]!.type === type).at(-1) ?? NaN;
  const fingerprints = (signals: readonly Signal[]) => signals.map((s) => s.fingerprint);

  // ---- construction and start ----

  it('before it starts, a client is stopped, knows nobody and no signals, and a ping says it is not connected', async () => {
    const { c } = client(ws(`ws://127.0.0.1:${await freePort()}`));
    assert.equal(c.connection.status, 'stopped');
    assert.deepEqual(c.presence, []);
    assert.deepEqual(c.incidents, []);
    assert.deepEqual(c.signalCounts, { firing: 0, resolved: 0 });
    await assert.rejects(c.ping(2000), /not connected to ws:\/\/127\.0\.0\.1/);
  });

  it('start() twice opens one link; it says connecting, then online', async () => {
    await realServer();
    const { transport, w } = watched(ws(server!.url));
    const { c } = client(transport);
    const statuses = statusesOf(c);
    c.start();
    c.start();
    await online(c);
    await c.ping();
    assert.equal(w.opens.length, 1);
    assert.deepEqual(statuses, ['connecting', 'online']);
  });

  it('"Connect to Channel" on a client not started yet connects it', async () => {
    await realServer();
    const { c } = client(ws(server!.url));
    c.reconnect();
    await online(c);
  });

  it('ping() gives the round trip in milliseconds', async () => {
    await realServer();
    const { c } = client(ws(server!.url));
    c.start();
    await online(c);
    const started = Date.now();
    const ms = await c.ping();
    const elapsed = Date.now() - started;
    assert.equal(typeof ms, 'number');
    assert.ok(ms >= 0 && ms <= elapsed, `ping took ${ms} ms of ${elapsed}`);
  });

  it('the channel\'s incidents, newest declared first, live and after a connect', async () => {
    await realServer();
    const { c: writer } = client(ws(server!.url), {}, 'writer');
    writer.start();
    await online(writer);
    const hour = 3_600_000;
    // Declared in this order (INC-1, INC-2, INC-3), neither oldest nor newest first.
    const declaredAts = [Date.now() - hour, Date.now() - 2 * hour, Date.now()];
    for (const [i, at] of declaredAts.entries()) await (await writer.declare({ title: `incident ${i + 1}`, severity: 'SEV3', symptom: '' }, new Date(at))).incidentId;
    const ids = (c: ChannelClient) => c.incidents.map((s) => s.id).join(' ');
    await until('the three, newest first', () => ids(writer) === 'INC-3 INC-1 INC-2');
    const { c: reader } = client(ws(server!.url), {}, 'reader');
    reader.start();
    await online(reader);
    assert.equal(ids(reader), 'INC-3 INC-1 INC-2');
  });

  it('retries at the pace of its backoff option; while unreachable it says offline, why, and tells no presence change', async () => {
    const port = await freePort();
    const { transport, w } = watched(ws(`ws://127.0.0.1:${port}`));
    const { c, logs } = client(transport, { backoff: { initialMs: 300, factor: 1, maxMs: 300, jitter: 0 } });
    let presenceChanges = 0;
    c.onDidChangePresence(() => void presenceChanges++);
    const statuses = statusesOf(c);
    c.start();
    await until('offline', () => c.connection.status === 'offline');
    const retryIn = (c.connection.retryAt ?? Infinity) - Date.now();
    assert.ok(retryIn <= 300, `next try in ${retryIn} ms (the option says 300)`);
    await until('three tries', () => w.opens.length >= 3);
    assert.deepEqual([...new Set(statuses)], ['connecting', 'offline'], 'unreachable is not refused: it never says forbidden');
    assert.equal(presenceChanges, 0, 'nobody was there, nobody left');
    assert.ok(logs.some((l) => l.level === 'warn' && /^channel link lost: cannot reach ws:\/\/127\.0\.0\.1/.test(l.message)), JSON.stringify(logs));
    assert.deepEqual(logs.filter((l) => l.level === 'error'), []);
  });

  it('a refused token waits at the slow end (30 s) before trying again', async () => {
    await realServer({ tokens: [{ name: 'payments', token: 'good-token-123', channels: ['payments'] }] });
    const { c } = client(new WsTransport({ serverUrl: server!.url, channel: 'payments', token: async () => 'wrong-token' }));
    c.start();
    await until('unauthorized', () => c.connection.status === 'unauthorized');
    const retryIn = (c.connection.retryAt ?? 0) - Date.now();
    assert.ok(retryIn > 29_000, `next try in ${retryIn} ms`);
  });

  // ---- reconnect, retries and superseded links ----

  it('"Connect to Channel" while online: nobody is listed until the new link says, and it never shows offline', async () => {
    await realServer();
    const { transport, w } = watched(ws(server!.url));
    const { c: a } = client(transport, {}, 'alice');
    const { c: b } = client(ws(server!.url), {}, 'bob');
    a.start();
    b.start();
    await Promise.all([online(a), online(b)]);
    await until('alice sees both', () => a.presence.length === 2);
    const statuses = statusesOf(a);
    a.reconnect();
    assert.deepEqual(a.presence, [], 'the dropped link\'s list is gone at once');
    await online(a);
    await until('the old link\'s close came back', () => w.closes >= 1);
    await a.ping();
    await until('alice sees both again', () => a.presence.length === 2);
    assert.equal(a.connection.status, 'online');
    assert.deepEqual(statuses, ['connecting', 'online']);
  });

  it('a frame still in the dropped link\'s socket is not applied after "Connect to Channel"', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'hello') return false;
      const title = conn.index === 0 ? 'Checkout 5xx' : 'Checkout 5xx (current)';
      conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [summary('INC-1', title)] });
      if (conn.index === 0) conn.send({ type: 'incident', summary: summary('INC-1', 'Checkout 5xx (stale)') });
      return true;
    });
    const { transport, w } = watched(ws(server1.url), { hold: (m, n) => n === 0 && m.type === 'incident' });
    const { c } = client(transport);
    c.start();
    await online(c);
    const held = await until('the first link\'s late frame', () => w.received.find((m) => m.type === 'incident'));
    c.reconnect();
    await until('the new link\'s list', () => c.connection.status === 'online' && c.incidents[0]?.title === 'Checkout 5xx (current)');
    w.handlers[0]!.onMessage(held);
    assert.equal(c.incidents[0]?.title, 'Checkout 5xx (current)');
  });

  it('a connect that was superseded (closed, or "Connect to Channel" again) is closed when it opens, without a hello', async () => {
    const server1 = await scripted();
    const gates: (() => void)[] = [];
    const { transport } = watched(ws(server1.url), { beforeOpen: (n) => (n === 0 ? new Promise<void>((r) => gates.push(r)) : Promise.resolve()) });
    const { c } = client(transport);
    c.start();
    await until('connecting', () => gates.length === 1);
    c.reconnect();
    await online(c);
    gates[0]!();
    await until('the superseded socket opened and closed', () => server1.conns.length === 2 && server1.conns.every((k) => k.frames.length > 0 || k.closed));
    const late = server1.conns.find((k) => framesOf(k, 'hello').length === 0);
    assert.ok(late?.closed, 'the late socket is closed');
    assert.equal(server1.conns.flatMap((k) => framesOf(k, 'hello')).length, 1, 'one session');
    await c.ping();

    // Closed while connecting: the socket that opens afterwards is closed at once.
    const server2Conns = server1.conns.length;
    const gates2: (() => void)[] = [];
    const { transport: t2 } = watched(ws(server1.url), { beforeOpen: () => new Promise<void>((r) => gates2.push(r)) });
    const { c: c2 } = client(t2, {}, 'bob');
    c2.start();
    await until('connecting', () => gates2.length === 1);
    c2.dispose();
    gates2[0]!();
    await until('the socket opened and closed', () => server1.conns.length === server2Conns + 1 && server1.conns.at(-1)?.closed);
    assert.deepEqual(server1.conns.at(-1)?.frames, [], 'it never said hello');
  });

  it('a connect that fails after it was superseded does not take the new link down', async () => {
    const server1 = await scripted();
    let failFirst: (() => void) | undefined;
    const { transport } = watched(ws(server1.url), {
      beforeOpen: (n) => (n === 0 ? new Promise<void>((_, reject) => void (failFirst = () => reject(new ChannelError({ kind: 'unreachable', message: 'connect timed out' })))) : Promise.resolve()),
    });
    const { c } = client(transport);
    c.start();
    await until('connecting', () => failFirst !== undefined);
    c.reconnect();
    await online(c);
    const statuses = statusesOf(c);
    failFirst!();
    await c.ping();
    assert.equal(c.connection.status, 'online');
    assert.deepEqual(statuses, []);
    assert.equal(c.connection.lastError, undefined);
  });

  it('"Connect to Channel" while a retry waits replaces that retry: tries keep the backoff\'s spacing, and none is shown pending once online', async () => {
    const port = await freePort();
    const { transport, w } = watched(ws(`ws://127.0.0.1:${port}`));
    const { c } = client(transport, { backoff: { initialMs: 600, factor: 1, maxMs: 600, jitter: 0 } });
    c.start();
    await until('offline', () => c.connection.status === 'offline');
    c.reconnect();
    await until('four tries', () => w.opens.length >= 4, 5000);
    const gaps = w.opens.slice(2).map((t, i) => t - w.opens[i + 1]!);
    assert.ok(gaps.every((g) => g >= 550), `gaps after the reconnect: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);

    // Offline with a retry far off; the server comes; "Connect to Channel": online, and no retry is announced.
    c.dispose();
    const { c: slow } = client(ws(`ws://127.0.0.1:${port}`), { backoff: { initialMs: 20_000, factor: 1, maxMs: 20_000, jitter: 0 } }, 'bob');
    slow.start();
    await until('offline, retrying later', () => slow.connection.status === 'offline' && slow.connection.retryAt !== undefined);
    await realServer({ port });
    slow.reconnect();
    await online(slow);
    assert.equal(slow.connection.retryAt, undefined);
  });

  // ---- liveness ----

  it('pings at its interval while the server answers, and stays online', async () => {
    await realServer();
    const { transport, w } = watched(ws(server!.url));
    const { c } = client(transport, { pingIntervalMs: 50, pingTimeoutMs: 5000 });
    const statuses = statusesOf(c);
    c.start();
    await online(c);
    const liveness = () => w.sent.filter((m) => m.type === 'ping' && m.requestId.startsWith('l:'));
    const answered = () => w.received.filter((m) => m.type === 'pong' && m.requestId.startsWith('l:'));
    await until('eight pings answered', () => answered().length >= 8, 2000);
    assert.ok(liveness().length >= 8);
    assert.deepEqual(statuses, ['connecting', 'online']);
  });

  it('a server that stops answering is dropped after the ping timeout (not before), with the reason; when its socket finally closes the new link stays', async () => {
    let hung: Conn | undefined;
    const server1 = await scripted((conn, m) => {
      if (conn.index === 0 && m.type === 'hello') {
        conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [] });
        hung = conn;
        return true;
      }
      if (conn.index === 0) return true; // a server that stopped answering
      if (m.type === 'hello') hung?.ws.resume(); // …and comes back to life just as the client is on another link
      return false;
    });
    const { transport, w } = watched(ws(server1.url));
    const { c, logs } = client(transport, { pingIntervalMs: 50, pingTimeoutMs: 600 });
    let whyOffline: string | undefined;
    c.onDidChangeConnection((s) => void (s.status === 'offline' && whyOffline === undefined && (whyOffline = s.lastError ?? '')));
    c.start();
    await online(c);
    await until('the server stops reading', () => hung !== undefined);
    hung!.ws.pause();
    const pending = c.ping(10_000).then(() => 'answered', (e: Error) => e.message);
    await until('offline', () => whyOffline !== undefined, 3000);
    assert.equal(await pending, 'link lost', 'a request on the lost link is told so');
    assert.equal(whyOffline, 'the channel server stopped answering');
    const drop = w.closedByClient.find((x) => x.code === 4000);
    assert.ok(drop, 'the hung link is closed with 4000');
    const lastPing = w.sent.map((m, i) => ({ m, at: w.sentAt[i]! })).filter((x) => x.m.type === 'ping' && x.m.requestId.startsWith('l:') && x.at < drop.at).at(-1);
    assert.ok(lastPing, 'a liveness ping went out');
    assert.ok(drop.at - lastPing.at >= 550, `dropped ${(drop.at - lastPing.at).toFixed(0)} ms after the unanswered ping (timeout 600)`);
    assert.ok(logs.some((l) => l.level === 'warn' && /no pong from the channel server/.test(l.message)), JSON.stringify(logs));

    await until('online on a new link', () => c.connection.status === 'online' && server1.conns.length >= 2);
    const statuses = statusesOf(c);
    await until('the hung socket closed at last', () => server1.conns[0]?.closed && w.closes >= 1, 5000);
    assert.equal(server1.conns[0]?.closed?.code, 4000);
    await c.ping();
    assert.deepEqual(statuses, [], 'the new link was never dropped');
    assert.equal(server1.conns.length, 2);
  });

  // ---- subscriptions, pending, dispose ----

  it('subscribing twice replays once; unsubscribing forgets the incident, tells the server once, and no more of its events come', async () => {
    await realServer();
    const { c: writer } = client(ws(server!.url), {}, 'writer');
    writer.start();
    await online(writer);
    const id = await (await writer.declare({ title: 'Focus', severity: 'SEV2', symptom: '' })).incidentId;
    writer.subscribe(id);
    await writer.append(id, 'note.added', { text: 'first', tag: 'note' });
    const { transport, w } = watched(ws(server!.url));
    const { c } = client(transport);
    c.start();
    await online(c);
    const eventsOf = () => w.received.reduce((n, m) => n + (m.type === 'events' && m.incidentId === id ? m.events.length : m.type === 'event' && m.incidentId === id ? 1 : 0), 0);
    c.subscribe(id);
    c.subscribe(id);
    await until('replayed', () => c.incident(id)?.notes.length === 1);
    await c.ping();
    assert.equal(sentOf(w, 'subscribe').length, 1);
    assert.equal(eventsOf(), 2, 'the history came once');

    let changes = 0;
    c.onDidChangeIncident(() => void changes++);
    c.unsubscribe(id);
    assert.equal(c.incident(id), undefined);
    assert.equal(sentOf(w, 'unsubscribe').length, 1);
    c.unsubscribe(id);
    await writer.append(id, 'note.added', { text: 'after the reader left', tag: 'note' });
    await until('the writer has it', () => writer.incident(id)?.notes.length === 2);
    await c.ping();
    assert.deepEqual(sentOf(w, 'unsubscribe'), [{ type: 'unsubscribe', incidentId: id }]);
    assert.equal(eventsOf(), 2, 'no event of it came after the unsubscribe');
    assert.equal(changes, 0);
    assert.equal(c.incident(id), undefined);
  });

  it('pending() lists what an earlier session left queued, in order, before the client connects', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`;
    const { c: before } = client(ws(url));
    await before.append('INC-4', 'note.added', { text: 'one', tag: 'note' });
    await before.append('INC-4', 'note.added', { text: 'two', tag: 'note' });
    before.dispose();
    const { c: after } = client(ws(url));
    const pending = await after.pending();
    assert.deepEqual(pending.map((e) => (e.type === 'append' && e.event.kind === 'note.added' ? e.event.data.text : e.type)), ['one', 'two']);
  });

  it('dispose: stopped, nobody listed, a declaration still waiting is told, and listeners hear nothing more', async () => {
    await realServer();
    const { c: a } = client(ws(server!.url), {}, 'alice');
    const { c: b } = client(ws(server!.url), {}, 'bob');
    a.start();
    b.start();
    await Promise.all([online(a), online(b)]);
    await until('alice sees both', () => a.presence.length === 2);
    a.dispose();
    assert.equal(a.connection.status, 'stopped');
    assert.deepEqual(a.presence, []);

    const { c: offline } = client(ws(`ws://127.0.0.1:${await freePort()}`), {}, 'carol');
    offline.start();
    await until('offline', () => offline.connection.status === 'offline');
    const { incidentId } = await offline.declare({ title: 'Queued', severity: 'SEV2', symptom: '' });
    let heard = 0;
    offline.onDidChangeConnection(() => void heard++);
    offline.dispose();
    await assert.rejects(incidentId, /the channel client was closed/);
    heard = 0;
    await offline.append('INC-1', 'note.added', { text: 'written as the window closed', tag: 'note' });
    assert.equal((await offline.pending()).length, 2, 'it is queued');
    assert.equal(heard, 0, 'but no listener of the closed client hears of it');
  });

  it('a closed client leaves no timer running (liveness, resend)', async () => {
    await realServer();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { c: warm } = client(ws(server!.url), {}, 'warm');
    warm.start();
    await online(warm);
    await warm.ping();
    warm.dispose();
    // The server keeps what a first session made it start; count from when that is steady.
    await until('the server let go of the first session', async () => {
      const n = timers();
      await new Promise((r) => setTimeout(r, 100));
      return timers() === n;
    });
    const before = timers();
    const { c } = client(ws(server!.url), { pingIntervalMs: 100, resendAfterMs: 100 });
    c.start();
    await online(c);
    await c.ping();
    assert.ok(timers() >= before + 2, `${timers()} timers online, ${before} before`);
    c.dispose();
    await until('back to the timers before', () => timers() <= before, 3000);
  });

  // ---- signals ----

  /** Records each signals change: the fingerprints told as fresh, and the list as it is then. */
  function signalChanges(c: ChannelClient): { fresh: string[]; list: string[] }[] {
    const changes: { fresh: string[]; list: string[] }[] = [];
    c.onDidChangeSignals((change) => void changes.push({ fresh: fingerprints(change.fresh), list: fingerprints(c.signals) }));
    return changes;
  }

  it('the list\'s counts are the channel\'s only when the server gives both; else they are counted from the list', async () => {
    const items = [signal('a1', 'firing'), signal('b2', 'firing'), signal('c3', 'resolved')];
    const answers: Record<string, object> = {
      'both@example.com': { firing: 700, resolved: 50 },
      'none@example.com': {},
      'firing@example.com': { firing: 700 },
      'resolved@example.com': { resolved: 50 },
    };
    let user = '';
    const server1 = await scripted((conn, m) => {
      if (m.type === 'hello') user = m.user?.id ?? '';
      if (m.type !== 'signals') return false;
      conn.send({ type: 'signals', requestId: m.requestId, items, ...answers[user] });
      return true;
    });
    const counts: Record<string, object> = {};
    for (const name of ['both', 'none', 'firing', 'resolved']) {
      const { c } = client(ws(server1.url), {}, name);
      const changes = signalChanges(c);
      c.start();
      await until(`${name}: the list`, () => changes.length === 1);
      counts[name] = c.signalCounts;
      c.dispose();
    }
    assert.deepEqual(counts, {
      both: { firing: 700, resolved: 50 }, none: { firing: 2, resolved: 1 }, firing: { firing: 2, resolved: 1 }, resolved: { firing: 2, resolved: 1 },
    });
  });

  it('digests: what newly fires is fresh (once), the rest replaces quietly, the counts are the digest\'s; a digest that left nothing out reads no list', async () => {
    const server1 = await scripted();
    const { c } = client(ws(server1.url), { pingIntervalMs: 1500 });
    const changes = signalChanges(c);
    c.start();
    await until('the list', () => changes.length === 1);
    const conn = server1.conns[0]!;
    const digest = (items: Signal[], firing: number, resolved: number) => conn.send({ type: 'signalDigest', firing, resolved, items, omitted: 0 });
    digest([signal('a1', 'firing')], 1, 0);
    digest([signal('a1', 'firing', { annotations: { summary: 'worse now' } })], 1, 0);
    digest([signal('b2', 'resolved')], 1, 1);
    digest([signal('a1', 'resolved')], 0, 2);
    digest([signal('a1', 'firing', { startsAt: iso(1000) })], 1, 1);
    await until('five digests', () => changes.length === 6);
    assert.deepEqual(changes.map((x) => x.fresh), [[], ['a1'], [], [], [], ['a1']]);
    assert.deepEqual(c.signalCounts, { firing: 1, resolved: 1 });
    assert.deepEqual(fingerprints(c.signals), ['a1', 'b2']);
    assert.equal(c.signals[0]?.status, 'firing');
    // A liveness ping goes 1.5 s after the welcome; a list read 1 s after those digests would come before it.
    await until('a liveness ping', () => framesOf(conn, 'ping').length > 0, 5000);
    assert.equal(framesOf(conn, 'signals').length, 1, 'the list was read once, on connect');
  });

  it('digests that leave changes out: the list is read again once, a second after they stop', async () => {
    const listed = [signal('a1', 'firing'), signal('b2', 'firing'), signal('c3', 'firing'), signal('d4', 'firing')];
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'signals') return false;
      conn.send({ type: 'signals', requestId: m.requestId, items: framesOf(conn, 'signals').length > 1 ? listed : [], firing: 4, resolved: 0 });
      return true;
    });
    const { c } = client(ws(server1.url));
    const changes = signalChanges(c);
    c.start();
    await until('the list', () => changes.length === 1);
    const conn = server1.conns[0]!;
    let lastSent = 0;
    for (let i = 0; i < 4; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      conn.send({ type: 'signalDigest', firing: 4, resolved: 0, items: [listed[i]!], omitted: 3 - i > 0 ? 3 : 1 });
      lastSent = performance.now();
    }
    await until('the list read again', () => framesOf(conn, 'signals').length >= 2, 5000);
    const after = lastAt(conn, 'signals') - lastSent;
    assert.ok(after >= 900 && after < 3000, `read ${after.toFixed(0)} ms after the last digest`);
    await until('the list applied', () => c.signals.length === 4);
    assert.equal(framesOf(conn, 'signals').length, 2, 'read once for the whole storm');
  });

  it('a storm that goes on: the list is read again within five seconds of its first digest, while it still goes on', async function () {
    this.timeout(20_000);
    const server1 = await scripted();
    const { c } = client(ws(server1.url));
    const changes = signalChanges(c);
    c.start();
    await until('the list', () => changes.length === 1);
    const conn = server1.conns[0]!;
    const firstAt = performance.now();
    let n = 0;
    // Digests every 250 ms, each leaving changes out, for up to 8 s or until the client reads the list.
    while (framesOf(conn, 'signals').length < 2 && performance.now() - firstAt < 8000) {
      conn.send({ type: 'signalDigest', firing: 9000 + n, resolved: 0, items: [signal(`s${n}`, 'firing')], omitted: 500 });
      n++;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(framesOf(conn, 'signals').length >= 2, 'the list was read while the storm went on');
    const readAfter = lastAt(conn, 'signals') - firstAt;
    assert.ok(readAfter >= 4500 && readAfter < 6000, `read ${readAfter.toFixed(0)} ms after the first digest`);
  });

  it('a server before digests tells each change in a `signal` frame: fresh only when it starts firing, the list in order', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'signals') return false;
      conn.send({ type: 'signals', requestId: m.requestId, items: [] }); // no counts: a server before digests
      return true;
    });
    const { c } = client(ws(server1.url));
    const changes = signalChanges(c);
    c.start();
    await until('the list', () => changes.length === 1);
    const conn = server1.conns[0]!;
    const tell = (s: Signal) => conn.send({ type: 'signal', signal: s });
    tell(signal('a1', 'firing', { startsAt: iso(300_000) }));
    tell(signal('a1', 'firing', { startsAt: iso(300_000), annotations: { summary: 'worse now' } }));
    tell(signal('b2', 'resolved', { endsAt: iso(120_000) }));
    tell(signal('a1', 'resolved', { startsAt: iso(300_000), endsAt: iso(1000) }));
    tell(signal('c3', 'firing'));
    await until('five changes', () => changes.length === 6);
    assert.deepEqual(changes.map((x) => x.fresh), [[], ['a1'], [], [], [], ['c3']]);
    assert.deepEqual(changes.map((x) => x.list.join(' ')), ['', 'a1', 'a1', 'a1 b2', 'a1 b2', 'c3 a1 b2']);
    assert.deepEqual(c.signalCounts, { firing: 1, resolved: 2 });
  });

  it('a server that refuses `signals` (one before them): what was shown is kept, and nothing breaks', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'signals') return false;
      if (conn.index === 0) conn.send({ type: 'signals', requestId: m.requestId, items: [signal('a1', 'firing')] });
      else conn.send({ type: 'error', requestId: m.requestId, code: 'invalid_message', message: 'type: unknown message type "signals"' });
      return true;
    });
    const { c } = client(ws(server1.url));
    const changes = signalChanges(c);
    c.start();
    await until('the list', () => changes.length === 1);
    assert.deepEqual(fingerprints(c.signals), ['a1']);
    server1.conns[0]!.ws.terminate();
    await until('on the older server', () => server1.conns.length === 2 && c.connection.status === 'online');
    await until('it refused', () => framesOf(server1.conns[1], 'signals').length === 1);
    await c.ping();
    assert.deepEqual(fingerprints(c.signals), ['a1']);
    assert.deepEqual(c.signalCounts, { firing: 1, resolved: 0 });
    assert.equal(changes.length, 1);
    assert.deepEqual(unhandled, []);
  });

  // Before the fix, `request()` turned an `error` reply into a rejection that `loadSignals` caught as `undefined`, so
  // the log never said why the sidebar had no signals.
  it('a server that refuses `signals` is named in the log, once per connect; a lost link is not', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'signals') return false;
      // The first link is refused; the second never answers and is lost.
      if (conn.index === 0) conn.send({ type: 'error', requestId: m.requestId, code: 'invalid_message', message: 'type: unknown message type "signals"' });
      return true;
    });
    const { c, logs } = client(ws(server1.url));
    c.start();
    await until('it refused', () => framesOf(server1.conns[0], 'signals').length === 1);
    await online(c);
    await c.ping();
    server1.conns[0]!.ws.terminate();
    await until('asked on the next link', () => framesOf(server1.conns[1], 'signals').length === 1 && c.connection.status === 'online');
    server1.conns[1]!.ws.terminate();
    await until('that link lost too', () => c.connection.status !== 'online');
    await until('and back', () => server1.conns.length === 3 && c.connection.status === 'online');
    const said = logs.filter((l) => /keeps no signals/.test(l.message));
    assert.equal(said.length, 1, JSON.stringify(logs));
    assert.equal(said[0]!.level, 'info');
    assert.match(said[0]!.message, /unknown message type "signals"/);
  });

  // Before the fix, the list's answer was applied after an `await`, i.e. after every frame that came in the same read
  // from the socket (ws hands them over in one task): a digest right behind the answer was applied first and then
  // wiped by the older list. PROTOCOL.md: digests that follow the answer are never older than it.
  it('a digest right behind the list\'s answer is kept, with its counts', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'signals') return false;
      conn.send({ type: 'signals', requestId: m.requestId, items: [signal('a1', 'firing')], firing: 1, resolved: 0 });
      conn.send({ type: 'signalDigest', firing: 2, resolved: 0, items: [signal('b2', 'firing')], omitted: 0 });
      return true;
    });
    const { c } = client(ws(server1.url));
    c.start();
    await until('the list', () => c.signals.length > 0);
    await c.ping();
    assert.deepEqual(fingerprints(c.signals).sort(), ['a1', 'b2']);
    assert.deepEqual(c.signalCounts, { firing: 2, resolved: 0 });
  });

  it('a list read due when the link drops is not read on the next link too: that link reads it once, on its welcome', async () => {
    const server1 = await scripted();
    const { c } = client(ws(server1.url), { pingIntervalMs: 1500 });
    c.start();
    await online(c);
    await until('the list', () => framesOf(server1.conns[0], 'signals').length === 1);
    await c.ping();
    server1.conns[0]!.send({ type: 'signalDigest', firing: 9, resolved: 0, items: [signal('a1', 'firing')], omitted: 8 });
    await until('the digest', () => c.signalCounts.firing === 9);
    server1.conns[0]!.ws.terminate();
    await until('the next link', () => server1.conns.length === 2 && c.connection.status === 'online');
    // Its first liveness ping goes 1.5 s after its welcome: after the read the digest had made due (1 s after it).
    await until('a liveness ping on the next link', () => framesOf(server1.conns[1], 'ping').length > 0, 5000);
    assert.equal(framesOf(server1.conns[1], 'signals').length, 1);
  });

  // ---- what the server says, and how it goes ----

  it('an incident subscribed while the link is still being set up is asked for once, after the welcome', async () => {
    let welcome: (() => void) | undefined;
    const server1 = await scripted((conn, m) => {
      if (m.type === 'hello') {
        welcome = () => conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [summary('INC-1', 'Slow welcome')] });
        return true;
      }
      if (m.type === 'subscribe') conn.send({ type: 'events', incidentId: 'INC-1', events: [declared('INC-1')], headSeq: 1 });
      return false;
    });
    const { c } = client(ws(server1.url));
    c.start();
    await until('the hello', () => welcome !== undefined);
    c.subscribe('INC-1');
    welcome!();
    await until('the incident', () => c.incident('INC-1')?.headSeq === 1);
    await c.ping();
    assert.deepEqual(framesOf(server1.conns[0], 'subscribe').map((m) => m.afterSeq), [0]);
  });

  it('an invalid frame from the server is logged as a warning and ignored; the link stays', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type === 'signals') conn.ws.send(JSON.stringify({ type: 'event', incidentId: 'INC-1' }));
      return false;
    });
    const { c, logs } = client(ws(server1.url));
    c.start();
    await online(c);
    await until('the warning', () => logs.some((l) => /ignored an invalid frame from the server/.test(l.message)));
    const line = logs.find((l) => /ignored an invalid frame/.test(l.message))!;
    assert.equal(line.level, 'warn');
    assert.match(line.message, /^ignored an invalid frame from the server: .*event/);
    await c.ping();
    assert.equal(c.connection.status, 'online');
  });

  it('a protocol error close is logged as an error; a server going away only as a lost link; both retry soon', async () => {
    const server1 = await scripted((conn, m) => {
      if (m.type !== 'hello') return false;
      if (conn.index === 0) conn.ws.close(4400, 'unsupported protocol version 1');
      else if (conn.index === 1) {
        conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [] });
        conn.ws.close(1001, 'server shutting down');
      } else return false;
      return true;
    });
    const { c, logs } = client(ws(server1.url));
    const statuses = statusesOf(c);
    c.start();
    await until('the third link', () => server1.conns.length === 3 && c.connection.status === 'online');
    assert.ok(!statuses.includes('forbidden'), statuses.join(' '));
    assert.deepEqual(logs.filter((l) => l.level === 'error').map((l) => l.message), ['the server closed the link: protocol error (unsupported protocol version 1)']);
    const lost = logs.filter((l) => /^channel link lost/.test(l.message));
    assert.deepEqual(lost.map((l) => [l.level, l.message]), [
      ['warn', 'channel link lost: unsupported protocol version 1'],
      ['warn', 'channel link lost: server shutting down'],
    ]);
  });

  it('after a reconnect (asked for, or after a lost link) a hole in the replay is asked about at once, not on the old link\'s schedule', async () => {
    const at = iso(60_000);
    const event = (seq: number) => (seq === 1 ? declared('INC-1')
      : { seq, id: randomUUID(), kind: 'note.added', at, receivedAt: at, actor, data: { text: `n${seq}`, tag: 'note' } });
    const server1 = await scripted((conn, m) => {
      if (m.type === 'hello') {
        conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [summary('INC-1', 'Holes', 6)] });
        return true;
      }
      if (m.type !== 'subscribe') return false;
      // The first link's replay stops at 3 of 6 (more coming, no hole yet); later ones skip seq 4, which nobody declares.
      const seqs = conn.index === 0 ? [1, 2, 3] : [1, 2, 3, 5, 6];
      conn.send({ type: 'events', incidentId: 'INC-1', events: seqs.filter((q) => q > (m.afterSeq ?? 0)).map(event), headSeq: 6 });
      return true;
    });
    // Checks 300 ms, then 3 s apart (no jitter); a retry after a lost link comes after 300 ms.
    const { c } = client(ws(server1.url), { backoff: { initialMs: 300, factor: 10, maxMs: 30_000, jitter: 0 } });
    const subscribes = (n: number) => framesOf(server1.conns[n], 'subscribe').length;
    c.subscribe('INC-1');
    c.start();
    await until('three events', () => c.incident('INC-1')?.headSeq === 3);
    await until('checked once (the next check is 3 s off)', () => subscribes(0) === 2);
    c.reconnect();
    await until('the hole asked about again at once', () => subscribes(1) >= 2, 1000);
    await until('checked once on that link too', () => subscribes(1) >= 3);

    server1.conns[1]!.ws.terminate();
    await until('the retry\'s link', () => server1.conns.length === 3);
    await until('after the lost link too', () => subscribes(2) >= 2, 1000);
    assert.deepEqual(framesOf(server1.conns[2], 'subscribe').map((m) => m.afterSeq).slice(0, 2), [3, 3]);
    assert.equal(c.incident('INC-1')?.headSeq, 3);
  });

  it('a note acked before its event came stays shown as pending when another incident is unsubscribed', async () => {
    let release: (() => void) | undefined;
    const server1 = await scripted((conn, m) => {
      if (m.type === 'hello') {
        conn.send({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: iso(), incidents: [summary('INC-1', 'One'), summary('INC-2', 'Two')] });
        return true;
      }
      if (m.type === 'subscribe') {
        conn.send({ type: 'events', incidentId: m.incidentId, events: [declared(m.incidentId!)], headSeq: 1 });
        return true;
      }
      if (m.type === 'append') {
        const e = m.event as { id: string };
        conn.send({ type: 'ack', requestId: m.requestId, incidentId: m.incidentId, eventId: e.id, seq: 2, duplicate: false });
        // The server acks first and fans out after: here, much after.
        release = () => conn.send({ type: 'event', incidentId: m.incidentId, event: { ...m.event, seq: 2, receivedAt: iso(), actor } });
        return true;
      }
      return false;
    });
    const { c } = client(ws(server1.url));
    c.start();
    await online(c);
    c.subscribe('INC-1');
    c.subscribe('INC-2');
    await until('both', () => c.incident('INC-1')?.headSeq === 1 && c.incident('INC-2')?.headSeq === 1);
    const id = await c.append('INC-1', 'note.added', { text: 'db at 100% cpu', tag: 'fact' });
    await until('acked and out of the outbox', () => release !== undefined && c.connection.queued === 0);
    assert.deepEqual(c.pendingNow().map((e) => e.event.id), [id]);
    c.unsubscribe('INC-2');
    assert.deepEqual(c.pendingNow().map((e) => e.event.id), [id], 'still shown: it is not on the timeline yet');
    release!();
    await until('on the timeline', () => c.incident('INC-1')?.notes.length === 1);
    assert.deepEqual(c.pendingNow(), []);
  });
});
