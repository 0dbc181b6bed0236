import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IncidentState } from '../../../src/core/incidentState';
import { startServer, type RunningServer } from '../../../src/server/channelServer';
import { FileStore } from '../../../src/store/fileStore';
import { ChannelClient } from '../../../src/sync/channelClient';
import { Outbox } from '../../../src/sync/outbox';
import { WsTransport } from '../../../src/sync/wsTransport';
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

  function client(name: string, storage = path.join(dir, `client-${name}`)): ChannelClient {
    const ws = new WsTransport({ serverUrl: `ws://127.0.0.1:${port}`, channel: 'payments', token: async () => undefined, connectTimeoutMs: 2000 });
    const counting = {
      description: ws.description,
      open: (h: Parameters<WsTransport['open']>[0]) => ws.open({
        ...h,
        onMessage: (m) => {
          if (m.type === 'events') received.set(c, (received.get(c) ?? 0) + m.events.length);
          if (m.type === 'event') received.set(c, (received.get(c) ?? 0) + 1);
          h.onMessage(m);
        },
      }),
    };
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
    let drops = 0;
    a.onDidChangeConnection((c) => { if (c.status === 'offline') drops++; });
    await start();
    const s = await until('1500 notes', () => (a.incident(id)?.notes.length === 1500 ? a.incident(id) : undefined), 40_000);
    assert.equal(drops, 0, 'never closed for abuse (4429) or dropped');
    assert.equal(new Set(s.notes.map((n) => n.text)).size, 1500);
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

  it('says why when the server is unreachable, and keeps what was written', async () => {
    await server?.close();
    const a = client('alice');
    await until('offline', () => a.connection.status === 'offline');
    assert.match(a.connection.lastError ?? '', /cannot reach ws:\/\/127\.0\.0\.1/);
    await a.declare({ title: 'Queued declaration', severity: 'SEV2', symptom: '' });
    assert.equal(a.connection.queued, 1);
  });
});
