import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { SequencedEvent } from '../../../src/protocol/events';
import type { AppendRecord } from '../../../src/store/eventStore';
import { MemoryStore } from '../../../src/store/memoryStore';
import { records, signal, statusRecord } from './fixtures';

/** A note as seq `seq` of an incident, parsed from JSON as it arrives; `id` as the client spelled it. */
function noteAt(channel: string, incidentId: string, seq: number, id: string = randomUUID()): AppendRecord {
  const at = new Date(Date.UTC(2026, 10, 22, 14, 0, seq % 60)).toISOString();
  const json = JSON.stringify({ seq, id, kind: 'note.added', at, receivedAt: at, actor: { id: 'bob@example.com', name: 'Bob' }, data: { text: `note ${seq}`, tag: 'note' } });
  const event = JSON.parse(json) as SequencedEvent;
  return { channel, incidentId, seq, id: event.id, kind: event.kind, json, event };
}

/** The same records with their event ids upper-cased, as a client may send a UUID. */
function shouted(list: readonly AppendRecord[]): AppendRecord[] {
  return list.map((r) => {
    const event = { ...r.event, id: r.event.id.toUpperCase() } as SequencedEvent;
    return { ...r, id: event.id, event, json: JSON.stringify(event) };
  });
}

const seqs = (list: readonly { seq: number }[]) => list.map((e) => e.seq);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function opened(options: { appendDelayMs?: number } = {}): Promise<MemoryStore> {
  const store = new MemoryStore(options);
  await store.open();
  return store;
}

describe('store/memoryStore: the EventStore promises it keeps', () => {
  it('opens empty: nothing recovered, nothing cut off, nothing skipped', async () => {
    const store = new MemoryStore();
    assert.deepEqual(await store.open(), { events: 0, incidents: 0, channels: 0, truncatedBytes: 0, skipped: [], durationMs: 0 });
  });

  it('counts the channels, incidents and events it holds; INC-1 of two channels is two incidents', async () => {
    const store = await opened();
    await store.append(records('alpha', 'INC-1', 1, 3));
    await store.append([...records('alpha', 'INC-2', 1, 2), ...records('beta', 'INC-1', 1, 1)]);
    assert.deepEqual(store.stats(), { channels: 2, incidents: 3, events: 6, failed: false });
  });

  it('lists incidents by number (INC-9 before INC-10), whatever order their declarations were appended in', async () => {
    const store = await opened();
    const declared = new Map<string, AppendRecord>();
    for (const id of ['INC-10', 'INC-2', 'INC-1', 'INC-9']) {
      const [decl] = records('c', id, 1, 1);
      declared.set(id, decl!);
      await store.append([decl!]);
    }
    const list = await store.listIncidents('c');
    assert.deepEqual(list.map((i) => i.summary.id), ['INC-1', 'INC-2', 'INC-9', 'INC-10']);
    assert.deepEqual(list.map((i) => i.declareEventId), list.map((i) => declared.get(i.summary.id)!.id));
    assert.equal(await store.highestIncidentNumber('c'), 10);
  });

  it('lists only incidents that have a declaration, yet never hands out again the number of one without', async () => {
    const store = await opened();
    await store.append(records('c', 'INC-1', 1, 2));
    await store.append([noteAt('c', 'INC-2', 1), noteAt('c', 'INC-2', 2)]);
    assert.deepEqual((await store.listIncidents('c')).map((i) => [i.summary.id, i.summary.headSeq]), [['INC-1', 2]]);
    assert.equal(await store.highestIncidentNumber('c'), 2);
    assert.deepEqual(seqs(await store.read('c', 'INC-2', 0, 10)), [1, 2], 'its events are still served');
  });

  it('keys the declaration and every event id lower-cased (a re-sent UUID in another case is the same event), never a later event\'s id', async () => {
    const store = await opened();
    const evs = shouted([...records('c', 'INC-1', 1, 3), statusRecord('c', 'INC-1', 4, 'mitigating')]);
    await store.append(evs.slice(0, 2));
    await store.append(evs.slice(2));
    const [inc] = await store.listIncidents('c');
    assert.equal(inc?.declareEventId, evs[0]!.id.toLowerCase());
    assert.equal(inc?.summary.status, 'mitigating');
    const ids = await store.readIds('c', 'INC-1');
    assert.deepEqual([...ids], evs.map((r) => [r.id.toLowerCase(), r.seq]));
  });

  it('reads from a position: afterSeq < seq <= afterSeq + limit, never past the head', async () => {
    const store = await opened();
    await store.append(records('c', 'INC-1', 1, 5));
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 2, 2)), [3, 4]);
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 0, 1)), [1]);
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 3, 100)), [4, 5]);
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 5, 10)), [], 'nothing after the head');
    assert.deepEqual(seqs(await store.read('c', 'INC-1', -3, 2)), [1, 2], 'a position before the start reads from seq 1');
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 2, 0)), []);
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 2, -1)), []);
  });

  it('reads no events and no ids of an incident or channel it does not hold, though INC-1 exists in another channel', async () => {
    const store = await opened();
    await store.append(records('alpha', 'INC-1', 1, 3));
    assert.deepEqual(await store.read('beta', 'INC-1', 0, 10), [], 'unknown channel');
    assert.deepEqual(await store.read('alpha', 'INC-2', 0, 10), [], 'unknown incident of a known channel');
    assert.equal((await store.readIds('beta', 'INC-1')).size, 0, 'unknown channel');
    assert.equal((await store.readIds('alpha', 'INC-2')).size, 0, 'unknown incident of a known channel');
    assert.equal((await store.readIds('alpha', 'INC-1')).size, 3);
  });

  it('refuses a record that does not follow its incident\'s head, saying which, and keeps the head as it was', async () => {
    const store = await opened();
    await store.append(records('alpha', 'INC-1', 1, 2));
    await assert.rejects(store.append([statusRecord('alpha', 'INC-1', 4, 'resolved')]), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'store_corrupt');
      assert.match(e.message, /alpha\/INC-1: seq 4 after 2/);
      return true;
    });
    assert.deepEqual(seqs(await store.read('alpha', 'INC-1', 0, 10)), [1, 2]);
    assert.deepEqual((await store.listIncidents('alpha')).map((i) => [i.summary.headSeq, i.summary.status]), [[2, 'investigating']]);
  });

  // The EventStore contract: "After an append rejects, the store rejects every later append too", and reads only see
  // committed records. (MemoryStore used to keep the records of a batch before the one out of order, and go on.)
  it('a rejected append leaves none of its records behind and fails every later append, also for a record out of order', async () => {
    const store = await opened();
    const evs = records('alpha', 'INC-1', 1, 5);
    await store.append(evs.slice(0, 2));
    await assert.rejects(store.append([evs[2]!, evs[4]!]), { code: 'store_corrupt' });
    assert.deepEqual(seqs(await store.read('alpha', 'INC-1', 0, 10)), [1, 2], 'seq 3 was never acked');
    assert.equal(store.stats().failed, true);
    await assert.rejects(store.append(records('alpha', 'INC-2', 1, 1)), { code: 'store_failed' });
  });

  it('close waits for appends already made, then refuses appends and signal puts as closed', async () => {
    const store = await opened();
    const pending = store.append(records('c', 'INC-1', 1, 2));
    const closing = store.close();
    await pending;
    await closing;
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 0, 10)), [1, 2]);
    const closed = { code: 'store_closed', message: /closed/ };
    await assert.rejects(store.append(records('c', 'INC-2', 1, 1)), closed);
    await assert.rejects(store.putSignals('c', [signal('0123456789abcdef')]), closed);
    assert.deepEqual(await store.listSignals('c'), []);
  });

  it('holds each append back for appendDelayMs: neither resolved nor readable before', async () => {
    const store = await opened({ appendDelayMs: 60 });
    const started = performance.now();
    let resolved = false;
    const pending = store.append(records('c', 'INC-1', 1, 1)).then(() => (resolved = true));
    await sleep(20);
    assert.equal(resolved, false);
    assert.deepEqual(await store.read('c', 'INC-1', 0, 10), [], 'reads see only what is durable');
    await pending;
    assert.ok(performance.now() - started >= 50, `resolved after ${performance.now() - started} ms`);
    assert.deepEqual(seqs(await store.read('c', 'INC-1', 0, 10)), [1]);
  });

  it('refuses an append that was being written when the store failed, and keeps none of it', async () => {
    const store = await opened({ appendDelayMs: 300 });
    const pending = store.append(records('c', 'INC-1', 1, 2));
    await new Promise((r) => setImmediate(r));
    store.failAppends();
    await assert.rejects(pending, { code: 'store_failed', message: /failed/ });
    assert.deepEqual(await store.read('c', 'INC-1', 0, 10), []);
    assert.deepEqual(store.stats(), { channels: 0, incidents: 0, events: 0, failed: true });
  });

  it('once failed, refuses at once, without first waiting out its write delay', async () => {
    // A minute's delay: a store that waited it out would run into the test's timeout, not a clock assertion.
    const store = await opened({ appendDelayMs: 60_000 });
    store.failAppends();
    await assert.rejects(store.append(records('c', 'INC-1', 1, 1)), { code: 'store_failed', message: /failed/ });
  });
});
