import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { TokensFile } from '../../../src/server/auth';
import { StatusMessage, StatusPage } from '../../../src/status/statusSchema';
import { httpGet, removeTempDirs, startTestServer, TestClient, tempDir, type TestServer } from './helpers';

// As an operator writes them, parsed from JSON (PROTOCOL.md "Tokens file").
const TOKENS = TokensFile.parse(JSON.parse(`[
  { "name": "payments-team", "token": "tok-payments-7f3a9c", "channels": ["payments-*"] },
  { "name": "stakeholders", "token": "tok-stake-31c0aa", "channels": ["payments-*"], "access": "read" },
  { "name": "search", "token": "tok-search-44aa10", "channels": ["search-oncall"] },
  { "name": "status-public", "public": true, "channels": ["search-oncall"] }
]`));

const at = (ms = Date.now()) => new Date(ms).toISOString();
const event = (kind: string, data: Record<string, unknown>) => ({ id: randomUUID(), kind, at: at(), data });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** What must never reach a stakeholder: internal notes, guesses, names, code, internal updates, a status change's note. */
const SECRETS = ['db-primary-7 is at 100% CPU', 'maybe the pool size', 'Alice', 'alice@example.com', 'Bob', 'src/pay/pool.ts', 'const POOL = 5', 'internal: the DBA is on it', 'rolled back by hand', 'release-42', 'abcdef1', 'payments-team'];

/** A realistic incident as responders write it, with something of every kind stakeholders must not see. */
async function realisticIncident(writer: TestClient, title = 'Checkout fails for some card payments'): Promise<string> {
  const reply = await writer.request({
    type: 'declare',
    event: { id: randomUUID(), at: at(), data: { title, severity: 'SEV2', symptom: 'db-primary-7 is at 100% CPU', scope: 'EU cards' } },
  });
  const id = reply.incidentId as string;
  for (const e of [
    event('note.added', { text: 'db-primary-7 is at 100% CPU', tag: 'fact' }),
    event('note.added', { text: 'maybe the pool size', tag: 'guess', source: { path: 'src/pay/pool.ts', startLine: 3, endLine: 3, snippet: 'const POOL = 5' } }),
    event('role.assigned', { role: 'tech_lead', user: { id: 'bob@example.com', name: 'Bob' } }),
    event('deploy.flagged', { ref: 'release-42', sha: 'abcdef1' }),
    event('update.posted', { audience: 'internal', text: 'internal: the DBA is on it' }),
    event('update.posted', { audience: 'external', text: 'Some card payments fail. We are investigating.', nextUpdateBy: at(Date.now() + 30 * 60_000), eta: at(Date.now() + 90 * 60_000) }),
    event('status.changed', { status: 'mitigating', note: 'rolled back by hand' }),
  ]) {
    const ack = await writer.append(id, e);
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
  }
  return id;
}

/** Issue #17: the stakeholder page's data over HTTP (status.json) and over the protocol (watchStatus). */
describe('server/status page: status.json, watchStatus, access and headers', function () {
  this.timeout(30_000);
  let t: TestServer;
  const clients: TestClient[] = [];
  const connect = async (token: string, channel?: string) => {
    const c = await TestClient.connect(t.url(channel), { token });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    t = await startTestServer({ tokens: TOKENS });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.server.close();
  });
  after(removeTempDirs);

  it('status.json shows title, severity and its meaning, status and since when, external updates with their promise — and nothing internal', async () => {
    const writer = await connect('tok-payments-7f3a9c');
    const id = await realisticIncident(writer);
    const res = await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json', bearer('tok-stake-31c0aa'));
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const parsed = StatusPage.safeParse(JSON.parse(res.body));
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    const page = parsed.data;
    assert.equal(page.channel, 'payments-oncall');
    assert.deepEqual(page.recentlyResolved, []);
    assert.equal(page.open.length, 1);
    const inc = page.open[0]!;
    assert.deepEqual([inc.id, inc.title, inc.severity, inc.severityLabel, inc.status], [id, 'Checkout fails for some card payments', 'SEV2', 'Significant', 'mitigating']);
    assert.match(inc.severityMeaning, /Partial outage/);
    assert.equal(inc.latestUpdate?.text, 'Some card payments fail. We are investigating.');
    assert.equal(inc.nextUpdateDue, inc.latestUpdate?.nextUpdateBy, 'due when the external update promised');
    assert.ok(inc.latestUpdate?.eta && Date.parse(inc.latestUpdate.eta) > Date.now() + 80 * 60_000, 'the update\'s ETA is on the page');
    assert.equal(inc.updates.length, 1, 'the internal update is not one of them');
    assert.ok(Date.parse(inc.statusSince) >= Date.parse(inc.declaredAt));
    for (const secret of SECRETS) assert.ok(!res.body.includes(secret), `status.json shows "${secret}"`);
    // A write token reads it too.
    assert.equal((await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json', bearer('tok-payments-7f3a9c'))).status, 200);
  });

  it('status.json needs a token granted the channel (401 / 403) unless the tokens file marks the channel public', async () => {
    const none = await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match(JSON.parse(none.body).error, /no token/);
    assert.equal((await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json', bearer('tok-stake-31c0aA'))).status, 401, 'tokens are exact');
    assert.equal((await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json', { Authorization: 'Basic dG9r' })).status, 401);
    const other = await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json', bearer('tok-search-44aa10'));
    assert.equal(other.status, 403);
    assert.match(JSON.parse(other.body).error, /does not grant channel payments-oncall/);
    // The token never works from the query string.
    assert.equal((await httpGet(t.server.port, '/v1/channels/payments-oncall/status.json?token=tok-stake-31c0aa')).status, 401);
    const pub = await httpGet(t.server.port, '/v1/channels/search-oncall/status.json');
    assert.equal(pub.status, 200, pub.body);
    assert.deepEqual(JSON.parse(pub.body).open, []);
    assert.equal((await httpGet(t.server.port, '/v1/channels/Bad_Name/status.json')).status, 404);
  });

  it('every status response carries a strict CSP, nosniff, no-referrer and denies framing; the page itself carries no data', async () => {
    const writer = await connect('tok-payments-7f3a9c');
    await realisticIncident(writer, 'Secret-looking title <b>');
    for (const [path, headers] of [
      ['/v1/channels/payments-oncall/status', {}], ['/v1/channels/payments-oncall/status.json', bearer('tok-stake-31c0aa')],
      ['/v1/channels/payments-oncall/status.json', {}], ['/v1/channels/payments-oncall/status.js', {}], ['/v1/channels/payments-oncall/status.css', {}],
    ] as const) {
      const res = await httpGet(t.server.port, path, headers);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, `${path}: no inline script, no eval`);
      assert.match(csp, /style-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /form-action 'none'/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    }
    const shell = await httpGet(t.server.port, '/v1/channels/payments-oncall/status');
    assert.equal(shell.status, 200);
    assert.match(shell.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(!shell.body.includes('Secret-looking'), 'the shell is served to anyone, so it holds no data');
    assert.ok(!/<script>|<style>| style=| on[a-z]+=/i.test(shell.body), 'no inline script, style or handler');
    assert.match(shell.body, /src="status\.js"/, 'relative URLs, for a reverse proxy\'s path prefix');
    assert.match(shell.body, /href="status\.css"/);
    const post = await fetch(`http://127.0.0.1:${t.server.port}/v1/channels/payments-oncall/status.json`, { method: 'POST', headers: bearer('tok-stake-31c0aa'), body: '{}' });
    assert.equal(post.status, 405, 'nothing is written over HTTP');
  });

  it('watchStatus: a read session gets the page, then a new one within a second of an external update; an internal note sends nothing', async () => {
    const writer = await connect('tok-payments-7f3a9c');
    const id = await realisticIncident(writer);
    const reader = await connect('tok-stake-31c0aa');
    const first = await reader.request({ type: 'watchStatus' });
    const parsed = StatusMessage.safeParse(first);
    assert.ok(parsed.success, JSON.stringify(first).slice(0, 400));
    assert.equal(parsed.data.page.open[0]?.latestUpdate?.text, 'Some card payments fail. We are investigating.');
    const count = () => reader.messages.filter((m) => m.type === 'status').length;
    // An internal note changes nothing a stakeholder sees: no frame (the next frame is the external update's).
    await writer.append(id, event('note.added', { text: 'internal only', tag: 'note' }));
    const t0 = performance.now();
    await writer.append(id, event('update.posted', { audience: 'external', text: 'A fix is being deployed.', nextUpdateBy: at(Date.now() + 15 * 60_000) }));
    const next = await reader.next((m) => m.type === 'status' && m !== first, 1000, false);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `${ms} ms`);
    const page = StatusMessage.parse(next).page;
    assert.equal(page.open[0]?.latestUpdate?.text, 'A fix is being deployed.');
    assert.deepEqual(page.open[0]?.updates.map((u) => u.text), ['A fix is being deployed.', 'Some card payments fail. We are investigating.']);
    assert.equal(count(), 2, 'the internal note sent no status frame');
    assert.ok(!JSON.stringify(reader.messages.filter((m) => m.type === 'status')).includes('internal only'));
    // Resolving moves it to recently resolved.
    await writer.append(id, event('status.changed', { status: 'resolved' }));
    const resolved = StatusMessage.parse(await reader.next((m) => m.type === 'status' && (m.page as StatusPage).recentlyResolved.length === 1, 2000, false)).page;
    assert.deepEqual(resolved.open, []);
    assert.equal(resolved.recentlyResolved[0]?.status, 'resolved');
    assert.equal(resolved.recentlyResolved[0]?.nextUpdateDue, null);
  });

  it('a public session watches without a token; a new incident appears on the page; a malformed watchStatus is refused naming the field', async () => {
    const ws = new WebSocket(t.url('search-oncall'), ['incident-room.v1']);
    const anyone = new TestClient(ws);
    clients.push(anyone);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    anyone.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'status-page', name: 'Status page' } });
    await anyone.next((m) => m.type === 'welcome');
    const first = StatusMessage.parse(await anyone.request({ type: 'watchStatus' }));
    assert.deepEqual(first.page.open, []);
    const writer = await connect('tok-search-44aa10', 'search-oncall');
    const id = await realisticIncident(writer, 'Search is slow');
    const shown = await anyone.next((m) => m.type === 'status' && (m.page as StatusPage).open.some((i) => i.status === 'mitigating'), 3000);
    assert.equal((shown.page as StatusPage).open[0]?.id, id);
    assert.ok(!JSON.stringify(anyone.messages).includes('Alice'));
    anyone.send({ type: 'watchStatus', requestId: 7 });
    const bad = await anyone.next((m) => m.type === 'error');
    assert.equal(bad.code, 'invalid_message');
    assert.match(String(bad.message), /^requestId: /);
  });

  it('serves the built script and style with their types, and says how to build them when they are missing', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'status-page.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'status-page.css'), 'body{}');
    const built = await startTestServer({ store: 'memory', tokens: TOKENS, statusAssetsDir: dir });
    try {
      const js = await httpGet(built.server.port, '/v1/channels/payments-oncall/status.js');
      assert.deepEqual([js.status, js.headers.get('content-type'), js.body], [200, 'text/javascript; charset=utf-8', 'console.log(1)']);
      const css = await httpGet(built.server.port, '/v1/channels/payments-oncall/status.css');
      assert.deepEqual([css.status, css.headers.get('content-type')], [200, 'text/css; charset=utf-8']);
    } finally {
      await built.server.close();
    }
    const missing = await httpGet(t.server.port, '/v1/channels/payments-oncall/status.js');
    assert.equal(missing.status, 503);
    assert.match(JSON.parse(missing.body).error, /npm run build/);
  });

  it('a server without tokens serves status.json to loopback host names only (a rebound name is not one)', async () => {
    const open = await startTestServer({ store: 'memory' });
    try {
      assert.equal((await httpGet(open.server.port, '/v1/channels/payments-oncall/status.json')).status, 200);
      const rebound = await new Promise<number>((resolve, reject) => {
        // fetch() will not send another Host; a raw request does, as a browser on a rebound name would.
        const req = httpRequest({ host: '127.0.0.1', port: open.server.port, path: '/v1/channels/payments-oncall/status.json', headers: { Host: `evil.example:${open.server.port}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
        req.on('error', reject);
        req.end();
      });
      assert.equal(rebound, 403);
    } finally {
      await open.server.close();
    }
  });
});
