import path from 'node:path';
import { parseArgs } from 'node:util';
import { type EventStore, StoreError } from '../store/eventStore';
import { FileStore } from '../store/fileStore';
import { MemoryStore } from '../store/memoryStore';
import { assertBindable, ConfigError, loadTokens, parseOrigin, type TokenEntry } from './auth';
import { type ConnectionLimits, type RunningServer, startServer } from './channelServer';
import { createLogger, type Logger } from './logger';
import { ServerMetrics } from './metrics';

export const USAGE = 'incident-room-server [--host 127.0.0.1] [--port 7077] [--data ./incident-room-data] [--tokens FILE] [--store file|memory]'
  + ' [--allow-origin ORIGIN]... [--metrics-port PORT [--metrics-host 127.0.0.1]]';

export interface CliConfig {
  readonly host: string;
  readonly port: number;
  readonly data: string;
  readonly tokensFile: string | null;
  readonly store: 'file' | 'memory';
  /** Origins whose web pages may open sessions (normalised); an upgrade with any other `Origin` gets 403. */
  readonly allowedOrigins: readonly string[];
  /** Port of the listener serving /healthz and /metrics without a token; null: none. */
  readonly metricsPort: number | null;
  readonly metricsHost: string;
  readonly help: boolean;
}

/** The command line of PROTOCOL.md; anything else is a `ConfigError` (exit 2). */
export function parseCli(argv: readonly string[]): CliConfig {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (e) {
    throw new ConfigError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  const port = portFlag('--port', values.port ?? '7077');
  const store = values.store ?? 'file';
  if (store !== 'file' && store !== 'memory') throw new ConfigError(`--store must be file or memory, got '${store}'`);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new ConfigError('--host must not be empty');
  const data = values.data ?? './incident-room-data';
  if (data.trim() === '') throw new ConfigError('--data must not be empty');
  const allowedOrigins = [...new Set((values['allow-origin'] ?? []).map((o) => parseOrigin(o, '--allow-origin')))];
  const metricsPort = values['metrics-port'] === undefined ? null : portFlag('--metrics-port', values['metrics-port']);
  if (values['metrics-host'] !== undefined && metricsPort === null) throw new ConfigError('--metrics-host needs --metrics-port');
  const metricsHost = values['metrics-host'] ?? '127.0.0.1';
  if (metricsHost.trim() === '') throw new ConfigError('--metrics-host must not be empty');
  return { host, port, data, tokensFile: values.tokens ?? null, store, allowedOrigins, metricsPort, metricsHost, help: values.help ?? false };
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
  const vars: [string, keyof ConnectionLimits][] = [
    ['INCIDENT_ROOM_MESSAGES_PER_SECOND', 'messagesPerSecond'],
    ['INCIDENT_ROOM_BURST', 'burst'],
    ['INCIDENT_ROOM_PATIENCE', 'patience'],
    ['INCIDENT_ROOM_MAX_BUFFERED_BYTES', 'maxBufferedBytes'],
    ['INCIDENT_ROOM_PING_INTERVAL_MS', 'pingIntervalMs'],
    ['INCIDENT_ROOM_HANDSHAKE_TIMEOUT_MS', 'handshakeTimeoutMs'],
    ['INCIDENT_ROOM_MAX_CONNECTIONS', 'maxConnections'],
    ['INCIDENT_ROOM_MAX_PENDING_PER_ADDRESS', 'maxPendingPerAddress'],
  ];
  for (const [name, key] of vars) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ConfigError(`${name} must be a positive integer, got '${raw}'`);
    out[key] = Number(raw);
  }
  return out;
}

/** Run the server as the CLI does: one `listening on ws://HOST:PORT` line on stdout, logs on stderr, exit codes. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: CliConfig;
  let tokens: TokenEntry[] | null = null;
  let limits: Partial<ConnectionLimits>;
  try {
    config = parseCli(argv);
    if (config.help) {
      process.stdout.write(`usage: ${USAGE}\n`);
      return;
    }
    if (config.tokensFile !== null) tokens = loadTokens(config.tokensFile);
    limits = limitsFromEnv(env);
    // Before the store: a refused start must leave no data directory and no log behind.
    assertBindable(config.host, tokens);
  } catch (e) {
    return fail(e instanceof ConfigError ? 2 : 1, `${(e as Error).message} (usage: ${USAGE})`);
  }
  const logger = createLogger();
  const metrics = new ServerMetrics();
  const dataDir = path.resolve(config.data);
  const store: EventStore = config.store === 'memory'
    ? new MemoryStore()
    : new FileStore({
      dir: dataDir,
      // A server just killed may take a moment to exit; a running one keeps it and this start fails clearly.
      lock: { mode: 'wait', waitMs: 3_000 },
      log: (level, event, fields) => logger[level](event, fields) });

  try {
    const report = await store.open();
    if (report.truncatedBytes > 0 || report.skipped.length > 0) {
      logger.warn('recovered', { events: report.events, truncatedBytes: report.truncatedBytes, skippedRegions: report.skipped.length });
    }
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof StoreError) return fail(1, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    const problem = code === undefined ? undefined : DATA_DIR_PROBLEMS[code];
    if (problem) {
      const where = (e as NodeJS.ErrnoException).path;
      return fail(1, `cannot write to the data directory ${dataDir}: ${problem} (${code}${where ? ` on ${where}` : ''}); the server needs to read and write it (--data)`);
    }
    return fail(1, `cannot open the store in ${dataDir}: ${(e as Error).stack ?? String(e)}`);
  }

  let server: RunningServer;
  try {
    server = await startServer({
      host: config.host, port: config.port, store, tokens, logger, metrics, limits, allowedOrigins: config.allowedOrigins,
      metricsListener: config.metricsPort === null ? null : { host: config.metricsHost, port: config.metricsPort },
    });
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof ConfigError) return fail(2, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    const [host, port] = (e as { listener?: string }).listener === 'metrics' ? [config.metricsHost, config.metricsPort] : [config.host, config.port];
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return fail(1, `cannot listen on ${host}:${port}: ${code}`);
    return fail(1, `failed to start: ${(e as Error).stack ?? String(e)}`);
  }
  process.stdout.write(`listening on ${server.url}\n`);
  logger.info('start', {
    url: server.url, store: config.store, ...(config.store === 'file' ? { data: dataDir } : {}), auth: tokens ? `${tokens.length} tokens` : 'none (loopback only)',
    ...(server.metricsUrl ? { metrics: server.metricsUrl } : {}), ...(config.allowedOrigins.length > 0 ? { origins: config.allowedOrigins } : {}),
    pid: process.pid,
  });
  installSignals(server, logger);
}

function installSignals(server: RunningServer, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('stopping', { signal, connections: server.connectionCount() });
    const force = setTimeout(() => {
      logger.error('stop timed out: exiting', {});
      process.exit(1);
    }, 15_000);
    force.unref();
    server.close().then(
      () => {
        logger.info('stop', { signal });
        process.exit(0);
      },
      (e: unknown) => {
        logger.error('stop failed', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
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

function fail(code: number, line: string): void {
  process.stderr.write(`incident-room-server: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = code;
}
