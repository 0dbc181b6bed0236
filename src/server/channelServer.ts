import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode, Limits } from '../protocol/codes';
import type { EventStore } from '../store/eventStore';
import { Authorizer, channelFromPath, ConfigError, isLoopback, type TokenEntry } from './auth';
import { ChannelCore } from './channel';
import { type Logger, silentLogger } from './logger';
import type { ServerMetrics } from './metrics';
import { ConnectionRateLimit } from './rateLimiter';
import type { ChannelSession, SessionSink } from './session';

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
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxFrameBytes: Limits.maxFrameBytes,
  messagesPerSecond: 200,
  burst: 1000,
  patience: 200,
  maxBufferedBytes: 8 * 1024 * 1024,
  pingIntervalMs: 15_000,
  closeGraceMs: 2_000,
};

/**
 * What the transport reports to. The CLI passes `ServerMetrics` (prom-client, served on /metrics); the extension's
 * local mode passes nothing, so the extension bundle carries no metrics library.
 */
export type MetricsSink = Pick<ServerMetrics, 'observer' | 'commit'> & {
  readonly connections: { inc(): void; dec(): void };
  readonly connectionsTotal: { inc(): void };
  readonly authRefusals: { inc(labels: { status: string }): void };
  readonly closes: { inc(labels: { code: string }): void };
  readonly registry: { metrics(): Promise<string>; readonly contentType: string } | null;
};

const counter = { inc: () => undefined, dec: () => undefined };
/** Metrics that go nowhere (no /metrics endpoint). */
export const NO_METRICS: MetricsSink = {
  observer: () => ({}), commit: () => undefined, connections: counter, connectionsTotal: counter, authRefusals: counter, closes: counter, registry: null,
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
  readonly roomIdleMs?: number;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `ws://HOST:PORT` */
  readonly url: string;
  readonly core: ChannelCore;
  readonly metrics: MetricsSink;
  /** Open WebSocket connections. */
  connectionCount(): number;
  /** Stop accepting, let everything sequenced become durable and acked, close sessions with 1001, close the store. */
  close(): Promise<void>;
}

interface Connection {
  readonly ws: WebSocket;
  readonly channel: string;
  session: ChannelSession | null;
  readonly limiter: ConnectionRateLimit;
  missedPings: number;
  closing: boolean;
  closeTimer?: NodeJS.Timeout;
}

/** Start the channel server: HTTP (/healthz, /metrics) and WebSocket upgrades (/v1/channels/NAME) on one port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const tokens = options.tokens && options.tokens.length > 0 ? options.tokens : null;
  if (!tokens && !isLoopback(options.host)) {
    throw new ConfigError(`refusing to bind ${options.host} without --tokens: with no tokens anyone can connect, so only a loopback address (127.0.0.1, ::1, localhost) is allowed`);
  }
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const store = options.store;
  const metrics = options.metrics ?? NO_METRICS;
  const authorizer = new Authorizer(tokens);
  store.onCommit?.((info) => metrics.commit(info));
  const core = new ChannelCore({ store, logger, observer: metrics.observer(), ...(options.roomIdleMs !== undefined ? { roomIdleMs: options.roomIdleMs } : {}) });
  const connections = new Set<Connection>();
  const started = performance.now();
  let closing: Promise<void> | null = null;

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
  });

  const onConnection = (ws: WebSocket, channel: string, req: IncomingMessage) => {
    const conn: Connection = {
      ws, channel, session: null, missedPings: 0, closing: false,
      limiter: new ConnectionRateLimit({ messagesPerSecond: limits.messagesPerSecond, burst: limits.burst, patience: limits.patience }),
    };
    connections.add(conn);
    metrics.connections.inc();
    metrics.connectionsTotal.inc();
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
    };
    const session = core.connect(channel, sink);
    conn.session = session;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (conn.closing) return;
      const verdict = conn.limiter.check(data.length);
      if (verdict === 'abuse') {
        logger.warn('rate limit abuse closed', { channel, remote: req.socket.remoteAddress });
        return session.close(CloseCode.RateLimited, 'rate limit exceeded repeatedly');
      }
      if (verdict === 'limited') {
        return session.refuse('rate_limited', `rate limit: at most ${limits.messagesPerSecond} messages per second (burst ${limits.burst}); slow down`, isBinary ? undefined : data.toString('utf8', 0, Math.min(data.length, 4096)));
      }
      if (isBinary) return session.refuse('invalid_message', 'binary frames are not accepted: send JSON text frames');
      if (!isUtf8(data)) return session.refuse('invalid_message', 'frame is not valid UTF-8');
      session.receive(data.toString('utf8'));
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

  const http: Server = createServer((req, res) => void handleHttp(req, res));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing) return refuseUpgrade(socket, 503, 'server shutting down');
    const channel = channelFromPath(req.url);
    if (channel === null) return refuseUpgrade(socket, 404, 'no such channel path: expected /v1/channels/NAME with NAME matching ^[a-z0-9][a-z0-9-]{0,62}$');
    const auth = authorizer.check(req.headers.authorization, channel);
    if (!auth.ok) {
      metrics.authRefusals.inc({ status: String(auth.status) });
      logger.warn('auth refused', { status: auth.status, channel, remote: req.socket.remoteAddress, reason: auth.reason });
      return refuseUpgrade(socket, auth.status, auth.status === 401 ? 'missing or unknown token' : 'token does not grant this channel',
        auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="incident-room"' } : {});
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, channel, req));
  });
  http.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' }).end('{"error":"method not allowed"}');
      } else if (path === '/healthz') {
        const stats = store.stats();
        const body = JSON.stringify({
          ok: !stats.failed && !closing, uptime: Math.round((performance.now() - started) / 1000), connections: connections.size,
          incidents: stats.incidents, events: stats.events, rooms: core.stats().rooms,
        });
        res.writeHead(stats.failed ? 503 : 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(body);
      } else if (path === '/metrics' && metrics.registry) {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text);
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found: try /healthz, /metrics or a WebSocket upgrade to /v1/channels/NAME"}');
      }
    } catch (e) {
      logger.error('http request failed', { path, error: (e as Error).message });
      if (!res.headersSent) res.writeHead(500).end();
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

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (e) => logger.error('http server error', { error: e.message }));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;

  const close = async (): Promise<void> => {
    clearInterval(pinger);
    http.close();
    http.closeIdleConnections();
    await core.close();
    // Sessions now have their 1001; wait for the handshakes (bounded by closeGraceMs, after which they are cut).
    const deadline = Date.now() + limits.closeGraceMs + 500;
    while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const conn of connections) conn.ws.terminate();
    http.closeAllConnections();
    await store.close();
  };

  return {
    host: options.host, port, url: `ws://${urlHost}:${port}`, core, metrics,
    connectionCount: () => connections.size,
    close: () => (closing ??= close()),
  };
}

function statusText(status: number): string {
  switch (status) {
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'Not Found';
    case 503: return 'Service Unavailable';
    default: return 'Error';
  }
}
