import assert from 'node:assert/strict';
import { MemoryStore } from '../../../src/store/memoryStore';
import { records, signal } from './fixtures';

describe('store/memoryStore', () => {
  it('keeps appends in call order and serves reads, ids and summaries', async () => {
    const store = new MemoryStore();
    await store.open();
    const evs = records('c1', 'INC-1', 1, 5);
    await Promise.all([store.append(evs.slice(0, 2)), store.append(evs.slice(2))]);
    assert.deepEqual((await store.read('c1', 'INC-1', 2, 10)).map((e) => e.seq), [3, 4, 5]);
    assert.equal((await store.readIds('c1', 'INC-1')).get(evs[4]!.id), 5);
    const [inc] = await store.listIncidents('c1');
    assert.equal(inc?.summary.headSeq, 5);
    assert.deepEqual(await store.listIncidents('c2'), []);
  });

  it('keeps the latest signal per fingerprint, never unlinked by a null incidentId, in call order with appends', async () => {
    const store = new MemoryStore({ appendDelayMs: 5 });
    await store.open();
    const fp = 'a1b2c3d4e5f60718';
    const order: string[] = [];
    await Promise.all([
      store.putSignals('c1', [signal(fp, { incidentId: 'INC-1' })]).then(() => order.push('link')),
      store.append(records('c1', 'INC-1', 1, 1)).then(() => order.push('append')),
      store.putSignals('c1', [signal(fp, { status: 'resolved', endsAt: '2026-11-22T15:00:00.000Z' })]).then(() => order.push('resolve')),
    ]);
    assert.deepEqual(order, ['link', 'append', 'resolve']);
    assert.deepEqual((await store.listSignals('c1')).map((s) => [s.status, s.incidentId]), [['resolved', 'INC-1']]);
    assert.deepEqual(await store.listSignals('c2'), []);
    assert.deepEqual(await store.listSignals('c1', ['ffffffffffffffff']), []);
    store.failAppends();
    await assert.rejects(store.putSignals('c1', [signal(fp)]), { code: 'store_failed' });
  });

  it('once failed, refuses every later append', async () => {
    const store = new MemoryStore();
    await store.open();
    store.failAppends();
    await assert.rejects(store.append(records('c1', 'INC-1', 1, 1)), { code: 'store_failed' });
    assert.equal(store.stats().failed, true);
  });

  it('is never damaged, and numbers incidents from every one it holds', async () => {
    const store = new MemoryStore();
    await store.open();
    await store.append(records('c1', 'INC-1', 1, 2));
    await store.append(records('c1', 'INC-2', 1, 1));
    assert.equal(await store.highestIncidentNumber('c1'), 2);
    assert.equal(await store.highestIncidentNumber('c2'), 0);
    assert.deepEqual(store.health(), {
      state: 'ok', damagedRecords: 0, quarantinedBytes: 0, lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes: 0,
    });
  });
});
