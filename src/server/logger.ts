/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** One line per event worth knowing. The channel core logs through this; it never writes to a stream itself. */
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** A logger that drops everything (tests, and callers that bring no logger). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface LogStream {
  write(line: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Writes one line per event to `stream` (stderr by default; stdout is kept for the `listening on` line): JSON when
 * the stream is not a terminal (for log collectors), `time LEVEL event key=value …` when it is.
 */
export function createLogger(options: { readonly stream?: LogStream; readonly json?: boolean } = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.json ?? !stream.isTTY;
  const write = (level: 'info' | 'warn' | 'error', event: string, fields: LogFields = {}) => {
    const time = new Date().toISOString();
    if (json) {
      const line: Record<string, unknown> = { time, level, event, ...fields };
      const whole = safeJson(line);
      // A field that cannot be serialized (a circular object) is marked on its own; the time, level and event stay.
      const text = whole !== UNSERIALIZABLE ? whole
        : `{${Object.entries(line).filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${safeJson(v)}`).join(',')}}`;
      stream.write(`${text}\n`);
      return;
    }
    const pairs = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : safeJson(v)}`);
    stream.write(`${time} ${level.toUpperCase().padEnd(5)} ${event}${pairs.length ? ` ${pairs.join(' ')}` : ''}\n`);
  };
  return {
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}

const UNSERIALIZABLE = '"(unserializable)"';

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? { message: x.message, stack: x.stack } : typeof x === 'bigint' ? String(x) : x)) ?? 'null';
  } catch {
    return UNSERIALIZABLE;
  }
}
