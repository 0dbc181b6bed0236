import path from 'node:path';
import { parseArgs } from 'node:util';
import { type EventStore, StoreError } from '../store/eventStore';
import { FileStore } from '../store/fileStore';
import { MemoryStore } from '../store/memoryStore';
import { PgUrl, PostgresStore } from '../store/postgresStore';
import { assertBindable, ConfigError, loadTokens, parseOrigin, type TokenEntry } from './auth';
import { type ConnectionLimits, DEFAULT_LIMITS, type RunningServer, startServer } from './channelServer';
import { createLogger, type Logger } from './logger';
import { ServerMetrics } from './metrics';
import { missingNodeFlags } from './nodeFlags';

export const USAGE = 'incident-room-server [--host 127.0.0.1] [--port 7077] [--data ./incident-room-data] [--tokens FILE]'
  + ' [--store file|memory|postgres [--pg-url URL]] [--allow-origin ORIGIN]... [--metrics-port PORT [--metrics-host 127.0.0.1]]';

/** The per-connection limits the environment may set: one table for `limitsFromEnv` and for `--help`. */
const LIMIT_VARS: readonly { readonly name: string; readonly key: keyof ConnectionLimits; readonly what: string }[] = [
  { name: 'INCIDENT_ROOM_MESSAGES_PER_SECOND', key: 'messagesPerSecond', what: 'messages a connection may send per second, sustained' },
  { name: 'INCIDENT_ROOM_BURST', key: 'burst', what: 'messages a connection may send at once above that rate' },
  { name: 'INCIDENT_ROOM_PATIENCE', key: 'patience', what: 'messages refused for the rate a connection may send before it is closed (4429)' },
  { name: 'INCIDENT_ROOM_MAX_BUFFERED_BYTES', key: 'maxBufferedBytes', what: 'unsent bytes a connection may have queued before it is closed as too slow (4408)' },
  { name: 'INCIDENT_ROOM_PING_INTERVAL_MS', key: 'pingIntervalMs', what: 'WebSocket ping period; a peer that misses two pings is dropped' },
  { name: 'INCIDENT_ROOM_HANDSHAKE_TIMEOUT_MS', key: 'handshakeTimeoutMs', what: 'time a socket gets for its upgrade and a session for its hello' },
  { name: 'INCIDENT_ROOM_MAX_CONNECTIONS', key: 'maxConnections', what: 'sockets open at once (fewer by default when the descriptor limit is lower)' },
  { name: 'INCIDENT_ROOM_MAX_PENDING_PER_ADDRESS', key: 'maxPendingPerAddress', what: 'sockets one address may have open before they upgrade' },
];

/** `incident-room-server --help`: every flag and every environment variable, with its default. */
export function helpText(): string {
  const limits = LIMIT_VARS.map((v) => `  ${v.name.padEnd(40)}${v.what} (default ${DEFAULT_LIMITS[v.key]})`);
  return [
    `usage: ${USAGE}`,
    '',
    'The Incident Room channel server (docs/PROTOCOL.md). Prints "listening on ws://HOST:PORT" once it accepts',
    'connections; logs JSON lines on stderr. Exit codes: 0 stopped (SIGTERM/SIGINT), 1 failed, 2 bad configuration.',
    '',
    'Options:',
    '  --host HOST              address to bind (default 127.0.0.1; anything but loopback needs --tokens)',
    '  --port PORT              port for WebSocket upgrades (/v1/channels/NAME) and /healthz (default 7077; 0: any free port)',
    '  --data DIR               the file store\'s folder (default ./incident-room-data; --store file only)',
    '  --tokens FILE            JSON list of tokens: [{ "name", "token", "channels": [...] }]; without it any client is',
    '                           accepted and only loopback may be bound',
    '  --store file|memory|postgres',
    '                           where events are kept (default file): file = an fsync\'d log in --data, one server per',
    '                           folder; memory = nothing survives a restart; postgres = a PostgreSQL database that any',
    '                           number of servers may share (each serves any channel; the schema is created and',
    '                           migrated on start)',
    '  --pg-url URL             the database for --store postgres, e.g. postgres://user:password@db:5432/incidents',
    '                           (default: $DATABASE_URL)',
    '  --allow-origin ORIGIN    a web origin (https://host[:port]) whose pages may open sessions; repeatable',
    '  --metrics-port PORT      a second listener serving /healthz and /metrics without a token',
    '  --metrics-host HOST      its address (default 127.0.0.1)',
    '  -h, --help               this text',
    '',
    'Environment (limits are per connection; each must be a positive integer):',
    `  ${'DATABASE_URL'.padEnd(40)}the database for --store postgres when --pg-url is not given`,
    ...limits,
    '',
  ].join('\n');
}

export interface CliConfig {
  readonly host: string;
  readonly port: number;
  readonly data: string;
  readonly tokensFile: string | null;
  readonly store: 'file' | 'memory' | 'postgres';
  /** The database of `--store postgres` (`--pg-url`, else `DATABASE_URL`); present only then. */
  readonly pgUrl?: string;
  /** Origins whose web pages may open sessions (normalised); an upgrade with any other `Origin` gets 403. */
  readonly allowedOrigins: readonly string[];
  /** Port of the listener serving /healthz and /metrics without a token; null: none. */
  readonly metricsPort: number | null;
  readonly metricsHost: string;
  readonly help: boolean;
}

/** The command line of PROTOCOL.md (and `DATABASE_URL` from `env`); anything else is a `ConfigError` (exit 2). */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliConfig {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (e) {
    throw new ConfigError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  const port = portFlag('--port', values.port ?? '7077');
  const store = values.store ?? 'file';
  if (store !== 'file' && store !== 'memory' && store !== 'postgres') throw new ConfigError(`--store must be file, memory or postgres, got '${store}'`);
  if (values['pg-url'] !== undefined && store !== 'postgres') throw new ConfigError('--pg-url needs --store postgres');
  let pgUrl: string | undefined;
  if (store === 'postgres') {
    const raw = values['pg-url'] ?? env.DATABASE_URL;
    if (raw === undefined || raw.trim() === '') throw new ConfigError('--store postgres needs --pg-url URL (or DATABASE_URL)');
    const parsed = PgUrl.safeParse(raw);
    // Never echo the URL: it may carry a password.
    if (!parsed.success) throw new ConfigError(`${values['pg-url'] !== undefined ? '--pg-url' : 'DATABASE_URL'} must be a URL like postgres://user:password@host:5432/database`);
    pgUrl = parsed.data;
  }
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new ConfigError('--host must not be empty');
  const data = values.data ?? './incident-room-data';
  if (data.trim() === '') throw new ConfigError('--data must not be empty');
  const allowedOrigins = [...new Set((values['allow-origin'] ?? []).map((o) => parseOrigin(o, '--allow-origin')))];
  const metricsPort = values['metrics-port'] === undefined ? null : portFlag('--metrics-port', values['metrics-port']);
  if (values['metrics-host'] !== undefined && metricsPort === null) throw new ConfigError('--metrics-host needs --metrics-port');
  const metricsHost = values['metrics-host'] ?? '127.0.0.1';
  if (metricsHost.trim() === '') throw new ConfigError('--metrics-host must not be empty');
  return { host, port, data, tokensFile: values.tokens ?? null, store, ...(pgUrl !== undefined ? { pgUrl } : {}), allowedOrigins, metricsPort, metricsHost, help: values.help ?? false };
}

function portFlag(flag: string, value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new ConfigError(`${flag} must be an integer from 0 to 65535, got '${value}'`);
  return Number(value);
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      tokens: { type: 'string' },
      store: { type: 'string' },
      'pg-url': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Tuning the command line does not carry (PROTOCOL.md fixes the flags): the per-connection limits, from the
 * environment. A benchmark that pipelines thousands of appends a second raises the rate limit this way.
 */
export function limitsFromEnv(env: NodeJS.ProcessEnv): Partial<ConnectionLimits> {
  const out: { -readonly [K in keyof ConnectionLimits]?: number } = {};
  for (const { name, key } of LIMIT_VARS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ConfigError(`${name} must be a positive integer, got '${raw}'`);
    out[key] = Number(raw);
  }
  return out;
}

/** A stream the CLI writes to: `write` as process.stdout has it, and whether it is a terminal (the log's format). */
interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Everything of the process `runCli` touches: its two streams, its exit code, its signals and its pid. The CLI runs
 * with the real process (`PROCESS_IO`); a test passes one that records, so it can run the server in its own process
 * and see what an operator would (and a mutation tester, which sees only that process, sees the CLI run).
 */
export interface CliIo {
  /** Where the `listening on` line and `--help` go. */
  readonly stdout: CliStream;
  /** Where a failed start's one line and the JSON log lines go. */
  readonly stderr: CliStream;
  /** The code the process ends with once nothing is left to run (a start that failed). */
  setExitCode(code: number): void;
  /** End the process now: a signal stopped the server. */
  exit(code: number): void;
  /** Call `handler` every time the process receives `signal`. */
  onSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void;
  /** Logged at start, so an operator can tell which process to signal. */
  readonly pid: number;
  /** The node flags the process was started with: the start line names those of `SERVER_NODE_FLAGS` it lacks. */
  readonly execArgv: readonly string[];
}

/** The real process. Its streams are looked up when used, as before: importing the CLI opens neither. */
export const PROCESS_IO: CliIo = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exit: (code) => process.exit(code),
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
  pid: process.pid,
  execArgv: process.execArgv,
};

/** Run the server as the CLI does: one `listening on ws://HOST:PORT` line on stdout, logs on stderr, exit codes. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = PROCESS_IO): Promise<void> {
  let config: CliConfig;
  let tokens: TokenEntry[] | null = null;
  let limits: Partial<ConnectionLimits>;
  try {
    config = parseCli(argv, env);
    if (config.help) {
      io.stdout.write(helpText());
      return;
    }
    if (config.tokensFile !== null) tokens = loadTokens(config.tokensFile);
    limits = limitsFromEnv(env);
    // Before the store: a refused start must leave no data directory and no log behind.
    assertBindable(config.host, tokens);
  } catch (e) {
    return fail(io, e instanceof ConfigError ? 2 : 1, `${(e as Error).message} (usage: ${USAGE})`);
  }
  const logger = createLogger({ stream: io.stderr });
  const metrics = new ServerMetrics();
  const dataDir = path.resolve(config.data);
  const storeLog = (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown>) => logger[level](event, fields);
  const store: EventStore = config.store === 'memory'
    ? new MemoryStore()
    : config.store === 'postgres'
      ? new PostgresStore({ url: config.pgUrl!, log: storeLog })
      : new FileStore({
        dir: dataDir,
        // A server just killed may take a moment to exit; a running one keeps it and this start fails clearly.
        lock: { mode: 'wait', waitMs: 3_000 },
        log: storeLog });

  try {
    const report = await store.open();
    if (report.truncatedBytes > 0 || report.skipped.length > 0) {
      logger.warn('recovered', { events: report.events, truncatedBytes: report.truncatedBytes, skippedRegions: report.skipped.length });
    }
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof StoreError) return fail(io, 1, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    const problem = code === undefined ? undefined : DATA_DIR_PROBLEMS[code];
    if (problem) {
      const where = (e as NodeJS.ErrnoException).path;
      return fail(io, 1, `cannot write to the data directory ${dataDir}: ${problem} (${code}${where ? ` on ${where}` : ''}); the server needs to read and write it (--data)`);
    }
    return fail(io, 1, `cannot open the store in ${dataDir}: ${(e as Error).stack ?? String(e)}`);
  }

  let server: RunningServer;
  try {
    server = await startServer({
      host: config.host, port: config.port, store, tokens, logger, metrics, limits, allowedOrigins: config.allowedOrigins,
      metricsListener: config.metricsPort === null ? null : { host: config.metricsHost, port: config.metricsPort },
    });
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof ConfigError) return fail(io, 2, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    const [host, port] = (e as { listener?: string }).listener === 'metrics' ? [config.metricsHost, config.metricsPort] : [config.host, config.port];
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return fail(io, 1, `cannot listen on ${host}:${port}: ${code}`);
    return fail(io, 1, `failed to start: ${(e as Error).stack ?? String(e)}`);
  }
  io.stdout.write(`listening on ${server.url}\n`);
  const missing = missingNodeFlags(io.execArgv, env['NODE_OPTIONS'] ?? '');
  logger.info('start', {
    url: server.url, store: config.store, ...(config.store === 'file' ? { data: dataDir } : {}), ...(config.pgUrl ? { database: databaseName(config.pgUrl) } : {}), auth: tokens ? `${tokens.length} tokens` : 'none (loopback only)',
    ...(server.metricsUrl ? { metrics: server.metricsUrl } : {}), ...(config.allowedOrigins.length > 0 ? { origins: config.allowedOrigins } : {}),
    pid: io.pid,
    // Started without the flags the README gives (node --max-semi-space-size=4 --v8-pool-size=1 …): said; it runs anyway.
    ...(missing.length > 0 ? { missingNodeFlags: missing } : {}),
  });
  installSignals(server, logger, io);
}

function installSignals(server: RunningServer, logger: Logger, io: CliIo): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      io.exit(1);
      // The real process is gone by now; an `io` that records goes on, and the first signal's stop finishes.
      return;
    }
    stopping = true;
    logger.info('stopping', { signal, connections: server.connectionCount() });
    const force = setTimeout(() => {
      logger.error('stop timed out: exiting', {});
      io.exit(1);
    }, 15_000);
    force.unref();
    server.close().then(
      () => {
        clearTimeout(force);
        logger.info('stop', { signal });
        io.exit(0);
      },
      (e: unknown) => {
        clearTimeout(force);
        logger.error('stop failed', { error: (e as Error).message });
        io.exit(1);
      },
    );
  };
  io.onSignal('SIGTERM', stop);
  io.onSignal('SIGINT', stop);
}

/** `host:port/database` of a database URL: what the log may say (never the user or password). */
function databaseName(url: string): string {
  const u = new URL(url);
  return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
}

/** What the store's errno means for the operator, when it is about the data directory. */
const DATA_DIR_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is not a directory',
};

function fail(io: CliIo, code: number, line: string): void {
  io.stderr.write(`incident-room-server: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  io.setExitCode(code);
}
