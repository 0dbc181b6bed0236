// Seeds the demo channel with an incident already under way, as two other responders would have started it: Priya
// declares (and so commands), names Marco tech lead, both add facts and guesses, Priya posts the first update. The
// scribe and communications roles stay open for the person trying the demo. Plain `ws` and the wire protocol of
// PROTOCOL.md (hello → declare → append, each waiting for its ack); times are relative to now.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { AUTHORS } from './demo-repo.mjs';

export const SEEDED_TITLE = 'Checkout 5xx spike: orders DB connection timeouts';

/**
 * @param {string} serverUrl ws://HOST:PORT of the channel server
 * @param {string} channel
 * @returns {Promise<{ incidentId: string, events: number }>}
 */
export async function seedIncident(serverUrl, channel, { now = Date.now() } = {}) {
  const ago = (min) => new Date(now - min * 60e3).toISOString();
  const person = ({ name, email }) => ({ id: email, name });
  const priya = await connect(serverUrl, channel, person(AUTHORS.priya));
  const marco = await connect(serverUrl, channel, person(AUTHORS.marco));
  try {
    const { incidentId } = await priya.request({
      type: 'declare',
      event: {
        id: randomUUID(), at: ago(22),
        data: {
          title: SEEDED_TITLE, severity: 'SEV2',
          symptom: 'POST /checkout returns 5xx for ~12% of requests (baseline 0.1%); p99 latency 3.1 s.',
          scope: 'Web and app checkout, all regions',
          impact: 'About 1 in 8 checkouts fail; customers see "Something went wrong".',
          detectedAt: ago(26),
        },
      },
    });
    const steps = [
      [priya, 'role.assigned', 21, { role: 'tech_lead', user: person(AUTHORS.marco), note: 'Marco knows the payments path best' }],
      [priya, 'note.added', 19, { tag: 'fact', text: '5xx rate on POST /checkout 12.4% over the last 15 min (baseline 0.1%). Started around 50 min ago.' }],
      [marco, 'note.added', 16, { tag: 'guess', text: 'Payments provider slow again? Their status page shows nothing yet.' }],
      [marco, 'note.added', 13, { tag: 'fact', text: 'Every checkout replica logs "db: waited 1000+ ms for a connection (pool total 4, waiting 30+)". Provider latency is normal.' }],
      [priya, 'update.posted', 10, { audience: 'internal', text: 'Investigating elevated checkout errors (~12% of requests fail). Payments provider looks healthy; looking at the orders DB. Next update in 30 min.', nextUpdateBy: ago(-20) }],
      [marco, 'note.added', 6, { tag: 'guess', text: 'release-42 went out ~1 h ago and touched config/pool.yaml; pool total 4 looks like its new max.' }],
    ];
    for (const [who, kind, min, data] of steps) {
      await who.request({ type: 'append', incidentId, event: { id: randomUUID(), kind, at: ago(min), data } });
    }
    return { incidentId, events: steps.length + 1 };
  } finally {
    priya.close();
    marco.close();
  }
}

/** One session: hello, wait for welcome; request() sends with a requestId and resolves on its reply. */
function connect(serverUrl, channel, user) {
  const ws = new WebSocket(`${serverUrl.replace(/\/$/, '')}/v1/channels/${channel}`);
  const pending = new Map();
  let n = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`channel server at ${serverUrl}: no welcome within 10 s`)), 10e3);
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: randomUUID(), user })));
    ws.on('close', () => { for (const p of pending.values()) p.reject(new Error('channel closed')); });
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === 'welcome') {
        clearTimeout(timer);
        resolve({
          request: (m) => new Promise((res, rej) => {
            const requestId = `seed-${++n}`;
            pending.set(requestId, { resolve: res, reject: rej });
            ws.send(JSON.stringify({ ...m, requestId }));
          }),
          close: () => ws.close(1000),
        });
        return;
      }
      if (msg.type === 'error' && !msg.requestId) {
        clearTimeout(timer);
        reject(new Error(`channel server refused the seed session: ${msg.code}: ${msg.message}`));
        return;
      }
      const p = msg.requestId && pending.get(msg.requestId);
      if (!p) return;
      pending.delete(msg.requestId);
      if (msg.type === 'error') p.reject(new Error(`channel server refused a seed event: ${msg.code}: ${msg.message}`));
      else p.resolve(msg);
    });
  });
}

/** The alerts the demo's monitoring fires: what a newcomer declares from or attaches (PROTOCOL.md "Signals"). */
export const DEMO_ALERTS = ['CheckoutHighErrorRate', 'OrdersDbPoolSaturated'];

/**
 * Fire the demo's alerts into the channel as Prometheus Alertmanager would: one webhook call (payload version 4)
 * to POST /v1/channels/CHANNEL/alerts. The demo server has no tokens, so it takes alerts from loopback only.
 * @param {string} serverUrl ws://HOST:PORT of the channel server
 * @returns {Promise<{ accepted: number }>}
 */
export async function fireDemoAlerts(serverUrl, channel, { now = Date.now() } = {}) {
  const ago = (min) => new Date(now - min * 60e3).toISOString();
  const common = { job: 'checkout-api', region: 'eu-west-1', env: 'production' };
  const alert = (labels, annotations, startsAt, fingerprint) => ({
    status: 'firing', labels: { ...common, ...labels }, annotations, startsAt, endsAt: '0001-01-01T00:00:00Z', fingerprint,
    generatorURL: `http://prometheus.example.com:9090/graph?g0.expr=${encodeURIComponent(labels.alertname)}&g0.tab=1`,
  });
  const alerts = [
    alert({ alertname: 'CheckoutHighErrorRate', severity: 'critical', service: 'checkout' }, {
      summary: 'Checkout 5xx above 5% for 5 minutes',
      description: 'POST /checkout answers 5xx to 12.4% of requests (threshold 5%).',
      runbook_url: 'https://runbooks.example.com/checkout/high-error-rate',
    }, ago(27), '3f1d0c9a7b2e4d51'),
    alert({ alertname: 'OrdersDbPoolSaturated', severity: 'page', service: 'orders-db' }, {
      summary: 'Orders DB connection pool saturated: 30+ requests waiting',
      description: 'checkout replicas wait over 1 s for an orders-db connection; pool in use 4 of 4.',
      runbook_url: 'https://runbooks.example.com/orders-db/pool-saturated',
    }, ago(3), '9a4e2b7c1d8f3e60'),
  ];
  const body = {
    version: '4', groupKey: '{}:{alertname=~".*"}', truncatedAlerts: 0, status: 'firing', receiver: 'incident-room',
    groupLabels: {}, commonLabels: common, commonAnnotations: {}, externalURL: 'http://alertmanager.example.com:9093', alerts,
  };
  const url = `${serverUrl.replace(/^ws/, 'http').replace(/\/$/, '')}/v1/channels/${channel}/alerts`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`the channel server refused the demo's alerts: ${res.status} ${text}`);
  return JSON.parse(text);
}
