import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an `httpReceiver` took, as it arrived. */
export interface Received { readonly method: string; readonly path: string; readonly headers: IncomingHttpHeaders; readonly body: string }

/** Answers the n-th request (0-based) an `httpReceiver` took; it may also hold the request open or cut it off. */
export type Handler = (req: Received, res: ServerResponse, n: number) => void;

export interface HttpReceiver {
  /** `http://127.0.0.1:PORT` and the path asked for. */
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:PORT`: what an error that names the receiver's host says. */
  readonly host: string;
  readonly received: Received[];
  /** Stop listening and drop every connection, held ones included. */
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback standing in for a webhook receiver or the PagerDuty Events API: it records every
 * request whole, then `handler` answers it. On port 0 unless `port` is given (a test that restarts a receiver on the
 * port it had).
 */
export async function httpReceiver(handler: Handler, options: { path?: string; port?: number } = {}): Promise<HttpReceiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      handler(r, res, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${options.path ?? '/'}`, port, host: `127.0.0.1:${port}`, received,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A handler that answers every request with `status`, `body` and `headers`. */
export const answer = (status: number, body: string | Buffer = '', headers: Record<string, string> = {}) => (_: Received, res: ServerResponse, _n?: number): void => {
  res.writeHead(status, headers);
  res.end(body);
};

/** A clock for the waits between delivery attempts: records them and returns at once. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}
