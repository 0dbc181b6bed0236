import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { MAX_ALERT_BODY_BYTES } from '../../../src/server/alertIntake';
import { TokensFile } from '../../../src/server/auth';
import { MemoryStore } from '../../../src/store/memoryStore';
import { alertmanagerBody, ALERTMANAGER_V4, postAlerts, stormAlert } from './alertPayloads';
import { metricsText, removeTempDirs, sample, startTestServer, TestClient, type TestServer } from './helpers';

// As an operator writes them (PROTOCOL.md "Tokens file").
const TOKENS = TokensFile.parse(JSON.parse(`[
  { "name": "alertmanager-prod", "token": "tok-am-5be2d1", "channels": ["payments-oncall"] },
  { "name": "search-team", "token": "tok-search-44aa10", "channels": ["search-oncall"] },
  { "name": "stakeholders", "token": "tok-stake-31c0aa", "channels": ["payments-*"], "access": "read" },
  { "name": "status-public", "public": true, "channels": ["payments-oncall"] }
]`));

/** Send raw HTTP (what a client library would not) and read the whole answer until the server closes or `ms` pass. */
function rawHttp(port: number, text: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = '';
    socket.on('data', (d) => (got += String(d)));
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.write(text);
    setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, ms).unref();
  });
}

describe('server/alertIntake: POST /v1/channels/CHANNEL/alerts', function () {
  this.timeout(30_000);
  let t: TestServer;
  afterEach(async () => {
    await t.server.close();
  });
  after(removeTempDirs);

  it('answers 202 {accepted: N} to a token granted the channel, and only once the signals are stored', async () => {
    t = await startTestServer({ tokens: TOKENS });
    const res = await postAlerts(t.server.port, alertmanagerBody([stormAlert(1), stormAlert(2)]), { token: 'tok-am-5be2d1', contentType: 'application/json; charset=utf-8' });
    assert.deepEqual([res.status, res.body, res.headers.get('content-type')], [202, { accepted: 2 }, 'application/json']);
    assert.equal((await t.store.listSignals('payments-oncall')).length, 2, 'stored when the answer came');
  });

  it('refuses a missing, unknown or mistyped token with 401 (WWW-Authenticate: Bearer), before reading the body', async () => {
    t = await startTestServer({ tokens: TOKENS });
    for (const token of [undefined, 'tok-nobody', 'TOK-AM-5BE2D1']) {
      const res = await postAlerts(t.server.port, ALERTMANAGER_V4, token ? { token } : {});
      assert.equal(res.status, 401, token);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="incident-room"');
      assert.equal(res.headers.get('connection'), 'close', 'the body is not read: the connection goes');
      assert.match(String(res.body['error']), token ? /unknown token/ : /no token: send "Authorization: Bearer TOKEN"/);
    }
    // A public channel publishes its status page, not a way to write to it.
    assert.equal((await postAlerts(t.server.port, ALERTMANAGER_V4)).status, 401);
    assert.deepEqual(await t.store.listSignals('payments-oncall'), []);
    assert.equal(sample(await metricsText(t), 'incident_room_auth_refusals_total{status="401"}'), 4);
  });

  it('refuses with 403 a token that does not grant the channel, and a read-only token', async () => {
    t = await startTestServer({ tokens: TOKENS });
    const other = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-search-44aa10' });
    assert.deepEqual([other.status, other.body['error']], [403, 'this token does not grant channel payments-oncall']);
    const reader = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-stake-31c0aa' });
    assert.equal(reader.status, 403);
    assert.match(String(reader.body['error']), /"stakeholders" is read-only/);
    assert.equal((await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-am-5be2d1', channel: 'payments-eu' })).status, 403);
    assert.deepEqual(await t.store.listSignals('payments-oncall'), []);
  });

  it('takes alerts without a token only on a server without tokens, from this machine, addressed to a loopback name', async () => {
    t = await startTestServer();
    assert.equal((await postAlerts(t.server.port, ALERTMANAGER_V4)).status, 202);
    const rebound = await postAlerts(t.server.port, ALERTMANAGER_V4, { headers: { Host: 'alerts.attacker.example:7077' } });
    assert.equal(rebound.status, 403);
    assert.match(String(rebound.body['error']), /only from this machine/);
  });

  it('answers another method with 405 (Allow: POST), a body that is not JSON with 415', async () => {
    t = await startTestServer({ tokens: TOKENS });
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-am-5be2d1', method });
      assert.deepEqual([res.status, res.headers.get('allow')], [405, 'POST'], method);
    }
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const res = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-am-5be2d1', contentType });
      assert.equal(res.status, 415, String(contentType));
    }
    // Other paths keep their answers.
    const wrong = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-am-5be2d1', channel: 'Not_A_Channel' });
    assert.equal(wrong.status, 405);
  });

  it('refuses a bad payload with 400 {error, field} naming the field, and stores none of it', async () => {
    t = await startTestServer({ tokens: TOKENS });
    const body = JSON.parse(alertmanagerBody([stormAlert(1), stormAlert(2)])) as { alerts: Record<string, unknown>[] };
    body.alerts[1]!['startsAt'] = 'not a time';
    const res = await postAlerts(t.server.port, JSON.stringify(body), { token: 'tok-am-5be2d1' });
    assert.equal(res.status, 400);
    assert.equal(res.body['field'], 'alerts[1].startsAt');
    assert.match(String(res.body['error']), /^alerts\[1\]\.startsAt: expected an ISO-8601 time/);
    const notJson = await postAlerts(t.server.port, '{"version": "4", "alerts": [', { token: 'tok-am-5be2d1' });
    assert.deepEqual([notJson.status, notJson.body['field']], [400, null]);
    assert.match(String(notJson.body['error']), /not valid JSON/);
    const head = [
      'POST /v1/channels/payments-oncall/alerts HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer tok-am-5be2d1', 'Content-Type: application/json',
      'Content-Length: 3', 'Connection: close', '', '',
    ].join('\r\n');
    const notUtf8 = await rawHttp(t.server.port, Buffer.concat([Buffer.from(head), Buffer.from([0x22, 0xff, 0x22])]));
    assert.match(notUtf8, /^HTTP\/1\.1 400 /);
    assert.match(notUtf8, /"error":"the body is not valid UTF-8"/);
    assert.deepEqual(await t.store.listSignals('payments-oncall'), [], 'all or nothing: alert 0 was fine, nothing was stored');
  });

  it('refuses a body over the limit with 413: at once for its Content-Length, and mid-stream for a chunked one', async () => {
    t = await startTestServer({ tokens: TOKENS, maxAlertBodyBytes: 64 * 1024 });
    const declared = await rawHttp(t.server.port, [
      'POST /v1/channels/payments-oncall/alerts HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer tok-am-5be2d1', 'Content-Type: application/json',
      `Content-Length: ${64 * 1024 + 1}`, '', '',
    ].join('\r\n'));
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assert.match(declared, /"error":"the body is over 65536 bytes; send fewer alerts per call \(Alertmanager: max_alerts in webhook_config\)"/);
    // Chunked, no length: read until the limit, then refused; what it carried is not stored.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: t.server.port, path: '/v1/channels/payments-oncall/alerts', method: 'POST', agent: false,
        headers: { Authorization: 'Bearer tok-am-5be2d1', 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const body = alertmanagerBody(Array.from({ length: 200 }, (_, i) => stormAlert(i)));
      assert.ok(body.length > 64 * 1024);
      let at = 0;
      const pump = () => {
        while (at < body.length) {
          const more = req.write(body.slice(at, at + 8192));
          at += 8192;
          if (!more) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 413);
    assert.deepEqual(await t.store.listSignals('payments-oncall'), []);
    // Within the limit it is taken.
    assert.equal((await postAlerts(t.server.port, alertmanagerBody([stormAlert(1)]), { token: 'tok-am-5be2d1' })).status, 202);
  });

  it('holds a realistic 5,000-alert storm under the default limit', () => {
    const body = alertmanagerBody(Array.from({ length: 5000 }, (_, i) => stormAlert(i)));
    assert.ok(Buffer.byteLength(body) * 2 < MAX_ALERT_BODY_BYTES, `${Buffer.byteLength(body)} bytes, at least twice over`);
  });

  it('answers 503 when the store refuses the signals: nothing acknowledged, nothing told', async () => {
    const store = new MemoryStore();
    await store.open();
    t = await startTestServer({ tokens: TOKENS, eventStore: store });
    const c = await TestClient.connect(t.url(), { token: 'tok-stake-31c0aa', user: 'stakeholder' });
    store.failAppends();
    const res = await postAlerts(t.server.port, ALERTMANAGER_V4, { token: 'tok-am-5be2d1' });
    assert.deepEqual([res.status, res.headers.get('retry-after')], [503, '5']);
    assert.match(String(res.body['error']), /could not be stored; nothing was acknowledged/);
    assert.equal((await c.request({ type: 'ping' })).type, 'pong');
    assert.deepEqual(c.messages.filter((m) => m.type === 'signal'), []);
    c.close();
  });
});
