import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Client } from 'pg';
import WebSocket from 'ws';
import { freshDatabase, pgCluster, usePostgres } from '../../support/postgres';
import { until } from '../../support/until';
import type { Signal } from '../../../src/protocol/messages';
import { signalResolvedEventId } from '../../../src/server/signals';
import { alertmanagerBody, fingerprintOf, postAlerts, stormAlert } from './alertPayloads';
import { type Msg, noteEvent, TestClient } from './helpers';
import { type PgTestServer, startPgServer } from './pgServer';

const FAST = { messagesPerSecond: 1_000_000, burst: 1_000_000 };

/**
 * A writer as the extension's outbox is: pipelines up to `window` appends, and re-sends an event the server answered
 * with `internal` (not stored, or not known to be) after a short pause, until every event is acked.
 */
function resendingWriter(url: string, incidentId: string, name: string, total: number, window: number) {
  const acked = new Map<string, number>(); // event id → seq
  const events = Array.from({ length: total }, (_, i) => noteEvent(`${name} #${i}`));
  const errors: string[] = [];
  let ws: WebSocket | null = null;
  let stopped = false;
  const done = new Promise<void>((resolve) => {
    const queue = [...events];
    let inFlight = 0;
    const pump = () => {
      while (ws && ws.readyState === ws.OPEN && inFlight < window && queue.length > 0) {
        const ev = queue.shift()!;
        ws.send(JSON.stringify({ type: 'append', requestId: ev.id, incidentId, event: ev }));
        inFlight++;
      }
    };
    ws = new WebSocket(url);
    ws.on('open', () => ws!.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: name, user: { id: name, name } })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; requestId?: string; eventId?: string; seq?: number; code?: string };
      if (m.type === 'welcome') pump();
      if (m.type === 'ack') {
        if (acked.has(m.eventId!) && acked.get(m.eventId!) !== m.seq) errors.push(`${m.eventId} acked at ${acked.get(m.eventId!)} and ${m.seq}`);
        acked.set(m.eventId!, m.seq!);
        inFlight--;
        if (acked.size === total) resolve();
        pump();
      }
      if (m.type === 'error') {
        if (m.code !== 'internal') errors.push(JSON.stringify(m));
        inFlight--;
        const ev = events.find((e) => e.id === m.requestId);
        // Back in the queue after a pause (the outbox's backoff), never dropped.
        if (ev) setTimeout(() => {
          if (stopped) return;
          queue.unshift(ev);
          pump();
        }, 100);
      }
    });
    ws.on('error', () => undefined);
  });
  return { acked, events, errors, done, close: () => { stopped = true; ws?.close(); } };
}

/** Poll an async check until it is true (test/support/until.ts polls synchronous ones). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * GET /healthz on a connection of its own, as a load balancer's probe does: a kept-alive one could be reused just as
 * the server closes it for idling between requests (SocketGuard), and the probe would fail for the wrong reason.
 */
function healthz(t: PgTestServer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.server.port, path: '/healthz', agent: false, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every seq a client received for an incident, in the order the frames came (replay then live). */
function receivedSeqs(c: TestClient, incidentId: string): number[] {
  const out: number[] = [];
  for (const m of c.messages) {
    if (m.incidentId !== incidentId) continue;
    const list = m.type === 'event' ? [m.event] : m.type === 'events' ? (m.events as unknown[]) : [];
    for (const e of list as { seq: number }[]) out.push(e.seq);
  }
  return out;
}

describe('server replicas: several servers on one PostgreSQL database (issue #13)', function () {
  this.timeout(120_000);
  usePostgres('replicas');
  const servers: PgTestServer[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.server.close();
  });
  async function replicas(n: number): Promise<PgTestServer[]> {
    const url = await freshDatabase('rep');
    const started: PgTestServer[] = [];
    for (let i = 0; i < n; i++) started.push(await startPgServer(url, { limits: FAST }));
    servers.push(...started);
    return started;
  }
  async function connect(t: PgTestServer): Promise<TestClient> {
    const c = await TestClient.connect(t.url());
    clients.push(c);
    return c;
  }

  it('writers on two replicas append to one incident at once: every acked event there once, seqs contiguous, subscribers on both saw the same order', async () => {
    const [a, b] = await replicas(2);
    const owner = await connect(a!);
    const id = await owner.declare('two replicas, one incident');
    const [subA, subB] = [await connect(a!), await connect(b!)];
    for (const s of [subA, subB]) {
      s.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
      await s.next((m) => m.type === 'events');
    }
    const PER = 600;
    const writers = [resendingWriter(a!.url(), id, 'wa', PER, 64), resendingWriter(b!.url(), id, 'wb', PER, 64), resendingWriter(b!.url(), id, 'wc', PER, 16)];
    await Promise.all(writers.map((w) => w.done));
    for (const w of writers) w.close();
    assert.deepEqual(writers.flatMap((w) => w.errors), []);
    const head = 1 + writers.length * PER;
    const seqs = writers.flatMap((w) => [...w.acked.values()]).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: head - 1 }, (_, i) => i + 2), 'acked seqs: 2..head, none twice');
    await subA.waitForSeq(id, head, 30_000);
    await subB.waitForSeq(id, head, 30_000);
    for (const [name, s] of [['A', subA], ['B', subB]] as const) {
      assert.deepEqual(receivedSeqs(s, id), Array.from({ length: head }, (_, i) => i + 1), `subscriber on ${name}: every seq once, in order`);
    }
    const order = (c: TestClient) => c.eventsOf(id).map((e) => `${e.seq}:${e.id}`);
    assert.deepEqual(order(subB), order(subA), 'both replicas fanned out the same events at the same seqs');
    const bySeq = new Map(subA.eventsOf(id).map((e) => [e.seq, e.id]));
    for (const w of writers) for (const [eventId, seq] of w.acked) assert.equal(bySeq.get(seq), eventId, `${eventId} is at the seq it was acked with`);
    // And the welcome of a later session on either replica lists the incident at its real head.
    for (const t of [a!, b!]) {
      const late = await connect(t);
      await until('the summary reached the head', () => (late.messages[0]!.incidents as { headSeq: number }[])[0]!.headSeq === head || undefined, 1000)
        .catch(async () => {
          const list = await late.request({ type: 'list' });
          assert.equal((list.items as { headSeq: number }[])[0]!.headSeq, head);
        });
    }
  });

  it('declares from two replicas at once never give one number twice; every replica lists them all and tells its sessions', async () => {
    const [a, b] = await replicas(2);
    const watchers = [await connect(a!), await connect(b!)];
    const declarers = await Promise.all([a, b, a, b, a, b, a, b].map((t) => connect(t!)));
    const ids = await Promise.all(declarers.map((c, i) => c.declare(`incident ${i}`)));
    assert.deepEqual([...ids].sort((x, y) => Number(x.slice(4)) - Number(y.slice(4))), Array.from({ length: 8 }, (_, i) => `INC-${i + 1}`));
    for (const w of watchers) {
      await until('every incident announced', () => new Set(w.messages.filter((m) => m.type === 'incident').map((m) => (m.summary as { id: string }).id)).size === 8 || undefined);
      const list = await w.request({ type: 'list' });
      assert.deepEqual((list.items as { id: string; title: string }[]).map((i) => i.id), Array.from({ length: 8 }, (_, i) => `INC-${i + 1}`));
    }
  });

  it('recognises a re-send through the other replica: the same seq, duplicate, stored once (declares too)', async () => {
    const [a, b] = await replicas(2);
    const [ca, cb] = [await connect(a!), await connect(b!)];
    const declare = { id: randomUUID(), at: new Date().toISOString(), data: { title: 'once', severity: 'SEV2', symptom: 's' } };
    const d1 = await ca.request({ type: 'declare', event: declare });
    const d2 = await cb.request({ type: 'declare', event: { ...declare, id: declare.id.toUpperCase() } });
    assert.deepEqual([d1.type, d2.type, d2.incidentId], ['declared', 'declared', d1.incidentId]);
    const id = d1.incidentId as string;
    await until('B knows the incident', () => cb.messages.some((m) => m.type === 'incident') || undefined);
    const ev = noteEvent('sent twice');
    const first = await ca.append(id, ev);
    const again = await cb.append(id, { ...ev, id: ev.id.toUpperCase() });
    assert.deepEqual([first.seq, first.duplicate, again.seq, again.duplicate], [2, false, 2, true]);
    cb.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    await cb.waitForSeq(id, 2);
    assert.equal(cb.eventsOf(id).length, 2);
  });

  it('a replica that lost its LISTEN connection catches up from the table what it missed meanwhile', async () => {
    const url = await freshDatabase('relisten');
    // B waits 500 ms before reconnecting: what A commits in that time B cannot have heard of.
    const [a, b] = [await startPgServer(url, { limits: FAST }), await startPgServer(url, { limits: FAST, pg: { retryMs: { first: 500, max: 500 } } })];
    servers.push(a, b);
    const writer = await connect(a);
    const id = await writer.declare('missed notifications');
    const onB = await connect(b);
    onB.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    await onB.next((m) => m.type === 'events');
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'incident-room-server (listen)' AND datname = current_database()");
      assert.equal(rows.length, 2, 'one LISTEN connection per replica');
      // Which one is B's: the one that goes away when B's store loses it. Drop both; A's comes back at once.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', ['incident-room-server (listen)']);
    } finally {
      await admin.end();
    }
    await until('B noticed', () => b.store.stats().failed || undefined);
    await until('A is back', () => !a.store.stats().failed || undefined);
    const missed = await writer.append(id, noteEvent('while B was not listening'));
    assert.equal(missed.type, 'ack');
    assert.ok(b.store.stats().failed, 'B was still not listening when A committed');
    await onB.waitForSeq(id, 2, 10_000);
    assert.equal(onB.eventsOf(id)[1]!.data.text, 'while B was not listening');
  });

  it('a subscriber on replica B sees what is appended on A within the latency budget of one server', async () => {
    const [a, b] = await replicas(2);
    const writer = await connect(a!);
    const id = await writer.declare('latency');
    const [onA, onB] = [await connect(a!), await connect(b!)];
    for (const s of [onA, onB]) {
      s.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
      await s.next((m) => m.type === 'events');
    }
    const arrivals = (c: TestClient) => {
      const at = new Map<string, number>();
      c.ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; event?: { id: string }; events?: { id: string }[] };
        for (const e of m.type === 'event' ? [m.event!] : m.type === 'events' ? m.events! : []) at.set(e.id, performance.now());
      });
      return at;
    };
    const [atA, atB] = [arrivals(onA), arrivals(onB)];
    const same: number[] = [];
    const cross: number[] = [];
    const extra: number[] = [];
    for (let i = 0; i < 200; i++) {
      const ev = noteEvent(`t${i}`);
      const sent = performance.now();
      writer.send({ type: 'append', requestId: `r${i}`, incidentId: id, event: ev });
      await until('both subscribers have it', () => (atA.has(ev.id) && atB.has(ev.id)) || undefined);
      same.push(atA.get(ev.id)! - sent);
      cross.push(atB.get(ev.id)! - sent);
      extra.push(atB.get(ev.id)! - atA.get(ev.id)!);
    }
    const p = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
    console.log(`      append→event ms, p50/p90/p99: same replica ${[0.5, 0.9, 0.99].map((q) => p(same, q).toFixed(1)).join('/')}, other replica ${[0.5, 0.9, 0.99].map((q) => p(cross, q).toFixed(1)).join('/')}; the other replica's extra hop p50 ${p(extra, 0.5).toFixed(1)}`);
    // The hop to another replica (NOTIFY, one read) costs little next to the commit both wait for.
    assert.ok(p(extra, 0.5) <= 10, `the other replica adds ${p(extra, 0.5).toFixed(1)} ms at the median`);
    // The bench's budget (bench/channel.mjs) is p99 ≤ 50 ms on a quiet machine. Here both servers, PostgreSQL and all
    // clients share two busy cores with the rest of the suite, and p99 of 200 samples is the second-worst one: one GC
    // pause in this process decides it. p90 is held to the budget instead; p99 is printed above.
    assert.ok(p(cross, 0.9) <= 50, `p90 on the other replica ${p(cross, 0.9).toFixed(1)} ms`);
  });

  it('PostgreSQL stopped and restarted under load: no ack without a commit, nothing lost, /healthz says so, every replica recovers by itself', async function () {
    this.timeout(180_000);
    const url = await freshDatabase('outage');
    const opts = { limits: FAST, pg: { retryMs: { first: 50, max: 500 }, connectTimeoutMs: 2000 } };
    const [a, b] = [await startPgServer(url, opts), await startPgServer(url, opts)];
    servers.push(a, b);
    const owner = await connect(a);
    const id = await owner.declare('outage');
    const [subA, subB] = [await connect(a), await connect(b)];
    for (const s of [subA, subB]) {
      s.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
      await s.next((m) => m.type === 'events');
    }
    const PER = 1500;
    const writers = [resendingWriter(a.url(), id, 'xa', PER, 32), resendingWriter(b.url(), id, 'xb', PER, 32)];
    const ackedNow = () => writers.reduce((n, w) => n + w.acked.size, 0);
    await until('writers under way', () => ackedNow() >= 300 || undefined, 30_000);
    const pg = await pgCluster();
    await pg.stopImmediate();
    let ackedWhileDown = 0;
    try {
      await until('both stores noticed', () => (a.store.stats().failed && b.store.stats().failed) || undefined, 20_000);
      for (const t of [a, b]) {
        const h = await healthz(t);
        assert.equal(h.status, 503, h.body);
        assert.equal(JSON.parse(h.body).status, 'unavailable', 'a database store says the database is unreachable, not that it failed');
      }
      // Anything acked from here on would be an ack without a commit.
      const before = ackedNow();
      await new Promise((r) => setTimeout(r, 300));
      ackedWhileDown = ackedNow() - before;
    } finally {
      await pg.start();
    }
    assert.equal(ackedWhileDown, 0, 'no ack while the database was down');
    await eventually('both replicas ready again', async () => {
      for (const t of [a, b]) if ((await healthz(t)).status !== 200) return false;
      return true;
    }, 30_000);
    await Promise.all(writers.map((w) => w.done));
    for (const w of writers) w.close();
    assert.deepEqual(writers.flatMap((w) => w.errors), []);
    const head = 1 + 2 * PER;
    await subA.waitForSeq(id, head, 30_000);
    await subB.waitForSeq(id, head, 30_000);
    const reader = await connect(b);
    reader.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    await reader.waitForSeq(id, head, 30_000);
    const stored = reader.eventsOf(id);
    assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: head }, (_, i) => i + 1), 'contiguous');
    assert.equal(new Set(stored.map((e) => e.id)).size, head, 'no event twice');
    const bySeq = new Map(stored.map((e) => [e.seq, e.id]));
    for (const w of writers) for (const [eventId, seq] of w.acked) assert.equal(bySeq.get(seq), eventId, 'every ack was a commit');
    for (const [name, s] of [['A', subA], ['B', subB]] as const) {
      const got = receivedSeqs(s, id);
      assert.deepEqual(got, Array.from({ length: head }, (_, i) => i + 1), `subscriber on ${name} got every seq once, in order, across the outage`);
    }
  });

  it('signals reach the sessions of every replica; a link made through one and a resolution posted to the other append signal.resolved once', async () => {
    const [a, b] = (await replicas(2)) as [PgTestServer, PgTestServer];
    const [onA, onB] = [await connect(a), await connect(b)];
    const signalOf = (m: Msg) => m.signal as Signal;
    const fp = fingerprintOf('replicated');
    assert.equal((await postAlerts(a.server.port, alertmanagerBody([stormAlert(1, { fingerprint: fp })]))).status, 202);
    const heard = signalOf(await onB.next((m) => m.type === 'signal' && signalOf(m).fingerprint === fp));
    assert.deepEqual([heard.status, heard.incidentId], ['firing', null]);
    assert.deepEqual(((await onB.request({ type: 'signals' })).items as Signal[]).map((s) => s.fingerprint), [fp]);

    const incidentId = await onB.declare('Checkout 5xx');
    await onA.next((m) => m.type === 'incident' && (m.summary as { id: string }).id === incidentId);
    onA.send({ type: 'subscribe', incidentId, afterSeq: 0 });
    const link = { id: randomUUID(), kind: 'signal.linked', at: new Date().toISOString(), data: { fingerprint: fp, alertname: 'HighErrorRate', startsAt: heard.startsAt } };
    assert.equal((await onB.append(incidentId, link)).type, 'ack');
    await onB.next((m) => m.type === 'signal' && signalOf(m).incidentId === incidentId);
    // Posted to A at once, whether or not A has heard of the link yet: it merges onto what the database holds.
    const endsAt = new Date(Date.now() - 1000).toISOString();
    const resolved = alertmanagerBody([stormAlert(1, { fingerprint: fp, status: 'resolved', endsAt })]);
    assert.equal((await postAlerts(a.server.port, resolved)).status, 202);
    const onTimeline = await until('A\'s subscriber has signal.resolved', () => onA.eventsOf(incidentId).find((e) => e.kind === 'signal.resolved'));
    assert.equal(onTimeline.id, signalResolvedEventId('payments-oncall', fp, endsAt));
    const told = signalOf(await onB.next((m) => m.type === 'signal' && signalOf(m).status === 'resolved'));
    assert.equal(told.incidentId, incidentId, 'the link survives the resolution merged on the other replica');

    // The other Alertmanager of an HA pair delivers it again, to B: a duplicate.
    assert.equal((await postAlerts(b.server.port, resolved)).status, 202);
    const stored = await a.store.read('payments-oncall', incidentId, 0, 100);
    assert.deepEqual(stored.map((e) => e.kind), ['incident.declared', 'signal.linked', 'signal.resolved']);

    // A storm through A reaches B's sessions whole (its fingerprints come in several notifications).
    const storm = Array.from({ length: 1500 }, (_, i) => stormAlert(10_000 + i));
    assert.equal((await postAlerts(a.server.port, alertmanagerBody(storm))).status, 202);
    await until('B told of every signal', () => new Set(onB.messages.filter((m) => m.type === 'signal').map((m) => signalOf(m).fingerprint)).size === 1501, 30_000);
  });
});
