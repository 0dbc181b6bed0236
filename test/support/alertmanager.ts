import { type ChildProcess, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports';
import { until } from './until';

/**
 * A real Prometheus Alertmanager for the tests: Debian's `prometheus-alertmanager` (0.25 on bookworm), installed with
 * apt when missing and we are root (as test/support/postgres.ts and nginx.ts do for theirs). The system service is
 * never used: each instance runs in the foreground on a free loopback port with its config and storage in a temp
 * folder, clustering off (`--cluster.listen-address=`), and is killed and its folder deleted afterwards (by `stop`,
 * or by the exit handler for a run that died first). Every command is an argv array, never a shell string.
 *
 * Its one route sends every alert to a webhook receiver (the channel server's `POST /v1/channels/{channel}/alerts`)
 * with `Authorization: Bearer <token>` and `send_resolved: true`, which posts the webhook payload version 4.
 *
 * Timing, so a test waits as little as Alertmanager allows without spinning it: `group_wait: 0s` (a new group is
 * sent at once), `group_interval: 250ms` (a change in a group — a resolve, a new alert — goes out within 250 ms;
 * zero is refused by Alertmanager), `repeat_interval: 1h` (zero is refused too; a repeat only re-sends what the
 * receiver already has, so the tests never wait for one, and a short one would only add noise to what they see).
 *
 * `node -r tsx/cjs test/support/alertmanager.ts --capture <dir>` re-captures the fixtures of
 * test/fixtures/alertmanager/ (what this Alertmanager really posts: one firing and one resolved payload).
 */

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const SYSTEM_PIDFILE = '/run/prometheus/prometheus-alertmanager.pid';

function run(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)} ${String(r.stdout).slice(-1000)}`);
  return String(r.stdout);
}

let installOutcome: { bin: string } | { missing: string } | null = null;

/**
 * /usr/bin/prometheus-alertmanager, installing Debian's package if it is missing (`apt-get update`, then
 * `apt-get install -y`, non-interactive). `{ missing }` says why, when it truly cannot be had (not root, no package
 * source): the caller skips with that one line. Tried once per process.
 */
export function alertmanagerBin(): { bin: string } | { missing: string } {
  if (installOutcome) return installOutcome;
  if (existsSync(ALERTMANAGER)) return (installOutcome = { bin: ALERTMANAGER });
  if (process.getuid?.() !== 0) return (installOutcome = { missing: `${ALERTMANAGER} not found, and installing it needs root (apt-get install prometheus-alertmanager)` });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const wasRunning = existsSync(SYSTEM_PIDFILE);
  try {
    run('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus-alertmanager'], { env, timeout: 600_000 });
  } catch (e) {
    return (installOutcome = { missing: `prometheus-alertmanager could not be installed: ${(e as Error).message.split('\n')[0]!.slice(0, 300)}` });
  }
  if (!existsSync(ALERTMANAGER)) return (installOutcome = { missing: `apt-get install prometheus-alertmanager finished but ${ALERTMANAGER} is missing` });
  // Where no policy-rc.d forbids it, the package starts the system service (ports 9093 and 9094): stop what the
  // install started, and only that.
  if (existsSync('/run/systemd/system')) spawnSync('systemctl', ['stop', 'prometheus-alertmanager'], { timeout: 60_000 });
  else if (!wasRunning && existsSync(SYSTEM_PIDFILE)) spawnSync('/etc/init.d/prometheus-alertmanager', ['stop'], { timeout: 60_000 });
  return (installOutcome = { bin: ALERTMANAGER });
}

// ---------------------------------------------------------------- the config

export interface AlertmanagerOptions {
  /** Where the webhook posts: e.g. `http://127.0.0.1:PORT/v1/channels/payments-oncall/alerts`. */
  readonly webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` (`http_config.authorization.credentials`); none when absent. */
  readonly token?: string;
  /** The route's `group_by` (default `['alertname']`: one notification per alert name). */
  readonly groupBy?: readonly string[];
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
  /**
   * `--web.external-url` (the payload's `externalURL`); default: its own loopback address (left unset, Alertmanager
   * would derive it from the host name).
   */
  readonly externalUrl?: string;
}

/** JSON is YAML: the config is written as JSON, so no value needs YAML quoting rules. */
export function alertmanagerConfig(o: AlertmanagerOptions): string {
  return JSON.stringify({
    route: {
      receiver: 'incident-room',
      group_by: o.groupBy ?? ['alertname'],
      group_wait: o.groupWait ?? '0s',
      group_interval: o.groupInterval ?? '250ms',
      repeat_interval: o.repeatInterval ?? '1h',
    },
    receivers: [{
      name: 'incident-room',
      webhook_configs: [{
        url: o.webhookUrl,
        send_resolved: true,
        // 0: every alert of the group in one call (the payload says `truncatedAlerts` otherwise).
        max_alerts: 0,
        ...(o.token ? { http_config: { authorization: { type: 'Bearer', credentials: o.token } } } : {}),
      }],
    }],
  }, null, 2) + '\n';
}

// ---------------------------------------------------------------- alerts, as POST /api/v2/alerts takes them

export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/** An alert as pushed: `startsAt` always set (so the resolve can carry the same start). */
export interface PushedAlert extends PostableAlert {
  readonly startsAt: string;
}

export interface RunningAlertmanager {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly dir: string;
  /** Fire alerts (`POST /api/v2/alerts`); `startsAt` defaults to now. Resolves with what was pushed. */
  push(alerts: readonly PostableAlert[]): Promise<PushedAlert[]>;
  /** Resolve alerts: the same labels and start, pushed again with `endsAt` in the past. */
  resolve(alerts: readonly PushedAlert[]): Promise<void>;
  /** `GET /api/v2/alerts`: what Alertmanager holds now (with its fingerprints and status). */
  alerts(): Promise<{ fingerprint: string; labels: Record<string, string>; status: { state: string } }[]>;
  /** Everything it logged (stderr). */
  log(): string;
  /** Kill it and delete its folder. */
  stop(): Promise<void>;
}

const running = new Set<{ proc: ChildProcess; dir: string; gone: () => boolean }>();

/** Kill what is still running and delete its folders: synchronous, for a run that died before its `after` hooks. */
function cleanupNow(): void {
  for (const r of [...running]) {
    if (!r.gone()) r.proc.kill('SIGKILL');
    rmSync(r.dir, { recursive: true, force: true });
    running.delete(r);
  }
}
process.once('exit', cleanupNow);

async function postJson(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${url} answered ${res.status}: ${text.slice(0, 500)}`);
}

/**
 * Start an Alertmanager (installing it first if needed: throws when it cannot be had; call `alertmanagerBin` first to
 * skip instead). Resolves once `/-/ready` answers 200.
 */
export async function startAlertmanager(o: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const found = alertmanagerBin();
  if ('missing' in found) throw new Error(found.missing);
  const dir = mkdtempSync(path.join(tmpdir(), 'ir-alertmanager-'));
  const configFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(configFile, alertmanagerConfig(o));
  const storage = path.join(dir, 'data');
  mkdirSync(storage);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = spawn(found.bin, [
      `--config.file=${configFile}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
      `--web.external-url=${o.externalUrl ?? `http://127.0.0.1:${port}`}`, '--log.level=info',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += String(d)));
    let gone = false;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => {
      gone = true;
      resolve();
    }));
    const entry = { proc, dir, gone: () => gone };
    running.add(entry);
    const url = `http://127.0.0.1:${port}`;
    const ready = await until('Alertmanager /-/ready', async () => {
      if (gone) return 'exited';
      const res = await fetch(`${url}/-/ready`).catch(() => null);
      return res?.status === 200 ? 'ready' : false;
    }, 30_000).catch((e: Error) => {
      proc.kill('SIGKILL');
      throw new Error(`${e.message}: ${stderr.slice(-2000)}`);
    });
    if (ready === 'exited') {
      running.delete(entry);
      // Most likely someone took the port between freePort and the bind: try another one.
      if (attempt < 3 && /address already in use/i.test(stderr)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus-alertmanager exited before it was ready: ${stderr.slice(-2000)}`);
    }
    return {
      port, url, dir,
      push: async (alerts) => {
        const pushed = alerts.map((a) => ({ ...a, startsAt: a.startsAt ?? new Date().toISOString() }));
        await postJson(`${url}/api/v2/alerts`, pushed);
        return pushed;
      },
      resolve: async (alerts) => {
        // In the past, and never before the start (Alertmanager refuses an end before the start).
        const ended = (a: PushedAlert) => new Date(Math.max(Date.parse(a.startsAt), Date.now() - 1)).toISOString();
        await postJson(`${url}/api/v2/alerts`, alerts.map((a) => ({ ...a, endsAt: ended(a) })));
      },
      alerts: async () => {
        const res = await fetch(`${url}/api/v2/alerts`);
        if (res.status !== 200) throw new Error(`GET /api/v2/alerts answered ${res.status}`);
        return await res.json() as { fingerprint: string; labels: Record<string, string>; status: { state: string } }[];
      },
      log: () => stderr,
      stop: async () => {
        if (!gone) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        running.delete(entry);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

// ---------------------------------------------------------------- a plain receiver (what Alertmanager really sends)

export interface Delivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

export interface CaptureReceiver {
  readonly url: string;
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

/** A tiny HTTP server on a free loopback port that answers 200 to every POST and keeps what it got. */
export async function captureReceiver(): Promise<CaptureReceiver> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      try {
        deliveries.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`, deliveries,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The alert the fixtures were captured with: two instances of one realistic alert (one group, one payload). */
export const FIXTURE_ALERTS: readonly PostableAlert[] = ['checkout-api-7d9f8-abcde:8080', 'checkout-api-7d9f8-fghij:8080'].map((instance) => ({
  labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout', region: 'eu-west-1', job: 'checkout-api', instance },
  annotations: {
    summary: 'Checkout 5xx above 5% for 5 minutes',
    description: 'checkout-api answers 5xx to 7.3% of requests in eu-west-1 (threshold 5%).',
    runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
  },
  generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=sum+by+%28service%29+%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29+%3E+0.05&g0.tab=1',
}));

/** Push FIXTURE_ALERTS, resolve them, and write what Alertmanager posted to `<dir>/firing.json` and `<dir>/resolved.json`. */
async function captureFixtures(dir: string): Promise<void> {
  const receiver = await captureReceiver();
  // group_wait 1s: both alerts in the first notification (the test config sends a new group at once).
  const am = await startAlertmanager({
    webhookUrl: `${receiver.url}/v1/channels/payments-oncall/alerts`, token: 'fixture-token', groupWait: '1s',
    externalUrl: 'http://alertmanager.example.com:9093',
  });
  try {
    const pushed = await am.push(FIXTURE_ALERTS);
    const firing = await until('the firing notification', () => receiver.deliveries.find((d) => d.body.status === 'firing'), 15_000);
    await am.resolve(pushed);
    const resolved = await until('the resolved notification', () => receiver.deliveries.find((d) => d.body.status === 'resolved'), 15_000);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'firing.json'), JSON.stringify(firing.body, null, 2) + '\n');
    writeFileSync(path.join(dir, 'resolved.json'), JSON.stringify(resolved.body, null, 2) + '\n');
    console.log(`wrote ${dir}/firing.json and resolved.json (Authorization: ${firing.headers.authorization?.replace(/\S+$/, '…')}, User-Agent: ${firing.headers['user-agent']})`);
  } finally {
    await am.stop();
    await receiver.close();
  }
}

if (require.main === module && process.argv.includes('--capture')) {
  const dir = process.argv[process.argv.indexOf('--capture') + 1];
  if (!dir) throw new Error('usage: node -r tsx/cjs test/support/alertmanager.ts --capture <dir>');
  captureFixtures(path.resolve(dir)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
