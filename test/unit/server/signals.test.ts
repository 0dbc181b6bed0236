import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { signalCounts } from '../../../src/core/signals';
import { EventId } from '../../../src/protocol/events';
import { parseServerMessage, Signal } from '../../../src/protocol/messages';
import type { IncomingAlert } from '../../../src/server/alertPayload';
import { TokensFile } from '../../../src/server/auth';
import { ChannelSignals, listedSignals, MAX_LISTED_SIGNALS, mergeAlert, signalResolvedEventId } from '../../../src/server/signals';
import { silentLogger } from '../../../src/server/logger';
import { MemoryStore } from '../../../src/store/memoryStore';
import { PostgresStore } from '../../../src/store/postgresStore';
import { freshDatabase, usePostgres } from '../../support/postgres';
import { until } from '../../support/until';
import { alertmanagerBody, ALERTMANAGER_V4, fingerprintOf, GRAFANA, postAlerts, stormAlert } from './alertPayloads';
import { type Msg, removeTempDirs, startTestServer, TestClient, type TestServer } from './helpers';

const CHANNEL = 'payments-oncall';
// As an operator writes them (PROTOCOL.md "Tokens file"): Alertmanager posts with a token of its own.
const TOKENS = TokensFile.parse(JSON.parse(`[
  { "name": "alertmanager-prod", "token": "tok-am-5be2d1", "channels": ["payments-oncall"] },
  { "name": "payments-team", "token": "tok-payments-7f3a9c", "channels": ["payments-*"] },
  { "name": "stakeholders", "token": "tok-stake-31c0aa", "channels": ["payments-*"], "access": "read" },
  { "name": "status-public", "public": true, "channels": ["payments-oncall"] }
]`));
const AM = 'tok-am-5be2d1';
const TEAM = 'tok-payments-7f3a9c';
const READER = 'tok-stake-31c0aa';

const iso = (ms: number) => new Date(ms).toISOString();

function incoming(fingerprint: string, over: Partial<IncomingAlert> = {}): IncomingAlert {
  return {
    fingerprint, status: 'firing', labels: { alertname: 'HighErrorRate', severity: 'critical' }, annotations: { summary: 'Checkout 5xx above 5%' },
    startsAt: '2026-11-22T14:02:00.000Z', endsAt: null, generatorURL: null, externalURL: 'http://am-0:9093', receiver: 'incident-room', ...over,
  };
}

describe('server/signals: merging, listing, the signal.resolved id', () => {
  it('merges by fingerprint: a new signal, a change, a repeat that changes nothing, a late notification of an earlier start', () => {
    const first = mergeAlert(undefined, incoming('f1'), '2026-11-22T14:02:05.000Z')!;
    assert.deepEqual([first.receivedAt, first.updatedAt, first.incidentId], ['2026-11-22T14:02:05.000Z', '2026-11-22T14:02:05.000Z', null]);
    const linked: Signal = { ...first, incidentId: 'INC-4' };
    assert.equal(mergeAlert(linked, incoming('f1'), '2026-11-22T18:02:05.000Z'), null, 'a repeat (repeat_interval)');
    assert.equal(mergeAlert(linked, incoming('f1', { labels: { severity: 'critical', alertname: 'HighErrorRate' } }), '2026-11-22T18:02:05.000Z'), null, 'labels in another order');
    assert.equal(mergeAlert(linked, incoming('f1', { externalURL: 'http://am-1:9093' }), '2026-11-22T18:02:05.000Z'), null, 'the other Alertmanager of an HA pair');
    const resolved = mergeAlert(linked, incoming('f1', { status: 'resolved', endsAt: '2026-11-22T14:30:00.000Z' }), '2026-11-22T14:30:02.000Z')!;
    assert.deepEqual([resolved.status, resolved.endsAt, resolved.incidentId, resolved.receivedAt, resolved.updatedAt],
      ['resolved', '2026-11-22T14:30:00.000Z', 'INC-4', '2026-11-22T14:02:05.000Z', '2026-11-22T14:30:02.000Z']);
    assert.equal(mergeAlert(resolved, incoming('f1', { startsAt: '2026-11-22T13:00:00.000Z' }), '2026-11-22T14:31:00.000Z'), null, 'late: an earlier firing');
    const again = mergeAlert(resolved, incoming('f1', { startsAt: '2026-11-22T16:00:00.000Z' }), '2026-11-22T16:00:05.000Z')!;
    assert.deepEqual([again.status, again.endsAt, again.startsAt], ['firing', null, '2026-11-22T16:00:00.000Z'], 'fires again');
  });

  it('makes a signal of every field an alert has, Grafana\'s included, in the order the wire has always had them', () => {
    const grafana = incoming('g1', {
      silenceURL: 'https://grafana.example.com/alerting/silence/new', dashboardURL: 'https://grafana.example.com/d/abc',
      panelURL: 'https://grafana.example.com/d/abc?viewPanel=2', values: { B: 0.12, C: null },
    });
    const s = mergeAlert(undefined, grafana, '2026-11-22T14:02:05.000Z')!;
    assert.deepEqual(s, { ...grafana, incidentId: null, receivedAt: '2026-11-22T14:02:05.000Z', updatedAt: '2026-11-22T14:02:05.000Z' });
    // As toIncoming (server/alertPayload.ts) orders an alert's fields, then the signal's own.
    assert.deepEqual(Object.keys(s), ['fingerprint', 'status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'silenceURL', 'dashboardURL', 'panelURL',
      'values', 'externalURL', 'receiver', 'incidentId', 'receivedAt', 'updatedAt']);
    const plain = mergeAlert(undefined, incoming('p1', { externalURL: undefined, receiver: undefined }), '2026-11-22T14:02:05.000Z')!;
    assert.deepEqual(Object.keys(plain), ['fingerprint', 'status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'incidentId', 'receivedAt', 'updatedAt'],
      'an optional field the alert lacks is absent, not undefined');
    assert.ok(Signal.safeParse(s).success && Signal.safeParse(plain).success);
  });

  it('lists firing first (newest start first), then resolved in the last 24 hours (newest end first), at most 500', () => {
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    const s = (fp: string, over: Partial<Signal>): Signal => ({ ...mergeAlert(undefined, incoming(fp), iso(now))!, ...over });
    const all = [
      s('old-resolved', { status: 'resolved', startsAt: iso(now - 30 * 3600_000), endsAt: iso(now - 25 * 3600_000) }),
      s('resolved-late', { status: 'resolved', startsAt: iso(now - 9 * 3600_000), endsAt: iso(now - 3600_000) }),
      s('firing-old', { startsAt: iso(now - 3 * 3600_000) }),
      s('resolved-early', { status: 'resolved', startsAt: iso(now - 9 * 3600_000), endsAt: iso(now - 5 * 3600_000) }),
      s('firing-new', { startsAt: iso(now - 600_000) }),
    ];
    assert.deepEqual(listedSignals(all, now).map((x) => x.fingerprint), ['firing-new', 'firing-old', 'resolved-late', 'resolved-early']);
    const many = Array.from({ length: 600 }, (_, i) => s(`f${i}`, { startsAt: iso(now - i * 1000) }));
    const listed = listedSignals([...many, ...all], now);
    assert.equal(listed.length, MAX_LISTED_SIGNALS);
    assert.ok(listed.every((x) => x.status === 'firing'), 'firing ones first');
  });

  it('a digest recipient with too much queued misses a digest; the next one it gets says changes were left out, and comes without another change', async () => {
    const store = new MemoryStore();
    const signals = new ChannelSignals({ name: CHANNEL, store, logger: silentLogger, now: () => Date.now(), appendAsServer: async () => true });
    const frames: Record<string, unknown>[] = [];
    let queued = 0;
    let looked = 0;
    const recipient = {
      send: (f: string) => void frames.push(JSON.parse(f) as Record<string, unknown>),
      bufferedAmount: () => {
        looked++;
        return queued;
      },
    };
    await signals.load();
    signals.addRecipient(recipient, 'digest');
    await signals.ingest([incoming('f1')], undefined);
    await until('the first digest went', () => frames.length === 1);
    assert.deepEqual([frames[0]!.firing, frames[0]!.omitted], [1, 0]);
    queued = 10 * 1024 * 1024;
    const before = looked;
    await signals.ingest([incoming('f2')], undefined);
    await until('a digest was due and found too much queued', () => looked > before);
    assert.equal(frames.length, 1, 'not sent while too much is queued');
    queued = 0;
    await until('the next digest went, with nothing else changed', () => frames.length === 2, 5000);
    assert.deepEqual([frames[1]!.firing, (frames[1]!.omitted as number) >= 1], [2, true]);
    signals.dispose();
  });

  it('counts firing and resolved signals as they change, as counting them all would, after a restart too', async () => {
    const store = new MemoryStore();
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    const owner = { name: CHANNEL, store, logger: silentLogger, now: () => now, appendAsServer: async () => true };
    const signals = new ChannelSignals(owner);
    const counts = async (of: ChannelSignals) => {
      const f = JSON.parse(await of.listFrame('r1')) as { firing: number; resolved: number };
      return [f.firing, f.resolved];
    };
    const expected = async () => {
      const { firing, resolved } = signalCounts(await store.listSignals(CHANNEL), now);
      return [firing, resolved];
    };
    await signals.ingest(['f1', 'f2', 'f3', 'f4'].map((f) => incoming(f, { startsAt: iso(now - 48 * 3600_000) })), undefined);
    assert.deepEqual(await counts(signals), [4, 0]);
    await signals.ingest([
      incoming('f2', { status: 'resolved', startsAt: iso(now - 48 * 3600_000), endsAt: iso(now - 3600_000) }),
      incoming('f3', { status: 'resolved', startsAt: iso(now - 48 * 3600_000), endsAt: iso(now - 30 * 3600_000) }),
      incoming('f4', { status: 'resolved', startsAt: iso(now - 48 * 3600_000), endsAt: iso(now - 2 * 3600_000) }),
    ], undefined);
    assert.deepEqual(await counts(signals), [1, 2], 'f3 ended over 24 hours ago: not counted');
    assert.deepEqual(await counts(signals), await expected());
    // f4 fires again, f2 is told again unchanged (a repeat), a new one fires.
    await signals.ingest([incoming('f4', { startsAt: iso(now - 600_000) }), incoming('f2', { status: 'resolved', startsAt: iso(now - 48 * 3600_000), endsAt: iso(now - 3600_000) }), incoming('f5')], undefined);
    assert.deepEqual(await counts(signals), [3, 1]);
    assert.deepEqual(await counts(signals), await expected());
    const restarted = new ChannelSignals(owner);
    assert.deepEqual(await counts(restarted), [3, 1], 'counted from the store on load');
    signals.dispose();
    restarted.dispose();
  });

  it('gives a resolution a UUID that zod takes, the same for the same resolution, another for another', () => {
    const id = signalResolvedEventId(CHANNEL, 'a1b2c3d4e5f60718', '2026-11-22T14:30:00.000Z');
    assert.ok(EventId.safeParse(id).success, id);
    assert.equal(id, signalResolvedEventId(CHANNEL, 'a1b2c3d4e5f60718', '2026-11-22T14:30:00.000Z'));
    assert.notEqual(id, signalResolvedEventId(CHANNEL, 'a1b2c3d4e5f60718', '2026-11-22T15:30:00.000Z'));
    assert.notEqual(id, signalResolvedEventId('payments-eu', 'a1b2c3d4e5f60718', '2026-11-22T14:30:00.000Z'));
  });
});

/** PROTOCOL.md "Signals", on a real server (port 0, real sockets), once on a file store and once on a real PostgreSQL. */
for (const kind of ['file', 'postgres'] as const) describe(`server/signals: alerts in, signals out (${kind} store)`, function () {
  this.timeout(60_000);
  if (kind === 'postgres') usePostgres('signals');
  let t: TestServer;
  let pgUrl = '';
  const clients: TestClient[] = [];
  const limits = { messagesPerSecond: 100_000, burst: 100_000 };

  const start = async (dir?: string) => {
    if (kind === 'postgres') {
      const store = new PostgresStore({ url: pgUrl });
      await store.open();
      return startTestServer({ limits, tokens: TOKENS, eventStore: store });
    }
    return startTestServer({ limits, tokens: TOKENS, ...(dir ? { dir } : {}) });
  };
  const stop = async (server: TestServer) => {
    for (const c of clients.splice(0)) c.close();
    await server.server.close();
    if (kind === 'postgres') await server.store.close();
  };
  const connect = async (token = TEAM, channel = CHANNEL, user = 'alice@example.com', helloExtra: Record<string, unknown> = {}) => {
    const c = await TestClient.connect(t.url(channel), { token, user, helloExtra });
    clients.push(c);
    return c;
  };
  /** A status page's session: no token, `incident-room.v1`, on a public channel. */
  const publicSession = async () => {
    const ws = new WebSocket(t.url(), ['incident-room.v1']);
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    c.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'status-page', name: 'Status page' } });
    await c.next((m) => m.type === 'welcome');
    clients.push(c);
    return c;
  };
  const post = (body: string, token = AM) => postAlerts(t.server.port, body, { token });
  const signalOf = (m: Msg) => m.signal as Signal;
  const framesFor = (c: TestClient, fingerprint: string) => c.messages.filter((m) => m.type === 'signal' && signalOf(m).fingerprint === fingerprint).map(signalOf);
  /** A marker alert posted after something else: once a session has its frame, it has everything sent before it. */
  const marker = async (c: TestClient) => {
    const fp = fingerprintOf(randomUUID());
    assert.equal((await post(alertmanagerBody([stormAlert(0, { fingerprint: fp })]))).status, 202);
    await c.next((m) => m.type === 'signal' && signalOf(m).fingerprint === fp);
  };

  beforeEach(async () => {
    if (kind === 'postgres') pgUrl = await freshDatabase('signals');
    t = await start();
  });
  afterEach(async () => {
    await stop(t);
  });
  after(removeTempDirs);

  it('tells every write and read session of the channel each signal with every field, and answers signals; never a public session or another channel', async () => {
    const writer = await connect();
    const reader = await connect(READER, CHANNEL, 'stakeholder');
    const elsewhere = await connect(TEAM, 'payments-eu');
    const page = await publicSession();
    const before = Date.now();
    const res = await post(ALERTMANAGER_V4);
    assert.deepEqual([res.status, res.body], [202, { accepted: 1 }]);
    const expected = {
      fingerprint: 'a1b2c3d4e5f60718', status: 'firing',
      labels: { alertname: 'HighErrorRate', instance: 'checkout-7d9f8b6c5-x2x9k:8080', job: 'checkout', region: 'eu-west-1', service: 'checkout', severity: 'critical' },
      annotations: {
        description: 'The 5xx ratio of checkout in eu-west-1 has been 7.3% for 5 minutes.', runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
        summary: 'Checkout 5xx rate above 5%',
      },
      startsAt: '2026-11-22T14:02:00.123Z', endsAt: null,
      generatorURL: 'http://prometheus-0:9090/graph?g0.expr=job%3A5xx_ratio%3Arate5m%7Bjob%3D%22checkout%22%7D+%3E+0.05&g0.tab=1',
      externalURL: 'http://alertmanager-0.monitoring.svc:9093', receiver: 'incident-room', incidentId: null,
    };
    for (const c of [writer, reader]) {
      const { receivedAt, updatedAt, ...rest } = signalOf(await c.next((m) => m.type === 'signal'));
      assert.deepEqual(rest, expected);
      assert.equal(receivedAt, updatedAt);
      assert.ok(Date.parse(receivedAt) >= before - 1000 && Date.parse(receivedAt) <= Date.now() + 1000, receivedAt);
    }
    assert.equal((await post(GRAFANA)).status, 202);
    const grafana = signalOf(await reader.next((m) => m.type === 'signal' && signalOf(m).fingerprint === '57c6d9296de2ad39'));
    assert.deepEqual([grafana.silenceURL, grafana.dashboardURL, grafana.panelURL, grafana.values, grafana.startsAt, grafana.externalURL], [
      'https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DCheckout+latency&orgId=1',
      'https://grafana.example.com/d/checkout-red?orgId=1', 'https://grafana.example.com/d/checkout-red?orgId=1&viewPanel=4', { A: 2.37, B: 1 },
      '2026-11-22T13:02:10.000Z', 'https://grafana.example.com/',
    ]);
    for (const c of [writer, reader]) {
      const list = await c.request({ type: 'signals' });
      assert.equal(list.type, 'signals');
      // Alertmanager's started 14:02:00Z, Grafana's 14:02:10+01:00 (13:02:10Z): newest start first.
      assert.deepEqual((list.items as Signal[]).map((s) => s.fingerprint), ['a1b2c3d4e5f60718', '57c6d9296de2ad39']);
    }
    // Frames go to every recipient in one pass: whoever was one has its frames before the answer to a later ping.
    for (const c of [elsewhere, page]) {
      assert.equal((await c.request({ type: 'ping' })).type, 'pong');
      assert.deepEqual(c.messages.filter((m) => m.type === 'signal'), []);
    }
    const refused = await page.request({ type: 'signals' });
    assert.deepEqual([refused.type, refused.code], ['error', 'forbidden']);
    assert.match(String(refused.message), /^signals: no token/);
    assert.deepEqual((await elsewhere.request({ type: 'signals' })).items, [], 'another channel has signals of its own');
    for (const m of [...writer.messages, ...reader.messages, ...page.messages]) assert.ok(parseServerMessage(m).ok, JSON.stringify(m).slice(0, 300));
  });

  it('deduplicates by fingerprint: a later notification updates the signal (firing → resolved), receivedAt stays, updatedAt moves', async () => {
    const c = await connect();
    const fp = 'a1b2c3d4e5f60718';
    assert.equal((await post(alertmanagerBody([stormAlert(1, { fingerprint: fp })]))).status, 202);
    const first = signalOf(await c.next((m) => m.type === 'signal'));
    const described = stormAlert(1, { fingerprint: fp, annotations: { summary: 'Checkout 5xx rate above 9%' } });
    assert.equal((await post(alertmanagerBody([described]))).status, 202);
    const second = signalOf(await c.next((m) => m.type === 'signal' && signalOf(m).annotations['summary'] === 'Checkout 5xx rate above 9%'));
    assert.equal(second.receivedAt, first.receivedAt);
    assert.ok(second.updatedAt >= first.updatedAt);
    const endsAt = iso(Date.now() - 60_000);
    const resolvedBody = alertmanagerBody([stormAlert(1, { fingerprint: fp, status: 'resolved', endsAt, annotations: { summary: 'Checkout 5xx rate above 9%' } })]);
    assert.deepEqual((await post(resolvedBody)).body, { accepted: 1 });
    const resolved = signalOf(await c.next((m) => m.type === 'signal' && signalOf(m).status === 'resolved'));
    assert.deepEqual([resolved.fingerprint, resolved.endsAt, resolved.receivedAt], [fp, endsAt, first.receivedAt]);
    // A late notification of an earlier firing changes nothing.
    assert.equal((await post(alertmanagerBody([stormAlert(1, { fingerprint: fp, startsAt: '2026-11-22T13:00:00Z' })]))).status, 202);
    await marker(c);
    const list = await c.request({ type: 'signals' });
    assert.deepEqual((list.items as Signal[]).filter((s) => s.fingerprint === fp).map((s) => [s.status, s.endsAt]), [['resolved', endsAt]], 'one signal, resolved');
    assert.equal(framesFor(c, fp).length, 3, 'told on each change, not for the late one');
  });

  it('acknowledges a repeated notification (repeat_interval) without storing or telling it again', async () => {
    const c = await connect();
    const body = alertmanagerBody([stormAlert(1), stormAlert(2)]);
    assert.equal((await post(body)).status, 202);
    await c.next((m) => m.type === 'signal' && signalOf(m).fingerprint === fingerprintOf(2));
    const stored = await t.store.listSignals(CHANNEL);
    for (let i = 0; i < 3; i++) assert.deepEqual((await post(body)).body, { accepted: 2 });
    await marker(c);
    assert.equal(framesFor(c, fingerprintOf(1)).length, 1, 'told once');
    assert.equal(framesFor(c, fingerprintOf(2)).length, 1);
    const again = await t.store.listSignals(CHANNEL, [fingerprintOf(1), fingerprintOf(2)]);
    const byFp = (list: Signal[]) => Object.fromEntries(list.map((s) => [s.fingerprint, s.updatedAt]));
    assert.deepEqual(byFp(again), byFp(stored.filter((s) => s.fingerprint !== undefined)), 'not stored again');
  });

  it('keeps signals across a restart: the answer to signals is the same', async () => {
    assert.equal((await post(alertmanagerBody([stormAlert(1), stormAlert(2, { status: 'resolved', endsAt: iso(Date.now() - 60_000) })]))).status, 202);
    const c = await connect();
    const before = await c.request({ type: 'signals' });
    assert.equal((before.items as Signal[]).length, 2);
    await stop(t);
    t = await start(t.dir ?? undefined);
    const after = await (await connect()).request({ type: 'signals' });
    assert.deepEqual(after.items, before.items);
  });

  it('links the signal a signal.linked event names; once it resolves the server appends signal.resolved to the incident, once however often it is delivered', async () => {
    const writer = await connect();
    const watcher = await connect(READER, CHANNEL, 'stakeholder');
    const fp = 'a1b2c3d4e5f60718';
    const firing = alertmanagerBody([stormAlert(1, { fingerprint: fp })]);
    assert.equal((await post(firing)).status, 202);
    const signal = signalOf(await writer.next((m) => m.type === 'signal'));
    const incidentId = await writer.declare('Checkout 5xx');
    watcher.send({ type: 'subscribe', incidentId, afterSeq: 0 });
    const link = { id: randomUUID(), kind: 'signal.linked', at: iso(Date.now()), data: { fingerprint: fp, alertname: 'HighErrorRate', startsAt: signal.startsAt } };
    assert.equal((await writer.append(incidentId, link)).type, 'ack');
    const linked = signalOf(await watcher.next((m) => m.type === 'signal' && signalOf(m).incidentId === incidentId));
    assert.deepEqual([linked.fingerprint, linked.status, linked.receivedAt], [fp, 'firing', signal.receivedAt]);
    // A fingerprint the channel never had: the event stands, nothing else happens.
    const nowhere = { ...link, id: randomUUID(), data: { ...link.data, fingerprint: 'ffffffffffffffff' } };
    assert.equal((await writer.append(incidentId, nowhere)).type, 'ack');
    // A repeat from monitoring (no incidentId in it) keeps the link.
    assert.equal((await post(firing)).status, 202);

    const resolvedBody = alertmanagerBody([stormAlert(1, { fingerprint: fp, status: 'resolved' })]);
    assert.deepEqual((await post(resolvedBody)).body, { accepted: 1 });
    // 202 means durable: the event is in the store already.
    const resolvedEvents = async () => (await t.store.read(CHANNEL, incidentId, 0, 100)).filter((e) => e.kind === 'signal.resolved').map((e) => JSON.parse(e.json) as Record<string, unknown>);
    const [event] = await resolvedEvents();
    assert.ok(event, 'signal.resolved is stored before the answer');
    const endsAt = '2026-11-22T14:31:15.500Z';
    assert.deepEqual({ id: event['id'], kind: event['kind'], at: event['at'], actor: event['actor'], via: event['via'], data: event['data'] }, {
      id: signalResolvedEventId(CHANNEL, fp, endsAt), kind: 'signal.resolved', at: endsAt, actor: { id: 'alerts', name: 'incident-room' }, via: 'alertmanager-prod',
      data: { fingerprint: fp, alertname: 'HighErrorRate', startsAt: signal.startsAt, endsAt },
    });
    const live = await until('the subscriber has it', () => watcher.eventsOf(incidentId).find((e) => e.kind === 'signal.resolved'));
    assert.equal(live.id, event['id']);
    const resolved = signalOf(await writer.next((m) => m.type === 'signal' && signalOf(m).status === 'resolved'));
    assert.equal(resolved.incidentId, incidentId, 'still linked');

    // Alertmanager delivers it again (a retry, the other of an HA pair): a duplicate, not a second event.
    for (let i = 0; i < 2; i++) assert.equal((await post(resolvedBody)).status, 202);
    assert.equal((await resolvedEvents()).length, 1);
    const replay = await connect();
    replay.send({ type: 'subscribe', incidentId, afterSeq: 0 });
    const head = ((await writer.request({ type: 'list' })).items as { headSeq: number }[])[0]!.headSeq;
    await replay.waitForSeq(incidentId, head);
    assert.deepEqual(replay.eventsOf(incidentId).map((e) => e.kind), ['incident.declared', 'signal.linked', 'signal.linked', 'signal.resolved']);
    assert.deepEqual(framesFor(writer, 'ffffffffffffffff'), [], 'nothing was made of the unknown fingerprint');
    for (const m of [...writer.messages, ...watcher.messages]) assert.ok(parseServerMessage(m).ok, JSON.stringify(m).slice(0, 300));
  });

  it('tells a session that reads slowly every signal at its own pace, never closing it for a storm it cannot take at once', async function () {
    this.timeout(120_000);
    await stop(t);
    // A small bound on what may be queued for a session, and a storm far bigger than the sockets' kernel buffers
    // (2,500 alerts with long descriptions, about 13 MB of frames): sent at once, it would pass the bound.
    const store = kind === 'postgres' ? new PostgresStore({ url: pgUrl }) : undefined;
    await store?.open();
    t = await startTestServer({ limits: { ...limits, maxBufferedBytes: 1024 * 1024 }, tokens: TOKENS, ...(store ? { eventStore: store } : {}) });
    const fast = await connect();
    const slow = await connect(READER, CHANNEL, 'stakeholder');
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const long = (i: number) => ({ summary: `Probe of host-${i} failing`, description: `${'The probe has failed for 2 minutes. '.repeat(140)}(${i})` });
    assert.equal((await post(alertmanagerBody(Array.from({ length: 2500 }, (_, i) => stormAlert(i, { annotations: long(i) }))))).status, 202);
    const seen = (c: TestClient) => new Set(c.messages.filter((m) => m.type === 'signal').map((m) => signalOf(m).fingerprint)).size;
    await until('the fast session has them all', () => seen(fast) === 2500, 60_000);
    assert.equal(seen(slow), 0, 'the slow one has read nothing yet');
    socket.resume();
    await until('the slow session has them all too', () => seen(slow) === 2500, 60_000);
    assert.equal(slow.ws.readyState, WebSocket.OPEN, 'never closed as too slow');
    assert.equal((await slow.request({ type: 'ping' })).type, 'pong');
  });

  it('a session that asks for digests is told a storm in a few small frames: the channel\'s counts, the newest changes, how many it left out', async function () {
    this.timeout(120_000);
    const sidebar = await connect(TEAM, CHANNEL, 'alice@example.com', { signalDigest: true });
    const reader = await connect(READER, CHANNEL, 'stakeholder', { signalDigest: true });
    const legacy = await connect(TEAM, CHANNEL, 'bob@example.com');
    const digests = (c: TestClient) => c.messages.filter((m) => m.type === 'signalDigest');
    const bytes = (c: TestClient) => digests(c).reduce((n, m) => n + JSON.stringify(m).length, 0);

    // Quiet: one alert is told at once, whole, with nothing left out.
    assert.equal((await post(ALERTMANAGER_V4)).status, 202);
    const first = await sidebar.next((m) => m.type === 'signalDigest');
    assert.deepEqual([first.firing, first.resolved, first.omitted, (first.items as Signal[]).map((s) => s.fingerprint)], [1, 0, 0, ['a1b2c3d4e5f60718']]);
    assert.ok(parseServerMessage(first).ok);
    await reader.next((m) => m.type === 'signalDigest');

    // A storm of 2,000 (four calls of 500, as fast as they are answered) and then its resolution of 300.
    for (let call = 0; call < 4; call++) {
      assert.equal((await post(alertmanagerBody(Array.from({ length: 500 }, (_, i) => stormAlert(call * 500 + i))))).status, 202);
    }
    const ended = iso(Date.now());
    assert.equal((await post(alertmanagerBody(Array.from({ length: 300 }, (_, i) => stormAlert(i, { status: 'resolved', endsAt: ended }))))).status, 202);
    await until('the sidebar\'s digests count the storm', () => digests(sidebar).some((m) => m.firing === 1 + 1700 && m.resolved === 300), 30_000);
    await until('the legacy session was told each change', () => new Set(legacy.messages.filter((m) => m.type === 'signal').map((m) => signalOf(m).fingerprint)).size === 2001, 60_000);
    for (const c of [sidebar, reader]) {
      const got = digests(c);
      assert.deepEqual(c.messages.filter((m) => m.type === 'signal'), [], 'no signal frame to a digest session');
      assert.ok(got.length >= 2 && got.length <= 40, `${got.length} digests for 2,301 changes`);
      assert.ok(got.every((m) => (m.items as Signal[]).length <= 25), 'at most 25 signals a digest');
      assert.ok(got.some((m) => (m.omitted as number) > 0), 'the storm left changes out');
      // Every signal that changed is in a digest or counted as left out. A digest counts signals, not changes: one
      // that fired and resolved within one digest's 250 ms is one item, so the sum is at least the 2,001 signals
      // (it reaches 2,301 only when every resolution came in a later digest than its firing: a matter of timing).
      const told = got.reduce((n, m) => n + (m.items as Signal[]).length + (m.omitted as number), 0);
      assert.ok(told >= 2001, `${told} signals told or left out, of 2,001 that changed`);
      assert.ok(bytes(c) < 200_000, `${bytes(c)} bytes of digests (the legacy session got about 2 MB)`);
      for (const m of got) assert.ok(parseServerMessage(m).ok, JSON.stringify(m).slice(0, 300));
    }
    // The newest change is in the last digest: the resolution of stormAlert(299).
    const last = digests(sidebar).at(-1)!;
    const newest = (last.items as Signal[]).at(-1)!;
    assert.deepEqual([newest.fingerprint, newest.status], [fingerprintOf(299), 'resolved']);
    // The list gives the same counts (its items are capped at 500).
    const list = await sidebar.request({ type: 'signals' });
    assert.deepEqual([list.firing, list.resolved, (list.items as Signal[]).length], [1701, 300, MAX_LISTED_SIGNALS]);
  });

  it('an alert storm does not stall the channel: live events keep reaching subscribers while 5,000 alerts, then 100 calls of 50, are stored and told', async function () {
    this.timeout(120_000);
    const writer = await connect();
    const incidentId = await writer.declare('Checkout 5xx');
    const subscriber = await connect(READER, CHANNEL, 'stakeholder');
    subscriber.send({ type: 'subscribe', incidentId, afterSeq: 0 });
    await subscriber.next((m) => m.type === 'events');

    // A writer appends without pause (one at a time, each waiting for its ack) until the storm has been taken and told.
    let storming = true;
    let acked = 0;
    const writing = (async () => {
      while (storming) {
        const ack = await writer.append(incidentId, { id: randomUUID(), kind: 'note.added', at: iso(Date.now()), data: { text: `during the storm ${acked}`, tag: 'note' } });
        assert.equal(ack.type, 'ack', JSON.stringify(ack));
        acked++;
      }
    })();
    await until('the writer is going', () => acked >= 3);
    const big = postAlerts(t.server.port, alertmanagerBody(Array.from({ length: 5000 }, (_, i) => stormAlert(i))), { token: AM });
    // 100 calls of 50 at once, over 16 connections (one address may hold 32 sockets that are not sessions).
    const calls = Array.from({ length: 100 }, (_, call) => alertmanagerBody(Array.from({ length: 50 }, (_, i) => stormAlert(5000 + call * 50 + i))));
    const small: Awaited<ReturnType<typeof postAlerts>>[] = [];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let body = calls.shift(); body !== undefined; body = calls.shift()) small.push(await postAlerts(t.server.port, body, { token: AM }));
    }));
    const answers = [await big, ...small];
    assert.deepEqual(answers.map((a) => a.status), Array(101).fill(202));
    assert.equal((answers[0]!.body as { accepted: number }).accepted, 5000);
    await until('the subscriber was told of every signal', () => new Set(subscriber.messages.filter((m) => m.type === 'signal').map((m) => signalOf(m).fingerprint)).size === 10_000, 60_000);
    storming = false;
    await writing;
    await subscriber.waitForSeq(incidentId, 1 + acked, 30_000);
    // The 5,000 of the first call did not go out in one block: live events were sent between them.
    const bigOnes = new Set(Array.from({ length: 5000 }, (_, i) => fingerprintOf(i)));
    const ofBig = subscriber.messages.flatMap((m, i) => (m.type === 'signal' && bigOnes.has(signalOf(m).fingerprint) ? [i] : []));
    const between = subscriber.messages.slice(ofBig[0], ofBig.at(-1)).filter((m) => (m.type === 'event' || m.type === 'events') && m.incidentId === incidentId).length;
    assert.ok(between > 0, `live event frames between the first call's first and last signal frame: ${between}`);
    assert.ok(acked > 3, `${acked} appends acked during the storm`);
    const list = await writer.request({ type: 'signals' });
    assert.equal((list.items as Signal[]).length, MAX_LISTED_SIGNALS);
    assert.equal((await t.store.listSignals(CHANNEL)).length, 10_000);
  });
});
