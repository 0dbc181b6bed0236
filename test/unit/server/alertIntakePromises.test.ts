// Promises of the alerts endpoint (server/alertIntake.ts) that an Alertmanager or Grafana posting webhooks, and an
// operator reading the server's log, rely on: which paths and content types are the endpoint's, what each refusal
// answers and says in the log, where the body limit lies, and what a body that is cut off or never comes gets.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { mock } from 'node:test';
import { type AlertIntakeHost, alertsRoute, serveAlerts } from '../../../src/server/alertIntake';
import type { IncomingAlert } from '../../../src/server/alertPayload';
import { Authorizer, TokensFile } from '../../../src/server/auth';
import { createLogger, type Logger } from '../../../src/server/logger';
import { MemoryStore } from '../../../src/store/memoryStore';
import { until } from '../../support/until';
import { ALERTMANAGER_V4, alertmanagerBody, postAlerts, stormAlert } from './alertPayloads';
import { iso, startTestServer, TestClient, type TestServer } from './helpers';

// As an operator writes them (PROTOCOL.md "Tokens file").
const TOKENS = TokensFile.parse(JSON.parse(`[
  { "name": "alertmanager-prod", "token": "tok-am-5be2d1", "channels": ["payments-oncall"] },
  { "name": "search-team", "token": "tok-search-44aa10", "channels": ["search-oncall"] },
  { "name": "stakeholders", "token": "tok-stake-31c0aa", "channels": ["payments-*"], "access": "read" }
]`));
const AM = { Authorization: 'Bearer tok-am-5be2d1', 'Content-Type': 'application/json' };
/** The real timer, for the client's own deadline while a test fakes `setTimeout` for the server. */
const realSetTimeout = globalThis.setTimeout;

/** A JSON logger (as a log collector gets it) whose lines are kept. */
function capturedLog(): { logger: Logger; lines: () => Record<string, unknown>[]; find: (event: string) => Record<string, unknown>[] } {
  const text: string[] = [];
  const logger = createLogger({ stream: { isTTY: false, write: (s: string) => text.push(s) } });
  const lines = () => text.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, find: (event) => lines().filter((l) => l['event'] === event) };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** POST `body` to any path, on a connection of its own; `chunked`: sent in pieces of that many bytes, with no length. */
function post(port: number, path: string, body: string, headers: Record<string, string>, chunked = 0): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: chunked ? { ...headers, 'Transfer-Encoding': 'chunked' } : headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (!chunked) return void req.end(body);
    const bytes = Buffer.from(body);
    for (let at = 0; at < bytes.length; at += chunked) req.write(bytes.subarray(at, at + chunked));
    req.end();
  });
}

/** Write raw bytes (`hangUp`: then close our sending side, as a sender cut off does) and read until the server closes or `ms` pass. */
function rawHttp(port: number, text: string, options: { hangUp?: boolean; ms?: number } = {}): { answer: Promise<string>; got: () => string } {
  const socket = connect({ port, host: '127.0.0.1' });
  let got = '';
  socket.on('data', (d) => (got += String(d)));
  const answer = new Promise<string>((resolve) => {
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    const timer = realSetTimeout(() => {
      socket.destroy();
      resolve(got);
    }, options.ms ?? 5000);
    socket.on('close', () => clearTimeout(timer));
  });
  socket.write(text, () => {
    if (options.hangUp) socket.end();
  });
  return { answer, got: () => got };
}

/** The status line's code, the head and the JSON body (sent whole, or in chunks) of a raw HTTP answer. */
function parseRaw(text: string): { status: number; head: string; body: Record<string, unknown> | null } {
  const at = text.indexOf('\r\n\r\n');
  const head = at < 0 ? text : text.slice(0, at);
  let body = at < 0 ? '' : text.slice(at + 4);
  if (/\r\nTransfer-Encoding: chunked\r\n/i.test(`${head}\r\n`)) {
    let whole = '';
    for (let rest = body; ;) {
      const eol = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, eol), 16);
      if (!(size > 0)) break;
      whole += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    body = whole;
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0), head, body: body ? (JSON.parse(body) as Record<string, unknown>) : null };
}

const json = (a: Answer) => JSON.parse(a.text) as Record<string, unknown>;

/** The alerts endpoint alone, on a real HTTP server of its own, with a host made here; `ended`: calls whose handling is over. */
async function intakeServer(host: AlertIntakeHost): Promise<{ server: Server; port: number; ended: () => number; stop: () => void }> {
  let ended = 0;
  const server = createServer((req, res) => {
    const channel = alertsRoute((req.url ?? '/').split('?')[0]!);
    if (channel === null) return void res.writeHead(404).end();
    // As the channel server does: a call that throws is answered 500 (and logged there).
    void serveAlerts(req, res, channel, host)
      .catch(() => void (res.headersSent ? res.destroy() : res.writeHead(500).end()))
      .finally(() => ended++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () => {
    server.closeAllConnections();
    server.close();
  };
  return { server, port: (server.address() as AddressInfo).port, ended: () => ended, stop };
}

/** A host that takes everything: what it was asked to ingest and which refusals it counted are kept. */
function recordingHost(over: Partial<AlertIntakeHost> = {}): AlertIntakeHost & { ingested: { channel: string; alerts: readonly IncomingAlert[]; via: string | undefined }[]; refusals: number[] } {
  const ingested: { channel: string; alerts: readonly IncomingAlert[]; via: string | undefined }[] = [];
  const refusals: number[] = [];
  return {
    authorizer: new Authorizer(TOKENS), logger: capturedLog().logger, maxBodyBytes: 64 * 1024,
    isClosing: () => false,
    refused: (status) => void refusals.push(status),
    ingest: async (channel, alerts, via) => void ingested.push({ channel, alerts, via }),
    ...over,
    ingested, refusals,
  };
}

describe('alert intake: which requests are the alerts endpoint', function () {
  // An Alertmanager's webhook_config url must be the endpoint exactly; anything else keeps the other routes' answers.
  this.timeout(20_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: 'memory' });
  });
  after(async () => {
    await t.server.close();
  });

  it('a path with anything before or after /v1/channels/NAME/alerts is not the endpoint: 405 (Allow: GET, HEAD), nothing stored', async () => {
    assert.equal(alertsRoute('/v1/channels/payments-oncall/alerts'), 'payments-oncall');
    for (const path of ['/v1/channels/payments-oncall/alerts/extra', '/v1/channels/payments-oncall/alertsx', '/api/v1/channels/payments-oncall/alerts']) {
      const res = await post(t.server.port, path, ALERTMANAGER_V4, { 'Content-Type': 'application/json' });
      assert.deepEqual([res.status, res.headers['allow']], [405, 'GET, HEAD'], path);
      assert.equal(alertsRoute(path), null, path);
    }
    assert.deepEqual(await t.store.listSignals('payments-oncall'), []);
  });

  it('takes application/json with parameters, in any case, with spaces around it or before its ";"', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON', ' application/json ', 'application/json ; charset=utf-8', 'application/json;charset=UTF-8']) {
      const res = await post(t.server.port, '/v1/channels/payments-oncall/alerts', ALERTMANAGER_V4, { 'Content-Type': contentType });
      assert.deepEqual([res.status, json(res)], [202, { accepted: 1 }], contentType);
    }
  });

  it('refuses application/jsonx, application/json-seq and a type that only mentions application/json with 415, saying what it expects', async () => {
    for (const contentType of ['application/jsonx', 'application/json-seq', 'text/plain; profile=application/json', 'x-application/json']) {
      const res = await post(t.server.port, '/v1/channels/search-oncall/alerts', ALERTMANAGER_V4, { 'Content-Type': contentType });
      assert.deepEqual([res.status, json(res), res.headers['connection']], [415, { error: 'Content-Type: expected application/json' }, 'close'], contentType);
    }
    assert.deepEqual(await t.store.listSignals('search-oncall'), []);
  });

  it('answers another method with 405 and Allow: POST, saying to POST a webhook payload', async () => {
    const res = await postAlerts(t.server.port, ALERTMANAGER_V4, { method: 'PUT' });
    assert.deepEqual([res.status, res.headers.get('allow'), res.body], [405, 'POST', { error: 'method not allowed: POST an Alertmanager (or Grafana) webhook payload here' }]);
  });

  it('a server without tokens refuses a request addressed to another host name with 403, and logs it as "not loopback"', async () => {
    const log = capturedLog();
    const open = await startTestServer({ store: 'memory', logger: log.logger });
    try {
      const rebound = await postAlerts(open.server.port, ALERTMANAGER_V4, { headers: { Host: 'alerts.attacker.example:7077' } });
      assert.deepEqual([rebound.status, rebound.body], [403, { error: 'a server without tokens takes alerts only from this machine, addressed to a loopback host name' }]);
      assert.deepEqual(log.find('alerts refused').map(({ time: _t, ...rest }) => rest), [
        { level: 'warn', event: 'alerts refused', status: 403, channel: 'payments-oncall', remote: '127.0.0.1', reason: 'not loopback' },
      ]);
      assert.deepEqual(await open.store.listSignals('payments-oncall'), []);
    } finally {
      await open.server.close();
    }
  });
});

describe('alert intake: a refusal says why, to the caller and in the log', function () {
  // An operator wiring up Alertmanager reads the answer (or Alertmanager's log of it) and the server's log line.
  this.timeout(20_000);
  let t: TestServer;
  let log: ReturnType<typeof capturedLog>;
  beforeEach(async () => {
    log = capturedLog();
    t = await startTestServer({ store: 'memory', tokens: TOKENS, logger: log.logger });
  });
  afterEach(async () => {
    await t.server.close();
  });
  const refusedLines = () => log.find('alerts refused').map(({ time: _t, ...rest }) => rest);

  it('no token or an unknown one: 401 with WWW-Authenticate; a token for other channels: 403 without it; each logged with status, channel, remote and reason', async () => {
    const none = await postAlerts(t.server.port, ALERTMANAGER_V4);
    assert.deepEqual([none.status, none.headers.get('www-authenticate')], [401, 'Bearer realm="incident-room"']);
    const unknown = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-nobody' });
    assert.deepEqual([unknown.status, unknown.headers.get('www-authenticate'), unknown.body], [401, 'Bearer realm="incident-room"', { error: 'unknown token' }]);
    const other = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-search-44aa10' });
    assert.deepEqual([other.status, other.headers.get('www-authenticate'), other.headers.get('connection')], [403, null, 'close']);
    assert.deepEqual(refusedLines(), [
      { level: 'warn', event: 'alerts refused', status: 401, channel: 'payments-oncall', remote: '127.0.0.1', reason: 'no Authorization header' },
      { level: 'warn', event: 'alerts refused', status: 401, channel: 'payments-oncall', remote: '127.0.0.1', reason: 'unknown token' },
      { level: 'warn', event: 'alerts refused', status: 403, channel: 'payments-oncall', remote: '127.0.0.1', reason: 'token search-team does not grant channel payments-oncall' },
    ]);
  });

  it('a read-only token: 403 naming the token, logged with the token (via) and "read-only token"; nothing stored', async () => {
    const res = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-stake-31c0aa' });
    assert.deepEqual([res.status, res.headers.get('www-authenticate'), res.body], [403, null, { error: 'the token "stakeholders" is read-only ("access": "read"): posting alerts writes to the channel' }]);
    assert.deepEqual(refusedLines(), [{ level: 'warn', event: 'alerts refused', status: 403, channel: 'payments-oncall', via: 'stakeholders', reason: 'read-only token' }]);
    assert.deepEqual(await t.store.listSignals('payments-oncall'), []);
  });

  it('a bad payload: 400 with the whole error and the field; the log names the channel and token and keeps the first 300 characters of the reason', async () => {
    const key = `team_${'x'.repeat(400)}`;
    const body = alertmanagerBody([stormAlert(1, { labels: { alertname: 'HighErrorRate', [key]: 5 as unknown as string } })]);
    const res = await postAlerts(t.server.port, body, { token: 'tok-am-5be2d1' });
    const error = `alerts[0].labels.${key}: expected string, got number`;
    assert.deepEqual([res.status, res.body], [400, { error, field: `alerts[0].labels.${key}` }]);
    assert.deepEqual(refusedLines(), [{ level: 'warn', event: 'alerts refused', status: 400, channel: 'payments-oncall', via: 'alertmanager-prod', reason: error.slice(0, 300) }]);
    assert.deepEqual(await t.store.listSignals('payments-oncall'), []);
  });

  it('a call taken is logged as "alerts received" with the channel, the token, how many alerts, its bytes and how long it took', async () => {
    const body = alertmanagerBody([stormAlert(1), stormAlert(2), stormAlert(3)]);
    const t0 = performance.now();
    const res = await postAlerts(t.server.port, body, { token: 'tok-am-5be2d1' });
    const elapsed = performance.now() - t0;
    assert.deepEqual([res.status, res.body], [202, { accepted: 3 }]);
    const [line, ...more] = log.find('alerts received');
    assert.equal(more.length, 0);
    const { time: _t, ms, ...rest } = line!;
    assert.deepEqual(rest, { level: 'info', event: 'alerts received', channel: 'payments-oncall', via: 'alertmanager-prod', alerts: 3, bytes: Buffer.byteLength(body) });
    assert.ok(typeof ms === 'number' && ms >= 0 && ms <= elapsed + 1, `ms ${String(ms)}: the call took ${elapsed.toFixed(1)} ms in all`);
  });
});

describe('alert intake: what is stored, and what a store that fails answers', function () {
  // Alertmanager retries a 5xx: an answer that acknowledges nothing that was not stored loses no alert.
  this.timeout(20_000);

  it('a store that refuses: 503 with Retry-After: 5, nothing stored, and the log says "alerts not stored" as an error with channel, token, count and why', async () => {
    const store = new MemoryStore();
    await store.open();
    const log = capturedLog();
    const t = await startTestServer({ eventStore: store, tokens: TOKENS, logger: log.logger });
    try {
      store.failAppends();
      const res = await postAlerts(t.server.port, alertmanagerBody([stormAlert(1), stormAlert(2)]), { token: 'tok-am-5be2d1' });
      assert.deepEqual([res.status, res.headers.get('retry-after'), res.body], [503, '5', { error: 'the alerts could not be stored; nothing was acknowledged, send them again' }]);
      const lines = log.find('alerts not stored');
      assert.equal(lines.length, 1);
      const { time: _t, error, ...rest } = lines[0]!;
      assert.deepEqual(rest, { level: 'error', event: 'alerts not stored', channel: 'payments-oncall', via: 'alertmanager-prod', alerts: 2 });
      assert.ok(typeof error === 'string' && error.length > 0, `the reason: ${String(error)}`);
      assert.deepEqual(log.find('alerts received'), []);
    } finally {
      await t.server.close();
    }
  });

  it('a resolution that lands on an incident names the token the alerts came with (via)', async () => {
    const t = await startTestServer({ store: 'memory', tokens: TOKENS });
    const c = await TestClient.connect(t.url(), { token: 'tok-am-5be2d1' });
    try {
      const fingerprint = 'a1b2c3d4e5f60718';
      assert.equal((await postAlerts(t.server.port, alertmanagerBody([stormAlert(1, { fingerprint })]), { token: 'tok-am-5be2d1' })).status, 202);
      const signal = (await c.next((m) => m.type === 'signal')).signal as { startsAt: string };
      const incidentId = await c.declare();
      c.send({ type: 'subscribe', incidentId, afterSeq: 0 });
      const link = { id: randomUUID(), kind: 'signal.linked', at: iso(), data: { fingerprint, alertname: 'HighErrorRate', startsAt: signal.startsAt } };
      assert.equal((await c.append(incidentId, link)).type, 'ack');
      await c.next((m) => m.type === 'signal' && (m.signal as { incidentId: string | null }).incidentId === incidentId);
      assert.equal((await postAlerts(t.server.port, alertmanagerBody([stormAlert(1, { fingerprint, status: 'resolved' })]), { token: 'tok-am-5be2d1' })).status, 202);
      const resolved = await until('signal.resolved on the incident', () => c.eventsOf(incidentId).find((e) => e.kind === 'signal.resolved'), 5000);
      assert.equal((resolved as { via?: string }).via, 'alertmanager-prod');
    } finally {
      c.close();
      await t.server.close();
    }
  });
});

describe('alert intake: the body limit', function () {
  // A body of the limit is taken whichever way it is sent; one byte more is 413, with what to change in Alertmanager.
  this.timeout(20_000);
  const payload = alertmanagerBody([stormAlert(1)]);
  const limit = Buffer.byteLength(payload) + 10;
  const atLimit = `${payload}${' '.repeat(10)}`;
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: 'memory', tokens: TOKENS, maxAlertBodyBytes: limit });
  });
  after(async () => {
    await t.server.close();
  });
  const tooBig = { error: `the body is over ${limit} bytes; send fewer alerts per call (Alertmanager: max_alerts in webhook_config)` };

  it('takes a body of exactly the limit, whether its Content-Length says so or it is streamed in chunks', async () => {
    assert.equal(Buffer.byteLength(atLimit), limit);
    const declared = await post(t.server.port, '/v1/channels/payments-oncall/alerts', atLimit, { ...AM, 'Content-Length': String(limit) });
    assert.deepEqual([declared.status, json(declared)], [202, { accepted: 1 }]);
    const streamed = await post(t.server.port, '/v1/channels/payments-oncall/alerts', atLimit, AM, 256);
    assert.deepEqual([streamed.status, json(streamed)], [202, { accepted: 1 }]);
  });

  it('refuses one byte more with 413 naming the limit: declared by Content-Length or found mid-stream', async () => {
    const declared = await rawHttp(t.server.port, [
      'POST /v1/channels/search-oncall/alerts HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer tok-search-44aa10', 'Content-Type: application/json',
      `Content-Length: ${limit + 1}`, '', '',
    ].join('\r\n')).answer;
    assert.deepEqual([parseRaw(declared).status, parseRaw(declared).body], [413, tooBig]);
    const streamed = await post(t.server.port, '/v1/channels/search-oncall/alerts', `${atLimit} `, { ...AM, Authorization: 'Bearer tok-search-44aa10' }, 256);
    assert.deepEqual([streamed.status, json(streamed), streamed.headers['connection']], [413, tooBig, 'close']);
    assert.deepEqual(await t.store.listSignals('search-oncall'), []);
  });
});

describe('alert intake: a body cut off, or one that never comes', function () {
  // A sender that hangs up mid-body, or sends headers and then nothing, must not hold the call (and its buffer) open.
  this.timeout(20_000);

  it('a call whose sender hangs up mid-body ends at once, refused as 400 (not held, with what it read, for 30 s); nothing is ingested', async () => {
    const host = recordingHost();
    const { port, ended, stop } = await intakeServer(host);
    try {
      const head = [
        'POST /v1/channels/payments-oncall/alerts HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer tok-am-5be2d1', 'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(ALERTMANAGER_V4)}`, '', '',
      ].join('\r\n');
      const answer = await rawHttp(port, head + ALERTMANAGER_V4.slice(0, 200), { hangUp: true }).answer;
      // What the sender hears is Node's own 400 for a request it could not finish parsing.
      assert.equal(parseRaw(answer).status, 400);
      await until('the call to end', () => ended() === 1, 5000);
      assert.deepEqual([host.refusals, host.ingested], [[400], []]);
    } finally {
      stop();
    }
  });

  it('a body that never comes gets 408 after 30 s (not before), saying so, and nothing is ingested', async () => {
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    // `vouched` is called just before the body is read: the 30 s start then.
    const host = recordingHost({ vouched: () => reading() });
    const { port, stop } = await intakeServer(host);
    try {
      let call: ReturnType<typeof rawHttp>;
      // The 30 s are a fake clock's (the global setTimeout only); the sockets and the HTTP server are real.
      mock.timers.enable({ apis: ['setTimeout'] });
      try {
        call = rawHttp(port, [
          'POST /v1/channels/payments-oncall/alerts HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer tok-am-5be2d1', 'Content-Type: application/json',
          'Content-Length: 2000', '', '',
        ].join('\r\n'));
        await started;
        mock.timers.tick(29_999);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        assert.deepEqual([host.refusals, call.got()], [[], ''], 'still waiting at 29.999 s');
        mock.timers.tick(1);
      } finally {
        mock.timers.reset();
      }
      const answer = parseRaw(await call.answer);
      assert.deepEqual([answer.status, answer.body], [408, { error: 'the body did not arrive within 30 s' }]);
      assert.match(answer.head, /\r\nConnection: close\r\n/i);
      assert.deepEqual([host.refusals, host.ingested], [[408], []]);
    } finally {
      stop();
    }
  });
});

describe('alert intake: what a host of the endpoint may leave out, or be in the middle of', function () {
  // serveAlerts is wired into the channel server through AlertIntakeHost; these are its promises to any host.
  this.timeout(20_000);

  it('a host that is shutting down answers 503 with Retry-After: 5 before reading the body, and ingests nothing', async () => {
    const host = recordingHost({ isClosing: () => true });
    const { port, stop } = await intakeServer(host);
    try {
      const res = await post(port, '/v1/channels/payments-oncall/alerts', ALERTMANAGER_V4, AM);
      assert.deepEqual([res.status, res.headers['retry-after'], res.headers['connection'], json(res)], [503, '5', 'close', { error: 'server shutting down' }]);
      assert.deepEqual([host.refusals, host.ingested], [[503], []]);
    } finally {
      stop();
    }
  });

  it('a host without a socket guard (no vouched) still takes alerts, and is told the token\'s name', async () => {
    const host = recordingHost();
    const { port, stop } = await intakeServer(host);
    try {
      const res = await post(port, '/v1/channels/payments-oncall/alerts', ALERTMANAGER_V4, AM);
      assert.deepEqual([res.status, json(res)], [202, { accepted: 1 }]);
      assert.deepEqual(host.ingested.map((i) => [i.channel, i.alerts.length, i.via]), [['payments-oncall', 1, 'alertmanager-prod']]);
    } finally {
      stop();
    }
  });
});
