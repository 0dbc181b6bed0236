import assert from 'node:assert/strict';
import { Signal } from '../../../src/protocol/messages';
import { PayloadError, parseAlertPayload } from '../../../src/server/alertPayload';
import { alertmanagerBody, ALERTMANAGER_V4, GRAFANA, stormAlert } from './alertPayloads';

/** The field and message a body is refused with. */
async function refusal(body: string | Buffer[]): Promise<{ field: string | null; message: string }> {
  try {
    await parseAlertPayload(body);
  } catch (e) {
    assert.ok(e instanceof PayloadError, String(e));
    return { field: e.field, message: e.message };
  }
  throw new Error('the body was taken');
}

/** A body with one field of its first alert (or of the envelope, `alerts` not named) replaced. */
function changed(path: string, value: unknown, base = ALERTMANAGER_V4): string {
  const body = JSON.parse(base) as Record<string, unknown> & { alerts: Record<string, unknown>[] };
  const [where, key] = path.startsWith('alerts[0].') ? [body.alerts[0]!, path.slice('alerts[0].'.length)] : [body, path];
  if (value === undefined) delete where[key];
  else where[key] = value;
  return JSON.stringify(body);
}

describe('server/alertPayload', () => {
  it('takes every field of Alertmanager\'s version 4 payload into the signal: labels, annotations, times, links, source', async () => {
    const { envelope, alerts } = await parseAlertPayload(ALERTMANAGER_V4);
    assert.deepEqual(envelope, {
      version: '4', groupKey: '{}:{alertname="HighErrorRate"}', truncatedAlerts: 0, status: 'firing', receiver: 'incident-room',
      groupLabels: { alertname: 'HighErrorRate' },
      commonLabels: { alertname: 'HighErrorRate', instance: 'checkout-7d9f8b6c5-x2x9k:8080', job: 'checkout', region: 'eu-west-1', service: 'checkout', severity: 'critical' },
      commonAnnotations: { summary: 'Checkout 5xx rate above 5%' }, externalURL: 'http://alertmanager-0.monitoring.svc:9093',
    });
    assert.deepEqual(alerts, [{
      fingerprint: 'a1b2c3d4e5f60718', status: 'firing',
      labels: { alertname: 'HighErrorRate', instance: 'checkout-7d9f8b6c5-x2x9k:8080', job: 'checkout', region: 'eu-west-1', service: 'checkout', severity: 'critical' },
      annotations: {
        description: 'The 5xx ratio of checkout in eu-west-1 has been 7.3% for 5 minutes.',
        runbook_url: 'https://runbooks.example.com/checkout/high-error-rate', summary: 'Checkout 5xx rate above 5%',
      },
      startsAt: '2026-11-22T14:02:00.123Z',
      endsAt: null,
      generatorURL: 'http://prometheus-0:9090/graph?g0.expr=job%3A5xx_ratio%3Arate5m%7Bjob%3D%22checkout%22%7D+%3E+0.05&g0.tab=1',
      externalURL: 'http://alertmanager-0.monitoring.svc:9093',
      receiver: 'incident-room',
    }]);
    assert.ok(Signal.safeParse({ ...alerts[0], incidentId: null, receivedAt: '2026-11-22T14:02:05Z', updatedAt: '2026-11-22T14:02:05Z' }).success, 'a valid Signal');
  });

  it('takes Grafana\'s variant: version "1" with orgId, and its silence, dashboard and panel links and query values', async () => {
    const { envelope, alerts } = await parseAlertPayload(GRAFANA);
    assert.deepEqual([envelope.version, envelope.orgId, envelope.externalURL], ['1', 1, 'https://grafana.example.com/']);
    assert.deepEqual(alerts, [{
      fingerprint: '57c6d9296de2ad39', status: 'firing',
      labels: { alertname: 'Checkout latency', grafana_folder: 'Payments', service: 'checkout', severity: 'page' },
      annotations: { summary: 'p99 latency of checkout above 2 s', description: 'p99 is 2.37 s over the last 5 minutes.' },
      startsAt: '2026-11-22T13:02:10.000Z',
      endsAt: null,
      generatorURL: 'https://grafana.example.com/alerting/grafana/fdw8k2l3m4n5o/view?orgId=1',
      silenceURL: 'https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DCheckout+latency&orgId=1',
      dashboardURL: 'https://grafana.example.com/d/checkout-red?orgId=1',
      panelURL: 'https://grafana.example.com/d/checkout-red?orgId=1&viewPanel=4',
      values: { A: 2.37, B: 1 },
      externalURL: 'https://grafana.example.com/',
      receiver: 'incident-room',
    }]);
  });

  it('reads Alertmanager\'s zero time and an empty generatorURL as null; a resolved alert keeps its end', async () => {
    const firing = (await parseAlertPayload(changed('alerts[0].generatorURL', ''))).alerts[0]!;
    assert.deepEqual([firing.endsAt, firing.generatorURL], [null, null]);
    const resolved = (await parseAlertPayload(changed('alerts[0].status', 'resolved', changed('alerts[0].endsAt', '2026-11-22T14:31:15.123456Z')))).alerts[0]!;
    assert.deepEqual([resolved.status, resolved.endsAt], ['resolved', '2026-11-22T14:31:15.123Z']);
    // Firing with a future end (Prometheus's "valid until"): still no end.
    assert.equal((await parseAlertPayload(changed('alerts[0].endsAt', '2099-01-01T00:00:00Z'))).alerts[0]!.endsAt, null);
  });

  it('keeps links only when they are http(s): a javascript: link would run in a client', async () => {
    const body = changed('alerts[0].generatorURL', 'javascript:alert(1)', changed('externalURL', 'file:///etc/passwd'));
    const [a] = (await parseAlertPayload(body)).alerts;
    assert.equal(a!.generatorURL, null);
    assert.equal('externalURL' in a!, false);
    const grafana = JSON.parse(GRAFANA) as { alerts: Record<string, unknown>[] };
    grafana.alerts[0]!['dashboardURL'] = 'vscode://evil';
    assert.equal('dashboardURL' in (await parseAlertPayload(JSON.stringify(grafana))).alerts[0]!, false);
  });

  it('bounds what monitoring does not (64 labels, 4,096 characters a value), keeping alertname and severity, rather than refusing', async () => {
    const labels: Record<string, string> = { alertname: 'KubePodCrashLooping', severity: 'warning' };
    for (let i = 0; i < 80; i++) labels[`label_${String(i).padStart(2, '0')}`] = `v${i}`;
    const long = 'x'.repeat(10_000);
    const [a] = (await parseAlertPayload(alertmanagerBody([stormAlert(1, { labels, annotations: { description: long } })]))).alerts;
    assert.equal(Object.keys(a!.labels).length, 64);
    assert.deepEqual([a!.labels['alertname'], a!.labels['severity'], a!.labels['label_00'], a!.labels['label_79']], ['KubePodCrashLooping', 'warning', 'v0', undefined]);
    assert.equal(a!.annotations['description']!.length, 4096);
    assert.ok(a!.annotations['description']!.endsWith('…'));
    assert.ok(Signal.safeParse({ ...a, incidentId: null, receivedAt: '2026-11-22T14:02:05Z', updatedAt: '2026-11-22T14:02:05Z' }).success);
  });

  it('keeps labels and annotations within bounds whole, and drops a name no signal may hold (empty, over 256, __proto__)', async () => {
    const labels = { alertname: 'HighErrorRate', severity: 'critical', 'app.kubernetes.io/name': 'checkout', route: '/api/pay' };
    const [whole] = (await parseAlertPayload(alertmanagerBody([stormAlert(1, { labels, annotations: { summary: 'Checkout 5xx', description: '' } })]))).alerts;
    assert.deepEqual([whole!.labels, whole!.annotations], [labels, { summary: 'Checkout 5xx', description: '' }]);
    const odd = `{"alertname":"HighErrorRate","":"empty","${'n'.repeat(257)}":"long","__proto__":"p","severity":"page"}`;
    const body = alertmanagerBody([stormAlert(1)]).replace(/"labels":\{[^}]*\}/, `"labels":${odd}`);
    const [a] = (await parseAlertPayload(body)).alerts;
    assert.deepEqual(Object.keys(a!.labels), ['alertname', 'severity']);
    assert.equal(Object.getPrototypeOf(a!.labels), Object.prototype);
    // A value that is not a string is named, wherever it is.
    const nullValue = alertmanagerBody([stormAlert(0), stormAlert(1, { annotations: { summary: null } as unknown as Record<string, string> })]);
    assert.deepEqual(await refusal(nullValue), { field: 'alerts[1].annotations.summary', message: 'alerts[1].annotations.summary: expected string, got null' });
  });

  it('refuses a bad payload naming the field: alert by alert, in the envelope, and a body that is not JSON', async () => {
    const cases: [string, string | null, RegExp][] = [
      [changed('alerts[0].status', 'burning'), 'alerts[0].status', /expected firing\|resolved/],
      [changed('alerts[0].startsAt', 'yesterday'), 'alerts[0].startsAt', /ISO-8601/],
      [changed('alerts[0].fingerprint', undefined), 'alerts[0].fingerprint', /required/],
      [changed('alerts[0].fingerprint', 'no spaces please'), 'alerts[0].fingerprint', /expected a fingerprint/],
      [changed('alerts[0].labels', ['alertname']), 'alerts[0].labels', /expected record/],
      [changed('version', '3'), 'version', /expected "4" \(Alertmanager\) or "1" with orgId \(Grafana\), got "3"/],
      [changed('status', undefined), 'status', /expected firing\|resolved/],
      [changed('alerts', undefined), 'alerts', /required/],
      [changed('alerts', {}), 'alerts', /expected array/],
      ['{"version":"4",', null, /the body is not valid JSON/],
    ];
    for (const [body, field, message] of cases) {
      const r = await refusal(body);
      assert.equal(r.field, field, body.slice(0, 200));
      assert.match(r.message, message);
      if (field) assert.ok(r.message.startsWith(`${field}: `), r.message);
    }
    // Deep in a storm: the 4,001st alert is the one named, and an alert that is not JSON is named too.
    const storm = Array.from({ length: 4500 }, (_, i) => stormAlert(i));
    storm[4000] = { ...storm[4000], labels: { alertname: 7 } };
    assert.deepEqual(await refusal(alertmanagerBody(storm)), { field: 'alerts[4000].labels.alertname', message: 'alerts[4000].labels.alertname: expected string, got number' });
    const broken = alertmanagerBody([stormAlert(0), stormAlert(1)]).replace('"status":"firing","labels"', '"status":firing,"labels"');
    assert.match((await refusal(broken)).message, /^alerts\[0\]: is not valid JSON/);
    // Bytes that are not UTF-8, as a request body brings them: in an alert (named), around the alerts (the body).
    const bytes = Buffer.from(alertmanagerBody([stormAlert(0), stormAlert(1), stormAlert(2)]));
    const inAlert = Buffer.from(bytes);
    inAlert[bytes.indexOf('Checkout 5xx', bytes.indexOf('Checkout 5xx') + 1)] = 0xfe; // in the second alert's summary
    assert.deepEqual(await refusal([inAlert.subarray(0, 100), inAlert.subarray(100)]), { field: 'alerts[1]', message: 'the body is not valid UTF-8 (in alerts[1])' });
    const inEnvelope = Buffer.from(bytes);
    inEnvelope[bytes.indexOf('"receiver"') + 2] = 0x80;
    assert.deepEqual(await refusal([inEnvelope]), { field: null, message: 'the body is not valid UTF-8' });
    assert.deepEqual(await refusal([Buffer.from([0x22, 0xff, 0x22])]), { field: null, message: 'the body is not valid UTF-8' });
  });

  it('parses a 5,000-alert storm without holding the event loop for one long stretch', async () => {
    const body = alertmanagerBody(Array.from({ length: 5000 }, (_, i) => stormAlert(i)));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const { alerts } = await parseAlertPayload(body);
    counting = false;
    assert.equal(alerts.length, 5000);
    assert.equal(new Set(alerts.map((a) => a.fingerprint)).size, 5000);
    assert.ok(turns >= 10, `other work ran in ${turns} turns of the event loop while it parsed`);
  });
});
