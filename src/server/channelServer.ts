import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode, Limits } from '../protocol/codes';
import type { EventStore } from '../store/eventStore';
import { StatusFeeds } from '../status/statusFeed';
import { STATUS_HEADERS, StatusAssets, statusShell } from '../status/statusHttp';
import { statusRoute } from '../status/statusPaths';
import { alertsRoute, MAX_ALERT_BODY_BYTES, serveAlerts, type AlertIntakeHost } from './alertIntake';
import {
  type Access, assertBindable, Authorizer, bearerToken, channelFromPath, isLoopback, isLoopbackHostHeader, offersSubprotocol, originAllowed, SUBPROTOCOL,
  subprotocolToken, type TokenEntry,
} from './auth';
import { ChannelCore } from './channel';
import { type Logger, silentLogger } from './logger';
import type { ServerMetrics } from './metrics';
import { FrameIntake } from './frameIntake';
import type { ChannelSession, SessionSink } from './session';
import { defaultMaxConnections, SocketGuard, type SocketRefusal } from './socketGuard';

/** Per-connection limits (PROTOCOL.md "Transport"); the defaults suit people, a benchmark raises the rate. */
export interface ConnectionLimits {
  /** Largest frame accepted; above it the connection is closed with 1009. */
  readonly maxFrameBytes: number;
  readonly messagesPerSecond: number;
  readonly burst: number;
  /** Refused messages tolerated before closing with 4429 (see `ConnectionRateLimit`). */
  readonly patience: number;
  /** Unsent bytes a connection may have queued before it is closed with 4408. */
  readonly maxBufferedBytes: number;
  /** WebSocket ping period; a peer that misses two pings is dropped. */
  readonly pingIntervalMs: number;
  /** How long a closing connection gets to finish the close handshake before it is cut. */
  readonly closeGraceMs: number;
  /**
   * How long a socket gets to send a complete request or upgrade (and to wait between two requests), and a session
   * to send `hello`; it is then closed.
   */
  readonly handshakeTimeoutMs: number;
  /**
   * Sockets open at once, sessions included. At the cap a new socket pushes out the oldest one that has not upgraded,
   * or is refused when all are sessions. Default: 10,000, or fewer to stay within the process's descriptor limit.
   */
  readonly maxConnections: number;
  /** Sockets one remote address may have open that have not upgraded yet (behind a reverse proxy, all share one). */
  readonly maxPendingPerAddress: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxFrameBytes: Limits.maxFrameBytes,
  messagesPerSecond: 200,
  burst: 1000,
  patience: 200,
  maxBufferedBytes: 8 * 1024 * 1024,
  pingIntervalMs: 15_000,
  closeGraceMs: 2_000,
  handshakeTimeoutMs: 5_000,
  maxConnections: 10_000,
  maxPendingPerAddress: 32,
};

/**
 * What the transport reports to. The CLI passes `ServerMetrics` (prom-client, served on /metrics); the extension's
 * local mode passes nothing, so the extension bundle carries no metrics library.
 */
export type MetricsSink = Pick<ServerMetrics, 'observer' | 'commit' | 'track'> & {
  readonly connections: { inc(): void; dec(): void };
  readonly connectionsTotal: { inc(): void };
  readonly authRefusals: { inc(labels: { status: string }): void };
  readonly socketRefusals: { inc(labels: { reason: string }): void };
  readonly closes: { inc(labels: { code: string }): void };
  readonly registry: { metrics(): Promise<string>; readonly contentType: string } | null;
};

const counter = { inc: () => undefined, dec: () => undefined };
/** Metrics that go nowhere (no /metrics endpoint). */
export const NO_METRICS: MetricsSink = {
  observer: () => ({}), commit: () => undefined, track: () => undefined,
  connections: counter, connectionsTotal: counter, authRefusals: counter, socketRefusals: counter, closes: counter, registry: null,
};

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** An opened store; the server owns it from here and closes it in `close()`. */
  readonly store: EventStore;
  /** null: no tokens, everyone accepted, and only a loopback host may be bound. */
  readonly tokens: readonly TokenEntry[] | null;
  readonly logger?: Logger;
  readonly limits?: Partial<ConnectionLimits>;
  /** Default: none (the /metrics endpoint answers 404). */
  readonly metrics?: MetricsSink;
  /**
   * Origins (as `parseOrigin` normalises them, e.g. `https://incidents.example.com`) whose web pages may open
   * sessions. An upgrade carrying any other `Origin` is refused with 403, with or without tokens. Default: none.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * A second listener that serves /healthz and /metrics without a token (and no channels), for a scraper on the same
   * host. Without it /metrics is served on the channel port only to a token granted `metrics`.
   */
  readonly metricsListener?: { readonly host: string; readonly port: number } | null;
  readonly roomIdleMs?: number;
  /** Where the status page's script and style are (dist/status-page.js, .css). Default: next to the server bundle. */
  readonly statusAssetsDir?: string;
  /** The largest alerts webhook body taken (413 above it). Default `MAX_ALERT_BODY_BYTES` (16 MiB). */
  readonly maxAlertBodyBytes?: number;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `ws://HOST:PORT` */
  readonly url: string;
  readonly core: ChannelCore;
  readonly metrics: MetricsSink;
  /** The metrics listener's port, when there is one. */
  readonly metricsPort: number | null;
  /** `http://HOST:PORT/metrics` of the metrics listener, when there is one. */
  readonly metricsUrl: string | null;
  /** Open WebSocket connections. */
  connectionCount(): number;
  /** Stop accepting, let everything sequenced become durable and acked, close sessions with 1001, close the store. */
  close(): Promise<void>;
}

interface Connection {
  readonly ws: WebSocket;
  readonly channel: string;
  session: ChannelSession | null;
  missedPings: number;
  closing: boolean;
  closeTimer?: NodeJS.Timeout;
}

/** Start the channel server: HTTP (/healthz, /metrics) and WebSocket upgrades (/v1/channels/NAME) on one port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const tokens = options.tokens && options.tokens.length > 0 ? options.tokens : null;
  assertBindable(options.host, tokens);
  const configured = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined)) as Partial<ConnectionLimits>;
  const limits: ConnectionLimits = {
    ...DEFAULT_LIMITS,
    maxConnections: configured.maxConnections ?? defaultMaxConnections(DEFAULT_LIMITS.maxConnections),
    ...configured,
  };
  const logger = options.logger ?? silentLogger;
  const store = options.store;
  const metrics = options.metrics ?? NO_METRICS;
  const authorizer = new Authorizer(tokens);
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  store.onCommit?.((info) => metrics.commit(info));
  const core = new ChannelCore({ store, logger, observer: metrics.observer(), ...(options.roomIdleMs !== undefined ? { roomIdleMs: options.roomIdleMs } : {}) });
  metrics.track({ stats: () => store.stats(), health: () => store.health(), rooms: () => core.stats().rooms });
  const connections = new Set<Connection>();
  let closing: Promise<void> | null = null;
  const statusFeeds = new StatusFeeds(core);
  const statusAssets = new StatusAssets(options.statusAssetsDir ?? __dirname);
  const alertIntake: AlertIntakeHost = {
    authorizer, logger, maxBodyBytes: options.maxAlertBodyBytes ?? MAX_ALERT_BODY_BYTES,
    isClosing: () => closing !== null || core.isClosing,
    refused: (status) => {
      if (status === 401 || status === 403) metrics.authRefusals.inc({ status: String(status) });
    },
    vouched: (req) => guard.vouched(req.socket),
    ingest: (channel, alerts, via) => core.ingestAlerts(channel, alerts, via),
  };

  // One encoding per frame string: a fan-out hands the same string to every subscriber's sink.
  let lastFrame = '';
  let lastBytes = Buffer.alloc(0);
  const encode = (frame: string): Buffer => {
    if (frame !== lastFrame) {
      lastBytes = Buffer.from(frame, 'utf8');
      lastFrame = frame;
    }
    return lastBytes;
  };

  const closeConnection = (conn: Connection, code: number, reason: string) => {
    if (conn.closing) return;
    conn.closing = true;
    metrics.closes.inc({ code: String(code) });
    try {
      conn.ws.close(code, reason);
    } catch {
      conn.ws.terminate();
    }
    // A peer that does not read will never see the close frame queued behind its backlog: cut it after a grace period.
    conn.closeTimer = setTimeout(() => conn.ws.terminate(), limits.closeGraceMs);
    conn.closeTimer.unref();
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    // Invalid UTF-8 gets a typed error reply instead of ws's bare 1007 close.
    skipUTF8Validation: true,
    perMessageDeflate: false,
    clientTracking: false,
    // A browser offers `incident-room.v1` beside its token's subprotocol: select that one, never echo the token.
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  const onConnection = (ws: WebSocket, socket: Socket, channel: string, req: IncomingMessage, auth: { name: string | null; users: readonly string[] | null; access?: Access }) => {
    const conn: Connection = { ws, channel, session: null, missedPings: 0, closing: false };
    connections.add(conn);
    metrics.connections.inc();
    metrics.connectionsTotal.inc();
    logger.info('connect', { channel, ...(auth.name !== null ? { via: auth.name } : {}), ...(auth.access ? { access: auth.access } : {}), remote: req.socket.remoteAddress });
    const sink: SessionSink = {
      send: (frame) => {
        if (conn.closing || ws.readyState !== ws.OPEN) return;
        ws.send(encode(frame), { binary: false });
        if (ws.bufferedAmount > limits.maxBufferedBytes) {
          logger.warn('slow consumer closed', { channel, remote: req.socket.remoteAddress, buffered: ws.bufferedAmount });
          conn.session?.close(CloseCode.TooSlow, 'too slow: outbound buffer over the limit');
        }
      },
      close: (code, reason) => closeConnection(conn, code, reason),
      bufferedAmount: () => ws.bufferedAmount,
      // The socket ws writes to: corked, the frames sent meanwhile leave in one write when it is uncorked.
      cork: () => socket.cork(),
      uncork: () => socket.uncork(),
    };
    const session = core.connect(channel, sink, { ...(auth.name !== null ? { via: auth.name } : {}), users: auth.users, access: auth.access ?? 'write', status: statusFeeds });
    conn.session = session;
    // An upgraded socket that never says anything would hold its slot for as long as it answers pings.
    // Only a hello stops it: a binary, non-UTF-8 or rate-limited frame is refused without greeting the session.
    const helloTimer = setTimeout(() => {
      if (session.greeted || session.closed) return;
      logger.info('no hello: closed', { channel, remote: req.socket.remoteAddress });
      session.close(CloseCode.ProtocolError, `no hello within ${limits.handshakeTimeoutMs} ms`);
    }, limits.handshakeTimeoutMs);
    helloTimer.unref();
    ws.once('close', () => clearTimeout(helloTimer));
    const intake = new FrameIntake(session, limits, () => logger.warn('rate limit abuse closed', { channel, remote: req.socket.remoteAddress }));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (conn.closing) return;
      intake.take(data, isBinary);
    });
    ws.on('pong', () => {
      conn.missedPings = 0;
    });
    ws.on('error', (e: Error & { code?: string }) => {
      // ws closes the connection itself (1009 above maxPayload, 1002 for a broken frame); note why.
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.closes.inc({ code: String(CloseCode.TooBig) });
      else metrics.closes.inc({ code: String(1002) });
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      connections.delete(conn);
      metrics.connections.dec();
      clearTimeout(conn.closeTimer);
      session.disconnect();
    });
  };

  const refuseUpgrade = (socket: Duplex, status: number, text: string, headers: Record<string, string> = {}) => {
    const body = JSON.stringify({ error: text });
    const head = [`HTTP/1.1 ${status} ${statusText(status)}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  };

  // A flood of refusals is one log line per 10 s (with counts), not one per socket; /metrics counts each.
  const refusalLog = new RefusalLog(logger);
  const onRefuse = (reason: SocketRefusal, remote: string) => {
    metrics.socketRefusals.inc({ reason });
    refusalLog.note(reason, remote);
  };

  const guard = new SocketGuard({ handshakeTimeoutMs: limits.handshakeTimeoutMs, maxConnections: limits.maxConnections, maxPendingPerAddress: limits.maxPendingPerAddress, onRefuse });
  const http: Server = createServer((req, res) => {
    guard.requestStarted(req.socket);
    res.once('close', () => guard.requestFinished(req.socket));
    void handleHttp(req, res, false);
  });
  guard.attach(http);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing) return refuseUpgrade(socket, 503, 'server shutting down');
    // With tokens, the server's own status page may connect too (a token or a public channel is still needed).
    const origin = originAllowed(req.headers, allowedOrigins, !authorizer.open);
    if (!origin.ok) {
      metrics.authRefusals.inc({ status: '403' });
      logger.warn('origin refused', { origin: origin.origin.slice(0, 200), remote: req.socket.remoteAddress });
      return refuseUpgrade(socket, 403, `origin ${origin.origin.slice(0, 200)} is not allowed: web pages may open sessions only from origins the server allows (--allow-origin)`);
    }
    const channel = channelFromPath(req.url);
    if (channel === null) return refuseUpgrade(socket, 404, 'no such channel path: expected /v1/channels/NAME with NAME matching ^[a-z0-9][a-z0-9-]{0,62}$');
    const offered = req.headers['sec-websocket-protocol'];
    const fromProtocol = subprotocolToken(offered);
    if (fromProtocol === 'invalid') return refuseUpgrade(socket, 400, 'Sec-WebSocket-Protocol: offer one incident-room.bearer.TOKEN with the token in base64url (no padding)');
    // `Authorization` first (Node clients); then the subprotocol token a browser sends; no credentials at all reach
    // a public channel only from a client that offers incident-room.v1, so one that expects to write still hears 401.
    const auth = req.headers.authorization !== undefined || (fromProtocol === null && !offersSubprotocol(offered))
      ? authorizer.check(req.headers.authorization, channel)
      : authorizer.checkOrPublic(fromProtocol, channel);
    if (!auth.ok) {
      metrics.authRefusals.inc({ status: String(auth.status) });
      logger.warn('auth refused', { status: auth.status, channel, remote: req.socket.remoteAddress, reason: auth.reason });
      return refuseUpgrade(socket, auth.status, auth.status === 401 ? 'missing or unknown token' : 'token does not grant this channel',
        auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="incident-room"' } : {});
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      guard.upgraded(socket as Socket);
      onConnection(ws, socket as Socket, channel, req, auth);
    });
  });
  http.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  /**
   * Liveness and readiness only: no versions, no counts of what the server holds (those are on /metrics) — except,
   * when the store found damage, how much (counts, never contents or paths: the log has those).
   */
  const health = (): { status: number; body: Record<string, unknown> } => {
    if (closing) return { status: 503, body: { ok: false, status: 'stopping' } };
    const h = store.health();
    const damaged = h.state === 'degraded'
      ? { damaged: { records: h.damagedRecords, quarantinedBytes: h.quarantinedBytes, lostEvents: h.lostEvents, incidentsWithLostEvents: h.incidentsWithLostEvents, incidentsWithoutDeclaration: h.incidentsWithoutDeclaration } }
      : {};
    if (store.stats().failed) {
      // A database store (several replicas share it) recovers by itself when the database is back; the file store
      // needs its operator.
      return store.shared
        ? { status: 503, body: { ok: false, status: 'unavailable', reason: 'the database is unreachable; appends are refused until it is back (no restart needed)', ...damaged } }
        : { status: 503, body: { ok: false, status: 'failing', reason: 'the store refuses appends; see the server log', ...damaged } };
    }
    // Degraded still serves everything that is not damaged: 200, so a load balancer keeps it, with the damage said.
    if (h.state === 'degraded') return { status: 200, body: { ok: true, status: 'degraded', ...damaged } };
    return { status: 200, body: { ok: true, status: 'ok' } };
  };

  /** `open`: the metrics listener, which serves /metrics to anyone who can reach it. */
  async function handleHttp(req: IncomingMessage, res: ServerResponse, open: boolean): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const json = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
    try {
      const status = open ? null : statusRoute(path ?? '/');
      const alertsChannel = open ? null : alertsRoute(path ?? '/');
      if (alertsChannel !== null) {
        await serveAlerts(req, res, alertsChannel, alertIntake);
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', ...json, ...(status ? STATUS_HEADERS : {}) }).end('{"error":"method not allowed"}');
      } else if (status) {
        await serveStatus(req, res, status.channel, status.file);
      } else if (path === '/healthz') {
        const h = health();
        res.writeHead(h.status, json).end(JSON.stringify(h.body));
      } else if (path === '/metrics' && metrics.registry) {
        if (!open) {
          const granted = authorizer.checkMetrics(req.headers.authorization);
          if (!granted.ok) {
            logger.warn('metrics refused', { status: granted.status, remote: req.socket.remoteAddress, reason: granted.reason });
            const why = authorizer.open
              ? '/metrics is not served on the channel port of a server without tokens: start it with --metrics-port (a loopback listener), or with --tokens and a token granted "metrics"'
              : granted.status === 401 ? 'missing or unknown token: /metrics needs a token granted "metrics" in the tokens file' : 'this token is not granted "metrics" in the tokens file';
            res.writeHead(granted.status, { ...json, ...(granted.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="incident-room"' } : {}) }).end(JSON.stringify({ error: why }));
            return;
          }
        }
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(text);
      } else {
        res.writeHead(404, json).end(open
          ? '{"error":"not found: this listener serves /healthz and /metrics"}'
          : '{"error":"not found: try /healthz, /metrics, POST /v1/channels/NAME/alerts or a WebSocket upgrade to /v1/channels/NAME"}');
      }
    } catch (e) {
      logger.error('http request failed', { path, error: (e as Error).message });
      if (!res.headersSent) res.writeHead(500).end();
    }
  }

  /** A channel's status page (PROTOCOL.md "Status page"): the shell, its script and style, and status.json. */
  async function serveStatus(req: IncomingMessage, res: ServerResponse, channel: string, file: 'status' | 'status.json' | 'status.js' | 'status.css'): Promise<void> {
    const json = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...STATUS_HEADERS };
    if (file === 'status') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...STATUS_HEADERS }).end(statusShell(channel));
      return;
    }
    if (file === 'status.js' || file === 'status.css') {
      const asset = await statusAssets.get(file);
      if (!asset) {
        res.writeHead(503, json).end('{"error":"the status page is not built: run npm run build (it writes dist/status-page.js and dist/status-page.css)"}');
        return;
      }
      res.writeHead(200, { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache', ...STATUS_HEADERS }).end(asset.body);
      return;
    }
    const header = req.headers.authorization;
    const token = bearerToken(header);
    let auth = header !== undefined && token === null
      ? { ok: false as const, status: 401 as const, reason: 'malformed Authorization header' }
      : authorizer.checkOrPublic(token, channel);
    // Without tokens anyone on this machine reads everything; a page of another site that resolves its own name to
    // this loopback server (DNS rebinding) does not: its requests name its host, not a loopback one.
    if (auth.ok && authorizer.open && !isLoopbackHostHeader(req.headers.host)) {
      auth = { ok: false, status: 403, reason: 'a server without tokens serves status.json only to loopback host names' };
    }
    if (!auth.ok) {
      metrics.authRefusals.inc({ status: String(auth.status) });
      logger.warn('status refused', { status: auth.status, channel, remote: req.socket.remoteAddress, reason: auth.reason });
      const why = auth.status === 401
        ? (token === null ? `no token: send "Authorization: Bearer TOKEN" with a token granted ${channel}` : 'unknown token')
        : auth.reason.startsWith('token ') ? `this token does not grant channel ${channel}` : auth.reason;
      res.writeHead(auth.status, { ...json, ...(auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="incident-room"' } : {}) }).end(JSON.stringify({ error: why }));
      return;
    }
    try {
      const page = await statusFeeds.snapshot(channel);
      res.writeHead(200, json).end(JSON.stringify(page));
    } catch (e) {
      logger.warn('status not ready', { channel, error: (e as Error).message });
      res.writeHead(503, { ...json, 'Retry-After': '2' }).end(JSON.stringify({ error: 'the channel\'s status is still loading; try again in a moment' }));
    }
  }

  const pinger = setInterval(() => {
    for (const conn of connections) {
      if (conn.closing) continue;
      if (conn.missedPings >= 2) {
        logger.info('peer dropped: missed two pings', { channel: conn.channel });
        conn.ws.terminate();
        continue;
      }
      conn.missedPings++;
      conn.ws.ping();
    }
  }, limits.pingIntervalMs);
  pinger.unref();

  await listen(http, options.port, options.host);
  http.on('error', (e) => logger.error('http server error', { error: e.message }));
  const port = (http.address() as { port: number } | null)?.port ?? options.port;

  let metricsServer: Server | null = null;
  let metricsPort: number | null = null;
  if (options.metricsListener) {
    const { host: mHost, port: mPort } = options.metricsListener;
    const mGuard = new SocketGuard({ handshakeTimeoutMs: limits.handshakeTimeoutMs, maxConnections: 64, maxPendingPerAddress: 64, onRefuse });
    metricsServer = createServer((req, res) => {
      mGuard.requestStarted(req.socket);
      res.once('close', () => mGuard.requestFinished(req.socket));
      void handleHttp(req, res, true);
    });
    mGuard.attach(metricsServer);
    metricsServer.on('clientError', (_e, socket) => socket.destroy());
    try {
      await listen(metricsServer, mPort, mHost);
    } catch (e) {
      http.close();
      http.closeAllConnections();
      throw Object.assign(e as Error, { listener: 'metrics' });
    }
    metricsServer.on('error', (e) => logger.error('metrics listener error', { error: e.message }));
    metricsPort = (metricsServer.address() as { port: number } | null)?.port ?? mPort;
    if (!isLoopback(mHost)) logger.warn('metrics listener is not on loopback: anyone who can reach it reads /metrics without a token', { host: mHost, port: metricsPort });
  }

  const close = async (): Promise<void> => {
    clearInterval(pinger);
    refusalLog.dispose();
    http.close();
    http.closeIdleConnections();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await core.close();
    statusFeeds.close();
    // Sessions now have their 1001; wait for the handshakes (bounded by closeGraceMs, after which they are cut).
    const deadline = Date.now() + limits.closeGraceMs + 500;
    while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const conn of connections) conn.ws.terminate();
    http.closeAllConnections();
    await store.close();
  };

  return {
    host: options.host, port, url: `ws://${hostForUrl(options.host)}:${port}`, core, metrics,
    metricsPort, metricsUrl: metricsPort === null ? null : `http://${hostForUrl(options.metricsListener!.host)}:${metricsPort}/metrics`,
    connectionCount: () => connections.size,
    close: () => (closing ??= close()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Socket refusals, logged as the first of each 10 s window and then one line with the counts of the rest. */
class RefusalLog {
  private counts = new Map<SocketRefusal, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly logger: Logger) {}

  note(reason: SocketRefusal, remote: string): void {
    if (this.timer) {
      this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
      return;
    }
    this.logger.warn('socket refused', { reason, remote });
    this.timer = setTimeout(() => this.flush(), 10_000);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.counts.size === 0) return;
    this.logger.warn('sockets refused', { window: '10s', ...Object.fromEntries(this.counts) });
    this.counts = new Map();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'Not Found';
    case 503: return 'Service Unavailable';
    default: return 'Error';
  }
}
