import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { DEFAULT_LIMITS, startServer, type RunningServer } from '../server/channelServer';
import type { LogFields, Logger } from '../server/logger';
import { FileStore } from '../store/fileStore';
import { writeDurably } from '../sync/outbox';
import type { Link, LinkHandlers } from '../sync/transport';
import { WsTransport } from '../sync/wsTransport';
import { openInProcessLink } from './inProcessLink';
import type { HostLog } from './localChannelHost';

const Endpoint = z.object({ port: z.number().int().min(1).max(65535), token: z.string().min(16), pid: z.number().int() });
type Endpoint = z.infer<typeof Endpoint>;

/** The name of the one token of the loopback listener, stamped as `via` on every local event however it arrived. */
const LOCAL_TOKEN_NAME = 'local';

/**
 * Local mode's hosting, the half of `LocalChannelHost` that carries the channel server and the file store (the
 * `localHost` lazy chunk, loaded the first time local mode opens a link).
 *
 * Several VS Code windows share the global storage, and only one process may own a store. So the first window to
 * take the store's lock hosts the channel core: its own client talks to the core in process, and the other
 * windows reach it on a loopback port with a random token (written, owner-only, beside the store). When the host
 * window closes, the others lose their link, and the next to reconnect takes the lock over and becomes the host.
 */
export class LocalHosting {
  private readonly dir: string;
  private readonly endpointFile: string;
  private server: (RunningServer & { endpoint: Endpoint }) | undefined;
  private starting: Promise<RunningServer | undefined> | undefined;
  private disposed = false;

  constructor(storageDir: string, private readonly log: HostLog) {
    this.dir = path.join(storageDir, 'local-channel');
    this.endpointFile = path.join(this.dir, 'endpoint.json');
  }

  /** Whether this window hosts the local channel. */
  get hosting(): boolean {
    return this.server !== undefined;
  }

  /** A link to the local channel: in process when this window hosts it (hosting it if no other window does), else over loopback. */
  async open(channel: string, handlers: LinkHandlers): Promise<Link> {
    const running = await this.host();
    if (running) return openInProcessLink(running.core, channel, handlers, { via: LOCAL_TOKEN_NAME }, DEFAULT_LIMITS);
    const endpoint = await this.readEndpoint();
    const ws = new WsTransport({ serverUrl: `ws://127.0.0.1:${endpoint.port}`, channel, token: async () => endpoint.token, connectTimeoutMs: 5000 });
    return ws.open(handlers);
  }

  /** Become the host if the store is free; undefined when another window hosts it. */
  private host(): Promise<RunningServer | undefined> {
    if (this.server) return Promise.resolve(this.server);
    this.starting ??= this.tryHost().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async tryHost(): Promise<RunningServer | undefined> {
    if (this.disposed) throw new Error('Incident Room is shutting down');
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir's mode applies only to a folder it creates: one left by an older version (or another umask) is tightened.
    await fs.chmod(this.dir, 0o700).catch((error: unknown) => this.log.warn(`local channel: cannot make ${this.dir} owner-only: ${String(error)}`));
    const store = new FileStore({ dir: path.join(this.dir, 'store'), log: (level, event, fields) => this.log[level](`local store: ${event} ${JSON.stringify(fields)}`) });
    try {
      await store.open();
    } catch (error) {
      if ((error as { code?: unknown }).code === 'store_locked') return undefined; // another window hosts it
      throw error;
    }
    const token = randomBytes(24).toString('base64url');
    try {
      const running = await startServer({
        store, host: '127.0.0.1', port: 0,
        tokens: [{ name: LOCAL_TOKEN_NAME, token, channels: ['*'] }],
        logger: this.logger(),
      });
      const endpoint: Endpoint = { port: running.port, token, pid: process.pid };
      try {
        // It holds the token: owner-only from the moment it exists, never chmod-ed after a world-readable write.
        await writeDurably(this.endpointFile, JSON.stringify(endpoint), { mode: 0o600 });
      } catch (error) {
        await running.close().catch(() => undefined);
        throw error;
      }
      this.server = Object.assign(running, { endpoint });
      this.log.info(`local channel hosted by this window (in process; other windows on 127.0.0.1:${running.port}; store ${path.join(this.dir, 'store')})`);
      return running;
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }

  private logger(): Logger {
    const line = (event: string, fields?: LogFields) => `local channel: ${event}${fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ''}`;
    return {
      info: (event, fields) => this.log.debug(line(event, fields)),
      warn: (event, fields) => this.log.warn(line(event, fields)),
      error: (event, fields) => this.log.error(line(event, fields)),
    };
  }

  private async readEndpoint(): Promise<Endpoint> {
    let text: string;
    try {
      text = await fs.readFile(this.endpointFile, 'utf8');
    } catch {
      throw new Error('another VS Code window holds the local channel but has not published its address yet');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const parsed = Endpoint.safeParse(value);
    if (!parsed.success) throw new Error(`the local channel's address file ${this.endpointFile} is damaged`);
    return parsed.data;
  }

  /** Stop hosting (the store is flushed and unlocked when this resolves); another window can then take over. */
  async close(): Promise<void> {
    this.disposed = true;
    // A start under way (store opening, server binding) would otherwise finish after close() and leave the store
    // locked and files being written in the folder: wait for it, then close what it started.
    await this.starting?.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    if (server) await server.close().catch((error: unknown) => this.log.error(`local channel close: ${String(error)}`));
  }
}
