import { createHash } from 'node:crypto';
import { request } from 'node:http';

/*
 * Webhook bodies as monitoring sends them, built as text (the way they arrive), for the alerts endpoint's tests.
 */

export const AM_EXTERNAL_URL = 'http://alertmanager-0.monitoring.svc:9093';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2', 'eu-central-1'];

/** A fingerprint as Alertmanager gives one: 16 hex digits. */
export const fingerprintOf = (seed: string | number): string => createHash('sha256').update(String(seed)).digest('hex').slice(0, 16);

export interface AlertSpec {
  readonly status?: 'firing' | 'resolved';
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly generatorURL?: string;
  readonly fingerprint?: string;
}

/** Alert number `i` of a storm on checkout: ten labels, four annotations, a Prometheus graph link (about 1.1 kB). */
export function stormAlert(i: number, spec: AlertSpec = {}): Record<string, unknown> {
  const region = REGIONS[i % REGIONS.length]!;
  const pod = `checkout-7d9f8b6c5-${(i * 7919).toString(36).padStart(5, 'x')}`;
  return {
    status: spec.status ?? 'firing',
    labels: spec.labels ?? {
      alertname: 'HighErrorRate', cluster: `prod-${region}`, instance: `10.${i % 250}.${(i >> 8) % 250}.${i % 200}:8080`, job: 'checkout',
      namespace: 'payments', pod, region, service: 'checkout', severity: 'critical', team: 'payments',
    },
    annotations: spec.annotations ?? {
      summary: `Checkout 5xx rate above 5% on ${pod}`,
      description: `The 5xx ratio of checkout in ${region} has been 7.3% for 5 minutes (threshold 5%). Requests failing: POST /api/checkout, POST /api/payments/authorize.`,
      runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
      dashboard: `https://grafana.example.com/d/checkout-red/checkout?orgId=1&var-region=${region}`,
    },
    startsAt: spec.startsAt ?? '2026-11-22T14:02:00.123456789Z',
    endsAt: spec.endsAt ?? (spec.status === 'resolved' ? '2026-11-22T14:31:15.5Z' : '0001-01-01T00:00:00Z'),
    generatorURL: spec.generatorURL ?? 'http://prometheus-0.prometheus.monitoring.svc:9090/graph?g0.expr=sum+by%28service%2C+region%29+%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29+%3E+0.05&g0.tab=1',
    fingerprint: spec.fingerprint ?? fingerprintOf(i),
  };
}

/** An Alertmanager webhook body (version 4) carrying `alerts`, as text. */
export function alertmanagerBody(alerts: readonly Record<string, unknown>[], over: Record<string, unknown> = {}): string {
  const status = alerts.some((a) => a['status'] === 'firing') ? 'firing' : 'resolved';
  return JSON.stringify({
    version: '4',
    groupKey: '{}/{severity=~"critical|page"}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status,
    receiver: 'incident-room',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', job: 'checkout', service: 'checkout', severity: 'critical' },
    commonAnnotations: { runbook_url: 'https://runbooks.example.com/checkout/high-error-rate' },
    externalURL: AM_EXTERNAL_URL,
    alerts,
    ...over,
  });
}

/**
 * Alertmanager's documented example notification, one alert, every field of version 4 (and Go's formatting: a
 * nanosecond start, the zero time as the end of a firing alert, keys in Go's order), as text.
 */
export const ALERTMANAGER_V4 = `{
  "receiver": "incident-room",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {
        "alertname": "HighErrorRate",
        "instance": "checkout-7d9f8b6c5-x2x9k:8080",
        "job": "checkout",
        "region": "eu-west-1",
        "service": "checkout",
        "severity": "critical"
      },
      "annotations": {
        "description": "The 5xx ratio of checkout in eu-west-1 has been 7.3% for 5 minutes.",
        "runbook_url": "https://runbooks.example.com/checkout/high-error-rate",
        "summary": "Checkout 5xx rate above 5%"
      },
      "startsAt": "2026-11-22T14:02:00.123456789Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus-0:9090/graph?g0.expr=job%3A5xx_ratio%3Arate5m%7Bjob%3D%22checkout%22%7D+%3E+0.05&g0.tab=1",
      "fingerprint": "a1b2c3d4e5f60718"
    }
  ],
  "groupLabels": { "alertname": "HighErrorRate" },
  "commonLabels": { "alertname": "HighErrorRate", "instance": "checkout-7d9f8b6c5-x2x9k:8080", "job": "checkout", "region": "eu-west-1", "service": "checkout", "severity": "critical" },
  "commonAnnotations": { "summary": "Checkout 5xx rate above 5%" },
  "externalURL": "http://alertmanager-0.monitoring.svc:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\\"HighErrorRate\\"}",
  "truncatedAlerts": 0
}`;

/** Grafana's webhook contact point (unified alerting), one alert with every field Grafana adds, as text. */
export const GRAFANA = `{
  "receiver": "incident-room",
  "status": "firing",
  "orgId": 1,
  "alerts": [
    {
      "status": "firing",
      "labels": { "alertname": "Checkout latency", "grafana_folder": "Payments", "service": "checkout", "severity": "page" },
      "annotations": { "summary": "p99 latency of checkout above 2 s", "description": "p99 is 2.37 s over the last 5 minutes." },
      "startsAt": "2026-11-22T14:02:10+01:00",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "https://grafana.example.com/alerting/grafana/fdw8k2l3m4n5o/view?orgId=1",
      "fingerprint": "57c6d9296de2ad39",
      "silenceURL": "https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DCheckout+latency&orgId=1",
      "dashboardURL": "https://grafana.example.com/d/checkout-red?orgId=1",
      "panelURL": "https://grafana.example.com/d/checkout-red?orgId=1&viewPanel=4",
      "values": { "A": 2.37, "B": 1 },
      "valueString": "[ var='A' labels={service=checkout} value=2.37 ], [ var='B' labels={service=checkout} value=1 ]"
    }
  ],
  "groupLabels": { "alertname": "Checkout latency", "grafana_folder": "Payments" },
  "commonLabels": { "alertname": "Checkout latency", "grafana_folder": "Payments", "service": "checkout", "severity": "page" },
  "commonAnnotations": { "summary": "p99 latency of checkout above 2 s" },
  "externalURL": "https://grafana.example.com/",
  "version": "1",
  "groupKey": "{}/{severity=\\"page\\"}:{alertname=\\"Checkout latency\\", grafana_folder=\\"Payments\\"}",
  "truncatedAlerts": 0,
  "title": "[FIRING:1] Checkout latency Payments (checkout page)",
  "state": "alerting",
  "message": "**Firing**\\n\\nValue: A=2.37, B=1"
}`;

export interface PostResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/**
 * POST a body to a server's alerts endpoint, on a connection of its own: a kept-alive one could be reused just as
 * the server closes it for idling between requests (SocketGuard), and the call would fail for the wrong reason.
 */
export function postAlerts(
  port: number, body: string, options: { channel?: string; token?: string; contentType?: string | null; method?: string; headers?: Record<string, string> } = {},
): Promise<PostResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.contentType !== null) headers['Content-Type'] = options.contentType ?? 'application/json';
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  const method = options.method ?? 'POST';
  const path = `/v1/channels/${options.channel ?? 'payments-oncall'}/alerts`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out.set(k, v);
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: out });
      });
    });
    req.on('error', reject);
    // Node's client sends a DELETE's body with neither length nor chunks: none for the methods that take none.
    req.end(method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : body);
  });
}
