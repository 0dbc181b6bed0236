import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import * as z from 'zod';
import { CHANNEL_PATTERN, Limits } from '../protocol/codes';
import { describeZodError } from '../protocol/zodMessage';

/** A configuration problem the operator must fix: the CLI prints it on one line and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ChannelGrant = z.string().regex(/^(\*|[a-z0-9][a-z0-9-]{0,62}\*?)$/, 'expected a channel name, a prefix ending in *, or *');

/** What a session may do: `write` everything; `read` list, subscribe and receive; `public` only the status page. */
export type Access = 'write' | 'read' | 'public';

/**
 * The `--tokens FILE` format of PROTOCOL.md: token entries, and entries with `"public": true` and no token that
 * publish the status page of their channels to anyone.
 */
export const TokensFile = z.array(z.object({
  /** Stamped as `via` on every event a session with this token appends, and logged with each connect. */
  name: z.string().min(1).max(Limits.nameLength),
  /** Absent only on a public entry. */
  token: z.string().min(1).max(4096).optional(),
  channels: z.array(ChannelGrant),
  /** Grants `GET /metrics` on the channel port (a token for the scraper; it needs no channel). */
  metrics: z.boolean().optional(),
  /** The user ids (`hello`'s `user.id`, exact) this token may speak for; absent: anyone. */
  users: z.array(z.string().min(1).max(Limits.nameLength)).min(1).optional(),
  /** `read`: list, subscribe and receive; every write is refused. Default `write`. */
  access: z.enum(['write', 'read']).optional(),
  /** No token: the status page (and status.json) of these channels is served to anyone. */
  public: z.boolean().optional(),
}).superRefine((entry, ctx) => {
  if (entry.public === true) {
    for (const key of ['token', 'metrics', 'users', 'access'] as const) {
      if (entry[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a "public": true entry has no ${key}: it grants the status page of its channels to anyone, nothing else` });
    }
    if (entry.channels.length === 0) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'a "public": true entry needs at least one channel' });
    return;
  }
  if (entry.token === undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'expected a token (only a "public": true entry has none)' });
  if (entry.channels.length === 0 && entry.metrics !== true) {
    ctx.addIssue({ code: 'custom', path: ['channels'], message: 'a token needs at least one channel, or "metrics": true' });
  }
  if (entry.access === 'read' && entry.users !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['users'], message: 'a read-only token appends nothing, so it speaks for nobody: drop "users"' });
  }
})).min(1);
export type TokenEntry = z.infer<typeof TokensFile>[number];

/** Read and validate a tokens file; any problem becomes one `ConfigError` line. */
export function loadTokens(file: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the tokens file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`the tokens file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = TokensFile.safeParse(value);
  if (!parsed.success) throw new ConfigError(`the tokens file ${file} is invalid: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * An accepted upgrade or status request: the token's name (null on a server without tokens; the entry's name for a
 * public channel), the user ids it may speak for (null: any) and what it may do (`access`, absent: `write`).
 */
export type AuthResult = { ok: true; name: string | null; users: readonly string[] | null; access?: 'read' | 'public' } | { ok: false; status: 401 | 403; reason: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

interface Entry {
  readonly name: string;
  readonly digest: Buffer;
  readonly channels: readonly string[];
  readonly metrics: boolean;
  readonly users: readonly string[] | null;
  readonly access: 'write' | 'read';
}

/**
 * Decides an upgrade: 401 for a missing or unknown token, 403 for a token that does not grant the channel; and
 * `GET /metrics`: 401 likewise, 403 for a token without the `metrics` grant.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against every configured token (no early exit), so
 * neither the match nor its position leaks through timing.
 */
export class Authorizer {
  private readonly entries: readonly Entry[];
  /** Channels whose status page anyone may read (`"public": true` entries), with the entry's name. */
  private readonly publicGrants: readonly { readonly name: string; readonly channels: readonly string[] }[];

  constructor(tokens: readonly TokenEntry[] | null) {
    this.entries = (tokens ?? []).flatMap((t) => (t.token === undefined || t.public === true ? [] : [{
      name: t.name, digest: digest(t.token), channels: t.channels, metrics: t.metrics === true, users: t.users ?? null, access: t.access ?? 'write',
    }]));
    this.publicGrants = (tokens ?? []).filter((t) => t.public === true).map((t) => ({ name: t.name, channels: t.channels }));
  }

  /** No tokens configured: everyone is accepted (and the server binds loopback only). */
  get open(): boolean {
    return this.entries.length === 0 && this.publicGrants.length === 0;
  }

  /** `authorization`: the `Authorization` header's value, as given. */
  check(authorization: string | undefined, channel: string): AuthResult {
    if (this.open) return { ok: true, name: null, users: null };
    return this.checkToken(bearerToken(authorization), authorization ? 'malformed Authorization header' : 'no Authorization header', channel);
  }

  /**
   * Decides a request that may come without credentials: a token (from `Authorization: Bearer` or the WebSocket
   * subprotocol) as `check` does, and no token at all as `public` access when a `"public": true` entry grants the
   * channel (else 401).
   */
  checkOrPublic(token: string | null, channel: string): AuthResult {
    if (this.open) return { ok: true, name: null, users: null };
    if (token === null) {
      const grant = this.publicGrants.find((g) => grants(g.channels, channel));
      if (grant) return { ok: true, name: grant.name, users: null, access: 'public' };
    }
    return this.checkToken(token, 'no token', channel);
  }

  /** Whether anyone may read `channel`'s status page without a token. */
  isPublic(channel: string): boolean {
    return this.publicGrants.some((g) => grants(g.channels, channel));
  }

  private checkToken(token: string | null, missing: string, channel: string): AuthResult {
    const found = this.identify(token, missing);
    if (!found.ok) return found;
    const match = found.entry;
    if (!grants(match.channels, channel)) return { ok: false, status: 403, reason: `token ${match.name} does not grant channel ${channel}` };
    return { ok: true, name: match.name, users: match.users, ...(match.access === 'read' ? { access: 'read' as const } : {}) };
  }

  /** Whether `authorization` carries a token granted `metrics` (never on a server without tokens: no token can). */
  checkMetrics(authorization: string | undefined): { ok: true; name: string } | { ok: false; status: 401 | 403; reason: string } {
    if (this.open) return { ok: false, status: 403, reason: 'no tokens configured' };
    const found = this.identify(bearerToken(authorization), authorization ? 'malformed Authorization header' : 'no Authorization header');
    if (!found.ok) return found;
    if (!found.entry.metrics) return { ok: false, status: 403, reason: `token ${found.entry.name} is not granted metrics` };
    return { ok: true, name: found.entry.name };
  }

  private identify(token: string | null, missing: string): { ok: true; entry: Entry } | { ok: false; status: 401; reason: string } {
    if (token === null) return { ok: false, status: 401, reason: missing };
    const given = digest(token);
    let match: Entry | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(given, e.digest) && !match) match = e;
    }
    return match ? { ok: true, entry: match } : { ok: false, status: 401, reason: 'unknown token' };
  }
}

/** The token of an `Authorization: Bearer TOKEN` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
  return m ? m[1]! : null;
}

/** The subprotocol a browser client offers with its token, and the one the server selects (never the token's). */
export const SUBPROTOCOL = 'incident-room.v1';
const BEARER_SUBPROTOCOL = 'incident-room.bearer.';

/**
 * The token a browser sends where it can (a WebSocket cannot set `Authorization`): one `Sec-WebSocket-Protocol`
 * value `incident-room.bearer.BASE64URL(token)`, beside `incident-room.v1`. Null when there is none; `invalid`
 * when the value is not base64url of a UTF-8 token.
 */
export function subprotocolToken(header: string | string[] | undefined): string | null | 'invalid' {
  if (header === undefined) return null;
  const values = (Array.isArray(header) ? header.join(',') : header).split(',').map((v) => v.trim());
  const offered = values.filter((v) => v.startsWith(BEARER_SUBPROTOCOL));
  if (offered.length === 0) return null;
  const encoded = offered[0]!.slice(BEARER_SUBPROTOCOL.length);
  if (offered.length > 1 || !/^[A-Za-z0-9_-]{1,5462}$/.test(encoded)) return 'invalid';
  const token = Buffer.from(encoded, 'base64url').toString('utf8');
  return token.length > 0 && Buffer.from(token, 'utf8').toString('base64url') === encoded.replace(/=+$/, '') ? token : 'invalid';
}

/** Whether an upgrade offered `incident-room.v1` (a client that knows the subprotocol and the public access). */
export function offersSubprotocol(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  return (Array.isArray(header) ? header.join(',') : header).split(',').some((v) => v.trim() === SUBPROTOCOL);
}

/** `channels` entries are exact names or a trailing-`*` prefix; `*` grants all. */
export function grants(patterns: readonly string[], channel: string): boolean {
  return patterns.some((p) => p === '*' || p === channel || (p.endsWith('*') && channel.startsWith(p.slice(0, -1))));
}

/** A channel path `/v1/channels/NAME` → NAME, or null. */
export function channelFromPath(url: string | undefined): string | null {
  const m = /^\/v1\/channels\/([^/?#]*)(?:\?.*)?$/.exec(url ?? '');
  return m && CHANNEL_PATTERN.test(m[1]!) ? m[1]! : null;
}

/** Whether binding `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

/** Whether a `Host` header names this machine (`localhost`, `127.x.y.z`, `[::1]`, with any port). */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.trim().replace(/:\d+$/, '');
  return isLoopback(name);
}

/** Refuse, before anything is opened or logged, to serve a non-loopback address to anyone (no tokens). */
export function assertBindable(host: string, tokens: readonly TokenEntry[] | null): void {
  if ((!tokens || tokens.length === 0) && !isLoopback(host)) {
    throw new ConfigError(`refusing to bind ${host} without --tokens: with no tokens anyone can connect, so only a loopback address (127.0.0.1, ::1, localhost) is allowed`);
  }
}

/**
 * An origin as browsers send it (`https://incidents.example.com`, `http://localhost:8080`): lower-case, no default
 * port, no path. Throws a ConfigError naming `what` for anything else (`*`, `null`, a URL with a path).
 */
export function parseOrigin(value: string, what = 'an allowed origin'): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  const bare = url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !url.search && !url.hash
    // The URL parser drops a path of dots and tolerates a missing `//` or leading spaces: look at what was written.
    && !url.username && !url.password && !/^[a-z][a-z0-9+.-]*:[/\\]*[^/\\]+[/\\]./i.test(value.trim());
  if (!url || !bare) throw new ConfigError(`${what} must be an origin like https://incidents.example.com, got '${value}' (scheme, host and optional port; no path, no wildcard)`);
  return url.origin;
}

/**
 * The cross-site WebSocket rule: an upgrade that carries an `Origin` (browsers always send one; Node clients such
 * as the extension send none) is refused unless that origin is allowed. `Sec-WebSocket-Origin` is hybi-08's name.
 * `sameOrigin`: also accept the server's own pages (the status page), whose `Origin` names the host the request
 * was sent to (`Host`). Only a server with tokens passes it: there no session comes without a token it was given
 * explicitly (or a public channel), so a page cannot borrow ambient authority, even through DNS rebinding.
 */
export function originAllowed(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>, sameOrigin = false): { ok: true } | { ok: false; origin: string } {
  const raw = headers.origin ?? headers['sec-websocket-origin'];
  if (raw === undefined) return { ok: true };
  const origin = (Array.isArray(raw) ? raw.join(',') : raw).trim().toLowerCase();
  if (allowed.has(origin)) return { ok: true };
  return sameOrigin && isSameHost(origin, headers.host) ? { ok: true } : { ok: false, origin };
}

/** Whether `origin` (`scheme://host[:port]`) names the host and port of the `Host` header (default ports left out). */
function isSameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const given = host.trim().toLowerCase();
  return given === url.host || given === `${url.host}:${url.protocol === 'https:' ? 443 : 80}`;
}
