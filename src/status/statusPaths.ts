import { CHANNEL_PATTERN } from '../protocol/codes';

// Where the stakeholder status page lives (PROTOCOL.md "Status page"), for the server, the page and the extension.

/** The files of a channel's status page, each at `/v1/channels/CHANNEL/<file>`. */
export const STATUS_FILES = ['status', 'status.json', 'status.js', 'status.css'] as const;
export type StatusFile = (typeof STATUS_FILES)[number];

/** `/v1/channels/NAME/status(.json|.js|.css)` → the channel and file, or null (any query is ignored). */
export function statusRoute(path: string): { channel: string; file: StatusFile } | null {
  const m = /^\/v1\/channels\/([^/]+)\/(status(?:\.json|\.js|\.css)?)$/.exec(path);
  if (!m || !CHANNEL_PATTERN.test(m[1]!)) return null;
  return { channel: m[1]!, file: m[2] as StatusFile };
}

/**
 * The page's URL for a channel server URL as the extension has it (`ws://host:port`, `wss://host/prefix`):
 * http(s) instead of ws(s), the same path prefix.
 */
export function statusPageUrl(serverUrl: string, channel: string): string {
  const url = new URL(serverUrl.trim());
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`expected a ws:// or wss:// server URL, got ${url.protocol}//`);
  if (!CHANNEL_PATTERN.test(channel)) throw new Error(`"${channel}" is not a channel name`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/channels/${channel}/status`;
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * The channel's WebSocket URL as seen from its status page at `location`: the same host and path prefix (so it
 * works behind a reverse proxy that mounts the server under a path), `wss:` when the page came over https.
 */
export function statusSocketUrl(location: { protocol: string; host: string; pathname: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${location.pathname.replace(/\/status$/, '')}`;
}
