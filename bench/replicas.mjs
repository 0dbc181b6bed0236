// Replicas benchmark (npm run bench:replicas): two channel-server replicas on one PostgreSQL database against one
// server on the file store and the bare ws broadcast server of bench/channel.mjs (the baseline: no validation, no
// durability), with the same clients (100 subscribers, split across the replicas), one configuration at a time:
// acked events/s with durable acks under a saturating writer, delivery p50/p99 at 300 and 1,000 events/s offered.
// Then failover: 100 real channel clients (dist/channel.js, the extension's own) with both replica URLs, as
// incidentRoom.server.url lists them; one replica is killed with SIGKILL ten times, and each client on it is timed
// from the kill to resumed on the other (online there and holding an event appended after the kill). Last, the
// bytes each stored event takes, in PostgreSQL (pg_total_relation_size) and in the file store's log.
// PostgreSQL is a cluster of this run only (test/support/postgres.ts: initdb in a temp folder, deleted at the end).
// Prints a table and writes bench/results/replicas.json. Run it alone: flock /tmp/workbench.lock npm run bench:replicas
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { tsImport } from 'tsx/esm/api';
import {
  appendFrame, ask, connect, hello, loadPhases, percentile, RATES, round, SERVER_ENV, SERVER_JS, sleep, spawnBaseline, spawnServer,
  stopServer, SUBSCRIBERS,
} from './channel.mjs';
import { serverNodeFlags } from '../scripts/serverNodeFlags.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(here, 'results', 'replicas.json');
const KILLS = 10;
const FAILOVER_CLIENTS = 100;
const STORAGE_EVENTS = 20_000;
const require = createRequire(import.meta.url);

const log = (s) => process.stderr.write(`${s}\n`);
// `--only failover,storage` (phases: floor, load, failover, storage) runs some phases and prints their JSON, writing nothing.
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
const want = (phase) => !ONLY || ONLY.includes(phase);

// ---------------------------------------------------------------- the replicas

function startReplica(pgUrl, port = 0) {
  return spawnServer([...serverNodeFlags(SERVER_JS), SERVER_JS, '--store', 'postgres', '--pg-url', pgUrl, '--port', String(port)], SERVER_ENV);
}

async function kill9(server) {
  const exited = new Promise((r) => server.proc.once('exit', r));
  server.proc.kill('SIGKILL');
  await exited;
}

// ---------------------------------------------------------------- throughput and latency, one configuration at a time


// ---------------------------------------------------------------- the floor: PostgreSQL's own commit latency

/**
 * What one durable COMMIT costs on this machine, with no channel server and no subscribers: a single client at 300
 * transactions/s for 5 s (as the latency phase offers events), each the shape of the store's group commit at that rate
 * (one event alone in its transaction): the first round trip locks the incident's row, the second inserts the event,
 * updates the row and commits (synchronous_commit on, fsync on). Every event the replicas deliver waits for one of
 * these, so its p99 is a floor under theirs that no change to the server can lower.
 */
async function commitFloor(pgUrl) {
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  await db.query('CREATE TABLE floor_head (id int PRIMARY KEY, head bigint NOT NULL); INSERT INTO floor_head VALUES (1, 0); CREATE TABLE floor_events (seq bigint PRIMARY KEY, json text NOT NULL)');
  const rate = 300;
  const n = rate * 5;
  const times = [];
  const t0 = performance.now();
  for (let k = 1; k <= n; k++) {
    const due = t0 + (k * 1000) / rate;
    while (performance.now() < due) await sleep(Math.max(0, Math.min(1, due - performance.now())));
    const s = performance.now();
    await db.query('BEGIN; SELECT head FROM floor_head WHERE id = 1 FOR UPDATE');
    await db.query(`INSERT INTO floor_events VALUES (${k}, '${'x'.repeat(300)}'); UPDATE floor_head SET head = ${k} WHERE id = 1; COMMIT`);
    times.push(performance.now() - s);
  }
  await db.end();
  times.sort((a, b) => a - b);
  return { transactionsPerSecond: rate, transactions: n, p50Ms: round(percentile(times, 0.5), 2), p99Ms: round(percentile(times, 0.99), 2), maxMs: round(times[times.length - 1], 2) };
}

// ---------------------------------------------------------------- failover

async function until(what, check, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function rawWriter(url, name) {
  const ws = await connect(url);
  await hello(ws, name);
  return ws;
}

async function failover(pgUrl, work) {
  const { ChannelClient, Outbox, WsTransport } = require(path.join(path.dirname(SERVER_JS), 'channel.js'));
  let replicas = [await startReplica(pgUrl), await startReplica(pgUrl)];
  const ports = replicas.map((r) => r.port);
  const urlOf = (port) => `ws://127.0.0.1:${port}`;
  const channelUrl = (port) => `${urlOf(port)}/v1/channels/bench`;
  const declarer = await rawWriter(channelUrl(ports[0]), 'declarer');
  const { incidentId } = await ask(declarer, {
    type: 'declare', requestId: 'd', event: { id: randomUUID(), at: new Date().toISOString(), data: { title: 'failover', severity: 'SEV2', symptom: 'kill -9' } },
  }, (m) => m.type === 'declared');
  declarer.terminate();

  const clients = [];
  for (let i = 0; i < FAILOVER_CLIENTS; i++) {
    // Half list A first, half B first: the sessions are split across the replicas, as two teams' settings would be.
    const setting = i % 2 === 0 ? `${urlOf(ports[0])}, ${urlOf(ports[1])}` : `${urlOf(ports[1])}, ${urlOf(ports[0])}`;
    const client = new ChannelClient({
      transport: new WsTransport({ serverUrl: setting, channel: 'bench', token: async () => undefined }),
      outbox: new Outbox(path.join(work, `outbox-${i}`), setting),
      user: () => ({ id: `c${i}@bench`, name: `c${i}` }),
      // The product's defaults otherwise: reconnect backoff 1 s ×2 (max 30 s) with jitter 0.5.
    });
    client.start();
    client.subscribe(incidentId);
    clients.push(client);
  }
  const portOf = (c) => Number(/:(\d+)\//.exec(c.connection.target)[1]);
  const allOnline = () => clients.every((c) => c.connection.status === 'online' && c.incident(incidentId)?.headSeq >= 1);
  await until('every client online and subscribed', allOnline, 60_000);

  const rounds = [];
  try {
    for (let k = 1; k <= KILLS; k++) {
      await until('every client online', allOnline, 60_000);
      // The replica with the most sessions dies (after the first round: all of them).
      const counts = ports.map((p) => clients.filter((c) => portOf(c) === p).length);
      const v = counts[0] >= counts[1] ? 0 : 1;
      const victimPort = ports[v];
      const survivorPort = ports[1 - v];
      const moving = clients.filter((c) => portOf(c) === victimPort);
      const resumed = new Map();
      let targetSeq = Infinity;
      const check = (c) => {
        if (!resumed.has(c) && c.connection.status === 'online' && portOf(c) === survivorPort && c.incident(incidentId)?.headSeq >= targetSeq) resumed.set(c, performance.now());
      };
      const subs = moving.map((c) => c.onDidChangeIncident(() => check(c)));
      const t0 = performance.now();
      await kill9(replicas[v]);
      const killMs = performance.now() - t0;
      // An event appended on the survivor after the kill: a client has resumed when it holds it.
      const writer = await rawWriter(channelUrl(survivorPort), `writer${k}`);
      const ack = await ask(writer, JSON.parse(appendFrame(1e9 + k, incidentId)), (m) => m.type === 'ack');
      writer.terminate();
      targetSeq = ack.seq;
      for (const c of moving) check(c);
      await until(`all ${moving.length} clients resumed on the other replica`, () => {
        for (const c of moving) check(c);
        return resumed.size === moving.length;
      }, 60_000);
      for (const s of subs) s.dispose();
      const times = moving.map((c) => resumed.get(c) - t0).sort((a, b) => a - b);
      rounds.push({ kill: k, clients: moving.length, allResumedMs: round(times[times.length - 1], 1), p50Ms: round(percentile(times, 0.5), 1), killToExitMs: round(killMs, 1), times });
      log(`  kill ${k}: ${moving.length} clients resumed on the other replica, the last after ${round(times[times.length - 1], 0)} ms`);
      // The dead replica comes back on its port (as systemd's Restart= would bring it back).
      replicas[v] = await startReplica(pgUrl, victimPort);
    }
  } finally {
    for (const c of clients) c.dispose();
    for (const r of replicas) if (r.proc.exitCode === null && r.proc.signalCode === null) await stopServer(r);
  }
  const perClient = rounds.flatMap((r) => r.times).sort((a, b) => a - b);
  const allResumed = rounds.map((r) => r.allResumedMs).sort((a, b) => a - b);
  return {
    kills: KILLS,
    clients: FAILOVER_CLIENTS,
    allResumedP50Ms: round(percentile(allResumed, 0.5), 1),
    allResumedP99Ms: round(percentile(allResumed, 0.99), 1),
    perClientP50Ms: round(percentile(perClient, 0.5), 1),
    perClientP99Ms: round(percentile(perClient, 0.99), 1),
    rounds: rounds.map((r) => ({ ...r, times: undefined })),
  };
}

// ---------------------------------------------------------------- storage per event

const NOTE_TAGS = ['note', 'fact', 'guess', 'decision'];
const words = 'checkout latency p99 rollback deploy release pool connection timeout error rate upstream cache eu-west payments retry queue'.split(' ');
const sentence = (n, k) => Array.from({ length: n }, (_, i) => words[(k * 7 + i * 3) % words.length]).join(' ');

/** A realistic mix of what responders write: short notes, scribe notes captured from code, updates, role changes. */
function realisticEvent(k) {
  const at = new Date(Date.UTC(2026, 10, 22, 14, 0, 0) + k * 1000).toISOString();
  const r = k % 10;
  if (r < 6) return { id: randomUUID(), kind: 'note.added', at, data: { text: sentence(8 + (k % 30), k), tag: NOTE_TAGS[k % 4] } };
  if (r < 8) {
    return {
      id: randomUUID(), kind: 'note.added', at, data: {
        text: sentence(10, k), tag: 'note',
        source: {
          path: 'services/payments/src/checkout/retryPolicy.ts', startLine: 40 + (k % 50), endLine: 52 + (k % 50), commit: 'a3f9c2e18b7d4f60c1e2d3b4a5968778695a4b3c',
          remoteUrl: `https://github.example.com/acme/payments/blob/a3f9c2e18b7d4f60c1e2d3b4a5968778695a4b3c/services/payments/src/checkout/retryPolicy.ts#L${40 + (k % 50)}-L${52 + (k % 50)}`,
          snippet: Array.from({ length: 12 }, (_, i) => `  if (attempt > ${i}) await sleep(backoff(${i}, jitter)); // ${sentence(3, k + i)}`).join('\n'),
        },
      },
    };
  }
  if (r === 8) return { id: randomUUID(), kind: 'update.posted', at, data: { audience: k % 20 === 8 ? 'external' : 'internal', text: sentence(60, k), nextUpdateBy: at } };
  return { id: randomUUID(), kind: 'role.assigned', at, data: { role: 'scribe', user: { id: `u${k % 7}@example.com`, name: `Responder ${k % 7}` } } };
}

/** Declare 10 incidents and append STORAGE_EVENTS events across them through `url`, 200 in flight. */
async function writeRealistic(url) {
  const ws = await rawWriter(url, 'storage');
  const ids = [];
  for (let i = 0; i < 10; i++) {
    const d = await ask(ws, { type: 'declare', requestId: `d${i}`, event: { id: randomUUID(), at: new Date().toISOString(), data: { title: `storage ${i}`, severity: 'SEV2', symptom: sentence(12, i) } } }, (m) => m.type === 'declared');
    ids.push(d.incidentId);
  }
  let sent = 0;
  let acked = 0;
  let jsonBytes = 0;
  await new Promise((resolve, reject) => {
    const pump = () => {
      while (sent < STORAGE_EVENTS && sent - acked < 200) {
        const event = realisticEvent(sent);
        jsonBytes += Buffer.byteLength(JSON.stringify(event));
        ws.send(JSON.stringify({ type: 'append', requestId: `s${sent}`, incidentId: ids[sent % ids.length], event }));
        sent++;
      }
    };
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'ack') {
        acked++;
        if (acked === STORAGE_EVENTS) resolve();
        else pump();
      } else if (m.type === 'error') reject(new Error(JSON.stringify(m)));
    });
    pump();
  });
  ws.terminate();
  return { events: STORAGE_EVENTS + 10, clientJsonBytesPerEvent: Math.round(jsonBytes / STORAGE_EVENTS) };
}

async function storage(pgUrl, work) {
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  const size = async () => Number((await db.query(`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`)).rows[0].bytes);
  const server = await startReplica(pgUrl);
  const empty = await size();
  const written = await writeRealistic(`ws://127.0.0.1:${server.port}/v1/channels/storage`);
  await stopServer(server);
  const full = await size();
  await db.query('VACUUM ANALYZE');
  const vacuumed = await size();
  await db.end();

  const dir = path.join(work, 'file-store');
  const file = await spawnServer([...serverNodeFlags(SERVER_JS), SERVER_JS, '--port', '0', '--data', dir], SERVER_ENV);
  const logFile = path.join(dir, 'events.log');
  const emptyLog = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  await writeRealistic(`ws://127.0.0.1:${file.port}/v1/channels/storage`);
  await stopServer(file);
  const fullLog = fs.statSync(logFile).size;
  return {
    events: written.events,
    clientJsonBytesPerEvent: written.clientJsonBytesPerEvent,
    postgresBytesPerEvent: Math.round((full - empty) / written.events),
    postgresBytesPerEventAfterVacuum: Math.round((vacuumed - empty) / written.events),
    postgresTotalMB: round(full / 1024 / 1024, 1),
    fileLogBytesPerEvent: Math.round((fullLog - emptyLog) / written.events),
    fileLogTotalMB: round(fullLog / 1024 / 1024, 1),
  };
}

// ---------------------------------------------------------------- main

async function main() {
  if (!fs.existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run npm run build first (npm run bench:replicas does)`);
  const { pgCluster, freshDatabase, stopPgCluster } = await tsImport('../test/support/postgres.ts', import.meta.url);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-bench-replicas-'));
  const results = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAvgAtStart: os.loadavg().map((x) => round(x, 2)) },
    config: { subscribers: SUBSCRIBERS, rates: RATES, kills: KILLS, failoverClients: FAILOVER_CLIENTS, storageEvents: STORAGE_EVENTS },
    startedAt: new Date().toISOString(),
  };
  try {
    log('starting PostgreSQL (test/support/postgres.ts)…');
    const cluster = await pgCluster();
    results.machine.postgres = path.basename(path.dirname(cluster.bin));

    if (want('floor')) {
      log('the floor: one PostgreSQL commit at 300/s, nothing else running…');
      results.commitFloor = await commitFloor(await freshDatabase('floor'));
    }
    if (want('load')) await loads(results, work, freshDatabase);
    if (want('failover')) {
      log(`failover: ${KILLS} × kill -9 of a replica, ${FAILOVER_CLIENTS} clients with both URLs…`);
      results.failover = await failover(await freshDatabase('failover'), work);
    }
    if (want('storage')) {
      log(`storage: ${STORAGE_EVENTS.toLocaleString()} realistic events into PostgreSQL and into the file store…`);
      results.storage = await storage(await freshDatabase('storage'), work);
    }
  } finally {
    stopPgCluster();
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (ONLY) return console.log(JSON.stringify(results, null, 2));
  results.machine.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
  results.verdicts = verdicts(results);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
}

/** The three configurations, one at a time, with the same clients. */
async function loads(results, work, freshDatabase) {
  log('bare ws broadcast: throughput and latency…');
  const baseline = await spawnBaseline();
  results.baseline = await loadPhases(baseline, `ws://127.0.0.1:${baseline.port}/`, false);
  await stopServer(baseline);

  log('one server, file store: throughput and latency…');
  const file = await spawnServer([...serverNodeFlags(SERVER_JS), SERVER_JS, '--port', '0', '--data', path.join(work, 'data-live')], SERVER_ENV);
  results.file = await loadPhases(file, `ws://127.0.0.1:${file.port}/v1/channels/bench`, true);
  await stopServer(file);

  log('two replicas on PostgreSQL: throughput and latency (writer on A, subscribers split across A and B)…');
  const url = await freshDatabase('bench');
  const a = await startReplica(url);
  const b = await startReplica(url);
  results.replicas = await loadPhases({ procs: [a.proc, b.proc] }, [a.port, b.port].map((p) => `ws://127.0.0.1:${p}/v1/channels/bench`), true);
  await stopServer(a);
  await stopServer(b);
}

function verdicts(r) {
  const ratio = (x, y) => round(x / y, 2);
  const rp = r.replicas.throughput.ackedPerSecond;
  const bp = r.baseline.throughput.ackedPerSecond;
  const r300 = r.replicas.latency[300].p99Ms;
  const b300 = r.baseline.latency[300].p99Ms;
  return [
    { target: 'two replicas: acked events/s ≥ 1.0× the bare ws broadcast', value: `${rp} vs ${bp} events/s (${ratio(rp, bp)}×)`, met: rp >= bp },
    {
      target: 'two replicas: p99 at 300 events/s ≤ 2× the bare ws broadcast', value: `${r300} vs ${b300} ms (${ratio(r300, b300)}×)`, met: r300 <= 2 * b300,
      floor: `one PostgreSQL commit alone at 300/s (no server, no subscribers): p50 ${r.commitFloor.p50Ms} / p99 ${r.commitFloor.p99Ms} ms, against a budget of ${round(2 * b300, 2)} ms for the whole delivery`,
    },
    {
      target: `failover: kill -9 of a replica → all clients resumed on the other ≤ 2 s at p99 over ${r.failover.kills} kills`,
      value: `p99 ${r.failover.allResumedP99Ms} ms (p50 ${r.failover.allResumedP50Ms} ms; per client p50 ${r.failover.perClientP50Ms} / p99 ${r.failover.perClientP99Ms} ms)`,
      met: r.failover.allResumedP99Ms <= 2000,
    },
  ];
}

function printTable(r) {
  const cols = [['two replicas (PostgreSQL)', r.replicas], ['one server (file store)', r.file], ['bare ws broadcast', r.baseline]];
  const rows = [['', ...cols.map(([name]) => name)]];
  rows.push(['acked events/s (500 in flight, durable)', ...cols.map(([, x]) => x.throughput.ackedPerSecond)]);
  rows.push(['  delivered/s to every subscriber', ...cols.map(([, x]) => x.throughput.deliveredPerSecondToEverySubscriber)]);
  rows.push(['  server CPU / clients CPU (cores)', ...cols.map(([, x]) => `${x.throughput.serverCpuCores} / ${x.throughput.benchClientsCpuCores}`)]);
  for (const rate of RATES) {
    rows.push([`${rate}/s offered: p50 / p99 ms`, ...cols.map(([, x]) => `${x.latency[rate].p50Ms} / ${x.latency[rate].p99Ms}`)]);
    rows.push(['  delivered / server CPU', ...cols.map(([, x]) => `${round(x.latency[rate].deliveredFraction * 100, 2)}% / ${x.latency[rate].serverCpuCores}`)]);
  }
  rows.push(['PostgreSQL commit alone, 300/s: p50 / p99 ms', `${r.commitFloor.p50Ms} / ${r.commitFloor.p99Ms}`, '', '']);
  const f = r.failover;
  rows.push([`failover, ${f.kills} × kill -9: all resumed p50 / p99`, `${f.allResumedP50Ms} / ${f.allResumedP99Ms} ms`, '', '']);
  rows.push(['  per client p50 / p99', `${f.perClientP50Ms} / ${f.perClientP99Ms} ms`, '', '']);
  const s = r.storage;
  rows.push(['bytes per stored event (realistic mix)', `${s.postgresBytesPerEvent} (${s.postgresBytesPerEventAfterVacuum} after VACUUM)`, `${s.fileLogBytesPerEvent}`, `(client JSON ${s.clientJsonBytesPerEvent})`]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  '));
  console.log('');
  for (const v of r.verdicts) console.log(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.value}${v.floor ? `\n       floor: ${v.floor}` : ''}`);
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS)}`);
}

await main();
