import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Authorizer, ConfigError, grants, isLoopback } from '../../../src/server/auth';
import { startServer } from '../../../src/server/channelServer';
import type { Logger } from '../../../src/server/logger';
import { MemoryStore } from '../../../src/store/memoryStore';
import { httpGet, removeTempDirs, runServerCli, spawnServer, startTestServer, TestClient, tempDir, upgradeResponse, upgradeStatus } from './helpers';

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
      const metrics = await httpGet(t.server.port, '/metrics');
      assert.match(metrics.body, /incident_room_auth_refusals_total\{status="401"\} [5-9]/);
      // An accepted token works end to end.
      const c = await TestClient.connect(t.url('payments-oncall'), { token: 'tok-payments-7f3a9c' });
      assert.equal(c.messages[0]?.type, 'welcome');
      c.close();
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
    assert.deepEqual(auth.check('bearer   tok-ops-b81d2e ', 'x'), { ok: true, name: 'ops' });
    assert.equal(new Authorizer(null).open, true);
  });
});
