import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { SequencedEvent } from '../../../src/protocol/events';
import type { EventStore, StoreChange, UnsequencedEvent } from '../../../src/store/eventStore';
import { PostgresStore, type PostgresStoreOptions, SCHEMA_VERSION } from '../../../src/store/postgresStore';
import { freshDatabase, usePostgres } from '../../support/postgres';
import { until } from '../../support/until';
import { records, signal } from './fixtures';
import { type LogLine, storeContract } from './storeContract';

const actor = { id: 'alice@example.com', name: 'Alice' };

function note(text: string, id = randomUUID()): UnsequencedEvent {
  const at = new Date().toISOString();
  return { id, kind: 'note.added', at, receivedAt: at, actor, data: { text, tag: 'note' } } as UnsequencedEvent;
}
function declaration(title: string, id = randomUUID()): UnsequencedEvent {
  const at = new Date().toISOString();
  return { id, kind: 'incident.declared', at, receivedAt: at, actor, data: { title, severity: 'SEV2', symptom: 's' } } as UnsequencedEvent;
}

async function openStore(url: string, extra: Partial<PostgresStoreOptions> = {}, logs: LogLine[] = [], commits: number[] = []): Promise<PostgresStore> {
  const store = new PostgresStore({ url, log: (level, event, fields) => logs.push({ level, event, fields }), onCommit: (i) => commits.push(i.events), ...extra });
  await store.open();
  return store;
}

async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('store/postgresStore (a real PostgreSQL)', function () {
  this.timeout(60_000);
  const pg = usePostgres('store');
  const stores: EventStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });
  const open = async (url = pg.url(), extra: Partial<PostgresStoreOptions> = {}, logs: LogLine[] = [], commits: number[] = []) => {
    const s = await openStore(url, extra, logs, commits);
    stores.push(s);
    return s;
  };

  describe('the EventStore contract', () => {
    storeContract(() => ({
      fresh: () => freshDatabase('contract'),
      open: async (url, logs = [], commits = []) => {
        const store = new PostgresStore({ url, log: (level, event, fields) => logs.push({ level, event, fields }), onCommit: (i) => commits.push(i.events) });
        return { store, report: await store.open() };
      },
      stats: (store) => (store as PostgresStore).refreshStats(),
    }));
  });

  it('creates its schema on first open, versioned, and migrates once however many servers start together', async () => {
    const url = await freshDatabase('migrate');
    const logs: LogLine[][] = [[], [], [], []];
    const started = await Promise.all(logs.map((l) => openStore(url, {}, l)));
    const versions = await sql<{ version: number }>(url, 'SELECT version FROM ir_schema_version ORDER BY version');
    assert.deepEqual(versions.map((v) => v.version), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    assert.equal(logs.flat().filter((l) => l.event === 'schema migrated').length, SCHEMA_VERSION, 'one server migrated, the others found it done');
    for (const s of started) await s.close();
    // A database a newer server has migrated is refused, not written to.
    await sql(url, 'INSERT INTO ir_schema_version (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
    await assert.rejects(openStore(url), (e: unknown) => (e as { code?: string }).code === 'store_format' && /newer than this server knows/.test(String(e)));
  });

  it('refuses pre-sequenced records that do not follow the head, alone: the rest of the same transaction commits', async () => {
    const store = await open(await freshDatabase('conflict'));
    await store.append(records('c', 'INC-1', 1, 3));
    const [gap, ok] = await Promise.allSettled([store.append(records('c', 'INC-1', 5, 5)), store.append(records('c', 'INC-2', 1, 2))]);
    assert.equal(gap.status, 'rejected');
    assert.match(String((gap as PromiseRejectedResult).reason), /seq 5 does not follow 3/);
    assert.equal(ok.status, 'fulfilled');
    assert.deepEqual((await store.read('c', 'INC-1', 0, 10)).map((e) => e.seq), [1, 2, 3], 'nothing of the refused call was written');
    // Not sticky: the database checked the head, so nothing after it can leave a gap.
    await store.append(records('c', 'INC-1', 4, 4));
    assert.deepEqual((await store.listIncidents('c')).map((i) => [i.summary.id, i.summary.headSeq]), [['INC-1', 4], ['INC-2', 2]]);
  });

  it('numbers events in the database: re-sends (any case, same call or later) get the seq they have; group commit', async () => {
    const commits: number[] = [];
    const store = await open(await freshDatabase('seq'), {}, [], commits);
    const d = await store.declare('c', declaration('one'));
    assert.deepEqual([d.incidentId, d.duplicate], ['INC-1', false]);
    assert.equal((JSON.parse(d.json!) as SequencedEvent).seq, 1);
    const twice = note('twice');
    const first = await store.appendNew('c', 'INC-1', [note('a'), twice, { ...twice, id: twice.id.toUpperCase() }]);
    assert.deepEqual(first.map((o) => [o.seq, o.duplicate]), [[2, false], [3, false], [3, true]]);
    assert.equal(first[0]!.json, JSON.stringify({ seq: 2, ...(first[0]!.event as object), ...{} }));
    const again = await store.appendNew('c', 'INC-1', [{ ...twice, id: twice.id.toUpperCase() }, note('b')]);
    assert.deepEqual(again.map((o) => [o.seq, o.duplicate]), [[3, true], [4, false]]);
    commits.length = 0;
    const many = await Promise.all(Array.from({ length: 500 }, (_, i) => store.appendNew('c', 'INC-1', [note(`n${i}`)])));
    assert.deepEqual(many.map((o) => o[0]!.seq), Array.from({ length: 500 }, (_, i) => i + 5), 'in call order');
    assert.ok(commits.length <= 5, `500 appends took ${commits.length} transactions`);
    await assert.rejects(store.appendNew('c', 'INC-9', [note('x')]), { code: 'store_conflict' });
  });

  it('an event id held by another incident or channel is new here: only a re-send to the same incident is a duplicate', async () => {
    const store = await open(await freshDatabase('ids'));
    await store.declare('c', declaration('one'));
    await store.declare('c', declaration('two'));
    await store.declare('d', declaration('elsewhere'));
    const shared = note('written to three places');
    const [inOne] = await store.appendNew('c', 'INC-1', [shared]);
    const [inTwo] = await store.appendNew('c', 'INC-2', [{ ...shared, id: shared.id.toUpperCase() }]);
    const [inD] = await store.appendNew('d', 'INC-1', [shared]);
    assert.deepEqual([inOne, inTwo, inD].map((o) => [o!.seq, o!.duplicate]), [[2, false], [2, false], [2, false]]);
    // In one transaction, beside a re-send to INC-1: the re-send is recognised, the others are not confused with it.
    const [again, other] = await Promise.all([store.appendNew('c', 'INC-1', [shared]), store.appendNew('c', 'INC-2', [note('next')])]);
    assert.deepEqual([again![0]!.seq, again![0]!.duplicate, other![0]!.seq, other![0]!.duplicate], [2, true, 3, false]);
    assert.deepEqual((await store.read('c', 'INC-2', 0, 10)).map((e) => e.seq), [1, 2, 3]);
  });

  it('analyzes a new database once it holds 1,000 events, so looking up ids never becomes a scan of the table', async () => {
    const url = await freshDatabase('analyze');
    const logs: LogLine[] = [];
    const store = await open(url, {}, logs);
    const stats = () => sql(url, "SELECT attname FROM pg_stats WHERE tablename = 'ir_events' AND attname = 'id'");
    assert.equal((await stats()).length, 0, 'a new database has no statistics');
    await store.declare('c', declaration('big'));
    for (let i = 0; i < 2; i++) await store.appendNew('c', 'INC-1', Array.from({ length: 600 }, (_, k) => note(`n${i}-${k}`)));
    await until('ir_events analyzed', async () => (await stats()).length === 1, 10_000);
    assert.equal(logs.filter((l) => l.event === 'analyzed ir_events').length, 1);
    const [index] = await sql<{ indexdef: string }>(url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ir_events_by_id'");
    assert.match(index?.indexdef ?? 'no index ir_events_by_id', /ON public\.ir_events USING btree \(id\)/);
  });

  it('stores text that would break a query written by hand, byte for byte: quotes, backslashes, dollar quotes, statements, every script', async () => {
    // The transaction's queries carry the values as literals (two round trips instead of five): nothing a responder
    // writes may end a literal, run a statement or change a byte.
    const url = await freshDatabase('literals');
    const store = await open(url);
    const hostile = [
      "it's", 'a \\ backslash and \\\' both', "'); DROP TABLE ir_events; --", '$$ dollar $tag$ quoted $$', "E'\\x00' and \\u0000 as text",
      '"double" `back` ticks', 'line\nbreak\ttab\r', 'émoji 🔥 中文 עברית', "''''", '\\',
    ];
    const d = await store.declare('c', { ...declaration(hostile.join(' | ')) });
    const outcomes = await store.appendNew('c', d.incidentId, hostile.map((t) => note(t)));
    assert.deepEqual(outcomes.map((o) => o.duplicate), hostile.map(() => false));
    const again = await open(url);
    const stored = await again.read('c', d.incidentId, 0, 100);
    assert.deepEqual(stored.slice(1).map((e) => (JSON.parse(e.json) as { data: { text: string } }).data.text), hostile);
    assert.equal((JSON.parse(stored[0]!.json) as { data: { title: string } }).data.title, hostile.join(' | ').slice(0, 200));
    assert.equal((await again.listIncidents('c'))[0]!.summary.title, hostile.join(' | ').slice(0, 200));
    assert.equal((await again.read('c', d.incidentId, 0, 100)).length, hostile.length + 1, 'the table is still there');
  });

  it('two servers on one database: concurrent appends to one incident and concurrent declares never give a seq or a number twice', async () => {
    const url = await freshDatabase('replicas');
    const [a, b] = [await open(url), await open(url)];
    await a.declare('c', declaration('shared'));
    const writes = (s: PostgresStore, name: string) => Promise.all(Array.from({ length: 40 }, (_, round) =>
      s.appendNew('c', 'INC-1', Array.from({ length: 1 + (round % 5) }, (_, i) => note(`${name}${round}.${i}`)))));
    const [fromA, fromB] = await Promise.all([writes(a, 'a'), writes(b, 'b')]);
    const seqs = [...fromA, ...fromB].flat().map((o) => o.seq).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 2), 'contiguous from 2, none twice');
    const stored = await a.read('c', 'INC-1', 0, 10_000);
    assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: seqs.length + 1 }, (_, i) => i + 1));
    for (const e of stored) assert.equal((JSON.parse(e.json) as SequencedEvent).seq, e.seq, 'the JSON carries the seq it is stored at');

    const declares = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).declare('c', declaration(`d${i}`))));
    assert.deepEqual(declares.map((d) => Number(d.incidentId.slice(4))).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 2));
    // A declaration re-sent through the other server finds the incident it made.
    const ev = declaration('resent');
    const made = await a.declare('c', ev);
    const resent = await b.declare('c', { ...ev, id: ev.id.toUpperCase() });
    assert.deepEqual([resent.incidentId, resent.duplicate], [made.incidentId, true]);
    assert.equal(await b.highestIncidentNumber('c'), 22);
  });

  it('tells every server what any of them committed (LISTEN/NOTIFY: channel, incident, seqs; never the events)', async () => {
    const url = await freshDatabase('notify');
    const [a, b] = [await open(url), await open(url)];
    const heard: StoreChange[] = [];
    b.onChange((c) => heard.push(c));
    await a.declare('ops', declaration('x'));
    await a.appendNew('ops', 'INC-1', [note('1'), note('2')]);
    await until('b heard both commits', () => heard.length >= 2);
    assert.deepEqual(heard, [
      { type: 'events', channel: 'ops', incidentId: 'INC-1', fromSeq: 1, toSeq: 1, summaryChanged: true },
      { type: 'events', channel: 'ops', incidentId: 'INC-1', fromSeq: 2, toSeq: 3, summaryChanged: false },
    ]);
    const payloads: string[] = [];
    const spy = new Client({ connectionString: url });
    await spy.connect();
    spy.on('notification', (n) => payloads.push(n.payload ?? ''));
    await spy.query('LISTEN incident_room_events');
    await a.appendNew('ops', 'INC-1', [note('x'.repeat(100_000))]);
    await until('a payload', () => payloads.length > 0);
    await spy.end();
    assert.ok(payloads[0]!.length < 200, `payload of ${payloads[0]!.length} bytes for a 100 kB event`);
  });

  it('tells every server which signals any of them stored, in notifications under 8,000 bytes, on a channel of their own', async () => {
    const url = await freshDatabase('signals');
    const [a, b] = [await open(url), await open(url)];
    const heard: StoreChange[] = [];
    b.onChange((c) => heard.push(c));
    const payloads: { channel: string; payload: string }[] = [];
    const spy = new Client({ connectionString: url });
    await spy.connect();
    spy.on('notification', (n) => payloads.push({ channel: n.channel, payload: n.payload ?? '' }));
    await spy.query('LISTEN incident_room_events; LISTEN incident_room_signals');
    const storm = Array.from({ length: 5000 }, (_, i) => signal(`fp-${String(i).padStart(12, '0')}`));
    await Promise.all([a.putSignals('ops', storm.slice(0, 3000)), a.putSignals('ops', storm.slice(3000)), a.putSignals('other', [signal('0000000000000001')])]);
    const fingerprints = (channel: string) => heard.flatMap((c) => (c.type === 'signals' && c.channel === channel ? c.fingerprints : []));
    await until('b heard every fingerprint', () => fingerprints('ops').length >= 5000 && fingerprints('other').length === 1);
    assert.deepEqual(new Set(fingerprints('ops')), new Set(storm.map((x) => x.fingerprint)));
    assert.ok(heard.every((c) => c.type === 'signals'), 'no event notification for signals');
    await until('the spy heard them too', () => payloads.length >= 2);
    await spy.end();
    assert.ok(payloads.every((p) => p.channel === 'incident_room_signals'), 'an older server (LISTENing incident_room_events only) hears none of it');
    assert.ok(payloads.every((p) => Buffer.byteLength(p.payload) < 8000), `largest ${Math.max(...payloads.map((p) => p.payload.length))} bytes`);
    assert.deepEqual((await b.listSignals('ops', ['fp-000000004999'])).map((x) => x.fingerprint), ['fp-000000004999']);
    const rows = await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM ir_signals');
    assert.equal(rows[0]!.n, 5001);
  });

  it('keeps a stored incident_id that a later upsert would clear with null, in the row and in its JSON, whichever server writes', async () => {
    const url = await freshDatabase('signallink');
    const [a, b] = [await open(url), await open(url)];
    const fp = 'a1b2c3d4e5f60718';
    await a.putSignals('c', [signal(fp, { incidentId: 'INC-2' })]);
    await b.putSignals('c', [signal(fp, { status: 'resolved', endsAt: '2026-11-22T15:00:00.000Z' })]);
    const [row] = await sql<{ incident_id: string | null; signal: { incidentId: string | null; status: string } }>(url, 'SELECT incident_id, signal FROM ir_signals');
    assert.deepEqual([row!.incident_id, row!.signal.incidentId, row!.signal.status], ['INC-2', 'INC-2', 'resolved']);
    await b.putSignals('c', [signal(fp, { incidentId: 'INC-5' })]);
    assert.deepEqual((await a.listSignals('c')).map((x) => x.incidentId), ['INC-5']);
  });

  it('refuses appends while the database is down, says so in stats().failed, and recovers by itself when it is back', async function () {
    this.timeout(120_000);
    const url = await freshDatabase('outage');
    const logs: LogLine[] = [];
    const store = await open(url, { retryMs: { first: 50, max: 300 }, connectTimeoutMs: 2000 }, logs);
    const changes: StoreChange[] = [];
    store.onChange((c) => changes.push(c));
    await store.declare('c', declaration('before'));
    const cluster = pg.cluster();
    await cluster.stopImmediate();
    try {
      await until('the store noticed', () => store.stats().failed);
      await assert.rejects(store.appendNew('c', 'INC-1', [note('lost?')]), { code: 'store_unavailable' });
      await assert.rejects(store.putSignals('c', [signal('a1b2c3d4e5f60718')]), { code: 'store_unavailable' });
      assert.equal(store.ready, false);
      assert.ok(logs.some((l) => l.level === 'error' && /database connection lost|unreachable/.test(l.event)));
    } finally {
      await cluster.start();
    }
    await until('recovered', () => !store.stats().failed, 30_000);
    assert.ok(changes.some((c) => c.type === 'resync'), 'the core is told to re-read what it may have missed');
    const [after] = await store.appendNew('c', 'INC-1', [note('after')]);
    assert.deepEqual([after!.seq, after!.duplicate], [2, false], 'the refused append left nothing behind');
  });
});
