import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseServerMessage } from '../../../src/protocol/messages';
import { PostgresStore } from '../../../src/store/postgresStore';
import { freshDatabase, usePostgres } from '../../support/postgres';
import { declareEvent, httpGet, noteEvent, removeTempDirs, sleep, startTestServer, TestClient, type TestServer } from './helpers';

/**
 * The guarantees of PROTOCOL.md, each on a real server (port 0, real sockets), once on a real file store and once on
 * a real PostgreSQL (a fresh database per test on the run's cluster, test/support/postgres.ts).
 */
for (const kind of ['file', 'postgres'] as const) describe(`server/channelServer: the guarantees of PROTOCOL.md (${kind} store)`, function () {
  this.timeout(30_000);
  if (kind === 'postgres') usePostgres('proto');
  let t: TestServer;
  const clients: TestClient[] = [];
  const connect = async (channel?: string, user?: string) => {
    const c = await TestClient.connect(t.url(channel), user ? { user } : {});
    clients.push(c);
    return c;
  };

  let pgUrl = '';
  const openPostgres = async () => {
    const store = new PostgresStore({ url: pgUrl });
    await store.open();
    return store;
  };
  beforeEach(async () => {
    const limits = { messagesPerSecond: 100_000, burst: 100_000 };
    if (kind === 'postgres') {
      pgUrl = await freshDatabase('proto');
      t = await startTestServer({ limits, eventStore: await openPostgres() });
    } else t = await startTestServer({ limits });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.server.close();
    if (kind === 'postgres') await t.store.close();
  });
  after(removeTempDirs);

  it('welcome lists the channel\'s incidents; declare assigns INC-1, INC-2… and announces a summary to every session', async () => {
    const a = await connect();
    const b = await connect();
    assert.deepEqual(a.messages[0]?.incidents, []);
    const first = await a.declare('Checkout 5xx');
    const second = await a.declare('Search slow');
    assert.deepEqual([first, second], ['INC-1', 'INC-2']);
    const summary = await b.next((m) => m.type === 'incident' && (m.summary as { id: string }).id === 'INC-2');
    assert.deepEqual(summary.summary, {
      id: 'INC-2', title: 'Search slow', severity: 'SEV2', status: 'investigating', declaredAt: (summary.summary as { declaredAt: string }).declaredAt,
      commander: { id: 'alice@example.com', name: 'Alice' }, headSeq: 1,
    });
    const c = await connect();
    assert.deepEqual((c.messages[0]?.incidents as { id: string }[]).map((i) => i.id), ['INC-1', 'INC-2']);
    for (const m of [...a.messages, ...b.messages, ...c.messages]) assert.ok(parseServerMessage(m).ok, JSON.stringify(m));
  });

  it('summaries go out on a status, severity, title or commander change, not on every append', async () => {
    const a = await connect();
    const b = await connect();
    const id = await a.declare();
    await b.next((m) => m.type === 'incident');
    const before = b.messages.filter((m) => m.type === 'incident').length;
    await a.append(id, noteEvent());
    await a.append(id, { id: randomUUID(), kind: 'status.changed', at: new Date().toISOString(), data: { status: 'mitigating' } });
    const s = await b.next((m) => m.type === 'incident' && (m.summary as { status: string }).status === 'mitigating');
    assert.equal((s.summary as { headSeq: number }).headSeq, 3);
    assert.equal(b.messages.filter((m) => m.type === 'incident').length, before + 1, 'the note was not announced');
    const list = await b.request({ type: 'list' });
    assert.equal(list.type, 'incidents');
    assert.deepEqual((list.items as { id: string; status: string; headSeq: number }[]).map((i) => [i.id, i.status, i.headSeq]), [[id, 'mitigating', 3]]);
    const pong = await b.request({ type: 'ping' });
    assert.equal(pong.type, 'pong');
    assert.ok(Math.abs(Date.parse(pong.serverTime as string) - Date.now()) < 5000);
  });

  it('1. total order: concurrent pipelined writers get seqs 1..N with no gap, and every subscriber sees the same sequence', async () => {
    const owner = await connect();
    const id = await owner.declare();
    const subscribers = await Promise.all([1, 2, 3].map(() => connect()));
    for (const s of subscribers) s.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    const writers = await Promise.all([1, 2, 3, 4].map((i) => connect(undefined, `writer${i}`)));
    const perWriter = 150;
    const acks = await Promise.all(writers.map((w, wi) => Promise.all(Array.from({ length: perWriter }, (_, i) => w.append(id, noteEvent(`w${wi}-${i}`))))));
    const seqs = acks.flat().map((a) => {
      assert.equal(a.type, 'ack', JSON.stringify(a));
      return a.seq as number;
    });
    const total = 1 + writers.length * perWriter;
    assert.deepEqual([...seqs].sort((x, y) => x - y), Array.from({ length: total - 1 }, (_, i) => i + 2), 'no gap, no repeat');
    // Each writer's own appends keep their order.
    for (const writerAcks of acks) {
      const mine = writerAcks.map((a) => a.seq as number);
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y));
    }
    for (const s of subscribers) await s.waitForSeq(id, total);
    const views = subscribers.map((s) => s.eventsOf(id).map((e) => `${e.seq}:${e.id}`));
    assert.equal(views[0]!.length, total);
    for (const v of views) assert.deepEqual(v, views[0]);
    // The live stream really was batched: far fewer frames than events.
    const frames = subscribers[0]!.messages.filter((m) => m.incidentId === id && (m.type === 'event' || m.type === 'events')).length;
    assert.ok(frames < total / 2, `${frames} frames for ${total} events`);
  });

  it('2. ack means durable: every acked event is in the store the moment the ack arrives', async () => {
    const a = await connect();
    const id = await a.declare();
    const acks = await Promise.all(Array.from({ length: 50 }, () => a.append(id, noteEvent())));
    const stored = await t.store.read('payments-oncall', id, 0, 1000);
    for (const ack of acks) assert.equal(stored.find((e) => e.seq === ack.seq)?.id, ack.eventId);
    // (The crash test kills the server process at random moments to show the same for the disk.)
  });

  it('3. idempotent re-send: the original seq with duplicate: true, not broadcast again, also after a reconnect', async () => {
    const a = await connect();
    const sub = await connect();
    const id = await a.declare();
    sub.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    const ev = noteEvent('exactly once');
    const first = await a.append(id, ev);
    assert.deepEqual([first.type, first.seq, first.duplicate, first.eventId], ['ack', 2, false, ev.id]);
    const again = await a.append(id, ev);
    assert.deepEqual([again.type, again.seq, again.duplicate], ['ack', 2, true]);
    a.close();
    const reconnected = await connect();
    const afterReconnect = await reconnected.append(id, ev);
    assert.deepEqual([afterReconnect.seq, afterReconnect.duplicate], [2, true]);
    const next = await reconnected.append(id, noteEvent('next'));
    assert.equal(next.seq, 3);
    await sub.waitForSeq(id, 3);
    const copies = sub.messages.flatMap((m) => (m.type === 'event' ? [m.event] : m.type === 'events' ? (m.events as unknown[]) : []))
      .filter((e) => (e as { id: string }).id === ev.id);
    assert.equal(copies.length, 1, 'broadcast once');
    // A re-sent declare (its reply was lost) finds its incident instead of opening another.
    const dec = declareEvent('lost reply');
    const d1 = await reconnected.request({ type: 'declare', event: dec });
    const d2 = await reconnected.request({ type: 'declare', event: dec });
    assert.deepEqual([d1.incidentId, d2.incidentId, d2.seq], ['INC-2', 'INC-2', 1]);
  });

  it('4. resume: subscribe afterSeq N returns only events after N, with the head, then live events', async () => {
    const a = await connect();
    const id = await a.declare();
    for (let i = 0; i < 30; i++) await a.append(id, noteEvent(`n${i}`));
    const b = await connect();
    b.send({ type: 'subscribe', incidentId: id, afterSeq: 25 });
    const replay = await b.next((m) => m.type === 'events');
    assert.deepEqual((replay.events as { seq: number }[]).map((e) => e.seq), [26, 27, 28, 29, 30, 31]);
    assert.equal(replay.headSeq, 31);
    await a.append(id, noteEvent('live'));
    const live = await b.next((m) => m.type === 'event');
    assert.equal((live.event as { seq: number }).seq, 32);
    // At the head: an empty reply, still with the head.
    const c = await connect();
    c.send({ type: 'subscribe', incidentId: id, afterSeq: 32 });
    const empty = await c.next((m) => m.type === 'events');
    assert.deepEqual([empty.events, empty.headSeq], [[], 32]);
    // After a restart of the server on the same data, the same.
    const dir = t.dir;
    for (const cl of clients.splice(0)) cl.close();
    await t.server.close();
    if (kind === 'postgres') await t.store.close();
    t = kind === 'postgres' ? await startTestServer({ eventStore: await openPostgres() }) : await startTestServer({ dir: dir! });
    const d = await connect();
    d.send({ type: 'subscribe', incidentId: id, afterSeq: 29 });
    const resumed = await d.next((m) => m.type === 'events');
    assert.deepEqual((resumed.events as { seq: number; data: { text: string } }[]).map((e) => [e.seq, e.data.text]), [[30, 'n28'], [31, 'n29'], [32, 'live']]);
  });

  it('5. isolation: a session sees only its own channel\'s incidents, summaries and events', async () => {
    const pay = await connect('payments-oncall');
    const search = await connect('search-oncall');
    const payId = await pay.declare('payments down');
    const searchId = await search.declare('search down');
    assert.deepEqual([payId, searchId], ['INC-1', 'INC-1'], 'INC-n is per channel');
    await pay.append(payId, noteEvent('payments only'));
    const refused = await search.append(payId === 'INC-1' ? 'INC-2' : payId, noteEvent());
    assert.deepEqual([refused.type, refused.code], ['error', 'unknown_incident']);
    search.send({ type: 'subscribe', incidentId: 'INC-1', afterSeq: 0 });
    const replay = await search.next((m) => m.type === 'events');
    assert.deepEqual((replay.events as { data: { title?: string } }[]).map((e) => e.data.title), ['search down']);
    const list = await search.request({ type: 'list' });
    assert.deepEqual((list.items as { title: string }[]).map((i) => i.title), ['search down']);
    await sleep(50);
    assert.ok(!search.messages.some((m) => JSON.stringify(m).includes('payments')), 'nothing of payments-oncall reached search-oncall');
  });

  it('6. bad input: each malformed message gets a typed error naming the field, and the session goes on', async () => {
    const a = await connect();
    const id = await a.declare();
    const cases: [unknown, string, RegExp][] = [
      ['{"type":', 'invalid_message', /^frame is not valid JSON$/],
      ['[1,2,3]', 'invalid_message', /^message must be a JSON object$/],
      [{ type: 'launch', requestId: 'x' }, 'invalid_message', /^type: expected hello\|subscribe\|unsubscribe\|declare\|append\|list\|ping\|signals$/],
      [{ type: 'append', requestId: 'r1', incidentId: id, event: { ...noteEvent(), kind: 'note.deleted' } }, 'invalid_message', /^event\.kind: expected /],
      [{ type: 'append', requestId: 'r2', incidentId: id, event: { ...noteEvent(), id: 'not-a-uuid' } }, 'invalid_message', /^event\.id: expected a UUID$/],
      [{ type: 'append', requestId: 'r3', incidentId: id, event: { id: randomUUID(), kind: 'severity.changed', at: new Date().toISOString(), data: { severity: 'SEV9' } } }, 'invalid_message', /^event\.data\.severity: expected SEV1\|SEV2\|SEV3\|SEV4$/],
      [{ type: 'append', requestId: 'r4', incidentId: id, event: { ...noteEvent(), data: { text: 'x'.repeat(8001), tag: 'note' } } }, 'invalid_message', /^event\.data\.text: must be at most 8000 characters$/],
      [{ type: 'append', requestId: 'r5', incidentId: 'INC-99', event: noteEvent() }, 'unknown_incident', /^incidentId: no incident INC-99/],
      [{ type: 'append', requestId: 'r6', incidentId: 'inc-1', event: noteEvent() }, 'invalid_message', /^incidentId: expected an incident id like INC-7$/],
      [{ type: 'subscribe', incidentId: id, afterSeq: -1 }, 'invalid_message', /^afterSeq: must be at least 0$/],
      [{ type: 'subscribe', incidentId: id, afterSeq: 1e400 }, 'invalid_message', /^afterSeq: /],
      [{ type: 'declare', requestId: 'r7', event: { ...declareEvent(), data: { title: '', severity: 'SEV1', symptom: '' } } }, 'invalid_message', /^event\.data\.title: must not be empty$/],
      [{ type: 'ping', requestId: 'x'.repeat(65) }, 'invalid_message', /^requestId: must be at most 64 characters$/],
      [{ type: 'hello', protocol: 1, clientId: 'again', user: { id: 'a', name: 'A' } }, 'invalid_message', /^type: hello was already received/],
      ['{"type":"append","requestId":"r8","incidentId":"' + id + '","event":{"__proto__":{"kind":"note.added"},"id":"' + randomUUID() + '"}}', 'invalid_message', /^event\.kind: /],
    ];
    for (const [frame, code, message] of cases) {
      const errors = a.messages.filter((m) => m.type === 'error').length;
      a.send(frame);
      await a.next(() => a.messages.filter((m) => m.type === 'error').length > errors);
      const err = a.messages.filter((m) => m.type === 'error').at(-1)!;
      assert.equal(err.code, code, `${JSON.stringify(frame).slice(0, 80)} → ${JSON.stringify(err)}`);
      assert.match(err.message as string, message);
      const requestId = typeof frame === 'object' ? (frame as { requestId?: string }).requestId : /"requestId":"(r\d)"/.exec(frame as string)?.[1];
      if (requestId && requestId.length <= 64) assert.equal(err.requestId, requestId, 'the error echoes the requestId');
    }
    assert.equal((await a.append(id, noteEvent('still fine'))).type, 'ack');
    assert.equal(({}).constructor, Object, 'no prototype pollution');
  });

  it('a frame nested too deep gets an error that echoes its requestId, and the session goes on', async () => {
    const a = await connect();
    const id = await a.declare();
    const deep = '['.repeat(40) + ']'.repeat(40);
    a.send(`{"type":"append","requestId":"deep-1","incidentId":"${id}","event":{"id":"${randomUUID()}","kind":"note.added","at":"${new Date().toISOString()}","data":{"text":${deep},"tag":"note"}}}`);
    const err = await a.next((m) => m.type === 'error');
    assert.deepEqual([err.code, err.requestId], ['invalid_message', 'deep-1']);
    assert.match(err.message as string, /nests deeper than 32 levels/);
    assert.equal((await a.append(id, noteEvent('still fine'))).type, 'ack');
  });

  it('serves /healthz (liveness only) on the channel port and /metrics on the metrics listener', async () => {
    const a = await connect();
    const id = await a.declare();
    await a.append(id, noteEvent());
    a.send('nonsense');
    await a.next((m) => m.type === 'error');
    const health = await httpGet(t.server.port, '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { ok: true, status: 'ok' });
    assert.equal(health.headers.get('cache-control'), 'no-store');
    const metrics = await httpGet(t.server.metricsPort!, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    for (const line of [
      /^incident_room_connections 1$/m, /^incident_room_appends_total\{outcome="new"\} 2$/m, /^incident_room_acks_total 2$/m,
      /^incident_room_errors_total\{code="invalid_message"\} 1$/m, /^incident_room_fsync_duration_seconds_count [1-9]/m,
      /^incident_room_append_to_ack_seconds_bucket\{le="\+Inf"\} 2$/m,
      // What /healthz used to answer, now here.
      /^incident_room_store_incidents 1$/m, /^incident_room_store_events 2$/m, /^incident_room_rooms 1$/m,
    ]) assert.match(metrics.body, line);
    assert.equal((await httpGet(t.server.port, '/nope')).status, 404);
    assert.equal((await httpGet(t.server.metricsPort!, '/nope')).status, 404);
  });

  it('a damaged record: /healthz answers degraded with counts (never contents), /metrics counts the damaged records', async function () {
    // Bit rot in a log file is the file store's; PostgreSQL checks its own pages.
    if (kind !== 'file') this.skip();
    const a = await connect();
    const id = await a.declare();
    for (let i = 0; i < 5; i++) await a.append(id, noteEvent(`note number ${i} to keep`));
    a.close();
    clients.splice(0);
    const dir = t.dir!;
    await t.server.close();
    // Bit rot in the middle of the log: one byte of the third note's text.
    const log = path.join(dir, 'events.log');
    const bytes = readFileSync(log);
    const at = bytes.indexOf('note number 2 to keep');
    assert.ok(at > 0);
    bytes[at + 5] = bytes[at + 5]! ^ 0x20;
    writeFileSync(log, bytes);
    t = await startTestServer({ dir });
    const health = await httpGet(t.server.port, '/healthz');
    assert.equal(health.status, 200, 'degraded still serves');
    const h = JSON.parse(health.body) as { damaged?: Record<string, number> };
    assert.ok((h.damaged?.quarantinedBytes ?? 0) > 0, health.body);
    assert.deepEqual(h, {
      ok: true, status: 'degraded',
      damaged: { records: 1, quarantinedBytes: h.damaged!.quarantinedBytes, lostEvents: 1, incidentsWithLostEvents: 1, incidentsWithoutDeclaration: 0 },
    });
    assert.doesNotMatch(health.body, /note number|quarantine"|events\.log|\//, 'no contents, no paths');
    const metrics = await httpGet(t.server.metricsPort!, '/metrics');
    assert.match(metrics.body, /^incident_room_store_damaged_records_total 1$/m);
    assert.match(metrics.body, /^incident_room_store_lost_events 1$/m);
    // The other events are still served.
    const b = await connect();
    b.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    await b.next((m) => m.type === 'events');
    assert.deepEqual(b.eventsOf(id).map((e) => e.seq), [1, 2, 3, 5, 6]);
  });
});
