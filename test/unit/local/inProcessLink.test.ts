import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type FSWatcher, promises as fs, watch } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openInProcessLink } from '../../../src/local/inProcessLink';
import type { ClientMessage, ServerMessage } from '../../../src/protocol/messages';
import { ChannelCore } from '../../../src/server/channel';
import { DEFAULT_LIMITS } from '../../../src/server/channelServer';
import { type AppendRecord, StoreError } from '../../../src/store/eventStore';
import { MemoryStore } from '../../../src/store/memoryStore';
import { ChannelClient } from '../../../src/sync/channelClient';
import { Outbox } from '../../../src/sync/outbox';
import type { Link, LinkFailure, Transport } from '../../../src/sync/transport';
import { until } from '../../support/until';

/** A store whose appends become durable only when the test says so. */
class GatedStore extends MemoryStore {
  private gate = Promise.resolve();
  private release: () => void = () => undefined;
  /** Appends that reached the store and wait at its gate. */
  waiting = 0;
  hold(): void {
    this.gate = new Promise((r) => (this.release = r));
  }
  letGo(): void {
    this.release();
  }
  override append(records: readonly AppendRecord[]): Promise<void> {
    this.waiting++;
    return this.gate.then(() => {
      this.waiting--;
      return super.append(records);
    });
  }
}

/** One in-process client: every message and the close it saw, in order. */
function connect(core: ChannelCore, channel = 'default') {
  const seen: ServerMessage[] = [];
  const invalid: string[] = [];
  let closed: LinkFailure | undefined;
  const link: Link = openInProcessLink(core, channel, {
    onMessage: (m) => seen.push(m),
    onInvalid: (e) => invalid.push(e),
    onClose: (f) => (closed = f),
  }, { via: 'local' }, DEFAULT_LIMITS);
  const next = <T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true) =>
    until(`a ${type}`, () => seen.find((m): m is Extract<ServerMessage, { type: T }> => m.type === type && pred(m as Extract<ServerMessage, { type: T }>)), 5000);
  const hello = async (user = 'alice@example.com') => {
    link.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: user, name: user.split('@')[0]! } });
    return next('welcome');
  };
  return { link, seen, invalid, next, hello, closed: () => closed };
}

const declare = (requestId: string): ClientMessage => ({
  type: 'declare', requestId, event: { id: randomUUID(), at: new Date().toISOString(), data: { title: 'In process', severity: 'SEV3', symptom: '' } },
});
const note = (requestId: string, incidentId: string, text = 'a note'): ClientMessage => ({
  type: 'append', requestId, incidentId, event: { id: randomUUID(), kind: 'note.added', at: new Date().toISOString(), data: { text, tag: 'note' } },
});

describe('local/inProcessLink: a window talks to the channel core in its own process', () => {
  let store: GatedStore;
  let core: ChannelCore;
  beforeEach(async () => {
    store = new GatedStore();
    await store.open();
    core = new ChannelCore({ store });
  });
  afterEach(async () => {
    store.letGo();
    await core.close();
    await store.close();
  });

  it('speaks the protocol: welcome, declared, replay, acks, and fan-out to every subscriber with actor and via stamped', async () => {
    const a = connect(core);
    const b = connect(core);
    await a.hello('alice@example.com');
    await b.hello('bob@example.com');
    a.link.send(declare('d1'));
    const declared = await a.next('declared', (m) => m.requestId === 'd1');
    const id = declared.incidentId;
    assert.equal((await b.next('incident')).summary.id, id, 'the other session hears of the new incident');
    a.link.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    b.link.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
    await b.next('events', (m) => m.incidentId === id);
    b.link.send(note('n1', id, 'from bob'));
    const ack = await b.next('ack', (m) => m.requestId === 'n1');
    assert.equal(ack.seq, 2);
    for (const c of [a, b]) {
      const live = await c.next('event', (m) => m.event.seq === 2);
      assert.deepEqual(live.event.actor, { id: 'bob@example.com', name: 'bob' });
      assert.equal(live.event.via, 'local', 'stamped like an event that came in with the loopback token');
    }
    a.link.send({ type: 'ping', requestId: 'p1' });
    await a.next('pong', (m) => m.requestId === 'p1');
    assert.deepEqual([...a.invalid, ...b.invalid], []);
  });

  it('acks an append only once the store has it on disk', async () => {
    const a = connect(core);
    await a.hello();
    a.link.send(declare('d1'));
    const id = (await a.next('declared')).incidentId;
    store.hold();
    a.link.send(note('n1', id));
    await until('the note waiting at the store', () => store.waiting > 0 || undefined);
    assert.equal(a.seen.find((m) => m.type === 'ack'), undefined, 'acked before the store made it durable');
    store.letGo();
    await a.next('ack', (m) => m.requestId === 'n1');
  });

  it('refuses what a socket refuses, the same way: a frame before hello closes 4400, bad fields name the field, a huge frame closes 1009', async () => {
    const early = connect(core);
    early.link.send({ type: 'ping', requestId: 'p0' });
    await until('closed 4400', () => early.closed()?.kind === 'closed' && (early.closed() as { code: number }).code === 4400);
    assert.ok(early.seen.some((m) => m.type === 'error' && m.code === 'invalid_message'), 'the error comes before the close');

    const a = connect(core);
    await a.hello();
    a.link.send(note('n1', 'INC-99'));
    const unknown = await a.next('error', (m) => m.requestId === 'n1');
    assert.equal(unknown.code, 'unknown_incident');
    a.link.send(declare('d1'));
    const id = (await a.next('declared')).incidentId;
    const bad = { type: 'append', requestId: 'n2', incidentId: id, event: { id: randomUUID(), kind: 'note.added', at: new Date().toISOString(), data: { text: 'x', tag: 'rumour' } } };
    a.link.send(bad as unknown as ClientMessage);
    const invalid = await a.next('error', (m) => m.requestId === 'n2');
    assert.equal(invalid.code, 'invalid_message');
    assert.match(invalid.message, /tag/);

    a.link.send(note('n3', id, 'x'.repeat(300 * 1024)));
    await until('closed 1009', () => (a.closed() as { code?: number } | undefined)?.code === 1009);
    assert.equal(a.seen.find((m) => m.type === 'ack' && m.requestId === 'n3'), undefined);
  });

  it('answers on a later turn, never inside send(), and keeps the order of replies and the close after them', async () => {
    const a = connect(core);
    await a.hello();
    const before = a.seen.length;
    a.link.send({ type: 'ping', requestId: 'p1' });
    assert.equal(a.seen.length, before, 'a reply re-entered the client inside its own send');
    await a.next('pong');
    await core.close();
    await until('closed 1001', () => (a.closed() as { code?: number } | undefined)?.code === 1001);
  });
});

/** A store that refuses appends while `failing` (a full disk), and takes them again once it is not. */
class FlakyStore extends GatedStore {
  failing = false;
  override append(records: readonly AppendRecord[]): Promise<void> {
    if (this.failing) return Promise.reject(new StoreError('store_failed', 'no space left on device (simulated)'));
    return super.append(records);
  }
}

describe('local/inProcessLink: the hosting window\'s client pays durability once', function () {
  this.timeout(20_000);
  let storage: string;
  let store: FlakyStore;
  let core: ChannelCore;
  let client: ChannelClient;
  let outbox: Outbox;
  /** Every outbox file that appeared, as it appeared. */
  let written: string[];
  let watcher: FSWatcher;
  const outboxFiles = async () => (await fs.readdir(outbox.folder)).filter((n) => n.endsWith('.json'));

  beforeEach(async () => {
    storage = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-inproc-'));
    store = new FlakyStore();
    await store.open();
    core = new ChannelCore({ store });
    outbox = new Outbox(storage, 'local#default');
    await fs.mkdir(outbox.folder, { recursive: true });
    written = [];
    watcher = watch(outbox.folder, (_e, name) => {
      if (name?.endsWith('.json')) written.push(name);
    });
    const transport: Transport = { description: 'local channel "default"', open: async (h) => openInProcessLink(core, 'default', h, { via: 'local' }, DEFAULT_LIMITS) };
    client = new ChannelClient({ transport, outbox, user: () => ({ id: 'alice@example.com', name: 'Alice' }), backoff: { initialMs: 50, factor: 2, maxMs: 200, jitter: 0 } });
    client.start();
    await until('online', () => client.connection.status === 'online');
  });
  afterEach(async () => {
    watcher.close();
    client.dispose();
    store.letGo();
    await core.close();
    await store.close();
    await fs.rm(storage, { recursive: true, force: true });
  });

  it('a note is durable once, in the store: append resolves after the ack and never writes the outbox', async () => {
    const id = await (await client.declare({ title: 'Once', severity: 'SEV3', symptom: '' })).incidentId;
    client.subscribe(id);
    store.hold();
    let resolved = false;
    const appended = client.append(id, 'note.added', { text: 'durable once', tag: 'note' }).then((eventId) => {
      resolved = true;
      return eventId;
    });
    await until('the note waiting at the store', () => store.waiting > 0 || undefined);
    assert.equal(resolved, false, 'append resolved before the note was durable anywhere');
    store.letGo();
    const eventId = await appended;
    assert.ok((await store.readIds('default', id)).has(eventId), 'resolved, but the store does not have it');
    await until('applied', () => client.incident(id)?.notes.length === 1);
    await new Promise((r) => setTimeout(r, 50)); // let the watcher report anything late
    assert.deepEqual(written, [], 'the hosting window wrote its notes to the outbox as well as the store');
    assert.equal(client.connection.queued, 0);
  });

  it('a note the store refuses goes to the outbox on disk, and reaches the store once it takes appends again', async () => {
    const id = await (await client.declare({ title: 'Disk full', severity: 'SEV2', symptom: '' })).incidentId;
    client.subscribe(id);
    store.failing = true;
    const started = Date.now();
    const eventId = await client.append(id, 'note.added', { text: 'kept', tag: 'fact' });
    assert.ok(Date.now() - started < 2000, 'the refusal was not taken as the sign to write the note to disk');
    const files = await outboxFiles();
    assert.equal(files.length, 1, 'a note the channel could not take is not on disk');
    assert.ok(files[0]!.includes(eventId));
    assert.equal(client.connection.queued, 1);
    store.failing = false;
    await until('delivered', () => client.incident(id)?.notes.some((n) => n.id === eventId), 10_000);
    await until('outbox emptied', () => client.connection.queued === 0);
    assert.deepEqual(await outboxFiles(), []);
  });

  it('a note waiting for its ack when the link drops is written to the outbox, and sent once more without a duplicate', async () => {
    const id = await (await client.declare({ title: 'Dropped', severity: 'SEV3', symptom: '' })).incidentId;
    client.subscribe(id);
    store.hold();
    const appended = client.append(id, 'note.added', { text: 'in flight', tag: 'note' });
    await until('the note waiting at the store', () => store.waiting > 0 || undefined);
    const dropped = Date.now();
    client.reconnect();
    const eventId = await appended;
    assert.ok(Date.now() - dropped < 2000, 'the dropped link was not taken as the sign to write the note to disk');
    assert.ok((await outboxFiles()).some((n) => n.includes(eventId)), 'the held note was not written when its link dropped');
    store.letGo();
    await until('delivered', () => client.incident(id)?.notes.length === 1);
    await until('outbox emptied', () => client.connection.queued === 0);
    assert.deepEqual(await outboxFiles(), []);
    assert.deepEqual(client.incident(id)?.notes.map((n) => n.id), [eventId]);
  });
});
