import { CHANNEL_PATTERN, Limits } from '../protocol/codes';
import { parseServerMessage } from '../protocol/messages';
import { ChannelError, type Link, type LinkHandlers, type Transport } from './transport';

export interface WsTransportOptions {
  /** `ws://host:port` or `wss://host:port` (a trailing path or slash is allowed). */
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

/** Links over a real WebSocket, with the token in the upgrade's Authorization header. */
export class WsTransport implements Transport {
  readonly description: string;
  private readonly url: string;

  constructor(private readonly options: WsTransportOptions) {
    this.url = channelUrl(options.serverUrl, options.channel);
    this.description = this.url;
  }

  async open(handlers: LinkHandlers): Promise<Link> {
    const token = await this.options.token();
    const { WebSocket } = webSocketChunk();
    const socket = new WebSocket(this.url, {
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
        if (!opened) reject(new ChannelError({ kind: 'unreachable', message: `cannot reach ${this.url}: ${error.message}` }));
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
