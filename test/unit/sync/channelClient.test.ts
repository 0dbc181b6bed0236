import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import type { IncidentState } from '../../../src/core/incidentState';
import { incidentView } from '../../../src/core/sidebarModel';
import { startServer, type RunningServer } from '../../../src/server/channelServer';
import { FileStore } from '../../../src/store/fileStore';
import { ChannelClient } from '../../../src/sync/channelClient';
import { Outbox } from '../../../src/sync/outbox';
import type { ClientMessage, ServerMessage } from '../../../src/protocol/messages';
import type { Link, Transport } from '../../../src/sync/transport';
import { WsTransport } from '../../../src/sync/wsTransport';
import { freePort } from '../../support/ports';
import { until } from '../../support/until';

const FAST_BACKOFF = { initialMs: 50, factor: 2, maxMs: 400, jitter: 0.5 };


describe('ChannelClient against a real server', function () {
  this.timeout(60_000);
  let dir: string;
  let server: RunningServer | undefined;
  let port = 0;
  const clients: ChannelClient[] = [];

  async function start(): Promise<RunningServer> {
    const store = new FileStore({ dir: path.join(dir, 'server-data') });
    await store.open();
    server = await startServer({ host: '127.0.0.1', port, store, tokens: null });
    port = server.port;
    return server;
  }

  /** Events the client received from the server, counted, to prove a reconnect resumes instead of refetching. */
  const received = new Map<ChannelClient, number>();
  /** Subscribes the client sent, counted, to prove it never loops. */
  const subscribes = new Map<ChannelClient, number>();

  /**
   * A socket transport to the test server that shows each message to the test first: `received` and `sent` see it
   * with the link and return false to swallow it (a test may close the link there, as a dying connection does).
   */
  function watchedTransport(hooks: {
    received?: (m: ServerMessage, link: Link) => boolean;
    sent?: (m: ClientMessage, link: Link) => boolean;
  }): Transport {
    const ws = new WsTransport({ serverUrl: `ws://127.0.0.1:${port}`, channel: 'payments', token: async () => undefined, connectTimeoutMs: 2000 });
    return {
      description: ws.description,
      open: async (h) => {
        const link: Link = await ws.open({ ...h, onMessage: (m) => { if (hooks.received?.(m, link) ?? true) h.onMessage(m); } });
        return {
          send: (m) => { if (hooks.sent?.(m, link) ?? true) link.send(m); },
          close: (code, reason) => link.close(code, reason),
        };
      },
    };
  }

  function client(name: string, storage = path.join(dir, `client-${name}`)): ChannelClient {
    const counting = watchedTransport({
      received: (m) => {
        if (m.type === 'events') received.set(c, (received.get(c) ?? 0) + m.events.length);
        if (m.type === 'event') received.set(c, (received.get(c) ?? 0) + 1);
        return true;
      },
      sent: (m) => {
        if (m.type === 'subscribe') subscribes.set(c, (subscribes.get(c) ?? 0) + 1);
        return true;
      },
    });
    const c: ChannelClient = new ChannelClient({
      transport: counting,
      outbox: new Outbox(storage, `ws://127.0.0.1:${port}#payments`),
      user: () => ({ id: `${name}@example.com`, name }),
      backoff: FAST_BACKOFF,
      resendAfterMs: 500,
    });
    clients.push(c);
    c.start();
    return c;
  }

  const online = (c: ChannelClient) => until(`${c.connection.target} online`, () => c.connection.status === 'online');
  const notes = (s: IncidentState | undefined) => (s?.notes ?? []).map((n) => n.text);

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-client-'));
    port = 0;
    await start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.dispose();
    await server?.close();
    server = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('declares, appends and folds the acked events; the outbox empties', async () => {
    const a = client('alice');
    await online(a);
    const { incidentId } = await a.declare({ title: 'Checkout 5xx', severity: 'SEV2', symptom: 'errors' });
    const id = await incidentId;
    assert.equal(id, 'INC-1');
    a.subscribe(id);
    await a.append(id, 'note.added', { text: 'db at 100% cpu', tag: 'fact' });
    const s = await until('note folded', () => (a.incident(id)?.notes.length === 1 ? a.incident(id) : undefined));
    assert.equal(s.title, 'Checkout 5xx');
    assert.equal(s.roles.commander.holder?.id, 'alice@example.com');
    await until('outbox empty', () => a.connection.queued === 0);
  });

  it('many quick notes: each is shown exactly once at every moment, queued until its event is folded (the server acks first)', async () => {
    // Checked after every frame the client handles and at every change it announces: the moments a sidebar renders.
    const shown: string[] = []; // event ids whose append resolved: from then on they must be visible
    let id = '';
    const problems: string[] = [];
    const check = (when: string) => {
      if (!id) return;
      const timeline = (a.incident(id)?.timeline ?? []).map((e) => e.id);
      const pending = a.pendingNow().flatMap((e) => (e.type === 'append' ? [e.event.id] : []));
      for (const eventId of shown) {
        const n = timeline.filter((x) => x === eventId).length + pending.filter((x) => x === eventId).length;
        if (n !== 1 && problems.length < 5) problems.push(`${eventId} shown ${n} times ${when}`);
      }
    };
    const ws = new WsTransport({ serverUrl: `ws://127.0.0.1:${port}`, channel: 'payments', token: async () => undefined, connectTimeoutMs: 2000 });
    let acksBeforeEvent = 0;
    // Every frame is handed over in a task of its own, in order, and the sidebar looks in a task between two frames:
    // as when each frame arrives in a TCP segment of its own (ws hands over all frames of one segment in one task)
    // and a render runs between an ack and its event.
    const frames: (() => void)[] = [];
    let pumping = false;
    const pump = (): void => {
      const next = frames.shift();
      if (!next) { pumping = false; return; }
      next();
      setImmediate(() => { check('in a task between two frames'); setImmediate(pump); });
    };
    const transport: Transport = {
      description: ws.description,
      open: (h) => ws.open({ ...h, onMessage: (m) => {
        frames.push(() => {
          if (m.type === 'ack' && id && (a.incident(id)?.headSeq ?? 0) < m.seq) acksBeforeEvent++;
          h.onMessage(m);
          check(`right after a ${m.type} frame`);
        });
        if (!pumping) { pumping = true; setImmediate(pump); }
      } }),
    };
    // …and the moment the outbox has dropped an acked entry.
    class WatchedOutbox extends Outbox {
      override async remove(eventId: string): Promise<void> {
        await super.remove(eventId);
        check('when the outbox dropped an acked entry');
      }
    }
    const a: ChannelClient = new ChannelClient({
      transport, outbox: new WatchedOutbox(path.join(dir, 'client-alice'), `ws://127.0.0.1:${port}#payments`),
      user: () => ({ id: 'alice@example.com', name: 'Alice' }), backoff: FAST_BACKOFF, resendAfterMs: 500,
    });
    clients.push(a);
    a.onDidChangeIncident(() => check('at an incident change'));
    a.onDidChangeConnection(() => check('at a connection change'));
    a.start();
    await online(a);
    id = await (await a.declare({ title: 'Quick captures', severity: 'SEV2', symptom: '' })).incidentId;
    a.subscribe(id);
    await until('subscribed', () => a.incident(id)?.headSeq === 1);
    for (let i = 0; i < 40; i++) {
      shown.push(await a.append(id, 'note.added', { text: `capture ${i}`, tag: 'note' }));
      check(`right after append ${i} resolved`);
    }
    await until('every note folded', () => a.incident(id)?.notes.length === 40);
    await until('nothing pending', () => a.pendingNow().length === 0);
    check('at the end');
    assert.ok(acksBeforeEvent > 0, 'the server never acked before fanning out: the race was not exercised');
    assert.deepEqual(problems, []);
    assert.deepEqual(notes(a.incident(id)), Array.from({ length: 40 }, (_, i) => `capture ${i}`));
  });

  it('fails over between the replicas listed in server.url: a dead one is skipped, a lost one hands over, nothing is lost', async () => {
    const dead = await freePort();
    const replicaB = await freePort();
    const urls = `ws://127.0.0.1:${dead}, ws://127.0.0.1:${port} ws://127.0.0.1:${replicaB}`;
    const transport = new WsTransport({ serverUrl: urls, channel: 'payments', token: async () => undefined, connectTimeoutMs: 2000 });
    const a = new ChannelClient({
      transport, outbox: new Outbox(path.join(dir, 'client-alice'), urls), user: () => ({ id: 'alice@example.com', name: 'Alice' }),
      backoff: FAST_BACKOFF, resendAfterMs: 500,
    });
    clients.push(a);
    a.start();
    await online(a);
    // Tried in order: the first is dead, the second answered, and the client says which one it is on.
    assert.equal(a.connection.target, `ws://127.0.0.1:${port}/v1/channels/payments`);
    const id = await (await a.declare({ title: 'Replica lost', severity: 'SEV2', symptom: '' })).incidentId;
    a.subscribe(id);
    for (let i = 0; i < 5; i++) await a.append(id, 'note.added', { text: `before ${i}`, tag: 'note' });
    await until('five notes folded', () => a.incident(id)?.notes.length === 5);

    // The replica goes away; notes written meanwhile wait in the outbox.
    await server!.close();
    server = undefined;
    await until('offline', () => a.connection.status !== 'online');
    for (let i = 0; i < 3; i++) await a.append(id, 'note.added', { text: `during ${i}`, tag: 'note' });
    // Another replica serves the same data (the file store, reopened by the next server; replicas share PostgreSQL).
    const store = new FileStore({ dir: path.join(dir, 'server-data') });
    await store.open();
    server = await startServer({ host: '127.0.0.1', port: replicaB, store, tokens: null });
    await until('online on the other replica', () => a.connection.status === 'online' && a.connection.target.includes(`:${replicaB}/`));
    const s = await until('every note once, in order', () => (a.incident(id)?.notes.length === 8 ? a.incident(id) : undefined));
    assert.deepEqual(notes(s), ['before 0', 'before 1', 'before 2', 'before 3', 'before 4', 'during 0', 'during 1', 'during 2']);
    assert.deepEqual(s.timeline.map((e) => e.seq), s.timeline.map((_, i) => i + 1), 'seqs contiguous from 1');
    await until('outbox empty', () => a.connection.queued === 0);
  });

  it('presence: each responder sees who is on the channel, one entry per person, and it goes when they go', async () => {
    const a = client('alice');
    const b = client('bob');
    const b2 = client('bob', path.join(dir, 'client-bob-second-window'));
    await Promise.all([online(a), online(b), online(b2)]);
    const names = (c: ChannelClient) => c.presence.map((u) => `${u.name}×${u.sessions}`).sort().join(', ');
    await until('alice sees alice and bob (two windows)', () => names(a) === 'alice×1, bob×2');
    await until('bob sees the same', () => names(b) === 'alice×1, bob×2');
    const bob = a.presence.find((u) => u.id === 'bob@example.com')!;
    assert.ok(Date.parse(bob.since) <= Date.now() && Date.parse(bob.activeAt) >= Date.parse(bob.since));
    b.dispose();
    b2.dispose();
    await until('bob is gone from alice\'s list', () => names(a) === 'alice×1');
    // Offline, nobody is known to be here.
    await server!.close();
    server = undefined;
    await until('alice offline with an empty list', () => a.connection.status !== 'online' && a.presence.length === 0);
  });

  it('signals: the list on connect (no notification for it), a live alert as fresh, its resolution as a change; reloaded after a restart', async () => {
    const a = client('alice');
    const changes: { firing: number; fresh: string[] }[] = [];
    a.onDidChangeSignals((c) => changes.push({ firing: a.signals.filter((x) => x.status === 'firing').length, fresh: c.fresh.map((x) => x.fingerprint) }));
    await online(a);
    // Relative to now: the list a connect loads shows resolved signals of the last 24 h only (fixed dates made this
    // test fail once they were a day old).
    const startsAt = new Date(Date.now() - 20 * 60_000);
    const endsAt = new Date(Date.now() - 60_000);
    const post = async (status: 'firing' | 'resolved', fingerprint: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/channels/payments/alerts`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          version: '4', groupKey: '{}:{}', truncatedAlerts: 0, status, receiver: 'incident-room', groupLabels: {}, commonLabels: {}, commonAnnotations: {},
          externalURL: 'http://alertmanager.example.com:9093',
          alerts: [{
            status, labels: { alertname: 'HighErrorRate', severity: 'critical' }, annotations: { summary: 'Checkout 5xx above 5%' },
            startsAt: startsAt.toISOString(), endsAt: status === 'resolved' ? endsAt.toISOString() : '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example.com:9090/graph', fingerprint,
          }],
        }),
      });
      assert.equal(res.status, 202, await res.text());
    };
    await post('firing', 'aaaa000000000001');
    await until('the live alert, told as fresh', () => changes.some((c) => c.fresh.includes('aaaa000000000001')));
    assert.equal(a.signals[0]?.labels['alertname'], 'HighErrorRate');
    await post('resolved', 'aaaa000000000001');
    await until('its resolution', () => a.signals[0]?.status === 'resolved');
    assert.deepEqual(changes.at(-1)?.fresh, [], 'a resolution is not fresh');
    await post('firing', 'aaaa000000000002');
    await until('the second alert', () => a.signals.some((x) => x.fingerprint === 'aaaa000000000002'));
    assert.deepEqual(a.signals.map((x) => x.status), ['firing', 'resolved'], 'firing first');

    // After a restart the client asks for the list again: it replaces what was held and is never "fresh".
    const before = changes.length;
    await server?.close();
    await start();
    await online(a);
    await until('the list after the restart', () => changes.length > before);
    assert.ok(changes.slice(before).every((c) => c.fresh.length === 0), 'the list a connect loads notifies of nothing');
    assert.deepEqual(a.signals.map((x) => x.fingerprint), ['aaaa000000000002', 'aaaa000000000001']);
  });

  it('signals in a storm: digests keep the channel\'s count, and once they settle the client reads the list again instead of every alert', async () => {
    const a = client('alice');
    let fresh = 0;
    a.onDidChangeSignals((c) => void (fresh += c.fresh.length));
    await online(a);
    const alerts = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({
      status: 'firing', labels: { alertname: 'ProbeFailure', severity: 'warning', instance: `host-${from + i}` }, annotations: { summary: `Probe of host-${from + i} failing` },
      startsAt: '2026-12-02T14:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: (from + i).toString(16).padStart(16, '0'),
    }));
    for (let call = 0; call < 4; call++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/channels/payments/alerts`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          version: '4', groupKey: '{}:{}', truncatedAlerts: 0, status: 'firing', receiver: 'incident-room', groupLabels: {}, commonLabels: {},
          commonAnnotations: {}, externalURL: 'http://alertmanager.example.com:9093', alerts: alerts(call * 200, 200),
        }),
      });
      assert.equal(res.status, 202, await res.text());
    }
    await until('the count is the channel\'s', () => a.signalCounts.firing === 800);
    // The digests carried a few of each change; the list read once they settled holds the newest 500 (the server's cap).
    await until('the list was read again', () => a.signals.length === 500, 10_000);
    assert.equal(a.signalCounts.firing, 800);
    assert.ok(fresh > 0 && fresh < 800, `${fresh} told as fresh (digests carry the newest changes, not every alert)`);
  });

  it('resumes after a server restart with no duplicate and no gap', async () => {
    const a = client('alice');
    await online(a);
    const id = await (await a.declare({ title: 'Restart', severity: 'SEV3', symptom: '' })).incidentId;
    a.subscribe(id);
    for (let i = 0; i < 20; i++) await a.append(id, 'note.added', { text: `before ${i}`, tag: 'note' });
    await until('20 notes', () => a.incident(id)?.notes.length === 20);
    await server?.close();
    await until('client offline', () => a.connection.status !== 'online');
    // Written while the server is down: queued durably, sent when it is back.
    for (let i = 0; i < 10; i++) await a.append(id, 'note.added', { text: `during ${i}`, tag: 'note' });
    assert.equal(a.connection.queued, 10);
    await start();
    await online(a);
    const s = await until('30 notes', () => (a.incident(id)?.notes.length === 30 ? a.incident(id) : undefined));
    const seqs = s.timeline.map((e) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: 31 }, (_, i) => i + 1), 'seqs contiguous from 1, no duplicates');
    assert.deepEqual(notes(s).slice(20), Array.from({ length: 10 }, (_, i) => `during ${i}`), 'offline notes arrive once, in order');
    assert.equal(received.get(a), 31, 'after the restart only events after seq 21 came back (resume, not refetch)');
    await until('outbox empty', () => a.connection.queued === 0);
  });

  /**
   * Issue #18: an event on the wire when the link drops is sent again after the reconnect and arrives exactly once.
   * The transport loses either the append itself (it never reaches the server) or the server's ack of it (the
   * server has it), and drops the link right there, as a dying connection does.
   */
  for (const lost of ['append', 'ack'] as const) {
    it(`resends a note whose ${lost} was lost when the link dropped: after the reconnect it arrives exactly once and the outbox empties`, async () => {
      const text = `in flight when the ${lost} was lost`;
      let armed = false;
      let eventId: string | undefined;
      let sends = 0;
      const transport = watchedTransport({
        received: (m, link) => {
          if (armed && lost === 'ack' && m.type === 'ack' && m.eventId === eventId) {
            armed = false;
            link.close(4000, 'connection dropped before the ack');
            return false;
          }
          return true;
        },
        sent: (m, link) => {
          if (m.type === 'append' && m.event.kind === 'note.added' && m.event.data.text === text) {
            eventId = m.event.id;
            sends++;
            if (armed && lost === 'append') {
              armed = false;
              link.close(4000, 'connection dropped with the append unsent');
              return false;
            }
          }
          return true;
        },
      });
      const a = new ChannelClient({
        transport, outbox: new Outbox(path.join(dir, 'client-lossy'), `ws://127.0.0.1:${port}#payments`), user: () => ({ id: 'alice@example.com', name: 'alice' }),
        backoff: FAST_BACKOFF,
        // Only the reconnect may resend it: the periodic resend would hide an event the client still thinks in flight.
        resendAfterMs: 120_000,
      });
      clients.push(a);
      const statuses: string[] = [];
      a.onDidChangeConnection((c) => statuses.push(c.status));
      a.start();
      await online(a);
      const id = await (await a.declare({ title: 'Dropped link', severity: 'SEV2', symptom: '' })).incidentId;
      a.subscribe(id);
      await until('declaration acked', () => a.connection.queued === 0);
      armed = true;
      await a.append(id, 'note.added', { text, tag: 'note' });
      await until('the link dropped', () => statuses.includes('offline'));
      await until('back online', () => a.connection.status === 'online' && !armed);
      await until('outbox empty: the note was acked after the reconnect', () => a.connection.queued === 0);
      assert.ok(sends >= 2, `sent again after the reconnect (sent ${sends} times)`);
      // What every other user sees: the server holds the note once.
      const b = client('bob');
      b.subscribe(id);
      const s = await until('bob sees the note', () => (notes(b.incident(id)).includes(text) ? b.incident(id) : undefined));
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(notes(b.incident(id)), [text], 'exactly once on the server');
      assert.deepEqual(s.timeline.map((e) => e.seq), [1, 2]);
      assert.deepEqual(notes(a.incident(id)), [text], 'exactly once for the writer too');
    });
  }

  it('keeps queued events across a client restart and sends them exactly once', async () => {
    const storage = path.join(dir, 'shared-storage');
    const a = client('alice', storage);
    await online(a);
    const id = await (await a.declare({ title: 'Outbox', severity: 'SEV3', symptom: '' })).incidentId;
    await server?.close();
    await until('client offline', () => a.connection.status !== 'online');
    for (let i = 0; i < 5; i++) await a.append(id, 'note.added', { text: `offline ${i}`, tag: 'guess' });
    a.dispose(); // VS Code closes with five events unsent
    await start();
    const b = client('alice', storage); // VS Code starts again on the same storage
    b.subscribe(id);
    const s = await until('5 notes', () => (b.incident(id)?.notes.length === 5 ? b.incident(id) : undefined));
    assert.deepEqual(notes(s), ['offline 0', 'offline 1', 'offline 2', 'offline 3', 'offline 4']);
    await until('outbox empty', () => b.connection.queued === 0);
    // A second window on the same storage resending the same entries changes nothing (idempotent by event id).
    const c = client('alice', storage);
    c.subscribe(id);
    await online(c);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.incident(id)?.notes.length, 5);
  });

  it('a declaration queued offline keeps what follows it (another commander, the alert it came from) across a restart, and each happens once', async () => {
    const storage = path.join(dir, 'shared-storage');
    const a = client('alice', storage);
    await online(a);
    await server?.close();
    await until('client offline', () => a.connection.status !== 'online');
    const bob = { id: 'bob@example.com', name: 'Bob' };
    await a.declare({ title: 'From an alert', severity: 'SEV2', symptom: '' }, new Date(), [
      { kind: 'role.assigned', data: { role: 'commander', user: bob } },
      { kind: 'signal.linked', data: { fingerprint: 'aaaa000000000009', alertname: 'HighErrorRate', startsAt: '2026-12-02T14:00:00.000Z' } },
    ]);
    a.dispose(); // the window is closed (or reloaded) before the channel is back
    await start();
    const b = client('alice', storage);
    await online(b);
    const id = await until('declared from the outbox', () => b.incidents.find((i) => i.title === 'From an alert')?.id);
    b.subscribe(id);
    const s = await until('the commander and the link followed', () => {
      const st = b.incident(id);
      return st?.roles.commander.holder?.id === bob.id && st.timeline.some((e) => e.kind === 'signal.linked') ? st : undefined;
    });
    await until('outbox empty', () => b.connection.queued === 0);
    assert.deepEqual(s.timeline.map((e) => e.kind), ['incident.declared', 'role.assigned', 'signal.linked']);
  });

  it('delivers what another window queued in the shared outbox folder on its next resend, without reconnecting', async () => {
    const storage = path.join(dir, 'shared-storage');
    const a = client('alice', storage); // resendAfterMs: 500
    await online(a);
    const id = await (await a.declare({ title: 'Shared outbox', severity: 'SEV3', symptom: '' })).incidentId;
    a.subscribe(id);
    await until('outbox empty', () => a.connection.queued === 0);
    const statuses: string[] = [];
    a.onDidChangeConnection((c) => statuses.push(c.status));
    // Another window on the same storage queued a note while offline, and was closed.
    const other = new Outbox(storage, `ws://127.0.0.1:${port}#payments`);
    const text = 'queued by a window that was closed';
    await other.add({
      type: 'append', incidentId: id, queuedAt: new Date().toISOString(),
      event: { id: randomUUID(), kind: 'note.added', at: new Date().toISOString(), data: { text, tag: 'note' } },
    });
    assert.equal((await fs.readdir(other.folder)).filter((n) => n.endsWith('.json')).length, 1);
    await until('the other window\'s note delivered', () => notes(a.incident(id)).includes(text));
    await until('outbox empty', () => a.connection.queued === 0);
    assert.deepEqual((await fs.readdir(other.folder)).filter((n) => n.endsWith('.json')), [], 'its file was acked away');
    assert.deepEqual(statuses.filter((s) => s !== 'online'), [], 'reconnected to deliver it');
  });

  it('two clients converge to the same state after random disconnects during concurrent writes', async () => {
    const a = client('alice');
    const b = client('bob');
    await online(a);
    await online(b);
    const id = await (await a.declare({ title: 'Converge', severity: 'SEV1', symptom: '' })).incidentId;
    a.subscribe(id);
    b.subscribe(id);
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const who = random() < 0.5 ? a : b;
      writes.push(who.append(id, 'note.added', { text: `${who === a ? 'a' : 'b'}${i}`, tag: 'note' }));
      if (random() < 0.15) (random() < 0.5 ? a : b).reconnect(); // drop the link mid-stream
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(writes);
    const sa = await until('a has all', () => (a.incident(id)?.notes.length === 60 ? a.incident(id) : undefined), 20_000);
    const sb = await until('b has all', () => (b.incident(id)?.notes.length === 60 ? b.incident(id) : undefined), 20_000);
    assert.deepEqual(sa.timeline.map((e) => e.id), sb.timeline.map((e) => e.id), 'same events in the same order');
    assert.deepEqual(sa.timeline.map((e) => e.seq), Array.from({ length: 61 }, (_, i) => i + 1));
    assert.equal(new Set(notes(sa)).size, 60, 'no note twice');
  });

  it('sends a long offline queue paced under the server\'s rate limit: all of it arrives, the link stays up', async () => {
    const a = client('alice');
    await online(a);
    const id = await (await a.declare({ title: 'Long queue', severity: 'SEV3', symptom: '' })).incidentId;
    a.subscribe(id);
    await server?.close();
    await until('offline', () => a.connection.status !== 'online');
    for (let i = 0; i < 1500; i++) await a.append(id, 'note.added', { text: `q${i}`, tag: 'note' });
    // A drop is the link going from online to anything else. Failed attempts while the server is still down (each
    // reported as offline, with its retry time) are not: counting those made this test fail when start() was slow.
    const drops: string[] = [];
    let last = a.connection.status;
    a.onDidChangeConnection((c) => {
      if (last === 'online' && c.status !== 'online') drops.push(`${c.status}: ${c.lastError ?? ''}`);
      last = c.status;
    });
    await start();
    const s = await until('1500 notes', () => (a.incident(id)?.notes.length === 1500 ? a.incident(id) : undefined), 40_000);
    assert.deepEqual(drops, [], 'never closed for abuse (4429) or dropped');
    assert.equal(new Set(s.notes.map((n) => n.text)).size, 1500);
    await until('outbox empty', () => a.connection.queued === 0);
  });

  it('big notes the server refuses as rate_limited stay queued and go out without a reconnect', async () => {
    await server?.close();
    const store = new FileStore({ dir: path.join(dir, 'rate-data') });
    await store.open();
    server = await startServer({ host: '127.0.0.1', port: 0, store, tokens: null, limits: { messagesPerSecond: 4, burst: 4, patience: 1000 } });
    const a = new ChannelClient({
      transport: new WsTransport({ serverUrl: server.url, channel: 'payments', token: async () => undefined }),
      outbox: new Outbox(path.join(dir, 'rate-client'), 'rate'), user: () => ({ id: 'a@example.com', name: 'A' }), backoff: FAST_BACKOFF,
      // the periodic resend would hide the bug: an event the client still thinks in flight waits for a reconnect
      resendAfterMs: 120_000,
    });
    clients.push(a);
    a.start();
    await online(a);
    const id = await (await a.declare({ title: 'Big notes', severity: 'SEV3', symptom: '' })).incidentId;
    a.subscribe(id);
    let drops = 0;
    a.onDidChangeConnection((c) => { if (c.status !== 'online') drops++; });
    // Each one a frame over 4 KiB (a scribe note with its snippet); more than the burst at once.
    for (let i = 0; i < 12; i++) await a.append(id, 'note.added', { text: `n${i} ${'x'.repeat(6000)}`, tag: 'note' });
    const s = await until('12 big notes', () => (a.incident(id)?.notes.length === 12 ? a.incident(id) : undefined), 20_000);
    assert.equal(new Set(s.notes.map((n) => n.text.split(' ')[0])).size, 12);
    assert.equal(drops, 0, 'no reconnect was needed');
    await until('outbox empty', () => a.connection.queued === 0);
  });

  it('tells a refused token (401) and a channel the token does not grant (403) apart, and connects with a good token', async () => {
    await server?.close();
    const store = new FileStore({ dir: path.join(dir, 'auth-data') });
    await store.open();
    server = await startServer({ host: '127.0.0.1', port: 0, store, tokens: [{ name: 'payments', token: 'good-token-123', channels: ['payments'] }] });
    const make = (token: string, channel: string) => {
      const c = new ChannelClient({
        transport: new WsTransport({ serverUrl: server?.url ?? '', channel, token: async () => token }),
        outbox: new Outbox(path.join(dir, `auth-${token}-${channel}`), channel), user: () => ({ id: 'a@example.com', name: 'A' }), backoff: FAST_BACKOFF,
      });
      clients.push(c);
      c.start();
      return c;
    };
    const wrong = make('nope', 'payments');
    await until('401', () => wrong.connection.status === 'unauthorized');
    assert.match(wrong.connection.lastError ?? '', /refused the token \(HTTP 401\).*Set Channel Token/);
    const other = make('good-token-123', 'billing');
    await until('403', () => other.connection.status === 'forbidden');
    assert.match(other.connection.lastError ?? '', /does not grant channel "billing" \(HTTP 403\)/);
    const good = make('good-token-123', 'payments');
    await online(good);
  });

  it('a token pinned to other users (close 4403) shows as forbidden with the server\'s reason, and retries slowly', async () => {
    await server?.close();
    const store = new FileStore({ dir: path.join(dir, 'pinned-data') });
    await store.open();
    server = await startServer({ host: '127.0.0.1', port: 0, store, tokens: [{ name: 'alice-laptop', token: 'tok-alice-91c2aa', channels: ['*'], users: ['alice@example.com'] }] });
    let opens = 0;
    const ws = new WsTransport({ serverUrl: server.url, channel: 'payments', token: async () => 'tok-alice-91c2aa' });
    const c = new ChannelClient({
      transport: { description: ws.description, open: (h) => { opens++; return ws.open(h); } },
      outbox: new Outbox(path.join(dir, 'pinned-outbox'), 'payments'), user: () => ({ id: 'mallory@example.com', name: 'Alice' }), backoff: FAST_BACKOFF,
    });
    clients.push(c);
    c.start();
    await until('forbidden', () => c.connection.status === 'forbidden');
    assert.match(c.connection.lastError ?? '', /alice-laptop.*mallory@example\.com/);
    // The fast backoff would reconnect within milliseconds; a refused identity waits at the slow end (30 s).
    assert.ok((c.connection.retryAt ?? 0) - Date.now() > 20_000, `retry in ${(c.connection.retryAt ?? 0) - Date.now()} ms`);
    assert.equal(opens, 1);
  });

  it('says why when the server is unreachable, and keeps what was written', async () => {
    await server?.close();
    const a = client('alice');
    await until('offline', () => a.connection.status === 'offline');
    assert.match(a.connection.lastError ?? '', /cannot reach ws:\/\/127\.0\.0\.1/);
    await a.declare({ title: 'Queued declaration', severity: 'SEV2', symptom: '' });
    assert.equal(a.connection.queued, 1);
  });

  /** Flip one byte of the server's log inside the record holding `marker`, as bit rot would (server stopped). */
  async function damage(marker: string): Promise<void> {
    const file = path.join(dir, 'server-data', 'events.log');
    const bytes = await fs.readFile(file);
    const at = bytes.indexOf(Buffer.from(marker));
    assert.ok(at > 0, `${marker} is in the log`);
    bytes[at] = bytes[at]! ^ 0x20;
    await fs.writeFile(file, bytes);
  }

  it('accepts seqs the server declares lost once, shows them, gets every event after the hole, and never loops', async () => {
    const a = client('alice');
    await online(a);
    const id = await (await a.declare({ title: 'Holes', severity: 'SEV2', symptom: '' })).incidentId;
    for (let i = 1; i <= 6; i++) await a.append(id, 'note.added', { text: `note number ${i}`, tag: 'note' });
    await until('all acked', () => a.connection.queued === 0);
    await server?.close();
    await damage('note number 3');
    await damage('note number 4');
    await start();

    const b = client('bob');
    b.subscribe(id);
    const s = await until('the events after the hole', () => (b.incident(id)?.notes.length === 4 ? b.incident(id) : undefined));
    assert.deepEqual(notes(s), ['note number 1', 'note number 2', 'note number 5', 'note number 6']);
    assert.deepEqual(s.lost, [{ fromSeq: 4, toSeq: 5, reason: 'storage_damage' }]);
    assert.equal(s.headSeq, 7);
    const view = incidentView(s, { id: 'bob@example.com', name: 'bob' }, Date.now());
    assert.deepEqual(view.timeline.map((e) => e.text).slice(0, 4), ['note number 6', 'note number 5', '2 entries lost to storage damage', 'note number 2']);

    await online(a);
    await a.append(id, 'note.added', { text: 'live after the hole', tag: 'note' });
    await until('the live note', () => b.incident(id)?.notes.length === 5);
    assert.equal(subscribes.get(b), 1, 'subscribed once, never again: no resubscribe loop');

    b.reconnect();
    await online(b);
    await a.append(id, 'note.added', { text: 'after a reconnect', tag: 'note' });
    const again = await until('the note after the reconnect', () => (b.incident(id)?.notes.length === 6 ? b.incident(id) : undefined));
    assert.deepEqual(again.lost, s.lost, 'the hole is on the timeline once');
    assert.equal(subscribes.get(b), 2, 'one subscribe per link');
  });

  /** A WebSocket server on port 0 that the test scripts frame by frame, in place of the real one. */
  async function scriptedServer(): Promise<WebSocketServer> {
    await server?.close();
    server = undefined;
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    port = (wss.address() as AddressInfo).port;
    return wss;
  }

  it('re-subscribes at most once per backoff step when a server leaves a gap it does not declare', async () => {
    // A server as they were before lost seqs were declared: seq 4 is missing from every replay, and nothing says so.
    const wss = await scriptedServer();
    const at = new Date().toISOString();
    const actor = { id: 'alice@example.com', name: 'Alice' };
    const event = (seq: number) => (seq === 1
      ? { seq, id: randomUUID(), kind: 'incident.declared', at, receivedAt: at, actor, data: { title: 'Old server', severity: 'SEV2', symptom: '' } }
      : { seq, id: randomUUID(), kind: 'note.added', at, receivedAt: at, actor, data: { text: `n${seq}`, tag: 'note' } });
    const subscribeTimes: number[] = [];
    wss.on('connection', (ws) => ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; afterSeq?: number };
      if (m.type === 'hello') {
        const summary = { id: 'INC-1', title: 'Old server', severity: 'SEV2', status: 'investigating', declaredAt: at, commander: actor, headSeq: 6 };
        ws.send(JSON.stringify({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: at, incidents: [summary] }));
      }
      if (m.type === 'subscribe') {
        subscribeTimes.push(performance.now());
        ws.send(JSON.stringify({ type: 'events', incidentId: 'INC-1', events: [1, 2, 3, 5, 6].filter((q) => q > (m.afterSeq ?? 0)).map(event), headSeq: 6 }));
        ws.send(JSON.stringify({ type: 'event', incidentId: 'INC-1', event: event(7) }));
      }
    }));
    try {
      const c = client('carol');
      c.subscribe('INC-1');
      await until('six subscribes', () => subscribeTimes.length >= 6, 20_000);
      const waits = subscribeTimes.slice(1).map((t, i) => t - subscribeTimes[i]!);
      // After the first gap it asks at once; then FAST_BACKOFF: 50 ms, x2, at most 400, jitter 0.5 (so at least half).
      waits.slice(1).forEach((w, k) => assert.ok(w >= Math.min(400, 50 * 2 ** k) * 0.5 - 5, `wait ${k + 2} was ${w.toFixed(1)} ms: ${waits.map((x) => x.toFixed(1)).join(', ')}`));
      assert.equal(c.incident('INC-1')?.headSeq, 3, 'nothing after an undeclared hole is applied');
    } finally {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    }
  });

  it('backs off, doubling, while the server keeps answering a queued event with internal errors', async () => {
    // A server whose store has failed: every append is answered `internal`, and the event must stay queued.
    const wss = await scriptedServer();
    const appends: number[] = [];
    wss.on('connection', (ws) => ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; requestId?: string };
      if (m.type === 'hello') ws.send(JSON.stringify({ type: 'welcome', protocol: 1, channel: 'payments', serverTime: new Date().toISOString(), incidents: [] }));
      if (m.type === 'append') {
        appends.push(performance.now());
        ws.send(JSON.stringify({ type: 'error', requestId: m.requestId, code: 'internal', message: 'internal server error' }));
      }
    }));
    try {
      const c = client('dave');
      await online(c);
      await c.append('INC-1', 'note.added', { text: 'kept until the store is back', tag: 'note' });
      await until('three sends', () => appends.length >= 3, 20_000);
      const [first, second] = [appends[1]! - appends[0]!, appends[2]! - appends[1]!];
      // 1 s then 2 s, each with 20% jitter (the client's resend timer runs every 500 ms meanwhile and must not send).
      assert.ok(first >= 800 - 5, `first pause ${first.toFixed(0)} ms`);
      assert.ok(second >= 1600 - 5, `second pause ${second.toFixed(0)} ms: it doubles`);
      assert.equal(c.connection.queued, 1, 'the event stays queued');
    } finally {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    }
  });
});
