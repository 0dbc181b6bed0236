import type { Disposable } from '../sync/emitter';
import type { Link, LinkHandlers, Transport } from '../sync/transport';
import type { LocalHosting } from './localHosting';

/** Where the host logs (the extension passes its LogOutputChannel). */
export interface HostLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Local mode: the channel core on a file store in the extension's global storage, with no server to set up. The
 * window that takes the store's lock hosts the core and talks to it in process; the others join it over loopback
 * (see `LocalHosting`).
 *
 * This is the part the extension builds at activation, and it holds nothing but a folder name: the channel server,
 * the store and the WebSocket server are in the `localHost` lazy chunk (scripts/lazyChunks.mjs), loaded when local
 * mode opens its first link. What crosses into the chunk is plain: strings, the log, the handlers and the link.
 */
export class LocalChannelHost implements Disposable {
  private loaded: LocalHosting | undefined;
  private closed = false;

  constructor(private readonly storageDir: string, private readonly log: HostLog) {}

  /** A transport to the local channel: hosts it when no other window does. */
  transport(channel: string): Transport {
    return {
      description: `local channel "${channel}"`,
      open: async (handlers: LinkHandlers): Promise<Link> => this.hostingPart().open(channel, handlers),
    };
  }

  /** Whether this window hosts the local channel. */
  get hosting(): boolean {
    return this.loaded?.hosting ?? false;
  }

  private hostingPart(): LocalHosting {
    if (this.closed) throw new Error('Incident Room is shutting down');
    if (!this.loaded) {
      const { LocalHosting } = localHostChunk();
      this.loaded = new LocalHosting(this.storageDir, this.log);
    }
    return this.loaded;
  }

  dispose(): void {
    void this.close();
  }

  /** Stop hosting (the store is flushed and unlocked when this resolves); another window can then take over. */
  async close(): Promise<void> {
    this.closed = true;
    await this.loaded?.close();
  }
}

/** The channel server, store and hosting logic, loaded the first time local mode opens a link. */
function localHostChunk(): typeof import('../chunks/localHost') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../chunks/localHost') as typeof import('../chunks/localHost');
}
