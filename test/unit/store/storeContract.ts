import assert from 'node:assert/strict';
import type { AppendRecord, EventStore, RecoveryReport, StoreStats } from '../../../src/store/eventStore';
import { records, signal, statusRecord } from './fixtures';

export type LogLine = { level: string; event: string; fields: Record<string, unknown> };

/** How a suite opens one kind of store: the same test bodies then run against every store (FileStore, PostgresStore). */
export interface StoreKind {
  /** A fresh, empty place for a store (a temp folder, a new database). */
  fresh(): Promise<string>;
  /** Open the store at `where`, collecting its log lines and the size of every group commit. */
  open(where: string, logs?: LogLine[], commits?: number[]): Promise<{ store: EventStore; report: RecoveryReport }>;
  /** The store's counts as of now (a database store re-reads them: other servers write too). */
  stats(store: EventStore): Promise<StoreStats>;
}

/** The `EventStore` contract, for any store. */
export function storeContract(kind: () => StoreKind): void {
  const open = async (where: string, logs: LogLine[] = [], commits: number[] = []) => ({ ...(await kind().open(where, logs, commits)), logs, commits });

  it('appends, reads ranges, ids and summaries, per channel, and rebuilds all of it on reopen', async () => {
    const dir = await kind().fresh();
    const { store } = await open(dir);
    const a1 = records('alpha', 'INC-1', 1, 300);
    const a2 = records('alpha', 'INC-2', 1, 3);
    const b1 = records('beta', 'INC-1', 1, 2);
    // Interleaved, as incidents of a busy channel are in the log.
    for (let i = 0; i < 300; i += 100) await Promise.all([store.append(a1.slice(i, i + 100)), store.append(a2.slice(i / 100, i / 100 + 1))]);
    await store.append(b1);
    await store.append([statusRecord('alpha', 'INC-2', 4, 'resolved')]);
    const check = async (s: EventStore) => {
      assert.deepEqual((await s.read('alpha', 'INC-1', 250, 10)).map((e) => e.seq), [251, 252, 253, 254, 255, 256, 257, 258, 259, 260]);
      const tail = await s.read('alpha', 'INC-1', 295, 100);
      assert.deepEqual(tail.map((e) => e.json), a1.slice(295).map((r) => r.json));
      assert.equal(tail[0]!.kind, 'note.added');
      assert.deepEqual((await s.read('beta', 'INC-1', 0, 10)).map((e) => e.json), b1.map((r) => r.json));
      assert.deepEqual(await s.read('gamma', 'INC-1', 0, 10), []);
      const ids = await s.readIds('alpha', 'INC-1');
      assert.equal(ids.size, 300);
      assert.equal(ids.get(a1[41]!.id), 42);
      const list = await s.listIncidents('alpha');
      assert.deepEqual(list.map((i) => [i.summary.id, i.summary.headSeq, i.summary.status]), [['INC-1', 300, 'investigating'], ['INC-2', 4, 'resolved']]);
      assert.equal(list[1]!.declareEventId, a2[0]!.id);
      assert.deepEqual(await kind().stats(s), { channels: 2, incidents: 3, events: 306, failed: false });
    };
    await check(store);
    await store.close();
    const reopened = await open(dir);
    assert.equal(reopened.report.events, 306);
    assert.equal(reopened.report.truncatedBytes, 0);
    await check(reopened.store);
    await reopened.store.close();
  });

  it('group-commits: appends arriving while an fsync runs share the next one, in call order', async () => {
    const { store, commits } = await open(await kind().fresh());
    const evs = records('c', 'INC-1', 1, 2000);
    const order: number[] = [];
    await Promise.all(evs.map((r) => store.append([r]).then(() => order.push(r.seq))));
    assert.deepEqual(order, evs.map((r) => r.seq), 'resolved in call order');
    assert.equal(commits.reduce((a, b) => a + b, 0), 2000);
    assert.ok(commits.length <= 20, `2000 appends took ${commits.length} fsyncs`);
    assert.deepEqual((await store.read('c', 'INC-1', 0, 5000)).map((e) => e.seq), evs.map((r) => r.seq));
    await store.close();
  });

  describe('signals (issue #11)', () => {
    const byFingerprint = (list: readonly { fingerprint: string }[]) => [...list].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));

    it('keeps the latest signal of each fingerprint per channel, filters by fingerprint, and rebuilds them on reopen', async () => {
      const where = await kind().fresh();
      const { store } = await open(where);
      const a = signal('aaaa000000000001');
      const b = signal('bbbb000000000002', { labels: { alertname: 'DiskFull', severity: 'warning' }, annotations: {} });
      await store.putSignals('alpha', [a, b]);
      // The same fingerprint in another channel is another signal.
      await store.putSignals('beta', [signal('aaaa000000000001', { labels: { alertname: 'Other' } })]);
      const resolved = { ...a, status: 'resolved' as const, endsAt: '2026-11-22T14:30:00.000Z', updatedAt: '2026-11-22T14:30:01.000Z' };
      await store.putSignals('alpha', [resolved]);
      const check = async (s: EventStore) => {
        assert.deepEqual(byFingerprint(await s.listSignals('alpha')), [resolved, b]);
        assert.deepEqual((await s.listSignals('beta')).map((x) => x.labels['alertname']), ['Other']);
        assert.deepEqual(await s.listSignals('gamma'), []);
        assert.deepEqual(await s.listSignals('alpha', ['bbbb000000000002', 'ffff000000000000']), [b], 'only those asked for that it has');
        assert.deepEqual(await s.listSignals('alpha', []), []);
      };
      await check(store);
      await store.close();
      const reopened = await open(where);
      assert.equal(reopened.report.events, 0, 'signals are not events');
      await check(reopened.store);
      assert.deepEqual(await kind().stats(reopened.store), { channels: 0, incidents: 0, events: 0, failed: false });
      await reopened.store.close();
    });

    it('never clears a link with a null incidentId; a newer link replaces it, also after a reopen', async () => {
      const where = await kind().fresh();
      const { store } = await open(where);
      const fp = '0123456789abcdef';
      await store.putSignals('c', [signal(fp)]);
      await store.putSignals('c', [signal(fp, { incidentId: 'INC-3' })]);
      // A notification from monitoring, merged by a server that had not heard of the link yet, in the same commit as a newer one.
      await Promise.all([store.putSignals('c', [signal(fp, { status: 'resolved', endsAt: '2026-11-22T15:00:00.000Z' })]), store.putSignals('c', [signal('fedcba9876543210')])]);
      assert.deepEqual((await store.listSignals('c', [fp])).map((x) => [x.status, x.incidentId]), [['resolved', 'INC-3']]);
      await store.close();
      const reopened = await open(where);
      assert.deepEqual((await reopened.store.listSignals('c', [fp])).map((x) => [x.status, x.incidentId]), [['resolved', 'INC-3']]);
      await reopened.store.putSignals('c', [signal(fp, { incidentId: 'INC-4' })]);
      assert.deepEqual((await reopened.store.listSignals('c', [fp])).map((x) => x.incidentId), ['INC-4']);
      await reopened.store.close();
    });

    it('puts and appends resolve in call order, a put of 5,000 signals included, and both are there after a reopen', async () => {
      const where = await kind().fresh();
      const { store } = await open(where);
      const evs = records('c', 'INC-1', 1, 30);
      const storm = Array.from({ length: 5000 }, (_, i) => signal(i.toString(16).padStart(16, '0')));
      const order: string[] = [];
      await Promise.all([
        store.append(evs.slice(0, 10)).then(() => order.push('append 1')),
        store.putSignals('c', storm).then(() => order.push('put storm')),
        store.append(evs.slice(10, 20)).then(() => order.push('append 2')),
        store.putSignals('c', [signal('0000000000000000', { incidentId: 'INC-1' })]).then(() => order.push('put link')),
        store.append(evs.slice(20)).then(() => order.push('append 3')),
      ]);
      assert.deepEqual(order, ['append 1', 'put storm', 'append 2', 'put link', 'append 3']);
      await store.close();
      const reopened = await open(where);
      assert.equal((await reopened.store.listSignals('c')).length, 5000);
      assert.deepEqual((await reopened.store.listSignals('c', ['0000000000000000'])).map((x) => x.incidentId), ['INC-1']);
      assert.deepEqual((await reopened.store.read('c', 'INC-1', 0, 100)).map((e) => e.seq), evs.map((r) => r.seq));
      await reopened.store.close();
    });
  });

  describe('promises of issue #18', () => {
    /** An incident of `channel` whose declaration title and notes name the channel, so a mix-up shows. */
    function incidentOf(channel: string, incidentId: string, notes: number): AppendRecord[] {
      return records(channel, incidentId, 1, notes + 1, `${channel} note`).map((r) => {
        if (r.seq !== 1) return r;
        const event = { ...r.event, data: { ...(r.event.data as object), title: `${channel} ${incidentId}` } } as typeof r.event;
        return { ...r, event, json: JSON.stringify(event) };
      });
    }

    it('never mixes channels whose names have the same length after a reopen: each lists and reads only its own', async () => {
      const dir = await kind().fresh();
      const { store } = await open(dir);
      // Same-length names, and a different-length one between them; INC-1 exists in every channel.
      const channels = ['alpha', 'gamma', 'payments-a', 'payments-b', 'beta'];
      const byChannel = new Map(channels.map((c, i) => [c, [...incidentOf(c, 'INC-1', 3), ...(i % 2 === 0 ? incidentOf(c, 'INC-2', 1) : [])]]));
      // One record per append, round robin: in the log, each record follows one of another channel.
      for (let i = 0; ; i++) {
        const round = channels.flatMap((c) => byChannel.get(c)!.slice(i, i + 1));
        if (round.length === 0) break;
        for (const r of round) await store.append([r]);
      }
      const check = async (s: EventStore, when: string) => {
        for (const c of channels) {
          const mine = byChannel.get(c)!;
          const list = await s.listIncidents(c);
          assert.deepEqual(list.map((l) => [l.summary.id, l.summary.title, l.summary.headSeq]),
            [...new Set(mine.map((r) => r.incidentId))].map((id) => [id, `${c} ${id}`, mine.filter((r) => r.incidentId === id).length]),
            `${when}: ${c} lists its own incidents only`);
          for (const id of ['INC-1', 'INC-2']) {
            const events = await s.read(c, id, 0, 100);
            assert.deepEqual(events.map((e) => e.json), mine.filter((r) => r.incidentId === id).map((r) => r.json), `${when}: ${c} ${id} reads its own events`);
            assert.ok(events.every((e) => e.channel === c));
            assert.deepEqual([...(await s.readIds(c, id)).keys()], mine.filter((r) => r.incidentId === id).map((r) => r.id), `${when}: ${c} ${id} ids`);
          }
          assert.equal(await s.highestIncidentNumber(c), mine.some((r) => r.incidentId === 'INC-2') ? 2 : 1);
        }
        assert.deepEqual(await kind().stats(s), { channels: 5, incidents: 8, events: [...byChannel.values()].flat().length, failed: false });
      };
      await check(store, 'before the reopen');
      await store.close();
      const logs: LogLine[] = [];
      const { store: s2, report } = await open(dir, logs);
      assert.equal(report.channels, 5);
      assert.deepEqual(logs.filter((l) => l.level !== 'info').map((l) => l.event), [], 'nothing looked wrong to recovery');
      await check(s2, 'after the reopen');
      await s2.close();
    });
  });
}
