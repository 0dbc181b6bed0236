import { type ChildProcess, fork, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChannelClient } from '../../src/sync/channelClient';
import { Outbox } from '../../src/sync/outbox';
import { WsTransport } from '../../src/sync/wsTransport';
import { SERVER_NODE_FLAGS } from '../../src/server/nodeFlags';
import { until } from './until';
import { freePort } from './ports';

/**
 * The deployment of README.md "Deploying the channel server", for real, on loopback: replicas of the built server
 * (`node dist/server.js`) as child processes, Debian's nginx in front of them with deploy/nginx/incident-room.conf
 * (rendered with test ports and a certificate made here), and a channel client in a child process of its own that
 * trusts the test CA.
 *
 * Debian's nginx: /usr/sbin/nginx, installed with apt when missing and we are root (as test/support/postgres.ts does
 * for PostgreSQL). The system service is never used: nginx runs in the foreground (`daemon off`) with a config,
 * prefix, pid file, temp paths and logs all in a temp folder, and is stopped (SIGTERM: the master stops its workers)
 * and the folder deleted afterwards. Every command is an argv array, never a shell string.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SERVER_JS = path.join(REPO_ROOT, 'dist', 'server.js');
export const NGINX_TEMPLATE = path.join(REPO_ROOT, 'deploy', 'nginx', 'incident-room.conf');
const NGINX = '/usr/sbin/nginx';

function run(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)} ${String(r.stdout).slice(-1000)}`);
  return String(r.stdout);
}

/** /usr/sbin/nginx, installing Debian's `nginx` package if it is missing. */
export function nginxBin(): string {
  if (existsSync(NGINX)) return NGINX;
  if (process.getuid?.() !== 0) throw new Error(`${NGINX} not found, and installing it needs root (apt-get install nginx)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const systemPid = '/run/nginx.pid';
  const wasRunning = existsSync(systemPid);
  run('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx'], { env, timeout: 600_000 });
  if (!existsSync(NGINX)) throw new Error(`apt-get install nginx finished but ${NGINX} is missing`);
  // Where no policy-rc.d forbids it, the package starts the system service on port 80: stop what the install started.
  if (!wasRunning && existsSync(systemPid)) spawnSync(NGINX, ['-s', 'stop'], { timeout: 30_000 });
  return NGINX;
}

export interface TestCertificate {
  /** The CA a client must trust (PEM). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throwaway CA and a server certificate it signs, for 127.0.0.1 and localhost (openssl from Debian). */
export function makeCertificate(dir: string): TestCertificate {
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Incident Room test CA']);
  run('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\nbasicConstraints = critical, CA:FALSE\n');
  run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext')]);
  chmodSync(f('server.key'), 0o600);
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') };
}

/** Replace `from` with `to` where it occurs exactly once: a template that changed shape fails here, loudly. */
function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`${path.relative(REPO_ROOT, NGINX_TEMPLATE)}: expected "${from}" once, found it ${count} times`);
  return text.replace(from, () => to);
}

/**
 * deploy/nginx/incident-room.conf as the test runs it: the same file, with only its example addresses, listen port
 * and certificate paths swapped for the test's.
 */
export function renderSiteConf(template: string, o: { listenPort: number; replicaPorts: readonly [number, number]; cert: TestCertificate }): string {
  let conf = template;
  conf = replaceOnce(conf, 'server 127.0.0.1:7077 ', `server 127.0.0.1:${o.replicaPorts[0]} `);
  conf = replaceOnce(conf, 'server 127.0.0.1:7078 ', `server 127.0.0.1:${o.replicaPorts[1]} `);
  conf = replaceOnce(conf, 'listen 443 ssl;', `listen 127.0.0.1:${o.listenPort} ssl;`);
  conf = replaceOnce(conf, 'ssl_certificate     /etc/ssl/incident-room/fullchain.pem;', `ssl_certificate     ${o.cert.certFile};`);
  conf = replaceOnce(conf, 'ssl_certificate_key /etc/ssl/incident-room/privkey.pem;', `ssl_certificate_key ${o.cert.keyFile};`);
  return conf;
}

/** The template without its opening comment (what it is, how the test uses it): the part README.md quotes. */
export const siteConfBody = (template: string): string => template.slice(template.indexOf('\n\n') + 2);

export interface RunningNginx {
  readonly port: number;
  readonly dir: string;
  readonly accessLog: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * nginx in the foreground with the site config inside a minimal main config: one worker, every path (pid, logs, temp
 * files) in `dir`. The access log records the upstream each request went to. Resolves once it answers TLS.
 */
export async function startNginx(dir: string, site: (listenPort: number) => string, ca: string): Promise<RunningNginx> {
  const bin = nginxBin();
  // Workers run as an unprivileged user when the master is root: they must be able to pass through the temp folder.
  chmodSync(dir, 0o755);
  const p = (name: string) => path.join(dir, name);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    writeFileSync(p('incident-room.conf'), site(port));
    writeFileSync(p('nginx.conf'), [
      'worker_processes 1;',
      `pid ${p('nginx.pid')};`,
      `error_log ${p('error.log')} notice;`,
      'events { worker_connections 1024; }',
      'http {',
      '    log_format upstreams \'$remote_addr "$request" $status upstream=$upstream_addr upstream_status=$upstream_status\';',
      `    access_log ${p('access.log')} upstreams;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${p(`${t}_temp`)};`),
      `    include ${p('incident-room.conf')};`,
      '}',
      '',
    ].join('\n'));
    run(bin, ['-t', '-q', '-p', dir, '-e', p('error.log'), '-c', p('nginx.conf')]);
    const proc = spawn(bin, ['-p', dir, '-e', p('error.log'), '-c', p('nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    registerCleanup(() => {
      if (!gone) proc.kill('SIGTERM');
    });
    const ready = await until('nginx answers TLS', async () => {
      if (gone) return 'exited';
      return (await httpsGet(port, '/healthz', ca).then(() => 'up', () => false)) || false;
    }, 30_000);
    if (ready === 'exited') {
      // Most likely someone took the port between freePort and the bind: try another one.
      if (attempt < 3 && /Address already in use/.test(stderr + readLog(p('error.log')))) continue;
      throw new Error(`nginx exited: ${stderr} ${readLog(p('error.log')).slice(-2000)}`);
    }
    return {
      port, dir, accessLog: p('access.log'),
      errorLog: () => readLog(p('error.log')),
      stop: async () => {
        if (gone) return;
        proc.kill('SIGTERM');
        await exited;
      },
    };
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** GET over TLS to 127.0.0.1:port trusting only `caFile`, on a connection of its own (as a load balancer's probe). */
export function httpsGet(port: number, pathname: string, caFile: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, ca: readFileSync(caFile), agent: false, headers: { Connection: 'close' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------- replicas: the built server as child processes

export interface Replica {
  readonly name: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly proc: ChildProcess;
  stderr(): string;
  /** Resolves when the process has exited (killed or stopped). */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** `node --max-semi-space-size=4 --v8-pool-size=1 dist/server.js --store postgres --pg-url URL --port 0 …` (as deployed); resolves once it prints `listening on ws://…`. */
export async function startReplica(name: string, pgUrl: string, tokensFile: string): Promise<Replica> {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run npm run build first`);
  const metricsPort = await freePort();
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_JS, '--store', 'postgres', '--pg-url', pgUrl, '--host', '127.0.0.1', '--port', '0',
    '--tokens', tokensFile, '--metrics-port', String(metricsPort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Every client reaches the replicas from nginx's address; the deployment guide raises this limit the same way.
    env: { ...process.env, INCIDENT_ROOM_MAX_PENDING_PER_ADDRESS: '256' },
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += String(d)));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    gone = true;
    resolve(code);
  }));
  registerCleanup(() => {
    if (!gone) proc.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`replica ${name} exited ${code} before listening: ${err.slice(-2000)}`)));
  });
  return { name, port, metricsPort, proc, stderr: () => err, exited, kill: (signal) => proc.kill(signal) };
}

/** The replica's `incident_room_connections` gauge (sessions open now), from its loopback metrics listener. */
export function sessionsOn(r: Replica): Promise<number> {
  // A connection of its own: a kept-alive one may be closed by the server's idle timer just as it is reused.
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: r.metricsPort, path: '/metrics', agent: false, headers: { Connection: 'close' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => {
        const m = /^incident_room_connections (\d+)/m.exec(body);
        resolve(m ? Number(m[1]) : NaN);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------- cleanup on the way out

const cleanups: (() => void)[] = [];
function registerCleanup(fn: () => void): void {
  cleanups.push(fn);
}
/** Synchronous, for the exit handler: kill what is still running (a run that died before its `after` hooks). */
function cleanupNow(): void {
  // Newest first: processes go before the folders they write to.
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // already gone
    }
  }
}
process.once('exit', cleanupNow);

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  registerCleanup(remove);
  return { dir, remove };
}

// ---------------------------------------------------------------- the channel client, in a process of its own

/**
 * Why a child process: the client must trust the test CA, and WsTransport takes no TLS options, so the only way
 * in without a product change is NODE_EXTRA_CA_CERTS, which Node reads once at startup for the whole process. A
 * child of its own keeps that trust (and its event loop) away from the mocha process, as the extension host is a
 * process of its own in production.
 */
export interface ClientConnection {
  readonly status: string;
  readonly queued: number;
  readonly target: string;
  readonly at: number;
}
export interface ClientSnapshot {
  readonly status: string;
  readonly queued: number;
  readonly seqs: number[];
  readonly notes: string[];
  /** Per note text: when it was appended (queued) and when its event was folded, epoch ms. */
  readonly times: Record<string, { appendedAt: number; foldedAt?: number }>;
}

type ToChild =
  | { id: number; op: 'declare'; title: string }
  | { id: number; op: 'write'; everyMs: number; prefix: string }
  | { id: number; op: 'stopWriting' }
  | { id: number; op: 'snapshot' };

export interface WssClient {
  readonly connections: ClientConnection[];
  declare(title: string): Promise<string>;
  /** Append a note `${prefix}${i}` every `everyMs` until `stopWriting`; resolves with the number written. */
  write(everyMs: number, prefix: string): Promise<void>;
  stopWriting(): Promise<number>;
  snapshot(): Promise<ClientSnapshot>;
  stop(): Promise<void>;
}

export function startWssClient(o: { serverUrl: string; token: string; caFile: string; outboxDir: string }): WssClient {
  const child = fork(__filename, ['--wss-client'], {
    cwd: REPO_ROOT,
    execArgv: ['-r', 'tsx/cjs'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: o.caFile, IR_SERVER_URL: o.serverUrl, IR_TOKEN: o.token, IR_OUTBOX: o.outboxDir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    gone = true;
    resolve();
  }));
  registerCleanup(() => {
    if (!gone) child.kill('SIGKILL');
  });
  const connections: ClientConnection[] = [];
  const waiting = new Map<number, (reply: unknown) => void>();
  child.on('message', (m: { op: string; id?: number; reply?: unknown } & ClientConnection) => {
    if (m.op === 'connection') connections.push({ status: m.status, queued: m.queued, target: m.target, at: m.at });
    else if (m.op === 'reply') {
      waiting.get(m.id!)?.(m.reply);
      waiting.delete(m.id!);
    }
  });
  let next = 0;
  const ask = <T>(msg: ToChild extends infer M ? M extends ToChild ? Omit<M, 'id'> : never : never): Promise<T> => new Promise<T>((resolve, reject) => {
    if (gone) return reject(new Error('the client process has exited'));
    const id = ++next;
    waiting.set(id, resolve as (r: unknown) => void);
    child.send({ ...msg, id });
  });
  return {
    connections,
    declare: (title) => ask<string>({ op: 'declare', title }),
    write: (everyMs, prefix) => ask<void>({ op: 'write', everyMs, prefix }),
    stopWriting: () => ask<number>({ op: 'stopWriting' }),
    snapshot: () => ask<ClientSnapshot>({ op: 'snapshot' }),
    stop: async () => {
      if (gone) return;
      child.disconnect();
      await exited;
    },
  };
}

/** The child's side: a real ChannelClient over WsTransport (wss://, the CA from NODE_EXTRA_CA_CERTS), driven over IPC. */
function runWssClientChild(): void {
  const send = (m: unknown) => process.send?.(m);
  const serverUrl = process.env.IR_SERVER_URL!;
  const token = process.env.IR_TOKEN!;
  const transport = new WsTransport({ serverUrl, channel: 'payments-oncall', token: async () => token, connectTimeoutMs: 5000 });
  const client = new ChannelClient({
    transport, outbox: new Outbox(process.env.IR_OUTBOX!, serverUrl), user: () => ({ id: 'alice@example.com', name: 'Alice' }),
    // The product's defaults (reconnect backoff 1 s ×2 with jitter, resend every 15 s): the failover time is a user's.
  });
  client.onDidChangeConnection((c) => send({ op: 'connection', status: c.status, queued: c.queued, target: c.target, at: Date.now() }));
  const times: Record<string, { appendedAt: number; foldedAt?: number }> = {};
  let incidentId = '';
  client.onDidChangeIncident((s) => {
    const now = Date.now();
    for (const n of s.notes) if (times[n.text] && times[n.text]!.foldedAt === undefined) times[n.text]!.foldedAt = now;
  });
  let writing = false;
  let written = 0;
  let writer: Promise<void> = Promise.resolve();
  process.on('message', (m: ToChild) => {
    const reply = (value: unknown) => send({ op: 'reply', id: m.id, reply: value });
    void (async () => {
      if (m.op === 'declare') {
        incidentId = await (await client.declare({ title: m.title, severity: 'SEV2', symptom: 'through nginx' })).incidentId;
        client.subscribe(incidentId);
        return reply(incidentId);
      }
      if (m.op === 'write') {
        writing = true;
        writer = (async () => {
          while (writing) {
            const text = `${m.prefix}${written}`;
            times[text] = { appendedAt: Date.now() };
            await client.append(incidentId, 'note.added', { text, tag: 'note' });
            written++;
            await new Promise((r) => setTimeout(r, m.everyMs));
          }
        })();
        return reply(undefined);
      }
      if (m.op === 'stopWriting') {
        writing = false;
        await writer;
        return reply(written);
      }
      const s = client.incident(incidentId);
      return reply({
        status: client.connection.status, queued: client.connection.queued,
        seqs: (s?.timeline ?? []).map((e) => e.seq), notes: (s?.notes ?? []).map((n) => n.text), times,
      } satisfies ClientSnapshot);
    })().catch((e: unknown) => send({ op: 'reply', id: m.id, reply: { error: String(e) } }));
  });
  process.on('disconnect', () => {
    client.dispose();
    process.exit(0);
  });
  client.start();
}

if (require.main === module && process.argv.includes('--wss-client')) runWssClientChild();

/** A token as the deployment guide makes them (`openssl rand -hex 32`), here from the same CSPRNG. */
export const newToken = (): string => randomBytes(32).toString('hex');
