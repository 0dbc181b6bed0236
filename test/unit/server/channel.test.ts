import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { parseServerMessage } from '../../../src/protocol/messages';
import { ChannelCore } from '../../../src/server/channel';
import type { ChannelSession } from '../../../src/server/session';
import { FileStore } from '../../../src/store/fileStore';
import { MemoryStore } from '../../../src/store/memoryStore';
import type { EventStore } from '../../../src/store/eventStore';
import { PostgresStore } from '../../../src/store/postgresStore';
import { Client } from 'pg';
import { freshDatabase, usePostgres } from '../../support/postgres';
import { declareEvent, noteEvent, removeTempDirs, sleep, tempDir } from './helpers';
import { until } from '../../support/until';

/** An in-process session, as the extension's local mode has: frames arrive as strings through a callback. */
class LocalPeer {
  readonly frames: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  readonly session: ChannelSession;
  private n = 0;

  constructor(core: ChannelCore, channel = 'local') {
    this.session = core.connect(channel, {
      send: (frame) => this.frames.push(frame),
      close: (code, reason) => (this.closedWith = { code, reason }),
    });
  }

  get messages(): Record<string, unknown>[] {
    return this.frames.map((f) => JSON.parse(f) as Record<string, unknown>);
  }

  send(msg: unknown): void {
    this.session.receive(JSON.stringify(msg));
  }

  hello(): void {
    this.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'sam@example.com', name: 'Sam' } });
  }

  async until(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(pred);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out; have ${this.frames.join('\n').slice(0, 800)}`);
      await sleep(2);
    }
  }

  async declare(): Promise<string> {
    const requestId = `d${++this.n}`;
    this.send({ type: 'declare', requestId, event: declareEvent() });
    return (await this.until((m) => m.requestId === requestId)).incidentId as string;
  }
}

/** A store for one test of the core: in memory (optionally slow to commit), in a temp folder, or a fresh PostgreSQL database. */
interface CoreStoreKind {
  readonly name: string;
  /** `slowMs`: a store whose commits take at least that long (the memory store only; a database commit takes its own time). */
  make(options?: { slowMs?: number }): Promise<EventStore>;
  /** The store that stands for "durable on disk" in this suite (FileStore, or the database). */
  durable(): Promise<EventStore>;
}

/** Poll an async check until it is true (test/support/until.ts polls synchronous ones). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const opened: EventStore[] = [];
async function opening<T extends EventStore>(store: T): Promise<T> {
  await store.open();
  opened.push(store);
  return store;
}

/** The core's behaviour that does not depend on which store it has: the same bodies over every store. */
function coreContract(kind: () => CoreStoreKind): void {
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  });

  it('runs in-process over a durable store: every frame it sends is a valid server message', async () => {
    const store = await kind().durable();
    const core = new ChannelCore({ store });
    const peer = new LocalPeer(core);
    peer.hello();
    const id = await peer.declare();
    peer.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    peer.send({ type: 'append', requestId: 'a', incidentId: id, event: noteEvent('hi') });
    await peer.until((m) => m.requestId === 'a');
    await peer.until((m) => m.type === 'event');
    for (const f of peer.frames) assert.ok(parseServerMessage(f).ok, `not a valid server message: ${f}`);
    await core.close();
  });

  it('sends everything that became durable together as one events frame, the same string to every subscriber', async () => {
    const core = new ChannelCore({ store: await kind().make({ slowMs: 20 }) });
    const writer = new LocalPeer(core);
    writer.hello();
    const id = await writer.declare();
    const subs = [new LocalPeer(core), new LocalPeer(core), new LocalPeer(core)];
    for (const s of subs) {
      s.hello();
      s.send({ type: 'subscribe', incidentId: id, afterSeq: 1 });
      await s.until((m) => m.type === 'events');
    }
    for (let i = 0; i < 50; i++) writer.send({ type: 'append', requestId: `a${i}`, incidentId: id, event: noteEvent(`n${i}`) });
    await writer.until((m) => m.requestId === 'a49');
    await until('every subscriber has the batch', () => subs.every((s) => s.frames.some((f) => f.includes('"note.added"'))));
    const live = subs.map((s) => s.frames.filter((f) => f.includes('"note.added"')));
    assert.equal(live[0]!.length, 1, 'one frame for the whole batch');
    const batch = JSON.parse(live[0]![0]!) as { type: string; events: { seq: number }[]; headSeq: number };
    assert.equal(batch.type, 'events');
    assert.deepEqual(batch.events.map((e) => e.seq), Array.from({ length: 50 }, (_, i) => i + 2));
    assert.equal(batch.headSeq, 51);
    // Serialized once: every subscriber got the very same string.
    assert.ok(live.every((frames) => frames[0] === live[0]![0]));
    await core.close();
  });

  it('answers a re-sent declare with the incident it created, not a new one', async () => {
    const core = new ChannelCore({ store: await kind().make() });
    const peer = new LocalPeer(core);
    peer.hello();
    const ev = declareEvent();
    peer.send({ type: 'declare', requestId: 'd1', event: ev });
    peer.send({ type: 'declare', requestId: 'd2', event: ev });
    const d1 = await peer.until((m) => m.requestId === 'd1');
    const d2 = await peer.until((m) => m.requestId === 'd2');
    assert.equal(d1.incidentId, 'INC-1');
    assert.equal(d2.incidentId, 'INC-1');
    peer.send({ type: 'declare', requestId: 'd3', event: declareEvent('other') });
    assert.equal((await peer.until((m) => m.requestId === 'd3')).incidentId, 'INC-2');
    await core.close();
  });

  it('loads a room once and drops it from memory when idle', async () => {
    const core = new ChannelCore({ store: await kind().make(), roomIdleMs: 30, channelIdleMs: 30 });
    const peer = new LocalPeer(core);
    peer.hello();
    const id = await peer.declare();
    peer.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    await peer.until((m) => m.type === 'events');
    assert.equal(core.stats().rooms, 1);
    peer.send({ type: 'unsubscribe', incidentId: id });
    await until('idle room dropped', () => core.stats().rooms === 0);
    peer.session.disconnect();
    await until('idle channel dropped', () => core.stats().channels === 0);
    assert.deepEqual(core.stats(), { sessions: 0, channels: 0, rooms: 0 });
    await core.close();
  });

  it('replays a long history in chunks and then goes live without a gap', async () => {
    const core = new ChannelCore({ store: await kind().make() });
    const writer = new LocalPeer(core);
    writer.hello();
    const id = await writer.declare();
    for (let i = 0; i < 1500; i++) writer.send({ type: 'append', requestId: `a${i}`, incidentId: id, event: noteEvent(`n${i}`) });
    await writer.until((m) => m.requestId === 'a1499', 20_000);
    const reader = new LocalPeer(core);
    reader.hello();
    reader.send({ type: 'subscribe', incidentId: id, afterSeq: 10 });
    // Appends keep arriving during the replay.
    for (let i = 0; i < 20; i++) writer.send({ type: 'append', requestId: `b${i}`, incidentId: id, event: noteEvent(`m${i}`) });
    await writer.until((m) => m.requestId === 'b19');
    const seqsOf = () => [...new Set(reader.messages.flatMap((m) => (m.type === 'events' ? (m.events as { seq: number }[]) : m.type === 'event' ? [m.event as { seq: number }] : []).map((e) => e.seq)))];
    await until('the reader has everything', () => seqsOf().length >= 1511).catch(() => undefined);
    assert.deepEqual(seqsOf(), Array.from({ length: 1511 }, (_, i) => i + 11));
    assert.ok(reader.messages.filter((m) => m.type === 'events').length >= 2, 'chunked');
    await core.close();
  });

  it('shuts down gracefully: pending appends are acked before sessions are closed with 1001', async () => {
    const core = new ChannelCore({ store: await kind().make({ slowMs: 30 }) });
    const peer = new LocalPeer(core);
    peer.hello();
    const id = await peer.declare();
    peer.send({ type: 'append', requestId: 'last', incidentId: id, event: noteEvent() });
    await core.close();
    assert.equal(peer.messages.find((m) => m.requestId === 'last')?.type, 'ack');
    assert.equal(peer.closedWith?.code, 1001);
  });
}

describe('server/channel (the transport-free core)', () => {
  after(removeTempDirs);

  describe('over the memory and file stores', () => {
    coreContract(() => ({
      name: 'memory',
      make: async (o = {}) => new MemoryStore(o.slowMs ? { appendDelayMs: o.slowMs } : {}),
      durable: () => opening(new FileStore({ dir: tempDir() })),
    }));
  });

  describe('over PostgreSQL (the store numbers events; replicas)', () => {
    usePostgres('core');
    const pgStore = async () => opening(new PostgresStore({ url: await freshDatabase('core') }));
    coreContract(() => ({ name: 'postgres', make: pgStore, durable: pgStore }));

    it('acks a re-send of an event still being written only once it is committed, with the same seq', async () => {
      const url = await freshDatabase('held');
      const store = await opening(new PostgresStore({ url }));
      const core = new ChannelCore({ store });
      const peer = new LocalPeer(core);
      peer.hello();
      const id = await peer.declare();
      // Another connection holds the incident's row lock (no timing): the first write waits inside its transaction.
      const holder = new Client({ connectionString: url });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT head_seq FROM ir_incidents WHERE channel = $1 AND number = 1 FOR UPDATE', ['local']);
      const ev = noteEvent('once');
      peer.send({ type: 'append', requestId: 'first', incidentId: id, event: ev });
      await eventually('the first write waits for the lock', async () => {
        const { rows } = await holder.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return (rows[0] as { n: number }).n > 0;
      });
      peer.send({ type: 'append', requestId: 'again', incidentId: id, event: { ...ev, id: ev.id.toUpperCase() } });
      assert.equal(peer.messages.filter((m) => m.type === 'ack').length, 0, 'no ack before the database has it');
      await holder.query('COMMIT');
      await holder.end();
      const first = await peer.until((m) => m.requestId === 'first');
      const again = await peer.until((m) => m.requestId === 'again');
      assert.deepEqual([first.seq, first.duplicate], [2, false]);
      assert.deepEqual([again.seq, again.duplicate], [2, true]);
      assert.deepEqual((await store.read('local', id, 0, 10)).map((e) => e.seq), [1, 2], 'stored once');
      await core.close();
    });
  });

  it('stays transport-free: bundling the core and the stores pulls in no ws, http or prom-client', () => {
    const result = buildSync({
      stdin: { contents: "export * from './src/server/channel'; export * from './src/store/fileStore'; export * from './src/store/memoryStore';", resolveDir: path.join(__dirname, '../../..'), loader: 'ts' },
      bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((i) => i.endsWith('src/server/room.ts')));
    assert.deepEqual(inputs.filter((i) => /node_modules\/(ws|prom-client)\//.test(i) || /channelServer|metrics\.ts/.test(i)), []);
  });

  it('acks a re-send of an event still being written only once it is durable, with the same seq', async () => {
    // The store's write is held open by the test (no timing): the re-send arrives while the first is being written.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => { release = r; });
    let writing = 0;
    const store = new (class extends MemoryStore {
      override async append(records: Parameters<MemoryStore['append']>[0]): Promise<void> {
        if (records.some((r) => r.event.kind === 'note.added')) {
          writing++;
          await held;
        }
        return super.append(records);
      }
    })();
    const core = new ChannelCore({ store });
    const peer = new LocalPeer(core);
    peer.hello();
    const id = await peer.declare();
    const ev = noteEvent('once');
    peer.send({ type: 'append', requestId: 'first', incidentId: id, event: ev });
    await until('the first write under way', () => writing === 1);
    peer.send({ type: 'append', requestId: 'again', incidentId: id, event: { ...ev, id: ev.id.toUpperCase() } });
    assert.equal(peer.messages.filter((m) => m.type === 'ack').length, 0, 'no ack before the store has it');
    release();
    const first = await peer.until((m) => m.requestId === 'first');
    const again = await peer.until((m) => m.requestId === 'again');
    assert.deepEqual([first.seq, first.duplicate], [2, false]);
    assert.deepEqual([again.seq, again.duplicate], [2, true]);
    assert.equal(store.stats().events, 2);
    await core.close();
  });

  it('on a store failure replies internal to every pending request, leaves no gap and keeps serving reads', async () => {
    const store = new MemoryStore({ appendDelayMs: 20 });
    const core = new ChannelCore({ store });
    const peer = new LocalPeer(core);
    peer.hello();
    const id = await peer.declare();
    peer.send({ type: 'append', requestId: 'ok', incidentId: id, event: noteEvent() });
    await peer.until((m) => m.requestId === 'ok');
    peer.send({ type: 'append', requestId: 'x1', incidentId: id, event: noteEvent() });
    peer.send({ type: 'append', requestId: 'x2', incidentId: id, event: noteEvent() });
    store.failAppends();
    const x1 = await peer.until((m) => m.requestId === 'x1');
    const x2 = await peer.until((m) => m.requestId === 'x2');
    assert.deepEqual([x1.type, x1.code, x2.code], ['error', 'internal', 'internal']);
    assert.equal(x1.message, 'internal server error', 'no detail for the client');
    const reader = new LocalPeer(core);
    reader.hello();
    reader.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    const replay = await reader.until((m) => m.type === 'events');
    assert.deepEqual((replay.events as { seq: number }[]).map((e) => e.seq), [1, 2]);
    await core.close();
  });

  it('closes 4400 when the first message is not hello, or names an unsupported protocol version', async () => {
    const core = new ChannelCore({ store: new MemoryStore() });
    const a = new LocalPeer(core);
    a.send({ type: 'ping', requestId: 'p' });
    assert.equal(a.closedWith?.code, 4400);
    assert.match(String(a.messages[0]?.message), /first message must be hello/);
    const b = new LocalPeer(core);
    b.send({ type: 'hello', protocol: 2, clientId: 'c', user: { id: 'u', name: 'U' } });
    assert.equal(b.closedWith?.code, 4400);
    assert.match(String(b.messages[0]?.message), /^protocol: unsupported version 2/);
    await core.close();
  });
});
