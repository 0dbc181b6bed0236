import path from 'node:path';
import { parseArgs } from 'node:util';
import { type EventStore, StoreError } from '../store/eventStore';
import { FileStore } from '../store/fileStore';
import { MemoryStore } from '../store/memoryStore';
import { ConfigError, loadTokens, type TokenEntry } from './auth';
import { type ConnectionLimits, type RunningServer, startServer } from './channelServer';
import { createLogger, type Logger } from './logger';
import { ServerMetrics } from './metrics';

export const USAGE = 'incident-room-server [--host 127.0.0.1] [--port 7077] [--data ./incident-room-data] [--tokens FILE] [--store file|memory]';

export interface CliConfig {
  readonly host: string;
  readonly port: number;
  readonly data: string;
  readonly tokensFile: string | null;
  readonly store: 'file' | 'memory';
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
  const port = values.port ?? '7077';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new ConfigError(`--port must be an integer from 0 to 65535, got '${port}'`);
  const store = values.store ?? 'file';
  if (store !== 'file' && store !== 'memory') throw new ConfigError(`--store must be file or memory, got '${store}'`);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new ConfigError('--host must not be empty');
  const data = values.data ?? './incident-room-data';
  if (data.trim() === '') throw new ConfigError('--data must not be empty');
  return { host, port: Number(port), data, tokensFile: values.tokens ?? null, store, help: values.help ?? false };
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

  let server: RunningServer;
  try {
    const report = await store.open();
    if (report.truncatedBytes > 0 || report.skipped.length > 0) {
      logger.warn('recovered', { events: report.events, truncatedBytes: report.truncatedBytes, skippedRegions: report.skipped.length });
    }
    server = await startServer({ host: config.host, port: config.port, store, tokens, logger, metrics, limits });
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof ConfigError) return fail(2, e.message);
    if (e instanceof StoreError) return fail(1, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return fail(1, `cannot listen on ${config.host}:${config.port}: ${code}`);
    return fail(1, `failed to start: ${(e as Error).stack ?? String(e)}`);
  }
  process.stdout.write(`listening on ${server.url}\n`);
  logger.info('start', {
    url: server.url, store: config.store, ...(config.store === 'file' ? { data: dataDir } : {}), auth: tokens ? `${tokens.length} tokens` : 'none (loopback only)',
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

function fail(code: number, line: string): void {
  process.stderr.write(`incident-room-server: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = code;
}
