import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { AppendKind } from '../../../src/protocol/events';
import { Authorizer, ConfigError, grants, isLoopback, loadTokens, TokensFile } from '../../../src/server/auth';
import { startServer } from '../../../src/server/channelServer';
import type { Logger } from '../../../src/server/logger';
import { MemoryStore } from '../../../src/store/memoryStore';
import { declareEvent, httpGet, noteEvent, rawUpgradeStatus, removeTempDirs, runServerCli, spawnServer, startTestServer, TestClient, tempDir, upgradeResponse, upgradeStatus } from './helpers';

const TOKENS = [
  { name: 'payments-team', token: 'tok-payments-7f3a9c', channels: ['payments-*'] },
  { name: 'ops', token: 'tok-ops-b81d2e', channels: ['*'] },
  { name: 'search', token: 'tok-search-44aa10', channels: ['search-oncall'] },
];

describe('server/auth', function () {
  this.timeout(20_000);
  after(removeTempDirs);

  it('refuses before the upgrade: 401 without or with an unknown token, 403 for a channel the token does not grant', async () => {
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    const logger: Logger = { info: () => undefined, warn: (event, fields = {}) => lines.push({ event, fields }), error: () => undefined };
    const t = await startTestServer({ store: 'memory', tokens: TOKENS, logger });
    try {
      const bearer = (tok: string) => ({ Authorization: `Bearer ${tok}` });
      assert.equal(await upgradeStatus(t.url('payments-oncall')), 401);
      assert.equal(await upgradeStatus(t.url('payments-oncall'), bearer('tok-payments-7f3a9d')), 401);
      assert.equal(await upgradeStatus(t.url('payments-oncall'), { Authorization: 'Basic dG9rLW9wcy1iODFkMmU=' }), 401);
      assert.equal(await upgradeStatus(t.url('payments-oncall'), bearer('')), 401);
      assert.equal(await upgradeStatus(t.url('search-oncall'), bearer('tok-payments-7f3a9c')), 403);
      assert.equal(await upgradeStatus(t.url('search-oncall-eu'), bearer('tok-search-44aa10')), 403, 'exact names are exact');
      assert.equal(await upgradeStatus(t.url('payments-oncall'), bearer('tok-payments-7f3a9c')), 101);
      assert.equal(await upgradeStatus(t.url('payments'), bearer('tok-payments-7f3a9c')), 403, 'payments-* needs the dash');
      assert.equal(await upgradeStatus(t.url('anything-at-all'), bearer('tok-ops-b81d2e')), 101);
      assert.equal(await upgradeStatus(t.url('search-oncall'), bearer('tok-search-44aa10')), 101);
      assert.equal(await upgradeStatus(`${t.server.url}/v1/channels/Bad_Name`, bearer('tok-ops-b81d2e')), 404);
      assert.equal(await upgradeStatus(`${t.server.url}/v2/other`, bearer('tok-ops-b81d2e')), 404);
      const res = await upgradeResponse(t.url('payments-oncall'));
      assert.equal(res.status, 401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      // Refusals are logged, one line each, without the token.
      const refusals = lines.filter((l) => l.event === 'auth refused');
      assert.ok(refusals.length >= 7);
      assert.ok(refusals.some((l) => l.fields.status === 403 && /payments-team does not grant channel search-oncall/.test(String(l.fields.reason))));
      assert.ok(!JSON.stringify(lines).includes('tok-'), 'no token in the logs');
      const metrics = await httpGet(t.server.metricsPort!, '/metrics');
      assert.match(metrics.body, /incident_room_auth_refusals_total\{status="401"\} [5-9]/);
      // An accepted token works end to end.
      const c = await TestClient.connect(t.url('payments-oncall'), { token: 'tok-payments-7f3a9c' });
      assert.equal(c.messages[0]?.type, 'welcome');
      c.close();
    } finally {
      await t.server.close();
    }
  });

  it('matches a token exactly: one differing only in case, or a prefix or extension of a real token, gets 401 (issue #18)', async () => {
    const t = await startTestServer({ store: 'memory', tokens: TOKENS });
    try {
      const bearer = (tok: string) => ({ Authorization: `Bearer ${tok}` });
      const near = [
        'TOK-PAYMENTS-7F3A9C', 'Tok-payments-7f3a9c', 'tok-payments-7f3a9C', // case only
        'tok-payments-7f3a9', 'tok-payments', 'tok-', 't', // prefixes
        'tok-payments-7f3a9cc', 'tok-payments-7f3a9c-extra', 'xtok-payments-7f3a9c', // extensions
      ];
      for (const tok of near) assert.equal(await upgradeStatus(t.url('payments-oncall'), bearer(tok)), 401, `"${tok}" is not a configured token`);
      // The same holds for the token granted every channel: a near miss of it opens nothing either.
      for (const tok of ['TOK-OPS-B81D2E', 'tok-ops-b81d2', 'tok-ops-b81d2e0']) assert.equal(await upgradeStatus(t.url('anything'), bearer(tok)), 401, tok);
      assert.equal(await upgradeStatus(t.url('payments-oncall'), bearer('tok-payments-7f3a9c')), 101, 'the exact token still works');
      const auth = new Authorizer(TOKENS);
      assert.equal(auth.check('Bearer tok-search-44aa1', 'search-oncall').ok, false);
      assert.equal(auth.check('Bearer TOK-SEARCH-44AA10', 'search-oncall').ok, false);
      assert.equal(auth.check('Bearer tok-search-44aa10', 'search-oncall').ok, true);
    } finally {
      await t.server.close();
    }
  });

  it('without tokens accepts anyone, and refuses to bind anything but loopback', async () => {
    const t = await startTestServer({ store: 'memory' });
    try {
      assert.equal(await upgradeStatus(t.url()), 101);
    } finally {
      await t.server.close();
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      await assert.rejects(startServer({ host, port: 0, store: new MemoryStore(), tokens: null }), (e: unknown) => e instanceof ConfigError && /refusing to bind/.test(e.message));
    }
    const withTokens = await startServer({ host: '0.0.0.0', port: 0, store: new MemoryStore(), tokens: TOKENS });
    await withTokens.close();
    const cli = await runServerCli(['--host', '0.0.0.0', '--port', '0', '--store', 'memory']);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /^incident-room-server: refusing to bind 0\.0\.0\.0 without --tokens[^\n]*\n$/);
  });

  it('the CLI reads --tokens and enforces them', async () => {
    const file = path.join(tempDir(), 'tokens.json');
    writeFileSync(file, JSON.stringify(TOKENS));
    const child = await spawnServer(['--port', '0', '--store', 'memory', '--tokens', file]);
    try {
      assert.equal(await upgradeStatus(child.url('payments-oncall')), 401);
      assert.equal(await upgradeStatus(child.url('payments-oncall'), { Authorization: 'Bearer tok-ops-b81d2e' }), 101);
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  });

  it('matches grants and loopback addresses as PROTOCOL.md says', () => {
    assert.ok(grants(['*'], 'x'));
    assert.ok(grants(['payments-*'], 'payments-oncall'));
    assert.ok(!grants(['payments-*'], 'search'));
    assert.ok(grants(['a', 'b'], 'b'));
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(h), h);
    const auth = new Authorizer(TOKENS);
    assert.deepEqual(auth.check('bearer   tok-ops-b81d2e ', 'x'), { ok: true, name: 'ops', users: null });
    assert.equal(new Authorizer(null).open, true);
  });
});

/** Issue #10 items 6–8: browsers' origins, who may read /metrics, and who a token may speak for. */
describe('server/auth: origins, /metrics and pinned identities', function () {
  this.timeout(20_000);
  after(removeTempDirs);
  const bearer = (tok: string) => ({ Authorization: `Bearer ${tok}` });

  it('refuses an upgrade that carries an Origin (403) on a server without tokens; Node clients send none and get in', async () => {
    const t = await startTestServer({ store: 'memory' });
    try {
      assert.equal(await upgradeStatus(t.url()), 101, 'no Origin: the extension, the CLI');
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${t.server.port}`, 'http://localhost']) {
        assert.equal(await upgradeStatus(t.url(), { Origin: origin }), 403, origin);
      }
      assert.equal(await upgradeStatus(t.url(), { 'Sec-WebSocket-Origin': 'https://evil.example' }), 403, 'the hybi-08 header too');
    } finally {
      await t.server.close();
    }
  });

  it('with tokens, an Origin must be one the server allows too; an allowed origin still needs a token', async () => {
    const t = await startTestServer({ store: 'memory', tokens: TOKENS, allowedOrigins: ['https://incidents.example.com'] });
    try {
      const ops = bearer('tok-ops-b81d2e');
      assert.equal(await upgradeStatus(t.url(), ops), 101);
      assert.equal(await upgradeStatus(t.url(), { ...ops, Origin: 'https://incidents.example.com' }), 101);
      assert.equal(await upgradeStatus(t.url(), { ...ops, Origin: 'https://evil.example' }), 403);
      assert.equal(await upgradeStatus(t.url(), { ...ops, Origin: 'http://incidents.example.com' }), 403, 'another scheme is another origin');
      assert.equal(await upgradeStatus(t.url(), { ...ops, Origin: 'https://incidents.example.com.evil.example' }), 403);
      assert.equal(await upgradeStatus(t.url(), { Origin: 'https://incidents.example.com' }), 401);
    } finally {
      await t.server.close();
    }
  });

  const METRICS_TOKENS = [...TOKENS, { name: 'prometheus', token: 'tok-prom-5c1e77', channels: [], metrics: true }];

  it('/metrics needs a token granted metrics: 401 without one or with an unknown one, 403 for a token without the grant', async () => {
    const t = await startTestServer({ store: 'memory', tokens: METRICS_TOKENS });
    try {
      const port = t.server.port;
      const none = await httpGet(port, '/metrics');
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.doesNotMatch(none.body, /incident_room|nodejs/);
      assert.equal((await httpGet(port, '/metrics', bearer('tok-prom-5c1e78'))).status, 401, 'wrong token');
      assert.equal((await httpGet(port, '/metrics', bearer('TOK-PROM-5C1E77'))).status, 401, 'tokens are case-sensitive');
      const ungranted = await httpGet(port, '/metrics', bearer('tok-ops-b81d2e'));
      assert.equal(ungranted.status, 403, 'a channel token, even for every channel, is not a metrics token');
      assert.doesNotMatch(ungranted.body, /incident_room|nodejs/);
      const ok = await httpGet(port, '/metrics', { Authorization: 'bearer tok-prom-5c1e77' });
      assert.equal(ok.status, 200);
      assert.match(ok.body, /^incident_room_connections 0$/m);
      // The metrics token opens no channel.
      assert.equal(await upgradeStatus(t.url(), bearer('tok-prom-5c1e77')), 403);
    } finally {
      await t.server.close();
    }
  });

  it('/healthz answers liveness only: no version, memory, descriptors or counts, with or without a token', async () => {
    const t = await startTestServer({ store: 'memory', tokens: METRICS_TOKENS });
    try {
      const c = await TestClient.connect(t.url(), { token: 'tok-ops-b81d2e' });
      await c.declare();
      const health = await httpGet(t.server.port, '/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { ok: true, status: 'ok' });
      c.close();
    } finally {
      await t.server.close();
    }
  });

  it('a server without tokens serves /metrics only on its metrics listener (loopback by default), not on the channel port', async () => {
    const t = await startTestServer({ store: 'memory', metricsListener: { host: '127.0.0.1', port: 0 } });
    try {
      const main = await httpGet(t.server.port, '/metrics');
      assert.equal(main.status, 403);
      assert.match(main.body, /--metrics-port/);
      const port = t.server.metricsPort!;
      assert.ok(port > 0 && port !== t.server.port);
      const m = await httpGet(port, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.body, /^incident_room_connections 0$/m);
      assert.equal((await httpGet(port, '/healthz')).status, 200);
      assert.equal(await upgradeStatus(`ws://127.0.0.1:${port}/v1/channels/payments-oncall`), 404, 'no channels on the metrics listener');
    } finally {
      await t.server.close();
    }
  });

  it('a token pinned to user ids refuses a hello for anyone else (error forbidden, close 4403); every event carries the token name as via; connects are logged with it', async () => {
    const lines: { level: string; event: string; fields: Record<string, unknown> }[] = [];
    const log = (level: string) => (event: string, fields: Record<string, unknown> = {}) => lines.push({ level, event, fields });
    const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') };
    const tokens = [
      { name: 'alice-laptop', token: 'tok-alice-91c2aa', channels: ['*'], users: ['alice@example.com', 'alice.smith@example.com'] },
      { name: 'ops', token: 'tok-ops-b81d2e', channels: ['*'] },
    ];
    const t = await startTestServer({ tokens, logger });
    try {
      const alice = await TestClient.connect(t.url(), { token: 'tok-alice-91c2aa', user: 'alice@example.com' });
      const id = await alice.declare();
      await alice.append(id, noteEvent('from alice'));
      for (const who of ['mallory@example.com', 'Alice@example.com', 'alice@example.com ']) {
        const m = await TestClient.connect(t.url(), { token: 'tok-alice-91c2aa', hello: false });
        m.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: who, name: 'Alice' } });
        const err = await m.next((x) => x.type === 'error');
        assert.equal(err.code, 'forbidden', who);
        assert.equal(err.message, `user.id: the token "alice-laptop" may not speak for "${who}"`);
        const closed = await m.closed;
        assert.equal(closed.code, 4403, who);
        assert.match(closed.reason, /may not speak for this user/);
        assert.ok(!m.messages.some((x) => x.type === 'welcome'));
      }
      const bob = await TestClient.connect(t.url(), { token: 'tok-ops-b81d2e', user: 'bob@example.com' });
      assert.equal((await bob.append(id, noteEvent('from bob'))).type, 'ack', 'an unpinned token speaks for anyone');
      const stored = (await t.store.read('payments-oncall', id, 0, 100)).map((e) => JSON.parse(e.json) as { actor: { id: string }; via?: string });
      assert.deepEqual(stored.map((e) => [e.actor.id, e.via]), [
        ['alice@example.com', 'alice-laptop'], ['alice@example.com', 'alice-laptop'], ['bob@example.com', 'ops'],
      ]);
      bob.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
      const replay = await bob.next((x) => x.type === 'events');
      assert.deepEqual((replay.events as { via?: string }[]).map((e) => e.via), ['alice-laptop', 'alice-laptop', 'ops']);
      const connects = lines.filter((l) => l.event === 'connect');
      assert.equal(connects.length, 5);
      assert.deepEqual(connects.map((l) => [l.level, l.fields.via, l.fields.channel, l.fields.remote]).slice(0, 2), [
        ['info', 'alice-laptop', 'payments-oncall', '127.0.0.1'], ['info', 'alice-laptop', 'payments-oncall', '127.0.0.1'],
      ]);
      const refused = lines.filter((l) => l.event === 'identity refused');
      assert.deepEqual(refused.map((l) => [l.level, l.fields.via, l.fields.user]), [
        ['warn', 'alice-laptop', 'mallory@example.com'], ['warn', 'alice-laptop', 'Alice@example.com'], ['warn', 'alice-laptop', 'alice@example.com '],
      ]);
      assert.ok(!JSON.stringify(lines).includes('tok-'), 'no token in the logs');
      alice.close();
      bob.close();
    } finally {
      await t.server.close();
    }
  });

  it('a server without tokens stamps no via', async () => {
    const t = await startTestServer({ store: 'memory' });
    try {
      const c = await TestClient.connect(t.url());
      const id = await c.declare();
      const [declared] = await t.store.read('payments-oncall', id, 0, 1);
      assert.equal((JSON.parse(declared!.json) as { via?: string }).via, undefined);
      c.close();
    } finally {
      await t.server.close();
    }
  });
});

/** Issue #17: read-only tokens, public channels and the token a browser sends in Sec-WebSocket-Protocol. */
describe('server/auth: read-only tokens and public status pages', function () {
  this.timeout(20_000);
  after(removeTempDirs);
  // As an operator writes them, parsed from JSON: the read token differs from the write token only in its last letter.
  const ACCESS_TOKENS = TokensFile.parse(JSON.parse(`[
    { "name": "payments-team", "token": "tok-payments-7f3a9c", "channels": ["payments-*"] },
    { "name": "stakeholders", "token": "tok-payments-7f3a9C", "channels": ["payments-*"], "access": "read" },
    { "name": "status-public", "public": true, "channels": ["payments-oncall"] }
  ]`));
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
  /** A session opened the way the status page opens it: subprotocols, an Origin, no Authorization header. */
  const browserLike = async (url: string, options: { token?: string; origin?: string; hello?: boolean } = {}): Promise<TestClient> => {
    const protocols = ['incident-room.v1', ...(options.token !== undefined ? [`incident-room.bearer.${b64(options.token)}`] : [])];
    const ws = new WebSocket(url, protocols, options.origin ? { origin: options.origin } : {});
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    assert.equal(ws.protocol, 'incident-room.v1', 'the server selects incident-room.v1, never the token');
    if (options.hello !== false) {
      client.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'status-page', name: 'Status page' } });
      await client.next((m) => m.type === 'welcome');
    }
    return client;
  };
  /** An upgrade with this Sec-WebSocket-Protocol header, sent as is (a ws client would refuse to send a malformed one): its status. */
  const rawUpgrade = (port: number, protocols: string, channel = 'payments-oncall'): Promise<number> => rawUpgradeStatus(port, { 'Sec-WebSocket-Protocol': protocols }, `/v1/channels/${channel}`);
  const at = () => new Date().toISOString();
  const mitigationId = randomUUID();
  const workstreamId = randomUUID();
  /** One valid event of every kind a client may append: a new kind must be listed here to compile. */
  const WRITES = {
    'incident.updated': { title: 'Checkout 5xx (EU only)' },
    'severity.changed': { severity: 'SEV1', reason: 'all regions' },
    'status.changed': { status: 'mitigating' },
    'role.assigned': { role: 'scribe', user: { id: 'bob@example.com', name: 'Bob' } },
    'note.added': { text: 'from a read token', tag: 'note' },
    'note.retagged': { noteId: randomUUID(), tag: 'fact' },
    'deploy.flagged': { ref: 'release-42', sha: 'abcdef1' },
    'mitigation.started': { mitigationId, action: 'rollback', description: 'roll back release-42' },
    'mitigation.finished': { mitigationId, result: 'succeeded' },
    'update.posted': { audience: 'external', text: 'We are looking into it.' },
    'action.added': { title: 'add an alert' },
    'action.updated': { actionId: randomUUID(), done: true },
    'triage.recorded': {
      users: { text: 'EU card payers', share: 'some' }, regions: ['eu-west-1'], routes: ['/checkout'], tenants: [], trend: 'growing',
      customer: { level: 'confirmed', evidence: 'support tickets' }, financial: { level: 'suspected' }, dataIntegrity: { level: 'none' },
    },
    'signal.linked': { fingerprint: 'a1b2c3d4e5f60718', alertname: 'HighErrorRate', startsAt: at() },
    'signal.resolved': { fingerprint: 'a1b2c3d4e5f60718', alertname: 'HighErrorRate', startsAt: at(), endsAt: at() },
    'escalation.requested': { reason: 'nobody owns checkout-db', summary: 'INC-1 Checkout 5xx', severity: 'critical', dedupKey: 'INC-1' },
    'mitigation.assessed': { mitigationId, assessment: 'helped', evidence: '5xx back under 0.1%' },
    'workstream.opened': { workstreamId, title: 'find the slow query', owner: { id: 'bob@example.com', name: 'Bob' }, kind: 'investigate' },
    'workstream.updated': { workstreamId, state: 'done' },
    'resolution.checked': { impactStopped: true, monitored: true, rootCauseKnown: false, followUpFiled: true },
    'terminal.command': { commandLine: 'kubectl rollout status deploy/api', exitCode: 0, durationMs: 1200 },
  } satisfies Record<AppendKind, Record<string, unknown>>;

  it('the tokens file takes "access": "read" and "public": true entries, and refuses the shapes that make no sense', () => {
    assert.equal(ACCESS_TOKENS.length, 3);
    const bad: [string, RegExp][] = [
      ['[{ "name": "x", "public": true, "token": "t", "channels": ["a"] }]', /\[0\]\.token: a "public": true entry has no token/],
      ['[{ "name": "x", "public": true, "channels": [] }]', /\[0\]\.channels: a "public": true entry needs at least one channel/],
      ['[{ "name": "x", "public": true, "channels": ["a"], "access": "read" }]', /\[0\]\.access/],
      ['[{ "name": "x", "channels": ["a"] }]', /\[0\]\.token: expected a token/],
      ['[{ "name": "x", "token": "t", "channels": ["a"], "access": "read", "users": ["a@example.com"] }]', /\[0\]\.users: a read-only token appends nothing/],
      ['[{ "name": "x", "token": "t", "channels": ["a"], "access": "admin" }]', /\[0\]\.access/],
    ];
    const dir = tempDir();
    for (const [json, message] of bad) {
      const file = path.join(dir, `${randomUUID()}.json`);
      writeFileSync(file, json);
      assert.throws(() => loadTokens(file), (e: Error) => e instanceof ConfigError && message.test(e.message), json);
    }
    const auth = new Authorizer(ACCESS_TOKENS);
    assert.deepEqual(auth.check('Bearer tok-payments-7f3a9C', 'payments-oncall'), { ok: true, name: 'stakeholders', users: null, access: 'read' });
    assert.deepEqual(auth.check('Bearer tok-payments-7f3a9c', 'payments-oncall'), { ok: true, name: 'payments-team', users: null });
    assert.deepEqual(auth.checkOrPublic(null, 'payments-oncall'), { ok: true, name: 'status-public', users: null, access: 'public' });
    assert.equal(auth.checkOrPublic(null, 'payments-eu').ok, false, 'public names payments-oncall only');
    assert.equal(auth.open, false);
    assert.equal(new Authorizer(TokensFile.parse([{ name: 'p', public: true, channels: ['x'] }])).open, false, 'a file with only a public entry is not an open server');
  });

  it('a read token lists, subscribes and receives; every kind of write is refused with error forbidden and the connection stays open', async () => {
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    const log = (event: string, fields: Record<string, unknown> = {}) => lines.push({ event, fields });
    const t = await startTestServer({ store: 'file', tokens: ACCESS_TOKENS, logger: { info: log, warn: log, error: log } });
    try {
      const writer = await TestClient.connect(t.url(), { token: 'tok-payments-7f3a9c' });
      const id = await writer.declare('Checkout 5xx');
      const reader = await TestClient.connect(t.url(), { token: 'tok-payments-7f3a9C' });
      const viaSubprotocol = await browserLike(t.url(), { token: 'tok-payments-7f3a9C' });
      for (const r of [reader, viaSubprotocol]) {
        const list = await r.request({ type: 'list' });
        assert.deepEqual((list.items as { id: string; commander: unknown }[]).map((i) => [i.id, i.commander]), [[id, { id: 'alice@example.com', name: 'Alice' }]]);
        r.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
        await r.waitForSeq(id, 1);
        const declare = await r.request({ type: 'declare', event: declareEvent('from a read token') });
        assert.equal(declare.type, 'error');
        assert.equal(declare.code, 'forbidden');
        assert.match(String(declare.message), /^declare: the token "stakeholders" is read-only \("access": "read"\): it may list, subscribe and receive, not declare incidents$/);
        for (const [kind, data] of Object.entries(WRITES)) {
          const reply = await r.append(id, { id: randomUUID(), kind, at: at(), data });
          assert.deepEqual([reply.type, reply.code], ['error', 'forbidden'], `${kind}: ${JSON.stringify(reply)}`);
          assert.match(String(reply.message), /read-only.*not append events/, kind);
        }
        assert.equal((await r.request({ type: 'ping' })).type, 'pong', 'the connection stays open');
      }
      // Nothing was written: the writer's append is seq 2, and the readers receive it live.
      const ack = await writer.append(id, noteEvent('written by the team'));
      assert.equal(ack.seq, 2);
      await reader.waitForSeq(id, 2);
      await viaSubprotocol.waitForSeq(id, 2);
      assert.equal((await writer.request({ type: 'list' })).items instanceof Array, true);
      assert.deepEqual(((await writer.request({ type: 'list' })).items as { headSeq: number }[]).map((i) => i.headSeq), [2]);
      assert.ok(lines.some((l) => l.event === 'connect' && l.fields.via === 'stakeholders' && l.fields.access === 'read'));
      assert.ok(!JSON.stringify(lines).includes('tok-'), 'no token in the logs');
      assert.ok(!JSON.stringify(lines).includes(b64('tok-payments-7f3a9C')), 'nor its subprotocol form');
      for (const c of [writer, reader, viaSubprotocol]) c.close();
    } finally {
      await t.server.close();
    }
  });

  it('the browser\'s token travels in Sec-WebSocket-Protocol: an unknown one gets 401, a malformed one 400, another channel 403; Authorization still works alone', async () => {
    const t = await startTestServer({ store: 'memory', tokens: ACCESS_TOKENS });
    try {
      const proto = (token: string) => `incident-room.v1, incident-room.bearer.${b64(token)}`;
      assert.equal(await rawUpgrade(t.server.port, proto('tok-payments-7f3a9c')), 101);
      assert.equal(await rawUpgrade(t.server.port, proto('tok-payments-7f3a9d')), 401);
      assert.equal(await rawUpgrade(t.server.port, proto('tok-payments-7f3a9C'), 'search-oncall'), 403);
      assert.equal(await rawUpgrade(t.server.port, 'incident-room.v1, incident-room.bearer.not base64!'), 400);
      assert.equal(await rawUpgrade(t.server.port, `incident-room.bearer.${b64('a')}, incident-room.bearer.${b64('b')}`), 400);
      // A client that offers no subprotocol and no token still hears 401 on a public channel: it expects to write.
      assert.equal(await upgradeStatus(t.url()), 401);
      assert.equal(await upgradeStatus(t.url(), { Authorization: 'Bearer tok-payments-7f3a9c' }), 101);
    } finally {
      await t.server.close();
    }
  });

  it('a public channel opens a status-only session without a token: no names, no events, no writes; other channels still need one', async () => {
    const t = await startTestServer({ store: 'memory', tokens: ACCESS_TOKENS });
    try {
      const writer = await TestClient.connect(t.url(), { token: 'tok-payments-7f3a9c' });
      const id = await writer.declare('Checkout 5xx');
      const origin = `http://127.0.0.1:${t.server.port}`;
      const anyone = await browserLike(t.url(), { origin });
      assert.deepEqual((anyone.messages[0]!.incidents as { id: string; commander: unknown }[]).map((i) => [i.id, i.commander]), [[id, null]]);
      assert.deepEqual(((await anyone.request({ type: 'list' })).items as { commander: unknown }[]).map((i) => i.commander), [null]);
      anyone.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
      const refused = await anyone.next((m) => m.type === 'error');
      assert.equal(refused.code, 'forbidden');
      assert.match(String(refused.message), /^subscribe: no token: this public channel serves its status page only/);
      const declare = await anyone.request({ type: 'declare', event: declareEvent() });
      assert.deepEqual([declare.type, declare.code], ['error', 'forbidden']);
      const append = await anyone.append(id, noteEvent());
      assert.deepEqual([append.type, append.code], ['error', 'forbidden']);
      // A summary change reaches it without the commander.
      await writer.append(id, { id: randomUUID(), kind: 'role.assigned', at: at(), data: { role: 'commander', user: { id: 'carol@example.com', name: 'Carol' } } });
      await writer.append(id, { id: randomUUID(), kind: 'status.changed', at: at(), data: { status: 'identified' } });
      const summary = await anyone.next((m) => m.type === 'incident' && (m.summary as { status: string }).status === 'identified');
      assert.equal((summary.summary as { commander: unknown }).commander, null);
      assert.ok(!JSON.stringify(anyone.messages).includes('Carol') && !JSON.stringify(anyone.messages).includes('Alice'), 'no names on a public session');
      assert.ok(anyone.eventsOf(id).length === 0, 'no events on a public session');
      // The page's own origin is accepted (a token server); another origin is not; a channel that is not public needs a token.
      await assert.rejects(browserLike(t.url(), { origin: 'https://evil.example' }), /HTTP 403/);
      await assert.rejects(browserLike(t.url('payments-eu'), { origin }), /HTTP 401/);
      for (const c of [writer, anyone]) c.close();
    } finally {
      await t.server.close();
    }
  });
});
