// Promises of server/auth.ts that an operator writing a tokens file, a responder (or the status page) connecting, and
// a monitoring system posting alerts rely on: the one ConfigError line that names the entry and field of each mistake
// in the tokens file, which token grants what, how the Authorization header and the browser's subprotocol token are
// read, which addresses and Host names count as this machine, and which web origins may open a session.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import path from 'node:path';
import {
  assertBindable, Authorizer, bearerToken, channelFromPath, ConfigError, grants, isLoopback, isLoopbackHostHeader, loadTokens, offersSubprotocol,
  originAllowed, parseOrigin, subprotocolToken, type TokenEntry,
} from '../../../src/server/auth';
import type { Logger } from '../../../src/server/logger';
import { ALERTMANAGER_V4, postAlerts } from './alertPayloads';
import { httpGet, rawUpgradeStatus, removeTempDirs, startTestServer, tempDir, upgradeStatus } from './helpers';

// As an operator writes them: a write token, a read-only token differing from it only in its last letter, a token
// pinned to one user, a token for every channel, a metrics-only token for the scraper and two public status pages.
const TOKENS: TokenEntry[] = [
  { name: 'payments-team', token: 'tok-payments-7f3a9c', channels: ['payments-*'] },
  { name: 'stakeholders', token: 'tok-payments-7f3a9C', channels: ['payments-*'], access: 'read' },
  { name: 'alice-laptop', token: 'tok-alice-91c2aa', channels: ['search-oncall', 'db-*'], users: ['alice@example.com'] },
  { name: 'ops', token: 'tok-ops-b81d2e', channels: ['*'] },
  { name: 'prometheus', token: 'tok-prom-5c1e77', channels: [], metrics: true },
  { name: 'status-public', public: true, channels: ['payments-oncall', 'status-*'] },
  { name: 'status-eu', public: true, channels: ['eu-status'] },
];

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64url');

/** The error `fn` throws (it must throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a throw');
}

/** The ConfigError loading `file` throws: checked to be one, by class and by name (as the CLI prints it). */
function loadError(file: string): string {
  const e = thrown(() => loadTokens(file));
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.name, 'ConfigError');
  assert.match(String(e), /^ConfigError: /);
  return e.message;
}

/** A tokens file holding `value` as JSON (or `text` as is). */
function tokensFile(value: unknown, text = JSON.stringify(value)): string {
  const file = path.join(tempDir(), 'tokens.json');
  writeFileSync(file, text);
  return file;
}

/** An upgrade request with exactly these headers (a ws client would refuse to send some of them): its status. */
const rawUpgrade = rawUpgradeStatus;

/** A GET with these headers (Host included, as a rebinding page or a proxy would send it): status and body. */
function getWith(port: number, urlPath: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An HTTP/1.0 GET with no Host header at all (HTTP/1.1 requires one; 1.0 does not): the status line's code and the body. */
function getWithoutHost(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1' }, () => socket.write(`GET ${urlPath} HTTP/1.0\r\n\r\n`));
    let text = '';
    socket.on('data', (c: Buffer) => (text += String(c)));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
  });
}

/** A logger that keeps each line's event and fields. */
function keptLog(): { logger: Logger; reasons: (event: string) => unknown[] } {
  const lines: { event: string; fields: Record<string, unknown> }[] = [];
  const keep = (event: string, fields: Record<string, unknown> = {}) => lines.push({ event, fields });
  return { logger: { info: keep, warn: keep, error: keep }, reasons: (event) => lines.filter((l) => l.event === event).map((l) => l.fields.reason) };
}

/** An operator who gets the tokens file wrong reads one line naming the file, the entry and the field, and fixes it. */
describe('server/auth promises: a tokens file mistake is one ConfigError naming the entry and field', function () {
  this.timeout(20_000);
  after(removeTempDirs);

  it('a tokens file that is missing or cannot be read names the path and the errno', () => {
    const missing = path.join(tempDir(), 'nowhere', 'tokens.json');
    assert.equal(loadError(missing), `cannot read the tokens file ${missing}: ENOENT`);
    const dir = path.join(tempDir(), 'tokens.json');
    mkdirSync(dir);
    assert.equal(loadError(dir), `cannot read the tokens file ${dir}: EISDIR`);
  });

  it('a tokens file that is not JSON says so, with the parser\'s words', () => {
    const text = '[{ "name": "ops", "token": "tok-ops-b81d2e", "channels": ["*"], }]';
    const file = tokensFile(null, text);
    const parserSays = thrown(() => JSON.parse(text)).message;
    assert.equal(loadError(file), `the tokens file ${file} is not valid JSON: ${parserSays}`);
    const empty = tokensFile(null, '');
    assert.match(loadError(empty), new RegExp(`^the tokens file ${empty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: `));
  });

  it('a valid file loads as written: write and read-only tokens, pinned users, a metrics-only token and public entries', () => {
    const file = tokensFile(TOKENS);
    assert.deepEqual(loadTokens(file), TOKENS);
    // A write token may be pinned to users; a read-only token without users is fine; metrics alone needs no channel.
    const small = [
      { name: 'alice-laptop', token: 'tok-alice-91c2aa', channels: ['*'], users: ['alice@example.com'], access: 'write' },
      { name: 'viewer', token: 'tok-view-0a0a0a', channels: ['payments-*'], access: 'read' },
      { name: 'scraper', token: 'tok-scrape-1b1b1b', channels: [], metrics: true },
    ];
    assert.deepEqual(loadTokens(tokensFile(small)), small);
  });

  const ok = { name: 'ops', token: 'tok-ops-b81d2e', channels: ['*'] };
  const invalid = (entry: Record<string, unknown>) => {
    const file = tokensFile([ok, entry]);
    const message = loadError(file);
    const prefix = `the tokens file ${file} is invalid: `;
    assert.ok(message.startsWith(prefix), message);
    return message.slice(prefix.length);
  };

  it('a public entry may carry no token, metrics, users or access: each is named', () => {
    const status = { name: 'status', public: true, channels: ['payments-oncall'] };
    const says = (key: string) => `[1].${key}: a "public": true entry has no ${key}: it grants the status page of its channels to anyone, nothing else`;
    assert.equal(invalid({ ...status, token: 'tok-status-1' }), says('token'));
    assert.equal(invalid({ ...status, metrics: true }), says('metrics'));
    assert.equal(invalid({ ...status, users: ['alice@example.com'] }), says('users'));
    assert.equal(invalid({ ...status, access: 'read' }), says('access'));
  });

  it('a public entry needs at least one channel', () => {
    assert.equal(invalid({ name: 'status', public: true, channels: [] }), '[1].channels: a "public": true entry needs at least one channel');
  });

  it('an entry that is not public needs a token', () => {
    assert.equal(invalid({ name: 'forgot', channels: ['payments-*'] }), '[1].token: expected a token (only a "public": true entry has none)');
    assert.equal(invalid({ name: 'forgot', public: false, channels: ['payments-*'] }), '[1].token: expected a token (only a "public": true entry has none)');
  });

  it('a token with no channel needs "metrics": true', () => {
    const says = '[1].channels: a token needs at least one channel, or "metrics": true';
    assert.equal(invalid({ name: 'nothing', token: 'tok-nothing-1', channels: [] }), says);
    assert.equal(invalid({ name: 'nothing', token: 'tok-nothing-1', channels: [], metrics: false }), says);
    assert.deepEqual(loadTokens(tokensFile([{ name: 'scraper', token: 'tok-scrape-1', channels: [], metrics: true }])).map((t) => t.name), ['scraper']);
  });

  it('a read-only token pinned to users is refused: it speaks for nobody', () => {
    assert.equal(invalid({ name: 'viewer', token: 'tok-view-1', channels: ['*'], access: 'read', users: ['alice@example.com'] }),
      '[1].users: a read-only token appends nothing, so it speaks for nobody: drop "users"');
  });
});

/** Who gets in with what: responders (by channel), stakeholders (read-only), the scraper (metrics) and anyone (public). */
describe('server/auth promises: which token grants what', function () {
  this.timeout(20_000);

  it('reads the Authorization header as "Bearer TOKEN": any case, spaces or tabs around the token, nothing else around it', () => {
    for (const [header, token] of [
      ['Bearer tok-ops-b81d2e', 'tok-ops-b81d2e'], ['bearer tok-ops-b81d2e', 'tok-ops-b81d2e'], ['BEARER tok-ops-b81d2e', 'tok-ops-b81d2e'],
      ['Bearer    tok-ops-b81d2e', 'tok-ops-b81d2e'], ['Bearer\ttok-ops-b81d2e \t', 'tok-ops-b81d2e'],
    ] as const) assert.equal(bearerToken(header), token, JSON.stringify(header));
    for (const header of [
      undefined, '', 'Bearer', 'Bearer ', 'Bearer  \t', 'Bearertok-ops-b81d2e', 'Basic dG9rLW9wcy1iODFkMmU=', 'tok-ops-b81d2e',
      'NotBearer tok-ops-b81d2e', 'xBearer tok-ops-b81d2e', 'Token Bearer tok-ops-b81d2e', 'Bearer tok-ops-b81d2e extra', 'Bearer tok ops',
    ]) assert.equal(bearerToken(header), null, JSON.stringify(header));
  });

  it('refuses a missing, malformed or unknown token with 401 and a reason; a token without the channel with 403 naming both', () => {
    const auth = new Authorizer(TOKENS);
    assert.equal(auth.open, false);
    assert.deepEqual(auth.check(undefined, 'payments-oncall'), { ok: false, status: 401, reason: 'no Authorization header' });
    for (const header of ['Basic dG9r', 'Bearer ', 'Bearer tok-ops-b81d2e extra', 'NotBearer tok-ops-b81d2e']) {
      assert.deepEqual(auth.check(header, 'payments-oncall'), { ok: false, status: 401, reason: 'malformed Authorization header' }, header);
    }
    for (const near of ['tok-ops-b81d2', 'tok-ops-b81d2e0', 'TOK-OPS-B81D2E', 'tok-alice-91c2aA']) {
      assert.deepEqual(auth.check(`Bearer ${near}`, 'payments-oncall'), { ok: false, status: 401, reason: 'unknown token' }, near);
    }
    assert.deepEqual(auth.check('Bearer tok-payments-7f3a9c', 'search-oncall'), { ok: false, status: 403, reason: 'token payments-team does not grant channel search-oncall' });
    assert.deepEqual(auth.check('Bearer tok-prom-5c1e77', 'payments-oncall'), { ok: false, status: 403, reason: 'token prometheus does not grant channel payments-oncall' });
  });

  it('grants exact channel names, prefixes ending in * and *; a read-only token says so; a pinned token names its users', () => {
    const auth = new Authorizer(TOKENS);
    assert.deepEqual(auth.check('Bearer tok-payments-7f3a9c', 'payments-oncall'), { ok: true, name: 'payments-team', users: null });
    assert.deepEqual(auth.check('Bearer tok-payments-7f3a9C', 'payments-oncall'), { ok: true, name: 'stakeholders', users: null, access: 'read' });
    assert.deepEqual(auth.check('bearer  tok-alice-91c2aa', 'db-primary'), { ok: true, name: 'alice-laptop', users: ['alice@example.com'] });
    assert.deepEqual(auth.check('Bearer tok-alice-91c2aa', 'search-oncall'), { ok: true, name: 'alice-laptop', users: ['alice@example.com'] });
    assert.equal(auth.check('Bearer tok-alice-91c2aa', 'search-oncall-eu').ok, false, 'an exact name is exact');
    assert.equal(auth.check('Bearer tok-alice-91c2aa', 'db').ok, false, 'db-* needs the dash');
    assert.deepEqual(auth.check('Bearer tok-ops-b81d2e', 'anything-at-all'), { ok: true, name: 'ops', users: null });
    assert.ok(grants(['*'], 'x') && grants(['a', 'b'], 'b') && grants(['payments-*'], 'payments-') && !grants([], 'x') && !grants(['payments-*'], 'payment'));
  });

  it('names the channel of a path /v1/channels/NAME (a query allowed), and of nothing longer or shorter', () => {
    assert.equal(channelFromPath('/v1/channels/payments-oncall'), 'payments-oncall');
    assert.equal(channelFromPath('/v1/channels/payments-oncall?since=4'), 'payments-oncall');
    for (const url of [undefined, '', '/v1/channels/', '/v1/channels/payments-oncall/extra', '/v1/channels/payments-oncall#top', '/v1/channels/Payments', '/v2/channels/payments-oncall', 'x/v1/channels/payments-oncall']) {
      assert.equal(channelFromPath(url), null, String(url));
    }
  });

  it('/metrics takes only a token granted metrics, and nothing on a server without tokens', () => {
    const auth = new Authorizer(TOKENS);
    assert.deepEqual(auth.checkMetrics(undefined), { ok: false, status: 401, reason: 'no Authorization header' });
    assert.deepEqual(auth.checkMetrics('Token tok-prom-5c1e77'), { ok: false, status: 401, reason: 'malformed Authorization header' });
    assert.deepEqual(auth.checkMetrics('Bearer tok-prom-5c1e78'), { ok: false, status: 401, reason: 'unknown token' });
    assert.deepEqual(auth.checkMetrics('Bearer tok-ops-b81d2e'), { ok: false, status: 403, reason: 'token ops is not granted metrics' });
    assert.deepEqual(auth.checkMetrics('bearer tok-prom-5c1e77'), { ok: true, name: 'prometheus' });
    assert.deepEqual(new Authorizer(null).checkMetrics('Bearer tok-prom-5c1e77'), { ok: false, status: 403, reason: 'no tokens configured' });
  });

  it('a public channel opens to no token at all, under the entry\'s name; a wrong token never falls back to it', () => {
    const auth = new Authorizer(TOKENS);
    assert.deepEqual(auth.checkOrPublic(null, 'payments-oncall'), { ok: true, name: 'status-public', users: null, access: 'public' });
    assert.deepEqual(auth.checkOrPublic(null, 'status-checkout'), { ok: true, name: 'status-public', users: null, access: 'public' });
    assert.deepEqual(auth.checkOrPublic(null, 'eu-status'), { ok: true, name: 'status-eu', users: null, access: 'public' });
    assert.deepEqual(auth.checkOrPublic(null, 'payments-eu'), { ok: false, status: 401, reason: 'no token' });
    assert.deepEqual(auth.checkOrPublic('tok-nope', 'payments-oncall'), { ok: false, status: 401, reason: 'unknown token' });
    assert.deepEqual(auth.checkOrPublic('tok-payments-7f3a9c', 'payments-oncall'), { ok: true, name: 'payments-team', users: null });
    assert.deepEqual(auth.checkOrPublic('tok-payments-7f3a9C', 'payments-oncall'), { ok: true, name: 'stakeholders', users: null, access: 'read' });
    // Which channels' status pages anyone may read: those of any public entry, and no other.
    for (const channel of ['payments-oncall', 'status-checkout', 'eu-status']) assert.equal(auth.isPublic(channel), true, channel);
    for (const channel of ['payments-eu', 'search-oncall', 'eu-status-2', 'status']) assert.equal(auth.isPublic(channel), false, channel);
    assert.equal(new Authorizer(TOKENS.filter((t) => !t.public)).isPublic('payments-oncall'), false);
  });

  it('a server without tokens accepts everyone, token or not, as nobody in particular', () => {
    for (const open of [new Authorizer(null), new Authorizer([])]) {
      assert.equal(open.open, true);
      assert.deepEqual(open.check(undefined, 'payments-oncall'), { ok: true, name: null, users: null });
      assert.deepEqual(open.checkOrPublic(null, 'payments-oncall'), { ok: true, name: null, users: null });
      assert.deepEqual(open.checkOrPublic('tok-anything', 'payments-oncall'), { ok: true, name: null, users: null });
      assert.equal(open.isPublic('payments-oncall'), false);
    }
  });

  it('entries the tokens file refuses are not honoured when given to the server directly: a public entry\'s token opens nothing, a tokenless entry is skipped', () => {
    // startServer takes its tokens as given (an embedder may skip loadTokens).
    const auth = new Authorizer([
      { name: 'half-public', public: true, token: 'tok-half-1a2b3c', channels: ['payments-oncall'] },
      { name: 'no-token', channels: ['*'] },
      { name: 'ops', token: 'tok-ops-b81d2e', channels: ['*'] },
    ]);
    assert.deepEqual(auth.check('Bearer tok-half-1a2b3c', 'payments-oncall'), { ok: false, status: 401, reason: 'unknown token' });
    assert.deepEqual(auth.checkOrPublic(null, 'payments-oncall'), { ok: true, name: 'half-public', users: null, access: 'public' });
    assert.deepEqual(auth.check('Bearer tok-ops-b81d2e', 'search-oncall'), { ok: true, name: 'ops', users: null });
  });

  it('a real server refuses each bad credential before the upgrade and logs why; /metrics likewise', async () => {
    const log = keptLog();
    const t = await startTestServer({ store: 'memory', tokens: TOKENS, logger: log.logger });
    try {
      const refusals: [Record<string, string>, number, string][] = [
        [{}, 401, 'no Authorization header'],
        [{ Authorization: 'Basic dG9rLW9wcy1iODFkMmU=' }, 401, 'malformed Authorization header'],
        [{ Authorization: 'Bearer tok-ops-b81d2e extra' }, 401, 'malformed Authorization header'],
        [{ Authorization: 'NotBearer tok-ops-b81d2e' }, 401, 'malformed Authorization header'],
        [{ Authorization: 'Bearer tok-ops-b81d2E' }, 401, 'unknown token'],
        [{ Authorization: 'Bearer tok-prom-5c1e77' }, 403, 'token prometheus does not grant channel payments-oncall'],
      ];
      for (const [headers, status] of refusals) assert.equal(await upgradeStatus(t.url(), headers), status, JSON.stringify(headers));
      assert.deepEqual(log.reasons('auth refused'), refusals.map(([, , reason]) => reason));
      assert.equal(await upgradeStatus(t.url(), { Authorization: 'bearer   tok-ops-b81d2e' }), 101);
      assert.equal(await upgradeStatus(t.url('payments-oncall/extra'), { Authorization: 'Bearer tok-ops-b81d2e' }), 404, 'a channel path has nothing after the name');

      const metrics: [Record<string, string>, number, string][] = [
        [{}, 401, 'no Authorization header'],
        [{ Authorization: 'Token tok-prom-5c1e77' }, 401, 'malformed Authorization header'],
        [{ Authorization: 'Bearer tok-prom-5c1e7' }, 401, 'unknown token'],
        [{ Authorization: 'Bearer tok-ops-b81d2e' }, 403, 'token ops is not granted metrics'],
      ];
      for (const [headers, status] of metrics) assert.equal((await httpGet(t.server.port, '/metrics', headers)).status, status, JSON.stringify(headers));
      assert.deepEqual(log.reasons('metrics refused'), metrics.map(([, , reason]) => reason));
      assert.equal((await httpGet(t.server.port, '/metrics', { Authorization: 'Bearer tok-prom-5c1e77' })).status, 200);
    } finally {
      await t.server.close();
    }
  });
});

/** The status page in a browser sends its token as a subprotocol; a malformed one is a 400 the page's author can read. */
describe('server/auth promises: the browser\'s token in Sec-WebSocket-Protocol', function () {
  this.timeout(20_000);
  const bearer = (encoded: string) => `incident-room.bearer.${encoded}`;

  it('decodes one incident-room.bearer.BASE64URL value, beside others, from a header or a list of them', () => {
    assert.equal(subprotocolToken(undefined), null);
    assert.equal(subprotocolToken('incident-room.v1'), null);
    assert.equal(subprotocolToken(`incident-room.v1, ${bearer(b64('tok-ops-b81d2e'))}`), 'tok-ops-b81d2e');
    assert.equal(subprotocolToken(`${bearer(b64('tok-ops-b81d2e'))} ,incident-room.v1`), 'tok-ops-b81d2e');
    assert.equal(subprotocolToken(['incident-room.v1', bearer(b64('tok-ops-b81d2e'))]), 'tok-ops-b81d2e');
    assert.equal(subprotocolToken(bearer(b64('tök-ünïcode-ł'))), 'tök-ünïcode-ł', 'a UTF-8 token');
    const longest = 'x'.repeat(4096);
    assert.equal(subprotocolToken(bearer(b64(longest))), longest, 'a token as long as the tokens file allows');
  });

  it('is "invalid" for anything else: empty, padded, not base64url, not the canonical encoding, not UTF-8, too long, or two of them', () => {
    for (const value of [
      bearer(''), bearer('A'), bearer(`${b64('tok-ops')}=`), bearer(`${b64('tok')}==`), bearer('dG9r LW9w'), bearer('not base64!'),
      bearer('YR'), // decodes to "a", whose encoding is YQ
      bearer(b64(Buffer.from([0xff, 0xfe]))), // not UTF-8
      bearer(b64('x'.repeat(4097))), // longer than any token
      bearer(`!${b64('x'.repeat(4096))}`),
      `${bearer(b64('a'))}, ${bearer(b64('a'))}`,
    ]) assert.equal(subprotocolToken(value), 'invalid', value.slice(0, 60));
  });

  it('tells a client that offers incident-room.v1 from one that does not', () => {
    for (const header of ['incident-room.v1', 'chat, incident-room.v1', ' incident-room.v1 ', ['chat', 'incident-room.v1'], `${bearer('YQ')},incident-room.v1`]) {
      assert.equal(offersSubprotocol(header), true, JSON.stringify(header));
    }
    for (const header of [undefined, '', 'chat', 'chat, superchat', 'incident-room.v10', 'incident-room.v1.x', ['chat'], bearer(b64('tok'))]) {
      assert.equal(offersSubprotocol(header), false, JSON.stringify(header));
    }
  });

  it('a real server answers a malformed subprotocol token with 400, a well-formed unknown one with 401, and no token with the public page only for incident-room.v1', async () => {
    const t = await startTestServer({ store: 'memory', tokens: TOKENS });
    try {
      const port = t.server.port;
      const proto = (value: string) => ({ 'Sec-WebSocket-Protocol': value });
      assert.equal(await rawUpgrade(port, proto(`incident-room.v1, ${bearer(b64('tok-ops-b81d2e'))}`)), 101);
      assert.equal(await rawUpgrade(port, proto(`incident-room.v1, ${bearer('YR')}`)), 400);
      assert.equal(await rawUpgrade(port, proto(`incident-room.v1, ${bearer(b64('x'.repeat(4097)))}`)), 400);
      assert.equal(await rawUpgrade(port, proto(`incident-room.v1, ${bearer(b64('x'.repeat(4096)))}`)), 401);
      // No credentials: the public page for a client that offers incident-room.v1; 401 for one that expects to write.
      assert.equal(await rawUpgrade(port, proto('chat, incident-room.v1')), 101);
      assert.equal(await rawUpgrade(port, proto('chat')), 401);
      assert.equal(await rawUpgrade(port, proto('incident-room.v1'), '/v1/channels/payments-eu'), 401, 'not a public channel');
    } finally {
      await t.server.close();
    }
  });
});

/**
 * Without tokens the server is this machine's only: it binds loopback, and its status.json and alerts answer only
 * requests addressed to a loopback name (a rebinding page names its own host). A monitoring agent may address it as
 * localhost, 127.x or [::1], with or without a port.
 */
describe('server/auth promises: what counts as this machine', function () {
  this.timeout(20_000);

  it('knows loopback addresses: 127/8, ::1, IPv4-mapped 127/8 and localhost, bracketed or not, in any case', () => {
    for (const h of ['127.0.0.1', '127.255.255.254', 'localhost', 'LocalHost', '::1', '[::1]', '::ffff:127.0.0.1', '[::FFFF:127.1.2.3]']) {
      assert.equal(isLoopback(h), true, h);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', 'fe80::ffff:127.0.0.1', '1::ffff:127.0.0.1', '::ffff:10.0.0.1', '::2', 'example.com']) {
      assert.equal(isLoopback(h), false, h);
    }
  });

  it('reads a Host header with or without its port, [::1]:port included; no Host is not loopback', () => {
    for (const h of ['localhost', 'localhost:7077', '127.0.0.1:7077', '127.0.0.1', '[::1]:7077', '[::1]', ' localhost:7077 ']) assert.equal(isLoopbackHostHeader(h), true, h);
    for (const h of [undefined, '', 'status.attacker.example:7077', '127.0.0.1.nip.io:7077', '[fe80::ffff:127.0.0.1]:7077', 'localhost:7077:x']) {
      assert.equal(isLoopbackHostHeader(h), false, String(h));
    }
  });

  it('refuses to bind anything but loopback without tokens (an empty list is none), naming the address', () => {
    const says = (host: string) => `refusing to bind ${host} without --tokens: with no tokens anyone can connect, so only a loopback address (127.0.0.1, ::1, localhost) is allowed`;
    for (const [host, tokens] of [['0.0.0.0', null], ['0.0.0.0', []], ['::', null], ['fe80::ffff:127.0.0.1', null]] as const) {
      const e = thrown(() => assertBindable(host, tokens));
      assert.ok(e instanceof ConfigError);
      assert.equal(e.name, 'ConfigError');
      assert.equal(e.message, says(host), `${host} ${JSON.stringify(tokens)}`);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost', '[::1]']) assert.doesNotThrow(() => assertBindable(host, null), host);
    assert.doesNotThrow(() => assertBindable('0.0.0.0', TOKENS));
  });

  it('a real server without tokens serves status.json and takes alerts for loopback Host names only, and answers a request without Host with 403', async () => {
    const log = keptLog();
    const t = await startTestServer({ store: 'memory', logger: log.logger });
    try {
      const port = t.server.port;
      const status = '/v1/channels/payments-oncall/status.json';
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
        assert.equal((await getWith(port, status, { Host: host })).status, 200, host);
      }
      const rebound = await getWith(port, status, { Host: `status.attacker.example:${port}` });
      assert.deepEqual([rebound.status, JSON.parse(rebound.body)], [403, { error: 'a server without tokens serves status.json only to loopback host names' }]);
      const hostless = await getWithoutHost(port, status);
      assert.deepEqual([hostless.status, JSON.parse(hostless.body)], [403, { error: 'a server without tokens serves status.json only to loopback host names' }]);
      // The status page's own session (incident-room.v1, no token) is accepted too.
      assert.equal(await rawUpgrade(port, { 'Sec-WebSocket-Protocol': 'incident-room.v1' }), 101);
      // Monitoring on this machine posting to [::1]:port.
      const posted = await postAlerts(port, ALERTMANAGER_V4, { headers: { Host: `[::1]:${port}` } });
      assert.deepEqual([posted.status, posted.body], [202, { accepted: 1 }]);
      // /metrics is not on the channel port of a server without tokens; the log says why.
      assert.equal((await httpGet(port, '/metrics', { Authorization: 'Bearer tok-prom-5c1e77' })).status, 403);
      assert.deepEqual(log.reasons('metrics refused'), ['no tokens configured']);
    } finally {
      await t.server.close();
    }
  });
});

/** An operator lists the origins whose pages may open sessions; a browser page from anywhere else is refused. */
describe('server/auth promises: web origins', function () {
  this.timeout(20_000);

  it('takes an allowed origin as scheme, host and optional port, normalised as browsers send it', () => {
    assert.equal(parseOrigin('https://incidents.example.com'), 'https://incidents.example.com');
    assert.equal(parseOrigin('HTTPS://Incidents.Example.COM:443/'), 'https://incidents.example.com');
    assert.equal(parseOrigin('http://localhost:8080'), 'http://localhost:8080');
    assert.equal(parseOrigin('http://[::1]:8080'), 'http://[::1]:8080');
  });

  it('refuses anything else with one line naming the flag and the value', () => {
    const says = (what: string, value: string) => `${what} must be an origin like https://incidents.example.com, got '${value}' (scheme, host and optional port; no path, no wildcard)`;
    for (const value of [
      '*', 'null', '', 'incidents.example.com', 'ftp://incidents.example.com', 'ws://incidents.example.com', 'file:///tmp/x',
      'https://incidents.example.com/status', 'https://incidents.example.com\\status', 'https://incidents.example.com/./', 'https://incidents.example.com/%2e',
      'https://incidents.example.com/..', ' https://incidents.example.com/./', 'https:incidents.example.com/..', 'https://incidents.example.com?x=1', 'https://incidents.example.com#top', 'https://ops@incidents.example.com',
      'https://ops:pw@incidents.example.com',
    ]) {
      const e = thrown(() => parseOrigin(value));
      assert.ok(e instanceof ConfigError, value);
      assert.equal(e.message, says('an allowed origin', value));
      assert.equal(thrown(() => parseOrigin(value, '--allow-origin')).message, says('--allow-origin', value));
    }
  });

  const allowed = new Set(['https://incidents.example.com']);

  it('lets in requests without an Origin and from allowed origins (any case); refuses others, naming the origin', () => {
    assert.deepEqual(originAllowed({}, allowed), { ok: true });
    assert.deepEqual(originAllowed({ origin: 'https://incidents.example.com' }, allowed), { ok: true });
    assert.deepEqual(originAllowed({ origin: 'HTTPS://INCIDENTS.EXAMPLE.COM' }, allowed), { ok: true });
    assert.deepEqual(originAllowed({ origin: ' https://incidents.example.com ' }, allowed), { ok: true });
    assert.deepEqual(originAllowed({ 'sec-websocket-origin': 'https://incidents.example.com' }, allowed), { ok: true });
    assert.deepEqual(originAllowed({ origin: 'https://Evil.Example' }, allowed), { ok: false, origin: 'https://evil.example' });
    assert.deepEqual(originAllowed({ 'sec-websocket-origin': 'https://evil.example' }, allowed), { ok: false, origin: 'https://evil.example' });
    // Without sameOrigin (a server without tokens) the server's own host is no exception.
    assert.deepEqual(originAllowed({ origin: 'http://127.0.0.1:7077', host: '127.0.0.1:7077' }, new Set()), { ok: false, origin: 'http://127.0.0.1:7077' });
  });

  it('with sameOrigin, also lets in a page of the host and port the request was sent to (default ports either way), and nothing else', () => {
    const same = (origin: string, host: string | undefined) => originAllowed({ origin, ...(host === undefined ? {} : { host }) }, new Set(), true).ok;
    assert.equal(same('http://127.0.0.1:7077', '127.0.0.1:7077'), true);
    assert.equal(same('https://incidents.example.com', 'incidents.example.com'), true);
    assert.equal(same('https://incidents.example.com', 'Incidents.Example.COM'), true, 'Host in another case');
    assert.equal(same('https://incidents.example.com', ' incidents.example.com '), true, 'Host with spaces around it');
    assert.equal(same('https://incidents.example.com', 'incidents.example.com:443'), true);
    assert.equal(same('http://localhost', 'localhost:80'), true);
    assert.equal(same('http://localhost', 'localhost:443'), false);
    assert.equal(same('https://incidents.example.com', 'incidents.example.com:80'), false);
    assert.equal(same('http://localhost:8080', 'localhost:8081'), false);
    assert.equal(same('https://incidents.example.com.evil.example', 'incidents.example.com'), false);
    assert.equal(same('ws://incidents.example.com', 'incidents.example.com'), false, 'not a web page');
    assert.equal(same('chrome-extension://incidents.example.com', 'incidents.example.com'), false);
    assert.deepEqual(originAllowed({ origin: 'null', host: 'incidents.example.com' }, new Set(), true), { ok: false, origin: 'null' }, 'a sandboxed page');
    assert.deepEqual(originAllowed({ origin: 'https://evil.example' }, new Set(), true), { ok: false, origin: 'https://evil.example' }, 'no Host');
    assert.deepEqual(originAllowed({ origin: 'https://incidents.example.com', host: '' }, new Set(), true), { ok: false, origin: 'https://incidents.example.com' });
  });

  it('a real server with tokens refuses a sandboxed page (Origin: null) and a non-web origin with 403, and keeps serving', async () => {
    const t = await startTestServer({ store: 'memory', tokens: TOKENS });
    try {
      const port = t.server.port;
      const ops = { Authorization: 'Bearer tok-ops-b81d2e' };
      assert.equal(await rawUpgrade(port, { ...ops, Origin: 'null' }), 403);
      assert.equal(await rawUpgrade(port, { ...ops, Origin: `ws://127.0.0.1:${port}` }), 403);
      assert.equal(await rawUpgrade(port, { ...ops, Origin: `http://127.0.0.1:${port}` }), 101, 'the server\'s own page');
      assert.equal(await rawUpgrade(port, { ...ops, Origin: `http://localhost:${port}`, Host: `LOCALHOST:${port}` }), 101);
      assert.equal(await rawUpgrade(port, ops), 101);
    } finally {
      await t.server.close();
    }
  });
});
