// What an alert storm costs the channel server itself (npm run bench:alerts:cost; issue #11): the storm of
// bench:alerts (one webhook call of 5,000 alerts, then 100 calls of 50 over a second) into a fresh server on the file
// store with 100 sessions told by digest, and no live events. Reported per run: the server's CPU seconds from the
// storm's first call until a session was told all 10,000 fire, its garbage collections in that time (scavenges and
// mark-compacts, count and pause ms, and the longest scavenge, from --trace-gc), its heap afterwards, and when the
// calls were answered. Each build runs with the node flags it is deployed with (its SERVER_NODE_FLAGS, if any).
// bench:alerts judges the live events' p99, which on a 2-core machine moves by a third from run to run; these figures
// move by a few per cent, so a change to what the storm costs shows here first.
// Side by side: `--against PATH/dist/server.js` runs another build (e.g. a worktree of the commit before) in
// alternation with this one, run for run, so both meet the same machine. IR_BENCH_REPS sets the runs (default 3).
// Writes bench/results/alertStormCost.json. Run it alone: flock /tmp/workbench.lock npm run bench:alerts:cost
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverNodeFlags } from '../scripts/serverNodeFlags.mjs';
import { startStormSender } from './alertStorm.mjs';
import { connect, cpuSeconds, hello, round, SERVER_ENV, SERVER_JS, sleep, spawnServer, stopServer } from './channel.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(here, 'results', 'alertStormCost.json');
const SESSIONS = 100;
const TOTAL_ALERTS = 10_000;
const REPS = Number(process.env.IR_BENCH_REPS ?? 3);
const log = (s) => process.stderr.write(`${s}\n`);

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? null : process.argv[i + 1];
}

/** `--trace-gc` lines of V8 11: "Scavenge 18.8 (23.6) -> 16.1 (32.1) MB, 5.55 / 0.00 ms ...". */
function gcOf(text) {
  const gc = { scavenges: 0, scavengeMs: 0, longestScavengeMs: 0, marks: 0, markMs: 0, heapAfterMB: null };
  for (const line of text.split('\n')) {
    const m = /(Scavenge|Mark-Compact|Mark-Sweep)[^\n]*?-> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms/.exec(line);
    if (!m) continue;
    if (m[1] === 'Scavenge') {
      gc.scavenges++;
      gc.scavengeMs += Number(m[3]);
      // What a live event behind it waits: the young generation's size bounds it (SERVER_NODE_FLAGS).
      gc.longestScavengeMs = Math.max(gc.longestScavengeMs, Number(m[3]));
    } else {
      gc.marks++;
      gc.markMs += Number(m[3]);
    }
    gc.heapAfterMB = Number(m[2]);
  }
  return { ...gc, scavengeMs: round(gc.scavengeMs, 1), longestScavengeMs: round(gc.longestScavengeMs, 1), markMs: round(gc.markMs, 1) };
}

/** One storm into a fresh server (`serverJs`): its cost, from the first call until a session was told all fire. */
async function run(serverJs, sender) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-bench-storm-cost-'));
  const sockets = [];
  let server;
  try {
    server = await spawnServer([...serverNodeFlags(serverJs), '--trace-gc', serverJs, '--port', '0', '--data', path.join(work, 'data')], SERVER_ENV);
    let out = '';
    server.proc.stdout.on('data', (d) => (out += d));
    const url = `ws://127.0.0.1:${server.port}/v1/channels/bench`;
    let firing = 0;
    let allTold = null;
    for (let i = 0; i < SESSIONS; i++) {
      const ws = await connect(url);
      await hello(ws, `s${i}`, { presence: true, signalDigest: true });
      sockets.push(ws);
    }
    sockets[0].on('message', (data) => {
      if (data.indexOf('"type":"signalDigest"') < 0) return;
      firing = JSON.parse(String(data)).firing;
      if (allTold === null && firing >= TOTAL_ALERTS) allTold = performance.now();
    });
    await sleep(500);
    const cpu0 = cpuSeconds(server.proc.pid);
    const mark = out.length;
    const t0 = performance.now();
    const ingest = await sender.go(server.port);
    const deadline = performance.now() + 60_000;
    while (allTold === null && performance.now() < deadline) await sleep(5);
    const cpu = cpuSeconds(server.proc.pid) - cpu0;
    return {
      serverCpuSeconds: round(cpu, 2),
      ...gcOf(out.slice(mark)),
      bigCallMs: round(ingest.bigCall.ms, 0),
      smallCallsAllAnsweredMs: round(ingest.smallCalls.allAnsweredMs, 0),
      allToldMs: allTold === null ? null : round(allTold - t0, 0),
      accepted: (ingest.bigCall.accepted ?? 0) + ingest.smallCalls.accepted,
      told: firing,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    if (server) await stopServer(server);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : round((s[s.length / 2 - 1] + s[s.length / 2]) / 2, 2);
};

async function main() {
  const against = argValue('--against');
  if (against && !fs.existsSync(against)) {
    console.error(`--against ${against}: no such file (give a built dist/server.js, e.g. of a worktree after npm run build)`);
    process.exitCode = 2;
    return;
  }
  const builds = { this: SERVER_JS, ...(against ? { against: path.resolve(against) } : {}) };
  const runs = Object.fromEntries(Object.keys(builds).map((k) => [k, []]));
  // bench/alertStorm.mjs's storm sender: the same bodies, built before the storm; `go(port)` sends them.
  const sender = await startStormSender();
  try {
    for (let r = 0; r < REPS; r++) {
      for (const [name, js] of Object.entries(builds)) {
        log(`run ${r + 1}/${REPS}, ${name} (${path.relative(process.cwd(), js) || js})…`);
        runs[name].push(await run(js, sender));
      }
    }
  } finally {
    sender.stop();
  }
  const summary = Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, Object.fromEntries(
    ['serverCpuSeconds', 'scavenges', 'scavengeMs', 'longestScavengeMs', 'marks', 'markMs', 'heapAfterMB', 'bigCallMs', 'smallCallsAllAnsweredMs', 'allToldMs'].map((f) => [f, median(list.map((x) => x[f]))]),
  )]));
  const results = {
    machine: { cpus: os.cpus().length, node: process.version, loadAvgAtEnd: os.loadavg().map((x) => round(x, 2)) },
    config: { sessions: SESSIONS, alerts: TOTAL_ALERTS, store: 'file', reps: REPS, builds },
    startedAt: new Date().toISOString(),
    medians: summary,
    runs,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  const rows = [
    ['server CPU, first call → all told (s)', 'serverCpuSeconds'], ['scavenges', 'scavenges'], ['scavenge pauses (ms)', 'scavengeMs'], ['longest scavenge (ms)', 'longestScavengeMs'],
    ['mark-compacts', 'marks'], ['mark-compact pauses (ms)', 'markMs'], ['heap after the last GC (MB)', 'heapAfterMB'],
    ['5,000-alert call answered (ms)', 'bigCallMs'], ['100 calls of 50 all answered (ms)', 'smallCallsAllAnsweredMs'], ['a session told all 10,000 fire (ms)', 'allToldMs'],
  ];
  const names = Object.keys(runs);
  console.log(`\nan alert storm's cost on the server (median of ${REPS}; every run in ${path.relative(process.cwd(), RESULTS)})`);
  console.log(`${''.padEnd(40)}${names.map((n) => n.padStart(12)).join('')}`);
  for (const [label, f] of rows) console.log(`${label.padEnd(40)}${names.map((n) => String(summary[n][f]).padStart(12)).join('')}`);
  for (const n of names) {
    const bad = runs[n].filter((x) => x.accepted !== TOTAL_ALERTS || x.told < TOTAL_ALERTS);
    if (bad.length > 0) {
      console.log(`${n}: ${bad.length} run(s) did not have every alert accepted and told: ${JSON.stringify(bad)}`);
      process.exitCode = 1;
    }
  }
}

await main();
