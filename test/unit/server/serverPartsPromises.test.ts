// Promises of the server's smaller parts that an extension, an Alertmanager or an operator relies on: when presence is
// told, what a refused server-made append answers, what /metrics and the log lines say, and which sockets count
// against an address or get pushed out at the connection cap.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AppendRecord } from '../../../src/store/eventStore';
import { StoreError } from '../../../src/store/eventStore';
import { MemoryStore } from '../../../src/store/memoryStore';
import { createLogger } from '../../../src/server/logger';
import { ServerMetrics } from '../../../src/server/metrics';
import { ChannelPresence, type PresenceMember } from '../../../src/server/presence';
import { ServerAppend } from '../../../src/server/serverAppend';
import { defaultMaxConnections } from '../../../src/server/socketGuard';
import { until } from '../../support/until';
import { alertmanagerBody, postAlerts, stormAlert } from './alertPayloads';
import {
  declareEvent, iso, type Msg, metricsText, rawSocket, type RawSocket, removeTempDirs, sample, startTestServer, type TestServer, TestClient,
} from './helpers';

/** A stream as a terminal (`isTTY`) or a log collector sees it, keeping every line written. */
const capture = (isTTY: boolean) => {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (s: string) => lines.push(s) } };
};
/** The JSON log lines of a captured stream. */
const jsonLines = (lines: readonly string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

/** A store whose disk takes signals but refuses events (as when only the event log's file hit its quota). */
class EventRefusingStore extends MemoryStore {
  refuseEvents = false;
  override append(records: readonly AppendRecord[]): Promise<void> {
    if (this.refuseEvents) return Promise.reject(new StoreError('store_failed', 'the event log refused the write (simulated)'));
    return super.append(records);
  }
}

describe('server parts: presence is told on time', function () {
  this.timeout(20_000);
  let t: TestServer;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    t = await startTestServer({ store: 'memory' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.server.close();
  });

  const names = (m: Msg) => (m.users as { name: string }[]).map((u) => u.name).join(', ');
  const presenceListing = (c: TestClient, list: string) => c.next((m) => m.type === 'presence' && names(m) === list, 60_000);

  it('a responder who writes right after joining is still told who is here at once, not only when activity is next told', async () => {
    // hello and declare leave together: the declare is taken while the join's telling is still due.
    const alice = await TestClient.connect(t.url(), { hello: false });
    clients.push(alice);
    alice.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'alice@example.com', name: 'Alice' }, presence: true });
    const declared = alice.request({ type: 'declare', event: declareEvent() });
    assert.equal((await declared).type, 'declared');
    // The join is told within its short delay; activity alone would wait 30 s (past this test's timeout).
    const frame = await presenceListing(alice, 'Alice');
    assert.equal((frame.users as { sessions: number }[])[0]!.sessions, 1);
  });

  it('someone joining after a responder wrote is told at once, not held back to the activity telling', async () => {
    const alice = await TestClient.connect(t.url(), { user: 'Alice', helloExtra: { presence: true } });
    clients.push(alice);
    await presenceListing(alice, 'Alice');
    // Alice writes: her activity is due to be told in 30 s.
    await alice.declare();
    const bob = await TestClient.connect(t.url(), { user: 'Bob' });
    clients.push(bob);
    const frame = await presenceListing(alice, 'Alice, Bob');
    const [a] = frame.users as { activeAt: string; since: string }[];
    assert.ok(Date.parse(a!.activeAt) >= Date.parse(a!.since), 'the same telling carries Alice\'s activity');
  });

  it('lists the one who has been here longest first, by the time it shows, even when the clock stepped back between two joins', () => {
    let clock = Date.parse('2026-11-22T14:10:00.000Z');
    const presence = new ChannelPresence(() => clock);
    const member = (name: string): PresenceMember => ({ actor: { id: `${name.toLowerCase()}@example.com`, name }, access: 'write', wantsPresence: false, send: () => undefined });
    presence.add(member('Alice'));
    // NTP stepped the wall clock back five minutes before Bob joined: Bob shows as here since 14:05.
    clock -= 5 * 60_000;
    presence.add(member('Bob'));
    const users = presence.users();
    presence.dispose();
    assert.deepEqual(users.map((u) => [u.name, u.since]), [['Bob', '2026-11-22T14:05:00.000Z'], ['Alice', '2026-11-22T14:10:00.000Z']]);
  });
});

describe('server parts: a server-made append (a resolved signal) and its answer', function () {
  this.timeout(20_000);

  it('an Alertmanager whose resolution the store refuses gets 503 (never a hanging call), and the log says why', async () => {
    const store = new EventRefusingStore();
    await store.open();
    const log = capture(false);
    const t = await startTestServer({ eventStore: store, logger: createLogger({ stream: log.stream }) });
    const writer = await TestClient.connect(t.url());
    try {
      const fp = 'a1b2c3d4e5f60718';
      assert.equal((await postAlerts(t.server.port, alertmanagerBody([stormAlert(1, { fingerprint: fp })]))).status, 202);
      const signal = (await writer.next((m) => m.type === 'signal')).signal as { startsAt: string };
      const incidentId = await writer.declare();
      const link = { id: randomUUID(), kind: 'signal.linked', at: iso(), data: { fingerprint: fp, alertname: 'HighErrorRate', startsAt: signal.startsAt } };
      assert.equal((await writer.append(incidentId, link)).type, 'ack');
      await writer.next((m) => m.type === 'signal' && (m.signal as { incidentId: string | null }).incidentId === incidentId);

      store.refuseEvents = true;
      const res = await postAlerts(t.server.port, alertmanagerBody([stormAlert(1, { fingerprint: fp, status: 'resolved' })]));
      assert.deepEqual([res.status, res.headers.get('retry-after')], [503, '5']);
      const notStored = jsonLines(log.lines).find((l) => l.event === 'alerts not stored');
      assert.deepEqual([notStored?.level, notStored?.error], ['error', 'the store did not take the event']);
    } finally {
      writer.close();
      await t.server.close();
    }
  });

  it('settles on the answer to its own request only, and a refusal says what the room said', async () => {
    const actor = { id: 'alerts', name: 'Alertmanager' };
    const acked = new ServerAppend(actor, 'alertmanager-prod');
    // Frames for other requests (another session's error, a fan-out) are not its answer.
    acked.send(JSON.stringify({ type: 'error', code: 'internal', message: 'internal server error', requestId: 'q1-someone-else' }));
    acked.send(JSON.stringify({ type: 'event', incidentId: 'INC-1', event: { seq: 3 } }));
    acked.send(JSON.stringify({ type: 'ack', requestId: acked.requestId, incidentId: 'INC-1', seq: 4 }));
    await acked.done;

    const refused = new ServerAppend(actor, undefined);
    refused.send(JSON.stringify({ type: 'error', code: 'invalid_event', message: 'data.fingerprint: required', requestId: refused.requestId }));
    await assert.rejects(refused.done, (e: Error) => e.message === 'the append was refused: data.fingerprint: required');

    const terse = new ServerAppend(actor, undefined);
    terse.send(JSON.stringify({ type: 'declared', requestId: terse.requestId, incidentId: 'INC-2' }));
    await assert.rejects(terse.done, (e: Error) => e.message === 'the append was refused: declared');

    const bare = new ServerAppend(actor, undefined);
    bare.send(JSON.stringify({ requestId: bare.requestId }));
    await assert.rejects(bare.done, (e: Error) => e.message === 'the append was refused: no reason');
  });
});

describe('server parts: /metrics', function () {
  this.timeout(20_000);
  after(removeTempDirs);

  it('counts an append the store refused, and logs it as an error', async () => {
    const store = new MemoryStore();
    await store.open();
    const log = capture(false);
    const t = await startTestServer({ eventStore: store, logger: createLogger({ stream: log.stream }) });
    const c = await TestClient.connect(t.url());
    try {
      const incidentId = await c.declare();
      assert.equal(sample(await metricsText(t), 'incident_room_store_failures_total'), 0);
      store.failAppends();
      const reply = await c.append(incidentId);
      assert.deepEqual([reply.type, reply.code], ['error', 'internal']);
      const text = await metricsText(t);
      assert.equal(sample(text, 'incident_room_store_failures_total'), 1);
      const failed = jsonLines(log.lines).find((l) => l.event === 'append failed');
      assert.deepEqual([failed?.level, failed?.incident], ['error', incidentId]);
      // Node process metrics are served beside the server's own (README: "/metrics … Node process metrics").
      assert.ok(sample(text, 'process_resident_memory_bytes') > 0, 'process metrics');
    } finally {
      c.close();
      await t.server.close();
    }
  });

  it('reports group commits by size and fsync time in seconds, and acks at sub-millisecond resolution', async () => {
    const metrics = new ServerMetrics();
    metrics.commit({ events: 3, fsyncMs: 3 });
    metrics.commit({ events: 100, fsyncMs: 40 });
    const observer = metrics.observer();
    observer.acked?.(0.3);
    observer.acked?.(3);
    const text = await metrics.registry.metrics();
    const at = (name: string) => sample(text, name);
    // A commit of 3 events and one of 100: told apart from single-event commits and from each other.
    assert.deepEqual(
      ['1', '2', '4', '64', '128', '1024'].map((le) => at(`incident_room_commit_events_bucket{le="${le}"}`)),
      [0, 0, 1, 1, 2, 2],
    );
    assert.ok(Math.abs(at('incident_room_fsync_duration_seconds_sum') - 0.043) < 1e-9, String(at('incident_room_fsync_duration_seconds_sum')));
    assert.equal(at('incident_room_fsync_duration_seconds_count'), 2);
    assert.deepEqual(['0.002', '0.004', '0.064'].map((le) => at(`incident_room_fsync_duration_seconds_bucket{le="${le}"}`)), [0, 1, 2]);
    // An ack in 0.3 ms and one in 3 ms land in different buckets.
    assert.deepEqual(['0.0005', '0.002', '0.004'].map((le) => at(`incident_room_append_to_ack_seconds_bucket{le="${le}"}`)), [1, 1, 2]);
  });

  it('scrapes before the store is tracked, without store gauges', async () => {
    const metrics = new ServerMetrics();
    const text = await metrics.registry.metrics();
    assert.match(text, /^# TYPE incident_room_store_incidents gauge$/m);
    assert.match(text, /^incident_room_store_incidents 0$/m);
    assert.match(text, /^incident_room_connections 0$/m);
  });

  it('follows the store\'s damaged-record count as a counter: each record once, never down when the store starts counting again', async () => {
    const metrics = new ServerMetrics();
    let damaged = 2;
    metrics.track({
      stats: () => ({ channels: 1, incidents: 1, events: 10, failed: false }),
      health: () => ({
        state: 'degraded', damagedRecords: damaged, quarantinedBytes: 312 * damaged, lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
      }),
      rooms: () => 0,
    });
    const scrape = async () => sample(await metrics.registry.metrics(), 'incident_room_store_damaged_records_total');
    assert.equal(await scrape(), 2);
    assert.equal(await scrape(), 2, 'scraped twice, counted once');
    damaged = 5;
    assert.equal(await scrape(), 5);
    // A store reopened counts from zero; the counter keeps what it reported, and /metrics keeps answering.
    damaged = 1;
    assert.equal(await scrape(), 5);
    damaged = 6;
    assert.equal(await scrape(), 6);
  });
});

describe('server parts: log lines', () => {
  it('on a terminal: a bare event, lists and missing values as JSON, an unserializable field marked, the line kept', () => {
    const { lines, stream } = capture(true);
    const logger = createLogger({ stream });
    logger.info('started');
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.warn('alerts refused', { fingerprints: ['a1b2', 'c3d4'], via: undefined, detail: circular });
    logger.error('declare failed', { channel: 'payments-oncall' });
    assert.match(lines[0]!, /^\S+Z INFO  started\n$/);
    assert.match(lines[1]!, /^\S+Z WARN  alerts refused fingerprints=\["a1b2","c3d4"\] via=null detail="\(unserializable\)"\n$/);
    assert.match(lines[2]!, /^\S+Z ERROR declare failed channel=payments-oncall\n$/);
  });

  it('for a collector: error lines at level error, and a bigint as its digits', () => {
    const { lines, stream } = capture(false);
    const logger = createLogger({ stream });
    logger.error('store failed', { bytes: 12345678901234567890n });
    assert.deepEqual(jsonLines(lines).map((l) => [l.level, l.event, l.bytes]), [['error', 'store failed', '12345678901234567890']]);
  });

  it('for a collector: a field that cannot be serialized is marked, and the line keeps its time, level, event and other fields', () => {
    const { lines, stream } = capture(false);
    const logger = createLogger({ stream });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.warn('alerts refused', { channel: 'payments-oncall', detail: circular, via: undefined });
    const [line] = jsonLines(lines);
    assert.deepEqual({ ...line, time: undefined }, { time: undefined, level: 'warn', event: 'alerts refused', channel: 'payments-oncall', detail: '(unserializable)' });
    assert.ok(!Number.isNaN(Date.parse(String(line!.time))), 'a time');
  });
});

describe('server parts: sockets that count, sockets pushed out', function () {
  this.timeout(20_000);
  const sockets: RawSocket[] = [];
  let t: TestServer;
  // Other loopback addresses (127.0.0.2…) stand for other hosts: Linux routes all of 127/8 to lo, macOS does not.
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.socket.destroy();
    await t?.server.close();
  });

  const open = (localAddress: string, send?: string) => {
    const s = rawSocket(t.server.port, { localAddress, ...(send ? { send } : {}) });
    sockets.push(s);
    return s;
  };
  /** Everything the server wrote back on a raw socket, as text. */
  const received = (s: RawSocket) => {
    let text = '';
    s.socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    return () => text;
  };
  const alertsPost = (port: number, body: string, extra = '') =>
    `POST /v1/channels/payments-oncall/alerts HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`;

  it('a connection that posted alerts counts against its address again once answered, however many requests it pipelined', async () => {
    t = await startTestServer({ store: 'memory', limits: { maxPendingPerAddress: 3 } });
    const port = t.server.port;
    const body = alertmanagerBody([stormAlert(1)]);
    const first = open('127.0.0.6');
    await first.ready;
    // Two posts in one write on one kept-alive connection: both are being answered at once.
    const keptAlive = open('127.0.0.6', alertsPost(port, body) + body + alertsPost(port, body) + body);
    const answers = received(keptAlive);
    await keptAlive.ready;
    await until('both answered', () => (answers().match(/^HTTP\/1\.1 202/gm) ?? []).length === 2);
    assert.ok(!keptAlive.isClosed(), 'kept alive');
    // The address holds two sockets that prove nothing now: one more is taken, the next is refused.
    const third = open('127.0.0.6');
    await third.ready;
    const fourth = open('127.0.0.6');
    await fourth.ready;
    await until('the fourth refused', () => fourth.isClosed());
    assert.ok(!third.isClosed(), 'the third is taken');
    assert.equal(sample(await metricsText(t), 'incident_room_socket_refusals_total{reason="per_address"}'), 1);
  });

  it('at the connection cap a newcomer pushes out an idle socket, never one whose request is being answered', async () => {
    t = await startTestServer({ store: 'memory', limits: { maxConnections: 3, maxPendingPerAddress: 100 } });
    const port = t.server.port;
    const body = alertmanagerBody([stormAlert(2)]);
    // The oldest socket: an alerts post whose body is still on its way (the server said "100 Continue").
    const uploading = open('127.0.0.2', alertsPost(port, body, 'Expect: 100-continue\r\n'));
    const answers = received(uploading);
    await until('the server took the request', () => /^HTTP\/1\.1 100 Continue/m.test(answers()));
    const idle = [open('127.0.0.3'), open('127.0.0.4')];
    await Promise.all(idle.map((s) => s.ready));
    const newcomer = open('127.0.0.5');
    await newcomer.ready;
    await until('an idle socket pushed out', () => idle[0]!.isClosed());
    uploading.socket.write(body);
    await until('the upload answered or closed', () => /^HTTP\/1\.1 202/m.test(answers()) || uploading.isClosed());
    assert.match(answers(), /^HTTP\/1\.1 202/m);
    assert.ok(!idle[1]!.isClosed() && !newcomer.isClosed(), 'only one pushed out');
    assert.equal(sample(await metricsText(t), 'incident_room_socket_refusals_total{reason="evicted"}'), 1);
  });

  it('at the connection cap, a connection whose second pipelined request is still being answered is not pushed out', async () => {
    t = await startTestServer({ store: 'memory', limits: { maxConnections: 2, maxPendingPerAddress: 100 } });
    const port = t.server.port;
    const body = alertmanagerBody([stormAlert(3)]);
    // A quick /healthz, then, on the same connection, an alerts post whose body is still on its way: the first
    // answer must not make the connection look idle while the second request is being answered.
    const pipelined = open('127.0.0.2', `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n${alertsPost(port, body, 'Expect: 100-continue\r\n')}`);
    const answers = received(pipelined);
    await until('healthz answered and the post taken', () => /^HTTP\/1\.1 200/m.test(answers()) && /^HTTP\/1\.1 100 Continue/m.test(answers()));
    const idle = open('127.0.0.3');
    await idle.ready;
    const newcomer = open('127.0.0.4');
    await newcomer.ready;
    await until('someone pushed out', () => idle.isClosed() || pipelined.isClosed());
    pipelined.socket.write(body);
    await until('the post answered or closed', () => /^HTTP\/1\.1 202/m.test(answers()) || pipelined.isClosed());
    assert.ok(!pipelined.isClosed(), 'the connection whose post was being answered was pushed out');
    assert.match(answers(), /^HTTP\/1\.1 202/m);
    assert.ok(idle.isClosed(), 'the idle one went instead');
  });

  it('the default connection cap stays below the process\'s descriptor limit', () => {
    const cap = defaultMaxConnections(1_000_000_000);
    assert.ok(cap < 1_000_000_000 && cap >= 16, String(cap));
  });
});
