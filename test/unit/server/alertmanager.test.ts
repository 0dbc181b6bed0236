import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  alertmanagerBin, captureReceiver, type PostableAlert, type PushedAlert, type RunningAlertmanager, startAlertmanager,
} from '../../support/alertmanager';
import { until } from '../../support/until';
import { iso, type Msg, removeTempDirs, startTestServer, TestClient, type TestServer } from './helpers';

/**
 * Issue #11, for real: Debian's prometheus-alertmanager (test/support/alertmanager.ts) with its webhook pointed at a
 * real channel server (file store, tokens), alerts pushed to its API, and a responder's session on the channel seeing
 * the signals arrive, listed, linked and resolved. Nothing here is mocked; every wait is for a state, not a time.
 */

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'alertmanager');
const CHANNEL = 'payments-oncall';
const ALERTMANAGER_TOKEN = randomBytes(32).toString('hex');
const RESPONDER_TOKEN = randomBytes(32).toString('hex');
const TOKENS = [
  { name: 'alertmanager', token: ALERTMANAGER_TOKEN, channels: [CHANNEL] },
  { name: 'payments-team', token: RESPONDER_TOKEN, channels: ['payments-*'] },
];

interface WireSignal {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
  generatorURL: string | null;
  externalURL?: string;
  receiver?: string;
  incidentId: string | null;
}

const signalOf = (m: Msg) => m.signal as WireSignal;
const sameInstant = (a: string | null | undefined, b: string | null | undefined) => a != null && b != null && Date.parse(a) === Date.parse(b);

/** A realistic alert, unique per test (its own alertname: its own group, its own notification). */
function anAlert(name: string, extra: Record<string, string> = {}): PostableAlert {
  return {
    labels: { alertname: name, severity: 'critical', service: 'checkout', region: 'eu-west-1', job: 'checkout-api', ...extra },
    annotations: {
      summary: `${name}: checkout 5xx above 5%`,
      description: 'checkout-api answers 5xx to 7.3% of requests in eu-west-1 (threshold 5%).',
      runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
    },
    // An alert that started a little while ago, as a rule's would have.
    startsAt: iso(Date.now() - 90_000),
    generatorURL: `http://prometheus.example.com:9090/graph?g0.expr=${encodeURIComponent(`job:errors:ratio5m{alert="${name}"} > 0.05`)}&g0.tab=1`,
  };
}

describe('server/alertmanager: a real Prometheus Alertmanager posts to the channel server', function () {
  this.timeout(30_000);
  let skipped = false;
  let t: TestServer;
  let am: RunningAlertmanager;
  const clients: TestClient[] = [];

  before(async function () {
    // The first run on a machine may install the package (apt-get update + install).
    this.timeout(900_000);
    const found = alertmanagerBin();
    if ('missing' in found) {
      skipped = true;
      console.log(`      skipped: ${found.missing}`);
      this.skip();
    }
    t = await startTestServer({ tokens: TOKENS });
    am = await startAlertmanager({ webhookUrl: `http://127.0.0.1:${t.server.port}/v1/channels/${CHANNEL}/alerts`, token: ALERTMANAGER_TOKEN });
  });

  after(async () => {
    for (const c of clients) c.close();
    await am?.stop();
    await t?.server.close();
    removeTempDirs();
  });

  async function responder(): Promise<TestClient> {
    const c = await TestClient.connect(t.url(CHANNEL), { token: RESPONDER_TOKEN });
    clients.push(c);
    return c;
  }

  /** Alertmanager's own fingerprint for an alert it holds (the receiver must keep the very same). */
  async function fingerprintOf(alert: PostableAlert): Promise<string> {
    return until(`Alertmanager to hold ${alert.labels.alertname}`, async () => {
      const held = await am.alerts();
      return held.find((a) => JSON.stringify(a.labels) === JSON.stringify(Object.fromEntries(Object.entries(alert.labels).sort())))?.fingerprint;
    });
  }

  /** The next `signal` frame for `fingerprint` matching `pred`; on a timeout, what Alertmanager said about its sends. */
  const nextSignal = (c: TestClient, fingerprint: string, pred: (s: WireSignal) => boolean, timeoutMs = 10_000) =>
    c.next((m) => m.type === 'signal' && signalOf(m).fingerprint === fingerprint && pred(signalOf(m)), timeoutMs).then(signalOf, (e: Error) => {
      const complaints = am.log().split('\n').filter((l) => /level=(error|warn)/.test(l)).slice(-3);
      throw new Error(`${e.message}\nAlertmanager's last complaints:\n${complaints.join('\n') || '(none)'}`);
    });

  it('Alertmanager posts webhook payload version 4 with the bearer token, shaped as the fixtures', async function () {
    if (skipped) this.skip();
    // A second Alertmanager, pointed at a plain receiver: what the channel server is sent, seen from outside it.
    const receiver = await captureReceiver();
    const plain = await startAlertmanager({ webhookUrl: `${receiver.url}/v1/channels/${CHANNEL}/alerts`, token: ALERTMANAGER_TOKEN });
    try {
      const [alert] = await plain.push([anAlert('PayloadShape')]);
      const firing = await until('the firing notification', () => receiver.deliveries.find((d) => d.body.status === 'firing'));
      await plain.resolve([alert!]);
      const resolved = await until('the resolved notification', () => receiver.deliveries.find((d) => d.body.status === 'resolved'));
      for (const [got, name] of [[firing, 'firing'], [resolved, 'resolved']] as const) {
        assert.equal(got.path, `/v1/channels/${CHANNEL}/alerts`);
        assert.equal(got.headers.authorization, `Bearer ${ALERTMANAGER_TOKEN}`);
        assert.match(String(got.headers['content-type']), /^application\/json/);
        assert.equal(got.body.version, '4');
        const fixture = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>;
        assert.deepEqual(Object.keys(got.body).sort(), Object.keys(fixture).sort(), `${name}: the payload's fields are the fixture's`);
        const alerts = got.body.alerts as Record<string, unknown>[];
        assert.equal(alerts.length, 1);
        assert.deepEqual(Object.keys(alerts[0]!).sort(), Object.keys((fixture.alerts as Record<string, unknown>[])[0]!).sort());
        assert.equal(alerts[0]!.status, name);
        assert.match(String(alerts[0]!.fingerprint), /^[0-9a-f]{16}$/);
      }
      assert.equal((firing.body.alerts as { endsAt: string }[])[0]!.endsAt, '0001-01-01T00:00:00Z', 'a firing alert ends at Go\'s zero time');
    } finally {
      await plain.stop();
      await receiver.close();
    }
  });

  it('an alert fired in Alertmanager arrives as a signal frame, is listed firing, then resolves', async function () {
    if (skipped) this.skip();
    const c = await responder();
    const [alert] = await am.push([anAlert(`HighErrorRate${randomUUID().slice(0, 8)}`, { instance: 'checkout-api-1:8080' })]) as [PushedAlert];
    const fingerprint = await fingerprintOf(alert);

    const firing = await nextSignal(c, fingerprint, (s) => s.status === 'firing');
    assert.deepEqual(firing.labels, alert.labels);
    assert.deepEqual(firing.annotations, alert.annotations);
    assert.ok(sameInstant(firing.startsAt, alert.startsAt), `startsAt ${firing.startsAt} is the alert's ${alert.startsAt}`);
    assert.equal(firing.endsAt, null, 'a firing signal has no end (not Go\'s zero time)');
    assert.equal(firing.generatorURL, alert.generatorURL);
    assert.equal(firing.incidentId, null);
    if (firing.externalURL !== undefined) assert.equal(firing.externalURL, am.url);
    if (firing.receiver !== undefined) assert.equal(firing.receiver, 'incident-room');

    const listed = await c.request({ type: 'signals' });
    assert.equal(listed.type, 'signals');
    const items = listed.items as WireSignal[];
    const item = items.find((s) => s.fingerprint === fingerprint);
    assert.ok(item, 'the signals list has it');
    assert.equal(item.status, 'firing');
    const firstResolved = items.findIndex((s) => s.status === 'resolved');
    assert.ok(firstResolved === -1 || items.indexOf(item) < firstResolved, 'firing signals come first');

    await am.resolve([alert]);
    const resolved = await nextSignal(c, fingerprint, (s) => s.status === 'resolved');
    assert.ok(resolved.endsAt !== null && Date.parse(resolved.endsAt) >= Date.parse(alert.startsAt), `endsAt ${resolved.endsAt}`);
    assert.ok(Date.parse(resolved.endsAt) <= Date.now());
    assert.ok(sameInstant(resolved.startsAt, alert.startsAt), 'the same signal: its start is kept');
    assert.deepEqual(resolved.labels, alert.labels);

    const after = (await c.request({ type: 'signals' })).items as WireSignal[];
    assert.equal(after.filter((s) => s.fingerprint === fingerprint).length, 1, 'deduplicated by fingerprint');
    assert.equal(after.find((s) => s.fingerprint === fingerprint)!.status, 'resolved');
  });

  it('a signal linked to an incident (signal.linked) lands on its timeline as signal.resolved when Alertmanager resolves it', async function () {
    if (skipped) this.skip();
    const c = await responder();
    const name = `CheckoutLatency${randomUUID().slice(0, 8)}`;
    const [alert] = await am.push([anAlert(name, { instance: 'checkout-api-2:8080' })]) as [PushedAlert];
    const fingerprint = await fingerprintOf(alert);
    await nextSignal(c, fingerprint, (s) => s.status === 'firing');

    const incidentId = await c.declare('Checkout latency');
    c.send({ type: 'subscribe', incidentId, afterSeq: 0 });
    const linked = await c.append(incidentId, {
      id: randomUUID(), kind: 'signal.linked', at: iso(),
      data: { fingerprint, alertname: name, summary: alert.annotations!.summary, startsAt: alert.startsAt, labels: alert.labels, generatorURL: alert.generatorURL },
    });
    assert.equal(linked.type, 'ack', JSON.stringify(linked));
    const linkedSignal = await nextSignal(c, fingerprint, (s) => s.incidentId === incidentId);
    assert.equal(linkedSignal.status, 'firing');

    await am.resolve([alert]);
    await nextSignal(c, fingerprint, (s) => s.status === 'resolved');
    const event = await until('signal.resolved on the incident', () => c.eventsOf(incidentId).find((e) => e.kind === 'signal.resolved'));
    assert.equal(event.data.fingerprint, fingerprint);
    assert.equal(event.data.alertname, name);
    assert.ok(sameInstant(event.data.startsAt as string, alert.startsAt));
    assert.ok(Date.parse(event.data.endsAt as string) >= Date.parse(alert.startsAt));
    // The signal keeps its link after monitoring's resolve (a notification never unlinks).
    const listed = ((await c.request({ type: 'signals' })).items as WireSignal[]).find((s) => s.fingerprint === fingerprint);
    assert.equal(listed?.incidentId, incidentId);
    assert.equal(listed?.status, 'resolved');
  });
});
