import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseClientMessage } from '../../../src/protocol/messages';
import { MAX_NESTING, nestingTooDeep } from '../../../src/server/frameGuard';
import { declareEvent, httpGet, noteEvent, removeTempDirs, sleep, spawnServer, TestClient, type ChildServer } from './helpers';

/** A small seeded PRNG so a failing run can be replayed (the seed is in the test title). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Frame = { data: string | Buffer; binary: boolean };

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);

function fuzzer(seed: number, incidentId: string) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const weird: unknown[] = [
    null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, '', ' ', 'x'.repeat(70_000), '\u0000', '\ud800',
    '🔥'.repeat(100), [], {}, [[[[[]]]]], { __proto__: { polluted: true } }, { constructor: { prototype: { polluted: true } } },
    'INC-0', 'INC-99999999999', '2026-13-45T99:99:99Z', randomUUID(),
  ];
  const valid = (): Record<string, unknown> => pick([
    () => ({ type: 'append', requestId: `r${Math.floor(r() * 1e6)}`, incidentId, event: noteEvent('fuzz') }),
    () => ({ type: 'append', requestId: 'r', incidentId, event: { id: randomUUID(), kind: 'status.changed', at: new Date().toISOString(), data: { status: 'identified' } } }),
    () => ({ type: 'declare', requestId: 'd', event: declareEvent('fuzz') }),
    () => ({ type: 'subscribe', incidentId, afterSeq: 0 }),
    () => ({ type: 'unsubscribe', incidentId }),
    () => ({ type: 'list', requestId: 'l' }),
    () => ({ type: 'ping', requestId: 'p' }),
  ])();
  // Replace, delete or add a field somewhere in the message, to any depth.
  const mutate = (v: unknown, depth = 0): unknown => {
    if (typeof v !== 'object' || v === null || r() < 0.3) return depth > 0 && r() < 0.5 ? pick(weird) : v;
    const copy: Record<string, unknown> = Array.isArray(v) ? { ...v } : { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const op = r();
    if (op < 0.5 && keys.length) {
      const k = pick(keys);
      copy[k] = mutate(copy[k], depth + 1);
    } else if (op < 0.7 && keys.length) {
      delete copy[pick(keys)];
    } else {
      copy[pick(['__proto__', 'constructor', 'prototype', 'type', 'extra', 'kind', 'data'])] = pick(weird);
    }
    return copy;
  };
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  return (): Frame => {
    const kind = r();
    if (kind < 0.55) return { data: JSON.stringify(mutate(valid())), binary: false };
    if (kind < 0.62) return { data: JSON.stringify(valid()).slice(0, Math.floor(r() * 80)), binary: false };
    if (kind < 0.67) {
      // __proto__ as a literal JSON key (JSON.stringify of an object never writes one).
      return { data: `{"type":"append","requestId":"x","incidentId":"${incidentId}","__proto__":{"type":"ping"},"event":{"__proto__":{"id":"${randomUUID()}"}}}`, binary: false };
    }
    if (kind < 0.72) return { data: `{"type":"append","requestId":"deep","incidentId":"${incidentId}","event":{"id":"${randomUUID()}","kind":"note.added","at":"2026-11-22T00:00:00Z","data":${deep(1000 + Math.floor(r() * 20_000))}}}`, binary: false };
    if (kind < 0.77) {
      const bytes = Buffer.from(JSON.stringify(valid()));
      bytes[Math.floor(r() * bytes.length)] = pick([0xff, 0xc0, 0xed, 0x80]);
      return { data: bytes, binary: false };
    }
    if (kind < 0.82) return { data: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256))), binary: true };
    if (kind < 0.87) return { data: JSON.stringify(pick(weird)), binary: false };
    if (kind < 0.9) return { data: '', binary: false };
    if (kind < 0.95) return { data: `{"type":"ping","requestId":"n","x":${pick(['1e400', '-0', '0.0000001', '123456789012345678901234567890', 'NaN', 'Infinity'])}}`, binary: false };
    return { data: JSON.stringify(valid()), binary: false };
  };
}

/** What the server should answer, judged independently of it: an error code and message, or anything (valid). */
function expected(frame: Frame): { code: string; message: string } | null {
  if (frame.binary) return { code: 'invalid_message', message: 'binary frames are not accepted: send JSON text frames' };
  const buf = Buffer.isBuffer(frame.data) ? frame.data : Buffer.from(frame.data);
  if (!Buffer.from(buf.toString('utf8')).equals(buf)) return { code: 'invalid_message', message: 'frame is not valid UTF-8' };
  if (nestingTooDeep(buf.toString('utf8'))) return { code: 'invalid_message', message: `message nests deeper than ${MAX_NESTING} levels` };
  const parsed = parseClientMessage(buf.toString('utf8'));
  if (!parsed.ok) return { code: 'invalid_message', message: parsed.error };
  return null;
}

/** Ping `url` every 5 ms for `ms` from a separate process; the sorted round trips. */
function bystander(url: string, ms: number): Promise<number[]> {
  const script = `
    const WebSocket = require(${JSON.stringify(require.resolve('ws'))});
    const ws = new WebSocket(process.env.URL);
    const rtts = []; let t0 = 0, n = 0; const end = Date.now() + Number(process.env.MS);
    const ping = () => { if (Date.now() > end) { console.log(JSON.stringify(rtts)); ws.close(); return; } t0 = performance.now(); ws.send(JSON.stringify({ type: 'ping', requestId: 'b' + (++n) })); };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: 'bystander', user: { id: 'b', name: 'B' } })));
    ws.on('message', (d) => { const m = JSON.parse(d); if (m.type === 'welcome') ping(); if (m.type === 'pong') { rtts.push(performance.now() - t0); setTimeout(ping, 5); } });`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['-e', script], { env: { ...process.env, URL: url, MS: String(ms) } });
    let out = '';
    proc.stdout.on('data', (d) => (out += String(d)));
    proc.on('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as number[]).sort((a, b) => a - b)) : reject(new Error(`bystander exited ${code}`))));
  });
}

describe(`server fuzz (seed ${SEED})`, function () {
  this.timeout(60_000);
  let child: ChildServer;

  before(async () => {
    // Each fuzzer sends ~800 messages/s (frame + marker ping): a limit sized for that, still in force.
    child = await spawnServer(['--port', '0', '--store', 'memory'], { INCIDENT_ROOM_MESSAGES_PER_SECOND: '2000', INCIDENT_ROOM_BURST: '2000' });
  });
  after(async () => {
    child.proc.kill('SIGTERM');
    await child.exited;
    removeTempDirs();
  });

  it('answers thousands of mutated and random frames each with a typed error (or a close), stays up, and other sessions stay fast', async () => {
    const owner = await TestClient.connect(child.url());
    const incidentId = await owner.declare('fuzz target');

    // A bystander in a process of its own (so the fuzzers' client-side work does not delay it) measures its round trip.
    const measure = (ms: number) => bystander(child.url(), ms);
    const quiet = await measure(600);

    const FUZZERS = 3;
    const FRAMES = 1200;
    const WINDOW = 20;
    const FRAMES_PER_SECOND = 400;
    let checked = 0;
    const fuzzOne = async (n: number) => {
      const c = await TestClient.connect(child.url(), { light: true });
      const next = fuzzer(SEED + n, incidentId);
      // Pipelined in windows; a marker ping after each frame: everything the server said about a frame comes between
      // the previous marker's pong and its own (errors are answered in order; only acks and events come later).
      const started = performance.now();
      for (let base = 0; base < FRAMES; base += WINDOW) {
        // Paced at FRAMES_PER_SECOND: a fuzzer within its rate limit, as the limiter lets through in production.
        const due = started + (base / FRAMES_PER_SECOND) * 1000;
        if (due > performance.now()) await sleep(due - performance.now());
        const sent: { frame: Frame; want: ReturnType<typeof expected>; marker: string }[] = [];
        const from = c.messages.length;
        for (let i = base; i < Math.min(FRAMES, base + WINDOW); i++) {
          const frame = next();
          const marker = `m${n}-${i}`;
          sent.push({ frame, want: expected(frame), marker });
          c.ws.send(frame.data, { binary: frame.binary });
          c.send({ type: 'ping', requestId: marker });
        }
        await c.next((m) => m.requestId === sent[sent.length - 1]!.marker, 10_000, false);
        let at = from;
        for (const { frame, want, marker } of sent) {
          const end = c.messages.findIndex((m, k) => k >= at && m.requestId === marker);
          assert.ok(end >= 0, `no pong for ${marker}`);
          const said = c.messages.slice(at, end).filter((m) => m.type === 'error');
          at = end + 1;
          const shown = `${JSON.stringify(String(frame.data)).slice(0, 160)} binary=${frame.binary}`;
          if (want) {
            assert.equal(said.length, 1, `one error for ${shown}: ${JSON.stringify(said)}`);
            assert.equal(said[0]!.code, want.code, shown);
            assert.equal(said[0]!.message, want.message, shown);
          } else {
            assert.ok(!said.some((m) => m.code === 'invalid_message'), `a valid frame was refused: ${shown}`);
          }
          checked++;
        }
      }
      assert.equal(c.ws.readyState, c.ws.OPEN);
      c.close();
    };
    const fuzzSeconds = FRAMES / FRAMES_PER_SECOND;
    const [during] = await Promise.all([measure(fuzzSeconds * 1000 - 300), Promise.all(Array.from({ length: FUZZERS }, (_, n) => fuzzOne(n)))]);
    assert.equal(checked, FUZZERS * FRAMES);

    // Abuse that ends in a close: over-size frames and a first message that is not hello.
    const big = await TestClient.connect(child.url());
    big.ws.send(Buffer.alloc(300 * 1024, 0x7b), { binary: false });
    assert.equal((await big.closed).code, 1009);
    const rude = await TestClient.connect(child.url(), { hello: false });
    rude.send({ type: 'append', requestId: 'x', incidentId, event: noteEvent() });
    assert.equal((await rude.closed).code, 4400);
    assert.equal(rude.messages[0]?.code, 'invalid_message');

    // Still up and correct.
    const health = JSON.parse((await httpGet(child.port, '/healthz')).body) as { ok: boolean };
    assert.equal(health.ok, true);
    const ack = await owner.append(incidentId, noteEvent('after the storm'));
    assert.equal(ack.type, 'ack');
    const p = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
    const summary = `bystander ping p50/p99 ms: quiet ${p(quiet, 0.5).toFixed(1)}/${p(quiet, 0.99).toFixed(1)}, during fuzz ${p(during, 0.5).toFixed(1)}/${p(during, 0.99).toFixed(1)} (${during.length} pings)`;
    console.log(`      ${summary}`);
    // Loose bounds: on two cores shared with the fuzzers (and whatever else runs) the OS deschedules the server for
    // tens of ms at a time. They still catch a server that stalls other sessions behind bad frames.
    assert.ok(p(during, 0.5) < Math.max(50, 10 * p(quiet, 0.5)) && p(during, 0.99) < 1000, summary);
    owner.close();
  });
});
