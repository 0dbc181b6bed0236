import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { parseServerMessage } from '../../../src/protocol/messages';
import type { EventStore } from '../../../src/store/eventStore';
import { FileStore } from '../../../src/store/fileStore';
import { PostgresStore } from '../../../src/store/postgresStore';
import { freshDatabase, usePostgres } from '../../support/postgres';
import { alertmanagerBody, fingerprintOf, postAlerts, stormAlert } from './alertPayloads';
import { noteEvent, removeTempDirs, sleep, spawnServer, tempDir, TestClient, type ChildServer } from './helpers';

const FAST = { INCIDENT_ROOM_MESSAGES_PER_SECOND: '1000000', INCIDENT_ROOM_BURST: '1000000' };

/** A writer that pipelines appends (up to `window` in flight) until its socket dies; records what was acked. */
function pipeliningWriter(url: string, incidentId: string, name: string, total: number, window: number) {
  const acked = new Map<string, number>(); // event id → seq
  const sent: ReturnType<typeof noteEvent>[] = [];
  const done = new Promise<void>((resolve) => {
    const ws = new WebSocket(url);
    let next = 0;
    let inFlight = 0;
    const pump = () => {
      while (inFlight < window && next < total && ws.readyState === ws.OPEN) {
        const ev = noteEvent(`${name} #${next}`);
        sent.push(ev);
        ws.send(JSON.stringify({ type: 'append', requestId: `${name}-${next}`, incidentId, event: ev }));
        next++;
        inFlight++;
      }
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: name, user: { id: name, name } })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; eventId?: string; seq?: number };
      if (m.type === 'welcome') pump();
      if (m.type === 'ack') {
        acked.set(m.eventId!, m.seq!);
        inFlight--;
        pump();
      }
      if (m.type === 'error') throw new Error(`writer ${name} got ${JSON.stringify(m)}`);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => resolve());
  });
  return { acked, sent, done };
}

/** Read an incident's whole log back through a subscribe, validating every event as a client would. */
async function readBack(url: string, incidentId: string) {
  const c = await TestClient.connect(url);
  c.send({ type: 'subscribe', incidentId, afterSeq: 0 });
  const first = await c.next((m) => m.type === 'events');
  const head = first.headSeq as number;
  await c.waitForSeq(incidentId, head, 20_000);
  for (const m of c.messages) assert.ok(parseServerMessage(m).ok, `corrupt message: ${JSON.stringify(m).slice(0, 300)}`);
  const events = c.eventsOf(incidentId);
  c.close();
  return { head, events };
}

/** Where a crashed server keeps its events: the same kill -9 test runs against each. */
interface CrashStore {
  readonly name: string;
  /** Server arguments for a fresh, empty store. */
  fresh(): Promise<string[]>;
  /** The store those arguments name, opened by the test itself (while no server runs, for the file store). */
  open(args: readonly string[]): Promise<EventStore>;
  /** After the test: what the store looks like from outside (the file store re-reads its log: no damage). */
  verify?(args: readonly string[], head: number): Promise<void>;
}

const fileStore: CrashStore = {
  name: 'file store',
  fresh: async () => ['--data', tempDir()],
  async open(args) {
    const store = new FileStore({ dir: args[1]! });
    const report = await store.open();
    assert.deepEqual(report.skipped, [], 'no damage: only torn tails are ever cut');
    return store;
  },
  async verify(args, head) {
    // Nothing in the middle of the log was damaged (only torn tails were ever cut).
    const store = new FileStore({ dir: args[1]! });
    const report = await store.open();
    assert.deepEqual(report.skipped, []);
    assert.equal(report.events, head);
    await store.close();
  },
};

function killNineTest(kind: () => CrashStore): void {
  it('loses no acked event across repeated kills at random moments: seqs contiguous, no duplicate ids, no corrupt record', async () => {
    const storeArgs = await kind().fresh();
    let server: ChildServer = await spawnServer(['--port', '0', ...storeArgs], FAST);
    const owner = await TestClient.connect(server.url());
    const incidentId = await owner.declare('crash me');
    owner.close();
    const everAcked = new Map<string, number>();
    const everSent: ReturnType<typeof noteEvent>[] = [];
    const ROUNDS = 4;
    let killedWithPending = 0;
    let tornTails = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const writers = ['a', 'b'].map((w) => pipeliningWriter(server.url(), incidentId, `${w}${round}`, 4000, 300));
      // Kill at a random moment once both writers are going full speed (however busy this machine is).
      const ackedThisRound = () => writers.reduce((n, w) => n + w.acked.size, 0);
      for (let waited = 0; ackedThisRound() < 400 && waited < 20_000; waited += 10) await sleep(10);
      await sleep(Math.floor(Math.random() * 300));
      server.proc.kill('SIGKILL');
      await server.exited;
      await Promise.all(writers.map((w) => w.done));
      for (const w of writers) {
        for (const [id, seq] of w.acked) everAcked.set(id, seq);
        everSent.push(...w.sent);
        if (w.sent.length > w.acked.size) killedWithPending++;
      }

      server = await spawnServer(['--port', '0', ...storeArgs], FAST);
      if (/truncated a torn last record/.test(server.stderr())) tornTails++;
      const { head, events } = await readBack(server.url(), incidentId);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: head }, (_, i) => i + 1), `round ${round}: seqs 1..${head} without a gap`);
      const ids = new Set(events.map((e) => e.id));
      assert.equal(ids.size, events.length, `round ${round}: no duplicate ids`);
      const bySeq = new Map(events.map((e) => [e.seq, e.id]));
      for (const [id, seq] of everAcked) assert.equal(bySeq.get(seq), id, `round ${round}: acked ${id} at seq ${seq} is there`);
      assert.ok(head >= everAcked.size + 1);
    }
    console.log(`      ${kind().name}, ${ROUNDS} kills: ${everAcked.size} acked of ${everSent.length} sent, all there; ${tornTails} restarts cut a torn tail`);
    assert.ok(everAcked.size > 1000, `only ${everAcked.size} appends were acked before the kills`);
    assert.ok(killedWithPending > 0, 'the kills landed while appends were in flight');

    // The outbox resends what it never saw acked: each is either already there (duplicate) or appended now.
    const unacked = everSent.filter((e) => !everAcked.has(e.id)).slice(0, 300);
    const c = await TestClient.connect(server.url());
    const replies = await Promise.all(unacked.map((e) => c.append(incidentId, e)));
    const { head, events } = await readBack(server.url(), incidentId);
    assert.equal(new Set(events.map((e) => e.id)).size, head, 'still no duplicate after the resend');
    for (const r of replies) assert.equal(events.find((e) => e.seq === r.seq)?.id, r.eventId);
    c.close();
    server.proc.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    await kind().verify?.(storeArgs, head);
  });
}

/**
 * Signals as durable as events: two senders post alerts (new ones firing, earlier ones resolving) as fast as they are
 * acknowledged, the server is killed at a random moment, and every alert answered 202 is in the store afterwards.
 */
function killNineSignalsTest(kind: () => CrashStore): void {
  it('loses no acknowledged signal across repeated kills at random moments', async () => {
    const storeArgs = await kind().fresh();
    let server: ChildServer = await spawnServer(['--port', '0', ...storeArgs], FAST);
    /** fingerprint → the status a 202 last confirmed. */
    const acked = new Map<string, 'firing' | 'resolved'>();
    let next = 0;
    let sentUnanswered = 0;
    const ROUNDS = 3;
    for (let round = 0; round < ROUNDS; round++) {
      let alive = true;
      const sender = async () => {
        while (alive) {
          // 40 new alerts firing, and 10 acknowledged earlier resolving.
          const firing = Array.from({ length: 40 }, () => next++);
          const resolving = [...acked].filter(([, s]) => s === 'firing').slice(0, 10).map(([fp]) => fp);
          const body = alertmanagerBody([
            ...firing.map((i) => stormAlert(i)),
            ...resolving.map((fp) => stormAlert(0, { fingerprint: fp, status: 'resolved' })),
          ]);
          try {
            const res = await postAlerts(server.port, body);
            if (res.status !== 202) throw new Error(`answered ${res.status}: ${JSON.stringify(res.body)}`);
            for (const i of firing) if (!acked.has(fingerprintOf(i))) acked.set(fingerprintOf(i), 'firing');
            for (const fp of resolving) acked.set(fp, 'resolved');
          } catch (e) {
            if (alive) throw e;
            sentUnanswered++;
            return;
          }
        }
      };
      const senders = [sender(), sender()];
      const before = acked.size;
      for (let waited = 0; acked.size < before + 400 && waited < 20_000; waited += 10) await sleep(10);
      await sleep(Math.floor(Math.random() * 200));
      alive = false;
      server.proc.kill('SIGKILL');
      await server.exited;
      await Promise.all(senders);

      const store = await kind().open(storeArgs);
      const stored = new Map((await store.listSignals('payments-oncall')).map((s) => [s.fingerprint, s.status]));
      await store.close();
      for (const [fp, status] of acked) {
        // A resolution sent but not answered may have been stored too; an acknowledged one is never undone.
        assert.ok(stored.has(fp), `round ${round}: acknowledged ${fp} is there`);
        if (status === 'resolved') assert.equal(stored.get(fp), 'resolved', `round ${round}: ${fp} stays resolved`);
      }
      server = await spawnServer(['--port', '0', ...storeArgs], FAST);
    }
    console.log(`      ${kind().name}, ${ROUNDS} kills: ${acked.size} signals acknowledged, all there; ${sentUnanswered} calls cut by a kill`);
    assert.ok(acked.size > 1000, `only ${acked.size} alerts were acknowledged before the kills`);
    // The restarted server serves them: the firing ones first.
    const c = await TestClient.connect(server.url());
    const list = await c.request({ type: 'signals' });
    assert.equal((list.items as { status: string }[])[0]?.status, 'firing');
    c.close();
    server.proc.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });
}

describe('server crash safety (a child process killed with SIGKILL)', function () {
  this.timeout(120_000);
  after(removeTempDirs);

  killNineTest(() => fileStore);

  describe('on PostgreSQL (--store postgres)', () => {
    usePostgres('crash');
    const postgres: CrashStore = {
      name: 'postgres',
      fresh: async () => ['--store', 'postgres', '--pg-url', await freshDatabase('crash')],
      async open(args) {
        const store = new PostgresStore({ url: args[3]! });
        await store.open();
        return store;
      },
    };
    killNineTest(() => postgres);
    killNineSignalsTest(() => postgres);
  });

  killNineSignalsTest(() => fileStore);

  it('starts on a log truncated mid-record, recovers and says so', async () => {
    const dir = tempDir();
    const first = await spawnServer(['--port', '0', '--data', dir]);
    const c = await TestClient.connect(first.url());
    const id = await c.declare('torn');
    for (let i = 0; i < 20; i++) await c.append(id, noteEvent(`n${i}`));
    c.close();
    first.proc.kill('SIGTERM');
    await first.exited;
    const log = path.join(dir, 'events.log');
    const size = statSync(log).size;
    const lastNote = readFileSync(log).lastIndexOf(Buffer.from('"n19"'));
    truncateSync(log, lastNote); // cut inside the last record's payload
    const second = await spawnServer(['--port', '0', '--data', dir]);
    try {
      const lines = second.stderr().trim().split('\n').map((l) => JSON.parse(l) as { level: string; event: string; bytes?: number; truncatedBytes?: number });
      const torn = lines.find((l) => l.event === 'recovery: truncated a torn last record');
      assert.ok(torn, second.stderr());
      assert.equal(torn.level, 'warn');
      assert.ok(torn.bytes! > 0 && torn.bytes! < 1000, `cut ${torn.bytes} bytes`);
      assert.equal(statSync(log).size, lastNote - torn.bytes!, 'the log now ends where the torn record began');
      assert.ok(size > lastNote);
      assert.ok(lines.some((l) => l.event === 'recovered' && l.truncatedBytes === torn.bytes));
      const { head, events } = await readBack(second.url(), id);
      assert.equal(head, 20, 'the torn 21st event is gone, the 20 before it are there');
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      // And it takes new appends after the cut.
      const w = await TestClient.connect(second.url());
      assert.equal((await w.append(id, noteEvent('after'))).seq, 21);
      w.close();
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
