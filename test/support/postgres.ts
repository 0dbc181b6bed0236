import { execFile, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

/**
 * A real PostgreSQL cluster for the tests: `initdb` into a temp folder, `pg_ctl start` on a free loopback port, once
 * per mocha run (started by the first suite that asks), stopped and deleted by a root `after` hook — or, if the run
 * dies before that, by the process's exit handler. Each suite gets a fresh database (`CREATE DATABASE`).
 *
 * Debian's server binaries live in /usr/lib/postgresql/<major>/bin (not on PATH). If none is there and we are root,
 * the `postgresql` package is installed with apt, as test/e2e/setup-code-server.sh installs Chromium.
 * initdb refuses to run as root: as root every cluster command runs as the `postgres` user (runuser), in a folder
 * that user owns. Every command is an argv array, never a shell string.
 */

export interface PgCluster {
  readonly port: number;
  readonly dir: string;
  readonly bin: string;
  /** `postgres://postgres@127.0.0.1:PORT/<db>` */
  url(database: string): string;
  /**
   * Stop the server with `pg_ctl stop -m immediate` (as a crash would: no checkpoint); resolves once it is down.
   * Asynchronous, so servers running in this process go on (and notice) while it happens.
   */
  stopImmediate(): Promise<void>;
  /** Start it again on the same port and data folder; resolves once it accepts connections. */
  start(): Promise<void>;
  isRunning(): boolean;
}

const PREFERRED_MAJOR = '15';
let cluster: PgCluster | null = null;

/** The bin folder of an installed PostgreSQL server (15 preferred), installing the Debian package if there is none. */
function serverBin(): string {
  const found = findBin();
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin, and installing them needs root (apt-get install postgresql)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { env, timeout: 600_000 });
  const installed = findBin();
  if (!installed) throw new Error('apt-get install postgresql finished but no /usr/lib/postgresql/*/bin/initdb was found');
  return installed;
}

function findBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(path.join(root, PREFERRED_MAJOR, 'bin', 'initdb'))) return path.join(root, PREFERRED_MAJOR, 'bin');
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((d) => existsSync(path.join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(root, majors[0], 'bin') : null;
}

function run(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)} ${String(r.stdout).slice(-1000)}`);
  return String(r.stdout);
}

/** The argv that runs a cluster tool as the `postgres` user when we are root (initdb and postgres refuse root). */
function postgresArgv(bin: string, tool: string, args: readonly string[]): [string, string[]] {
  const exe = path.join(bin, tool);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, [...args]];
}

function asPostgres(bin: string, tool: string, args: readonly string[], timeout = 60_000): string {
  const [cmd, argv] = postgresArgv(bin, tool, args);
  return run(cmd, argv, { timeout });
}

/** `asPostgres` without blocking the event loop (in-process servers keep running meanwhile). */
function asPostgresAsync(bin: string, tool: string, args: readonly string[], timeout = 90_000): Promise<void> {
  const [cmd, argv] = postgresArgv(bin, tool, args);
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${argv.join(' ')}: ${error.message} ${String(stderr).slice(-2000)} ${String(stdout).slice(-500)}`));
      else resolve();
    });
  });
}

/**
 * `INCIDENT_ROOM_TEST_PG_KEEP=1` (set by scripts/mutation.mjs): the mocha run is repeated in one process, once per
 * mutant, so the cluster is kept from one run to the next and stopped when the process exits, instead of an initdb
 * and a start for every mutant (seconds each: src/store's mutation run was heading for an hour and a half).
 */
const KEEP = process.env.INCIDENT_ROOM_TEST_PG_KEEP === '1';

/** The folders `pgCluster` makes its clusters in (in the system's temp folder). */
const CLUSTER_PREFIX = 'ir-pg-';

/** The cluster of this mocha run, started on first call. */
export async function pgCluster(): Promise<PgCluster> {
  // Kept from an earlier run in which a test stopped it (an outage test that then failed): running again.
  if (cluster && KEEP && !cluster.isRunning()) await cluster.start();
  if (cluster) return cluster;
  const bin = serverBin();
  const dir = mkdtempSync(path.join(tmpdir(), CLUSTER_PREFIX));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (process.getuid?.() === 0) {
    const uid = Number(run('id', ['-u', 'postgres']).trim());
    const gid = Number(run('id', ['-g', 'postgres']).trim());
    chownSync(dir, uid, gid);
  }
  // Registered before initdb, so a failure below still removes the folder.
  cluster = { port: 0, dir, bin, url: () => '', stopImmediate: async () => undefined, start: async () => undefined, isRunning: () => false };
  asPostgres(bin, 'initdb', ['-D', data, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync'], 120_000);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    // Settings go into postgresql.conf (pg_ctl -o would hand a string to a shell).
    appendFileSync(data + '/postgresql.conf', [
      '', `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'max_connections = 200',
      "shared_buffers = '32MB'", 'fsync = on', 'synchronous_commit = on', '',
    ].join('\n'));
    try {
      asPostgres(bin, 'pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', logFile], 90_000);
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  // As the postgres user too: pg_ctl refuses to run as root, whatever it is asked.
  const running = () => {
    const [cmd, argv] = postgresArgv(bin, 'pg_ctl', ['status', '-D', data]);
    return spawnSync(cmd, argv, { encoding: 'utf8' }).status === 0;
  };
  cluster = {
    port, dir, bin,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stopImmediate: () => asPostgresAsync(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '60']),
    start: () => asPostgresAsync(bin, 'pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', logFile]),
    isRunning: running,
  };
  return cluster;
}

/** Stop the cluster (if it runs) and delete its folder. Synchronous, so the process's exit handler can call it. */
export function stopPgCluster(): void {
  const c = cluster;
  cluster = null;
  if (c) removeCluster(c.dir, c.bin);
}

/** Every cluster folder of `pgCluster` there is now, this process's or others' (scripts/mutation.mjs). */
export function clusterDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith(CLUSTER_PREFIX)).map((d) => path.join(tmpdir(), d));
}

/**
 * Stop the cluster in `dir` (made by `pgCluster`) if it runs, and delete the folder. Also for clusters whose process
 * was killed (scripts/mutation.mjs: Stryker kills a test runner that times out, and its exit handler never runs).
 */
export function removeCluster(dir: string, bin = serverBin()): void {
  const data = path.join(dir, 'data');
  if (existsSync(path.join(data, 'postmaster.pid'))) {
    try {
      asPostgres(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
    } catch {
      // Already down (a test stopped it and failed before starting it again): nothing to stop.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

// A root-level hook (registered while the spec files load): runs once at the end of the whole mocha run, pass or
// fail. The exit handler covers a run that ends without it (an uncaught error, Ctrl-C).
if (typeof after === 'function' && !KEEP) after(stopPgCluster);
process.once('exit', stopPgCluster);

/** A fresh, empty database on the run's cluster; returns its URL. */
export async function freshDatabase(prefix = 'ir'): Promise<string> {
  const c = await pgCluster();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: c.url('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return c.url(name);
}

/**
 * For a `describe`: a `before` hook that starts the cluster (long timeout: the first start may install PostgreSQL)
 * and creates a database for the suite. `url()` is valid from the suite's tests on.
 */
export function usePostgres(prefix = 'ir'): { url(): string; cluster(): PgCluster } {
  let url = '';
  before(async function () {
    this.timeout(900_000);
    url = await freshDatabase(prefix);
  });
  return {
    url: () => url,
    cluster: () => {
      if (!cluster) throw new Error('the PostgreSQL cluster is not running');
      return cluster;
    },
  };
}
