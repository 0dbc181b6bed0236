import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHANNEL_PATTERN } from '../protocol/codes';
import { type IncomingAlert, PayloadError, parseAlertPayload } from './alertPayload';
import { type Authorizer, bearerToken, isLoopback, isLoopbackHostHeader } from './auth';
import { errorText } from './errorText';
import type { Logger } from './logger';

/**
 * The largest webhook body taken. Alertmanager sends a whole alert group in one call unless `max_alerts` is set; a
 * realistic 5,000-alert storm (ten labels, four annotations, a Prometheus graph link each) measured 5.4 MB, about
 * 1.1 kB an alert. 16 MiB holds that three times over (alerts with twice the text still fit); the body is held in
 * memory while it is parsed, so the limit is also what one call can cost.
 */
export const MAX_ALERT_BODY_BYTES = 16 * 1024 * 1024;
/** A body must arrive within this long once its headers have (a slow upload holds a socket and its buffer). */
const BODY_TIMEOUT_MS = 30_000;

/** What the alerts endpoint needs of the server. */
export interface AlertIntakeHost {
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** The server is shutting down: 503. */
  isClosing(): boolean;
  /** A refused request, by status (metrics). */
  refused(status: number): void;
  /** The request authenticated and may post: its socket no longer counts as one that proved nothing (SocketGuard). */
  vouched?(req: IncomingMessage): void;
  /** Merge the alerts into the channel's signals; resolves once durable. */
  ingest(channel: string, alerts: readonly IncomingAlert[], via: string | undefined): Promise<void>;
}

/** `/v1/channels/NAME/alerts` → NAME (a valid channel name), or null. */
export function alertsRoute(path: string): string | null {
  const m = /^\/v1\/channels\/([^/]+)\/alerts$/.exec(path);
  return m && CHANNEL_PATTERN.test(m[1]!) ? m[1]! : null;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

/**
 * `POST /v1/channels/CHANNEL/alerts` (PROTOCOL.md "Signals"): an Alertmanager (or Grafana) webhook. Refusals that
 * come before the body is read close the connection, so an unread body is never read for nothing.
 */
export async function serveAlerts(req: IncomingMessage, res: ServerResponse, channel: string, host: AlertIntakeHost): Promise<void> {
  const refuse = (status: number, error: string, headers: Record<string, string> = {}) => {
    host.refused(status);
    res.writeHead(status, { ...JSON_HEADERS, Connection: 'close', ...headers }).end(JSON.stringify({ error }));
  };
  if (req.method !== 'POST') return refuse(405, 'method not allowed: POST an Alertmanager (or Grafana) webhook payload here', { Allow: 'POST' });

  const auth = host.authorizer.check(req.headers.authorization, channel);
  if (!auth.ok) {
    host.logger.warn('alerts refused', { status: auth.status, channel, remote: req.socket.remoteAddress, reason: auth.reason });
    const why = auth.status === 401
      ? (bearerToken(req.headers.authorization) === null ? `no token: send "Authorization: Bearer TOKEN" with a token granted ${channel}` : 'unknown token')
      : `this token does not grant channel ${channel}`;
    return refuse(auth.status, why, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="incident-room"' } : {});
  }
  // Without tokens anyone on this machine may post; a page of another site that resolves its name to this loopback
  // server (DNS rebinding) may not: its requests name its own host.
  if (host.authorizer.open && !(isLoopback(req.socket.remoteAddress ?? '') && isLoopbackHostHeader(req.headers.host))) {
    host.logger.warn('alerts refused', { status: 403, channel, remote: req.socket.remoteAddress, reason: 'not loopback' });
    return refuse(403, 'a server without tokens takes alerts only from this machine, addressed to a loopback host name');
  }
  if (auth.access === 'read' || auth.access === 'public') {
    host.logger.warn('alerts refused', { status: 403, channel, via: auth.name, reason: 'read-only token' });
    return refuse(403, `the token "${auth.name ?? ''}" is read-only ("access": "read"): posting alerts writes to the channel`);
  }
  if (!isJson(req.headers['content-type'])) return refuse(415, 'Content-Type: expected application/json');
  if (host.isClosing()) return refuse(503, 'server shutting down', { 'Retry-After': '5' });
  host.vouched?.(req);

  const body = await readBody(req, host.maxBodyBytes);
  if (!body.ok) return refuse(body.status, body.error);

  const started = performance.now();
  let alerts: readonly IncomingAlert[];
  try {
    alerts = (await parseAlertPayload(body.chunks)).alerts;
  } catch (e) {
    if (!(e instanceof PayloadError)) throw e;
    host.refused(400);
    host.logger.warn('alerts refused', { status: 400, channel, via: auth.name, reason: e.message.slice(0, 300) });
    res.writeHead(400, JSON_HEADERS).end(JSON.stringify({ error: e.message, field: e.field }));
    return;
  }
  try {
    await host.ingest(channel, alerts, auth.name ?? undefined);
  } catch (e) {
    host.logger.error('alerts not stored', { channel, via: auth.name, alerts: alerts.length, error: errorText(e) });
    res.writeHead(503, { ...JSON_HEADERS, 'Retry-After': '5' }).end(JSON.stringify({ error: 'the alerts could not be stored; nothing was acknowledged, send them again' }));
    return;
  }
  host.logger.info('alerts received', { channel, via: auth.name, alerts: alerts.length, bytes: body.bytes, ms: Math.round(performance.now() - started) });
  res.writeHead(202, JSON_HEADERS).end(JSON.stringify({ accepted: alerts.length }));
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType?.trim() ?? '');
}

type Body = { ok: true; chunks: Buffer[]; bytes: number } | { ok: false; status: 400 | 408 | 413; error: string };

/**
 * Read a request's body as the chunks it arrives in, stopping at `limit` bytes (a `Content-Length` above it is
 * refused before a byte is read), or after `BODY_TIMEOUT_MS`. Neither decoded nor joined here: decoding a 3.5 MB body
 * as it arrived and joining it into one string held the event loop for 15 to 40 ms on the bench machine (two cores),
 * and one `Buffer.concat` of it some 11 ms. The payload parser scans the chunks and decodes one alert at a time
 * (alertsJson.ts), which also checks the UTF-8.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  const tooBig: Body = { ok: false, status: 413, error: `the body is over ${limit} bytes; send fewer alerts per call (Alertmanager: max_alerts in webhook_config)` };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(tooBig);
  return new Promise<Body>((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (body: Body) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (!body.ok) req.pause();
      resolve(body);
    };
    const timer = setTimeout(() => finish({ ok: false, status: 408, error: `the body did not arrive within ${BODY_TIMEOUT_MS / 1000} s` }), BODY_TIMEOUT_MS);
    timer.unref();
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) return finish(tooBig);
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ ok: true, chunks, bytes }));
    // The sender is gone (Node's parser has already answered a half-closed socket with a bare 400): this ends the
    // call at once and frees what was buffered, rather than holding it for BODY_TIMEOUT_MS. Its text reaches no one.
    req.once('error', () => finish({ ok: false, status: 400, error: 'the request was cut off' }));
  });
}
