import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as z from 'zod';
import { CHANNEL_PATTERN } from '../protocol/codes';
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
  name: z.string().min(1).max(200),
  token: z.string().min(1).max(4096),
  channels: z.array(ChannelGrant).min(1),
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

export type AuthResult = { ok: true; name: string } | { ok: false; status: 401 | 403; reason: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Decides an upgrade: 401 for a missing or unknown token, 403 for a token that does not grant the channel.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against every configured token (no early exit), so
 * neither the match nor its position leaks through timing.
 */
export class Authorizer {
  private readonly entries: { readonly name: string; readonly digest: Buffer; readonly channels: readonly string[] }[];

  constructor(tokens: readonly TokenEntry[] | null) {
    this.entries = (tokens ?? []).map((t) => ({ name: t.name, digest: digest(t.token), channels: t.channels }));
  }

  /** No tokens configured: everyone is accepted (and the server binds loopback only). */
  get open(): boolean {
    return this.entries.length === 0;
  }

  check(authorization: string | undefined, channel: string): AuthResult {
    if (this.open) return { ok: true, name: 'anonymous' };
    const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
    if (!m) return { ok: false, status: 401, reason: authorization ? 'malformed Authorization header' : 'no Authorization header' };
    const given = digest(m[1]!);
    let match: (typeof this.entries)[number] | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(given, e.digest) && !match) match = e;
    }
    if (!match) return { ok: false, status: 401, reason: 'unknown token' };
    if (!grants(match.channels, channel)) return { ok: false, status: 403, reason: `token ${match.name} does not grant channel ${channel}` };
    return { ok: true, name: match.name };
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
