import { CHANNEL_PATTERN, Limits } from '../protocol/codes';
import { parseServerMessage } from '../protocol/messages';
import { serverUrls } from './serverUrls';
import { ChannelError, type Link, type LinkHandlers, type Transport } from './transport';

export interface WsTransportOptions {
  /**
   * `ws://host:port` or `wss://host:port` (a trailing path or slash is allowed), or several of them separated by
   * commas or spaces: replicas of one channel server, tried in order, the one that answered first from then on.
   */
  readonly serverUrl: string;
  readonly channel: string;
  /** Read each time a link opens, so a token set later is used on the next reconnect. */
  readonly token: () => Promise<string | undefined>;
  readonly connectTimeoutMs?: number;
}

/** Build `ws(s)://HOST:PORT/v1/channels/CHANNEL`, or throw a clear error for a bad URL or channel setting. */
export function channelUrl(serverUrl: string, channel: string): string {
  let url: URL;
  try {
    url = new URL(serverUrl.trim());
  } catch {
    throw new Error(`incidentRoom.server.url "${serverUrl}" is not a URL; expected something like ws://127.0.0.1:7077`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`incidentRoom.server.url must start with ws:// or wss:// (got ${url.protocol}//)`);
  }
  if (!CHANNEL_PATTERN.test(channel)) {
    throw new Error(`incidentRoom.channel "${channel}" is not a channel name: lowercase letters, digits and dashes, starting with a letter or digit, at most 63`);
  }
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = `${base}/v1/channels/${channel}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * Links over a real WebSocket, with the token in the upgrade's Authorization header. With several server URLs
 * (replicas behind no load balancer), each `open` tries them in order from the one last connected to and keeps
 * the first that answers; when all fail, the client backs off and the next `open` goes round again. A link to a
 * replica that is lost (not closed by either side on purpose) makes the next `open` start at the next replica, so
 * a dead machine costs no wasted attempt.
 */
export class WsTransport implements Transport {
  private readonly urls: readonly string[];
  private current = 0;

  constructor(private readonly options: WsTransportOptions) {
    const urls = serverUrls(options.serverUrl);
    if (urls.length === 0) throw new Error('incidentRoom.server.url is empty; expected something like ws://127.0.0.1:7077');
    this.urls = urls.map((u) => channelUrl(u, options.channel));
  }

  /** The server this transport is on (or will try first): the sidebar says which replica it is on. */
  get description(): string {
    return this.urls[this.current]!;
  }

  async open(handlers: LinkHandlers): Promise<Link> {
    const token = await this.options.token();
    const failures: ChannelError[] = [];
    for (let i = 0; i < this.urls.length; i++) {
      const index = (this.current + i) % this.urls.length;
      try {
        const link = await this.openOne(this.urls[index]!, token, {
          ...handlers,
          onClose: (failure) => {
            // Lost, not closed on purpose: that replica is likely gone; start the next round at the one after it.
            if (this.urls.length > 1 && failure.kind === 'closed' && failure.code !== 1000 && this.current === index) this.current = (index + 1) % this.urls.length;
            handlers.onClose(failure);
          },
        });
        this.current = index;
        return link;
      } catch (error) {
        // A refused token or channel is an answer from the service, the same on every replica: no use going on.
        if (!(error instanceof ChannelError) || error.failure.kind !== 'unreachable') throw error;
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    throw new ChannelError({ kind: 'unreachable', message: `no replica answered: ${failures.map((f) => f.message).join('; ')}` });
  }

  private openOne(url: string, token: string | undefined, handlers: LinkHandlers): Promise<Link> {
    const { WebSocket } = webSocketChunk();
    const socket = new WebSocket(url, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      maxPayload: 64 * 1024 * 1024, // server batches can be large; the server bounds what it sends
      handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
      perMessageDeflate: false,
    });
    return new Promise<Link>((resolve, reject) => {
      let opened = false;
      socket.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        socket.terminate();
        if (status === 401) reject(new ChannelError({ kind: 'unauthorized', message: `the channel server refused the token (HTTP 401): run "Incident: Set Channel Token"` }));
        else if (status === 403) reject(new ChannelError({ kind: 'forbidden', message: `the token does not grant channel "${this.options.channel}" (HTTP 403)` }));
        else reject(new ChannelError({ kind: 'unreachable', message: `the channel server answered HTTP ${status} to the WebSocket upgrade` }));
      });
      socket.once('error', (error: Error) => {
        if (!opened) reject(new ChannelError({ kind: 'unreachable', message: `cannot reach ${url}: ${error.message}` }));
      });
      socket.once('open', () => {
        opened = true;
        resolve({
          send: (message) => {
            if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
          },
          close: (code, reason) => socket.close(code ?? 1000, reason),
        });
      });
      socket.on('message', (data, isBinary) => {
        if (isBinary) return handlers.onInvalid('binary frame from server');
        const parsed = parseServerMessage(data.toString());
        if (parsed.ok) handlers.onMessage(parsed.value);
        else handlers.onInvalid(parsed.error);
      });
      socket.once('close', (code, reason) => {
        if (opened) handlers.onClose({ kind: 'closed', code, message: reason.toString() || `closed (${code})` });
      });
    });
  }
}

/** Frames above this are refused before they are sent (the server would close the link with 1009). */
export const MAX_OUTGOING_FRAME = Limits.maxFrameBytes;

/** The ws client, loaded the first time a link is opened (a lazy chunk: activation does not need it). */
function webSocketChunk(): typeof import('../chunks/ws') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../chunks/ws') as typeof import('../chunks/ws');
}
