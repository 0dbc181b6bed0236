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
/** The `--tokens FILE` format of PROTOCOL.md. */
export const TokensFile = z.array(z.object({
  /** Stamped as `via` on every event a session with this token appends, and logged with each connect. */
  name: z.string().min(1).max(Limits.nameLength),
  token: z.string().min(1).max(4096),
  channels: z.array(ChannelGrant),
  /** Grants `GET /metrics` on the channel port (a token for the scraper; it needs no channel). */
  metrics: z.boolean().optional(),
  /** The user ids (`hello`'s `user.id`, exact) this token may speak for; absent: anyone. */
  users: z.array(z.string().min(1).max(Limits.nameLength)).min(1).optional(),
}).superRefine((entry, ctx) => {
  if (entry.channels.length === 0 && entry.metrics !== true) {
    ctx.addIssue({ code: 'custom', path: ['channels'], message: 'a token needs at least one channel, or "metrics": true' });
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

/** An accepted upgrade: the token's name (null on a server without tokens) and the user ids it may speak for (null: any). */
export type AuthResult = { ok: true; name: string | null; users: readonly string[] | null } | { ok: false; status: 401 | 403; reason: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

interface Entry {
  readonly name: string;
  readonly digest: Buffer;
  readonly channels: readonly string[];
  readonly metrics: boolean;
  readonly users: readonly string[] | null;
}

/**
 * Decides an upgrade: 401 for a missing or unknown token, 403 for a token that does not grant the channel; and
 * `GET /metrics`: 401 likewise, 403 for a token without the `metrics` grant.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against every configured token (no early exit), so
 * neither the match nor its position leaks through timing.
 */
export class Authorizer {
  private readonly entries: readonly Entry[];

  constructor(tokens: readonly TokenEntry[] | null) {
    this.entries = (tokens ?? []).map((t) => ({
      name: t.name, digest: digest(t.token), channels: t.channels, metrics: t.metrics === true, users: t.users ?? null,
    }));
  }

  /** No tokens configured: everyone is accepted (and the server binds loopback only). */
  get open(): boolean {
    return this.entries.length === 0;
  }

  check(authorization: string | undefined, channel: string): AuthResult {
    if (this.open) return { ok: true, name: null, users: null };
    const found = this.identify(authorization);
    if (!found.ok) return found;
    const match = found.entry;
    if (!grants(match.channels, channel)) return { ok: false, status: 403, reason: `token ${match.name} does not grant channel ${channel}` };
    return { ok: true, name: match.name, users: match.users };
  }

  /** Whether `authorization` carries a token granted `metrics` (never on a server without tokens: no token can). */
  checkMetrics(authorization: string | undefined): { ok: true; name: string } | { ok: false; status: 401 | 403; reason: string } {
    if (this.open) return { ok: false, status: 403, reason: 'no tokens configured' };
    const found = this.identify(authorization);
    if (!found.ok) return found;
    if (!found.entry.metrics) return { ok: false, status: 403, reason: `token ${found.entry.name} is not granted metrics` };
    return { ok: true, name: found.entry.name };
  }

  private identify(authorization: string | undefined): { ok: true; entry: Entry } | { ok: false; status: 401; reason: string } {
    const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
    if (!m) return { ok: false, status: 401, reason: authorization ? 'malformed Authorization header' : 'no Authorization header' };
    const given = digest(m[1]!);
    let match: Entry | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(given, e.digest) && !match) match = e;
    }
    return match ? { ok: true, entry: match } : { ok: false, status: 401, reason: 'unknown token' };
  }
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
    && !url.username && !url.password && !/^[a-z]+:\/\/[^/]*\/./i.test(value);
  if (!url || !bare) throw new ConfigError(`${what} must be an origin like https://incidents.example.com, got '${value}' (scheme, host and optional port; no path, no wildcard)`);
  return url.origin;
}

/**
 * The cross-site WebSocket rule: an upgrade that carries an `Origin` (browsers always send one; Node clients such
 * as the extension send none) is refused unless that origin is allowed. `Sec-WebSocket-Origin` is hybi-08's name.
 */
export function originAllowed(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): { ok: true } | { ok: false; origin: string } {
  const raw = headers.origin ?? headers['sec-websocket-origin'];
  if (raw === undefined) return { ok: true };
  const origin = (Array.isArray(raw) ? raw.join(',') : raw).trim().toLowerCase();
  return allowed.has(origin) ? { ok: true } : { ok: false, origin };
}
