import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import WebSocket from 'ws';
import { type RunningServer, type ServerOptions, startServer } from '../../../src/server/channelServer';
import type { EventStore } from '../../../src/store/eventStore';
import { FileStore } from '../../../src/store/fileStore';
import { MemoryStore } from '../../../src/store/memoryStore';
import { ServerMetrics } from '../../../src/server/metrics';
import { SERVER_NODE_FLAGS } from '../../../src/server/nodeFlags';

// ---- temp dirs ----

const tempDirs: string[] = [];
export function tempDir(prefix = 'ir-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

// ---- events ----

export const iso = (ms = Date.now()) => new Date(ms).toISOString();

export function declareEvent(title = 'Checkout 5xx', severity = 'SEV2') {
  return { id: randomUUID(), at: iso(), data: { title, severity, symptom: 'errors on checkout', scope: 'eu' } };
}

export function noteEvent(text = 'a note', tag = 'note') {
  return { id: randomUUID(), kind: 'note.added', at: iso(), data: { text, tag } };
}

// ---- a test client over a real socket ----

export type Msg = Record<string, unknown> & { type: string };

/** A raw WebSocket client that records every message and close. */
export class TestClient {
  readonly messages: Msg[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private seq = 0;

  /** `light`: keep only small messages (replies and errors), skipping event batches, to keep a busy test process cheap. */
  constructor(readonly ws: WebSocket, light = false) {
    ws.on('message', (data, isBinary) => {
      if (light && (data as Buffer).length > 2048) return;
      const m = JSON.parse(isBinary ? '{}' : String(data)) as Msg;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async connect(url: string, options: { token?: string; hello?: boolean; user?: string; autoPong?: boolean; light?: boolean; helloExtra?: Record<string, unknown> } = {}): Promise<TestClient> {
    const ws = new WebSocket(url, {
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
      ...(options.autoPong === false ? { autoPong: false } : {}),
    });
    const client = new TestClient(ws, options.light);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    if (options.hello !== false) {
      client.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: options.user ?? 'alice@example.com', name: options.user ?? 'Alice' }, ...options.helloExtra });
      await client.next((m) => m.type === 'welcome');
    }
    return client;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The next message (from now, or already received if `past`) matching `pred`. */
  next(pred: (m: Msg) => boolean, timeoutMs = 5000, past = true): Promise<Msg> {
    if (past) {
      const found = this.messages.find(pred);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for a message; last: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`));
      }, timeoutMs);
      const done = (m: Msg) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** Send a request with a fresh requestId and wait for the reply carrying it. */
  async request(msg: Record<string, unknown>, timeoutMs = 5000): Promise<Msg> {
    const requestId = `q${++this.seq}-${randomUUID().slice(0, 8)}`;
    const reply = this.next((m) => m.requestId === requestId, timeoutMs, false);
    this.send({ ...msg, requestId });
    return reply;
  }

  async declare(title = 'Checkout 5xx'): Promise<string> {
    const reply = await this.request({ type: 'declare', event: declareEvent(title) });
    if (reply.type !== 'declared') throw new Error(`declare failed: ${JSON.stringify(reply)}`);
    return reply.incidentId as string;
  }

  append(incidentId: string, event: unknown = noteEvent()): Promise<Msg> {
    return this.request({ type: 'append', incidentId, event });
  }

  /** Every event this client received for an incident (from `event` and `events`), de-duplicated by seq. */
  eventsOf(incidentId: string): { seq: number; id: string; kind: string; data: Record<string, unknown> }[] {
    const bySeq = new Map<number, { seq: number; id: string; kind: string; data: Record<string, unknown> }>();
    for (const m of this.messages) {
      if (m.incidentId !== incidentId) continue;
      const list = m.type === 'event' ? [m.event] : m.type === 'events' ? (m.events as unknown[]) : [];
      for (const e of list as { seq: number; id: string; kind: string; data: Record<string, unknown> }[]) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
    }
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Wait until this client holds events up to `seq` of an incident. */
  async waitForSeq(incidentId: string, seq: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.eventsOf(incidentId).at(-1)?.seq !== seq || this.eventsOf(incidentId).length < seq) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${incidentId} seq ${seq}; have ${this.eventsOf(incidentId).at(-1)?.seq}`);
      await sleep(5);
    }
  }

  close(): void {
    this.ws.close();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- an in-process server on port 0 ----

export interface TestServer {
  readonly server: RunningServer;
  readonly store: EventStore;
  readonly dir: string | null;
  url(channel?: string): string;
}

export async function startTestServer(options: Partial<Omit<ServerOptions, 'store'>> & { store?: 'file' | 'memory'; dir?: string; eventStore?: EventStore } = {}): Promise<TestServer> {
  const { eventStore, ...rest } = options;
  const dir = eventStore || options.store === 'memory' ? null : options.dir ?? tempDir();
  // A store given opened (e.g. a PostgresStore on a fresh database), or a memory or file store opened here.
  const store: EventStore = eventStore ?? (dir === null ? new MemoryStore() : new FileStore({ dir }));
  if (!eventStore) await store.open();
  options = rest;
  // A metrics listener on loopback, as `--metrics-port` opens: the tests read /metrics there without a token.
  const server = await startServer({ host: '127.0.0.1', port: 0, tokens: null, metrics: new ServerMetrics(), metricsListener: { host: '127.0.0.1', port: 0 }, ...options, store });
  return { server, store, dir, url: (channel = 'payments-oncall') => `${server.url}/v1/channels/${channel}` };
}

// ---- the bundled server as a child process ----

let bundle: string | null = null;
/** Bundle src/server/main.ts once per test run, as `npm run build` does. */
export function serverBundle(): string {
  if (bundle) return bundle;
  // Not one of tempDirs (suites clean those up after themselves); this one lives for the whole run.
  const dir = mkdtempSync(path.join(tmpdir(), 'ir-bundle-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'server.js');
  buildSync({ entryPoints: [path.join(__dirname, '../../../src/server/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out, logLevel: 'error' });
  bundle = out;
  return out;
}

export interface ChildServer {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly stderr: () => string;
  url(channel?: string): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The server in a process of its own, started as it is deployed (node with `SERVER_NODE_FLAGS`; `nodeFlags` replaces
 * them). `fdLimit`: run it under `ulimit -n` (its soft descriptor limit), as a small VM or container would.
 */
export async function spawnServer(args: string[], env: Record<string, string> = {}, options: { fdLimit?: number; nodeFlags?: readonly string[] } = {}): Promise<ChildServer> {
  const prof = process.env.SERVER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVER_CPU_PROF}`] : [];
  const argv = [...(options.nodeFlags ?? SERVER_NODE_FLAGS), ...prof, serverBundle(), ...args];
  const proc = options.fdLimit === undefined
    ? spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('/bin/sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    proc.stdout!.on('data', (d) => {
      stdout += String(d);
      const m = /listening on ws:\/\/[^:]+:(\d+)\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${stderr}`));
    });
  });
  return { proc, port, stderr: () => stderr, url: (channel = 'payments-oncall') => `ws://127.0.0.1:${port}/v1/channels/${channel}`, exited };
}

/**
 * Run the bundled CLI to completion (for flag errors). `uid`/`gid` (when this process is root): run it as that user,
 * so file permissions apply to it; the bundle's folder is opened up for it to read.
 */
export function runServerCli(args: string[], env: Record<string, string> = {}, timeoutMs = 10_000, as: { uid: number; gid: number } | null = null): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const bundlePath = serverBundle();
    if (as) chmodSync(path.dirname(bundlePath), 0o755);
    const proc = spawn(process.execPath, [bundlePath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += String(d)));
    proc.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`CLI did not exit: ${stdout} ${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** HTTP GET against a server, returning status, headers and body. */
export async function httpGet(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Try a WebSocket upgrade and report the HTTP status it was refused with (or 101 when accepted). */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await upgradeResponse(url, headers)).status;
}

/** Try a WebSocket upgrade: the refusal's status and headers, or 101. */
export function upgradeResponse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      ws.terminate();
    });
    ws.on('open', () => {
      resolve({ status: 101, headers: {} });
      ws.close();
    });
    ws.on('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

// ---- raw sockets (for what a WebSocket client never does) ----

/** The start of an upgrade request that never ends (no blank line after the headers). */
export const HALF_UPGRADE = 'GET /v1/channels/payments-oncall HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';

export interface RawSocket {
  readonly socket: Socket;
  /** Resolves once the socket connected (and wrote `send`) or failed to. */
  readonly ready: Promise<void>;
  /** Resolves when the server (or anything) closed it. */
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

/** A TCP socket to 127.0.0.1:`port` from `localAddress` (any 127.x address on Linux) that sends `send`, if given, and then nothing. */
export function rawSocket(port: number, options: { localAddress?: string; send?: string } = {}): RawSocket {
  const socket = netConnect({ port, host: '127.0.0.1', ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const ready = new Promise<void>((resolve) => {
    socket.once('connect', () => {
      if (options.send) socket.write(options.send, () => resolve());
      else resolve();
    });
    socket.once('close', () => resolve());
  });
  const done = new Promise<void>((resolve) => socket.once('close', () => {
    closed = true;
    resolve();
  }));
  return { socket, ready, closed: done, isClosed: () => closed };
}

/** Keep trying to open a session (upgrade, hello, welcome) until one works or `withinMs` has passed since the first try. */
export async function connectWithin(url: string, withinMs: number, options: { token?: string } = {}): Promise<{ client: TestClient; ms: number; attempts: number }> {
  const t0 = Date.now();
  let attempts = 0;
  let last: unknown;
  while (Date.now() - t0 < withinMs) {
    attempts++;
    const left = Math.max(50, withinMs - (Date.now() - t0));
    const ws = new WebSocket(url, { headers: options.token ? { Authorization: `Bearer ${options.token}` } : {}, handshakeTimeout: left });
    const client = new TestClient(ws);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('close', () => reject(new Error('closed during the handshake')));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      client.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'real@example.com', name: 'Real' } });
      await client.next((m) => m.type === 'welcome', left);
      return { client, ms: Date.now() - t0, attempts };
    } catch (e) {
      last = e;
      ws.terminate();
      await sleep(20);
    }
  }
  throw new Error(`no session within ${withinMs} ms after ${attempts} attempts; last: ${(last as Error)?.message}`);
}

/** The server's Prometheus text, from its metrics listener (startTestServer opens one on loopback). */
export async function metricsText(t: TestServer): Promise<string> {
  const res = await httpGet(t.server.metricsPort ?? t.server.port, '/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.body}`);
  return res.body;
}

/** The value of one sample of a Prometheus text (0 when absent). */
export function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/**
 * The status a raw WebSocket upgrade gets (101, or the refusal's status), with these extra headers, on this path.
 * Offered subprotocols, the server must select `incident-room.v1`: never a token (the promise is checked here).
 */
export function rawUpgradeStatus(port: number, headers: Record<string, string>, urlPath = '/v1/channels/payments-oncall'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, path: urlPath, agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      const selected = res.headers['sec-websocket-protocol'];
      if (headers['Sec-WebSocket-Protocol'] !== undefined && selected !== 'incident-room.v1') reject(new Error(`the server selected the subprotocol ${selected}, not incident-room.v1`));
      else resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
