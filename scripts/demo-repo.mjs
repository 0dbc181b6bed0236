// The demo's sample repository: a small checkout web service with a few days of history by four engineers and five
// deploy tags, the newest (~1 h ago) shipping a plausible bug — the orders DB pool shrunk from 40 to 4 connections.
// Authors, messages and contents are fixed; dates are relative to now, so every run looks like "this week".
//
//   createDemoRepo({ dir, originDir, you }) → { dir, origin, head, tags }
//
// Runs plain git with the machine's global and system config switched off (no signing, hooks or templates of the
// person running the demo get in), and a bare "origin" over file:// so permalinks, fetch and push have a remote.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const AUTHORS = {
  priya: { name: 'Priya Natarajan', email: 'priya@example.com' },
  marco: { name: 'Marco Rossi', email: 'marco@example.com' },
  aisha: { name: 'Aisha Okafor', email: 'aisha@example.com' },
  jonas: { name: 'Jonas Berg', email: 'jonas@example.com' },
};

// ------------------------------------------------------------------------------------------------ file contents

const README = `# checkout-service

Takes a cart, reserves stock, charges the customer through the payments provider and writes the order.

\`\`\`
POST /checkout      { cartId, paymentMethodId }  →  201 { orderId }
GET  /healthz       liveness and DB readiness
\`\`\`

## Run

\`\`\`bash
npm ci && npm start        # needs DATABASE_URL and PAYMENTS_API_KEY
\`\`\`

## Deploys

Every deploy is a \`release-N\` tag on \`main\`; \`scripts/deploy.sh REF\` rolls any tag out to production.
`;

const PACKAGE_JSON = `{
  "name": "checkout-service",
  "version": "1.0.0",
  "private": true,
  "scripts": { "start": "node dist/server.js", "build": "tsc -p .", "test": "node --test" },
  "dependencies": { "pg": "^8.11.0", "yaml": "^2.4.0" }
}
`;

const SERVER_TS = `import { createServer } from 'node:http';
import { handleCheckout } from './checkout';
import { pool } from './db/pool';

const port = Number(process.env.PORT ?? 8080);

createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/checkout') return handleCheckout(req, res);
  if (req.url === '/healthz') {
    res.writeHead(200).end('ok');
    return;
  }
  res.writeHead(404).end();
}).listen(port, () => console.log(\`checkout-service on :\${port}\`));

process.on('SIGTERM', () => void pool.end().then(() => process.exit(0)));
`;

const CHECKOUT_TS = `import type { IncomingMessage, ServerResponse } from 'node:http';
import { pool } from './db/pool';
import { charge } from './payments/client';

export async function handleCheckout(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { cartId, paymentMethodId } = JSON.parse(await body(req));
  const db = await pool.connect();
  try {
    const cart = await db.query('SELECT total_cents, currency FROM carts WHERE id = $1', [cartId]);
    const total = cart.rows[0].total_cents;
    const payment = await charge({ amountCents: total, currency: cart.rows[0].currency, paymentMethodId });
    const order = await db.query('INSERT INTO orders (cart_id, payment_id) VALUES ($1, $2) RETURNING id', [cartId, payment.id]);
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ orderId: order.rows[0].id }));
  } finally {
    db.release();
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
`;

const PAYMENTS_CLIENT_TS = `// Client for the payments provider's REST API.
const BASE_URL = process.env.PAYMENTS_URL ?? 'https://api.payments.example.com/v2';
const TIMEOUT_MS = 2000;

export interface ChargeRequest {
  amountCents: number;
  currency: string;
  paymentMethodId: string;
}

export interface Charge {
  id: string;
  status: 'succeeded' | 'pending' | 'failed';
}

export async function charge(request: ChargeRequest): Promise<Charge> {
  const res = await fetch(\`\${BASE_URL}/charges\`, {
    method: 'POST',
    headers: { authorization: \`Bearer \${process.env.PAYMENTS_API_KEY}\`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(\`payments: HTTP \${res.status}\`);
  return (await res.json()) as Charge;
}
`;

const POOL_TS = `import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { parse } from 'yaml';

const config = parse(readFileSync(new URL('../../config/pool.yaml', import.meta.url), 'utf8'));

export const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  min: config.orders.min,
  max: config.orders.max,
  connectionTimeoutMillis: config.orders.acquireTimeoutMs,
  idleTimeoutMillis: config.orders.idleTimeoutMs,
});
`;

const POOL_YAML = `# Connection pools, per replica.
orders:
  min: 2
  max: 20
  acquireTimeoutMs: 2000
  idleTimeoutMs: 30000
`;

const DEPLOY_SH = `#!/bin/sh
# Rolls REF out to production. This is the demo's stand-in for the real pipeline: it only prints what it would do.
# usage: scripts/deploy.sh REF
set -eu
ref=\${1:?usage: scripts/deploy.sh REF}
sha=$(git rev-parse --short "$ref^{commit}")
echo "deploying checkout-service $ref ($sha) to production"
for step in "build image" "push image" "canary 5%" "canary 50%" "promote 100%"; do
  sleep 0.4
  echo "  $step ... ok"
done
echo "production now runs $ref ($sha)"
`;

// The on-call team's prepared mitigations (.incident-room/mitigations.json): what to try before a fix, lowest risk
// first. The scripts are the demo's stand-ins for the flag service, the load balancer and the cluster: like
// deploy.sh they only print what they would do, so any of them can be run in the demo.
export const MITIGATIONS = {
  mitigations: [
    {
      id: 'receipts-off',
      title: 'Turn off receipt emails',
      kind: 'feature-flag',
      risk: 'low',
      caution: 'Customers get no receipt email until it is back on; the queue keeps them, nothing is lost.',
      argv: ['./scripts/flag.sh', 'receipt-emails', 'off', '--reason', '${incidentId}'],
      undo: ['./scripts/flag.sh', 'receipt-emails', 'on', '--reason', '${incidentId}'],
      services: ['checkout', 'orders-db'],
      verify: { watch: 'orders-db active connections and checkout p99 latency fall within 5 minutes', dashboard: 'https://grafana.example.com/d/checkout/checkout-service' },
    },
    {
      id: 'shift-eu-central',
      title: 'Shift half of EU checkout traffic to eu-central-1',
      kind: 'traffic-shift',
      risk: 'medium',
      caution: 'eu-central-1 runs at 40% headroom: more than half of EU traffic would overload it.',
      argv: ['./scripts/traffic.sh', 'checkout', '--to', 'eu-central-1', '--percent', '50'],
      undo: ['./scripts/traffic.sh', 'checkout', '--to', 'eu-west-1', '--percent', '100'],
      services: ['checkout'],
      verify: { watch: 'checkout 5xx rate in eu-west-1 under 1%, and eu-central-1 CPU under 70%', dashboard: 'https://grafana.example.com/d/lb/edge-traffic' },
    },
    {
      id: 'restart-checkout',
      title: 'Rolling restart of checkout',
      kind: 'restart',
      risk: 'high',
      caution: 'Each pod drops its in-flight checkouts and opens a fresh DB pool: with orders-db saturated it can make things worse.',
      argv: ['./scripts/restart.sh', 'checkout', '--rolling', '--max-unavailable', '1'],
      services: ['checkout'],
      verify: { watch: 'pods Ready 6/6 and the checkout error rate back to its baseline', dashboard: 'https://grafana.example.com/d/checkout/checkout-service' },
    },
    {
      id: 'shed-recommendations',
      title: 'Shed product recommendations on the storefront',
      kind: 'load-shed',
      risk: 'low',
      caution: 'Product pages show no "you may also like" strip; revenue impact is small.',
      argv: ['./scripts/flag.sh', 'storefront-recommendations', 'off', '--reason', '${incidentId}'],
      undo: ['./scripts/flag.sh', 'storefront-recommendations', 'on', '--reason', '${incidentId}'],
      services: ['storefront'],
      verify: { watch: 'storefront p95 latency under 400 ms' },
    },
  ],
};

const FLAG_SH = `#!/bin/sh
# Sets a feature flag of checkout-service in production. The demo's stand-in for the flag service's CLI: it only
# prints what it would do.
# usage: scripts/flag.sh FLAG on|off [--reason TEXT]
set -eu
flag=\${1:?usage: scripts/flag.sh FLAG on|off [--reason TEXT]}
state=\${2:?usage: scripts/flag.sh FLAG on|off [--reason TEXT]}
case "$state" in on|off) ;; *) echo "flag.sh: the state is on or off, not $state" >&2; exit 2 ;; esac
reason=""
if [ "\${3:-}" = "--reason" ]; then reason=\${4:-}; fi
echo "flags: $flag -> $state\${reason:+ (reason: $reason)}"
sleep 0.3
echo "flags: 6/6 replicas picked it up"
`;

const TRAFFIC_SH = `#!/bin/sh
# Moves a share of a service's EU traffic to another region at the load balancer. The demo's stand-in: it only prints.
# usage: scripts/traffic.sh SERVICE --to REGION --percent N
set -eu
service=\${1:?usage: scripts/traffic.sh SERVICE --to REGION --percent N}
[ "\${2:-}" = "--to" ] && [ "\${4:-}" = "--percent" ] || { echo "usage: scripts/traffic.sh SERVICE --to REGION --percent N" >&2; exit 2; }
to=$3
percent=$5
echo "traffic: sending $percent% of $service EU traffic to $to"
for step in 10 25 $percent; do
  sleep 0.3
  echo "  weight $step% ... healthy"
done
echo "traffic: done"
`;

const RESTART_SH = `#!/bin/sh
# Rolling restart of a service's pods. The demo's stand-in for kubectl rollout restart: it only prints.
# usage: scripts/restart.sh SERVICE --rolling [--max-unavailable N]
set -eu
service=\${1:?usage: scripts/restart.sh SERVICE --rolling [--max-unavailable N]}
echo "restart: $service, one pod at a time"
for pod in 1 2 3 4 5 6; do
  sleep 0.3
  echo "  $service-$pod ... Ready"
done
echo "restart: 6/6 Ready"
`;

const VSCODE_SETTINGS = `{
  // Incident Room: "Roll Back Deploy" redeploys the previous release with our deploy script.
  "incidentRoom.rollback.strategy": "command",
  "incidentRoom.rollback.command": ["./scripts/deploy.sh", "\${previousRef}"]
}
`;

const TEST_TS = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totalCents } from '../src/cart';

test('sums line items', () => {
  assert.equal(totalCents([{ priceCents: 250, quantity: 2 }, { priceCents: 100, quantity: 1 }]), 600);
});
`;

const CART_TS = `export interface LineItem {
  priceCents: number;
  quantity: number;
}

export function totalCents(items: LineItem[]): number {
  return items.reduce((sum, i) => sum + i.priceCents * i.quantity, 0);
}
`;

// ------------------------------------------------------------------------------------------------ the history

// Each step: hours ago, author, subject (and body), then files: { path: content } (whole file) and edits:
// [path, from, to] (exact text replaced once; a miss is a bug in this script and throws).
// tag: { name, by, hoursAgo, message } (message → annotated; none → lightweight, on the step's commit).
const HISTORY = [
  { h: 122.0, a: 'priya', s: 'Initial checkout service', files: { 'README.md': README, 'package.json': PACKAGE_JSON, 'src/server.ts': SERVER_TS, '.gitignore': 'node_modules/\ndist/\n' } },
  { h: 121.4, a: 'priya', s: 'Add checkout handler with orders DB pool', files: { 'src/checkout.ts': CHECKOUT_TS, 'src/db/pool.ts': POOL_TS, 'config/pool.yaml': POOL_YAML } },
  { h: 120.9, a: 'marco', s: 'Add payments provider client', files: { 'src/payments/client.ts': PAYMENTS_CLIENT_TS } },
  { h: 119.2, a: 'aisha', s: 'Cart totals with a unit test', files: { 'src/cart.ts': CART_TS, 'test/cart.test.ts': TEST_TS } },
  { h: 118.5, a: 'jonas', s: 'Add deploy script', b: 'Tags release-N on main are what production runs.', files: { 'scripts/deploy.sh': DEPLOY_SH }, exec: ['scripts/deploy.sh'] },
  { h: 118.1, a: 'jonas', s: 'Workspace settings: roll back with the deploy script', files: { '.vscode/settings.json': VSCODE_SETTINGS } },
  { h: 101.7, a: 'marco', s: 'payments: send an idempotency key with every charge',
    edits: [
      ['src/payments/client.ts', '  paymentMethodId: string;\n}', '  paymentMethodId: string;\n  idempotencyKey: string;\n}'],
      ['src/payments/client.ts', "'content-type': 'application/json' },", "'content-type': 'application/json', 'idempotency-key': request.idempotencyKey },"],
      ['src/checkout.ts', 'paymentMethodId });', 'paymentMethodId, idempotencyKey: `checkout-${cartId}` });'],
    ] },
  { h: 100.9, a: 'priya', s: 'healthz: check the DB too',
    edits: [['src/server.ts', "    res.writeHead(200).end('ok');", "    const ok = await pool.query('SELECT 1').then(() => true, () => false);\n    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'db unavailable');"]] },
  { h: 100.2, a: 'priya', tag: { name: 'release-38', by: 'priya', h: 99.8, message: 'Deploy release-38: idempotent charges, DB health check' },
    s: 'README: document the health check', edits: [['README.md', 'liveness and DB readiness', 'liveness and DB readiness (503 when the DB is unreachable)']] },

  { h: 79.6, a: 'aisha', s: 'cart: round tax per line, not per order', b: 'Matches what the invoice service prints; off-by-one-cent reports from support.',
    edits: [
      ['src/cart.ts', '  quantity: number;\n}', '  quantity: number;\n  taxRate?: number;\n}'],
      ['src/cart.ts', 'sum + i.priceCents * i.quantity, 0);', 'sum + Math.round(i.priceCents * i.quantity * (1 + (i.taxRate ?? 0))), 0);'],
    ] },
  { h: 79.1, a: 'aisha', s: 'test: tax rounding per line',
    edits: [['test/cart.test.ts', '600);\n});\n', "600);\n});\n\ntest('rounds tax per line', () => {\n  assert.equal(totalCents([{ priceCents: 333, quantity: 1, taxRate: 0.2 }, { priceCents: 333, quantity: 1, taxRate: 0.2 }]), 800);\n});\n"]] },
  { h: 78.4, a: 'marco', s: 'payments: raise the client timeout to 3 s', b: 'The provider p99 is 2.4 s during EU evening peak.',
    edits: [['src/payments/client.ts', 'const TIMEOUT_MS = 2000;', 'const TIMEOUT_MS = 3000;']] },
  { h: 77.9, a: 'jonas', s: 'config: production overrides', files: { 'config/production.yaml': 'replicas: 6\nlogLevel: info\npayments:\n  url: https://api.payments.example.com/v2\n' } },
  { h: 76.5, a: 'marco', tag: { name: 'release-39', h: 76.2 }, s: 'payments: log the provider request id',
    edits: [['src/payments/client.ts', "  if (!res.ok) throw new Error(`payments: HTTP ${res.status}`);", "  if (!res.ok) throw new Error(`payments: HTTP ${res.status} (request ${res.headers.get('x-request-id') ?? '?'})`);"]] },

  { h: 55.8, a: 'priya', s: 'checkout: reserve stock before charging', files: { 'src/inventory.ts': "import type { PoolClient } from 'pg';\n\nexport async function reserve(db: PoolClient, cartId: string): Promise<void> {\n  await db.query('UPDATE stock SET reserved = reserved + c.quantity FROM cart_items c WHERE c.cart_id = $1 AND stock.sku = c.sku', [cartId]);\n}\n" },
    edits: [
      ['src/checkout.ts', "import { charge } from './payments/client';", "import { reserve } from './inventory';\nimport { charge } from './payments/client';"],
      ['src/checkout.ts', '    const total = cart.rows[0].total_cents;\n', '    const total = cart.rows[0].total_cents;\n    await reserve(db, cartId);\n'],
    ] },
  { h: 55.1, a: 'aisha', s: 'checkout: 400 on a malformed body instead of a 500',
    edits: [['src/checkout.ts', '  const { cartId, paymentMethodId } = JSON.parse(await body(req));\n', "  let input: { cartId: string; paymentMethodId: string };\n  try {\n    input = JSON.parse(await body(req));\n  } catch {\n    res.writeHead(400).end('malformed JSON');\n    return;\n  }\n  const { cartId, paymentMethodId } = input;\n"]] },
  { h: 54.3, a: 'marco', s: 'payments: retry 503s twice with jitter', files: { 'src/payments/retry.ts': "/** Retries fn on a 503 from the provider, at most `times` more times, with 100–300 ms of jitter. */\nexport async function retry503<T>(fn: () => Promise<T>, times = 2): Promise<T> {\n  for (let attempt = 0; ; attempt++) {\n    try {\n      return await fn();\n    } catch (e) {\n      if (attempt >= times || !String(e).includes('HTTP 503')) throw e;\n      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));\n    }\n  }\n}\n" },
    edits: [['src/checkout.ts', "import { charge } from './payments/client';", "import { charge } from './payments/client';\nimport { retry503 } from './payments/retry';"],
      ['src/checkout.ts', '    const payment = await charge({', '    const payment = await retry503(() => charge({'],
      ['src/checkout.ts', 'idempotencyKey: `checkout-${cartId}` });', 'idempotencyKey: `checkout-${cartId}` }));']] },
  { h: 47.6, a: 'jonas', s: 'ops: prepared mitigations for on-call', b: 'Flag, traffic shift and restart, with what each risks and what to watch after; Incident Room lists them.',
    files: { '.incident-room/mitigations.json': `${JSON.stringify(MITIGATIONS, null, 2)}\n`, 'scripts/flag.sh': FLAG_SH, 'scripts/traffic.sh': TRAFFIC_SH, 'scripts/restart.sh': RESTART_SH },
    exec: ['scripts/flag.sh', 'scripts/traffic.sh', 'scripts/restart.sh'] },
  { h: 53.6, a: 'jonas', s: 'config: pool sized for 6 replicas', b: 'max_connections on orders-db is 400; 6 replicas × 40 leaves room for migrations and the reporting job.',
    edits: [['config/pool.yaml', '# Connection pools, per replica.\n', '# Connection pools, per replica. orders-db allows 400 connections: 6 replicas × max must stay well under it.\n'], ['config/pool.yaml', '  max: 20\n', '  max: 40\n']] },
  { h: 52.9, a: 'priya', s: 'Fix typo in README', edits: [['README.md', 'charges the customer through', 'charges the customer via']] },
  { h: 51.2, a: 'aisha', s: 'cart: reject negative quantities',
    edits: [['src/cart.ts', 'export function totalCents(items: LineItem[]): number {\n', "export function totalCents(items: LineItem[]): number {\n  if (items.some((i) => i.quantity < 0)) throw new RangeError('negative quantity');\n"]] },
  { h: 50.6, a: 'marco', tag: { name: 'release-40', by: 'marco', h: 50.1, message: 'Deploy release-40: stock reservation, provider retries, pool sizing' },
    s: 'payments: count retries in the logs', edits: [['src/payments/retry.ts', "      if (attempt >= times || !String(e).includes('HTTP 503')) throw e;\n", "      if (attempt >= times || !String(e).includes('HTTP 503')) throw e;\n      console.warn(`payments: 503, retry ${attempt + 1}/${times}`);\n"]] },

  { h: 31.4, a: 'jonas', s: 'db: log how long checkout waited for a connection',
    edits: [['src/checkout.ts', '  const db = await pool.connect();\n', "  const waitStart = Date.now();\n  const db = await pool.connect();\n  const waited = Date.now() - waitStart;\n  if (waited > 200) console.warn(`db: waited ${waited} ms for a connection (pool total ${pool.totalCount}, waiting ${pool.waitingCount})`);\n"]] },
  { h: 30.7, a: 'aisha', s: 'checkout: return 402 when the card is declined',
    edits: [['src/checkout.ts', '    const order = await db.query(', "    if (payment.status === 'failed') {\n      res.writeHead(402).end('payment declined');\n      return;\n    }\n    const order = await db.query("]] },
  { h: 29.9, a: 'priya', s: 'server: graceful shutdown waits for in-flight requests',
    edits: [['src/server.ts', "createServer(async (req, res) => {", "const server = createServer(async (req, res) => {"],
      ['src/server.ts', "}).listen(port, () => console.log(`checkout-service on :${port}`));\n\nprocess.on('SIGTERM', () => void pool.end().then(() => process.exit(0)));\n", "}).listen(port, () => console.log(`checkout-service on :${port}`));\n\nprocess.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));\n"]] },
  { h: 28.8, a: 'marco', s: 'payments: typed error for declines', edits: [['src/payments/client.ts', "export async function charge(", "export class PaymentDeclined extends Error {}\n\nexport async function charge("]] },
  { h: 27.5, a: 'aisha', s: 'test: negative quantity is refused',
    edits: [['test/cart.test.ts', "test('rounds tax per line'", "test('refuses negative quantities', () => {\n  assert.throws(() => totalCents([{ priceCents: 1, quantity: -1 }]), RangeError);\n});\n\ntest('rounds tax per line'"]] },
  { h: 26.6, a: 'jonas', tag: { name: 'release-41', by: 'jonas', h: 26.0, message: 'Deploy release-41: connection wait logging, 402 on declines, graceful shutdown' },
    s: 'config: log level debug for checkout in production for a day', edits: [['config/production.yaml', 'logLevel: info\n', 'logLevel: debug   # TODO back to info after the 402 rollout\n']] },

  { h: 9.2, a: 'priya', s: 'Revert production log level to info', edits: [['config/production.yaml', 'logLevel: debug   # TODO back to info after the 402 rollout\n', 'logLevel: info\n']] },
  { h: 8.5, a: 'aisha', s: 'Add receipt email queue', files: { 'src/receipts.ts': "import type { PoolClient } from 'pg';\n\n/** Queues the receipt email; the mailer job sends it within a minute. */\nexport async function queueReceipt(db: PoolClient, orderId: string): Promise<void> {\n  await db.query('INSERT INTO receipt_queue (order_id) VALUES ($1)', [orderId]);\n}\n" } },
  { h: 8.1, a: 'aisha', s: 'checkout: queue a receipt after the order is written',
    edits: [['src/checkout.ts', "import { reserve } from './inventory';", "import { reserve } from './inventory';\nimport { queueReceipt } from './receipts';"],
      ['src/checkout.ts', "    res.writeHead(201, { 'content-type': 'application/json' })", "    await queueReceipt(db, order.rows[0].id);\n    res.writeHead(201, { 'content-type': 'application/json' })"]] },
  { h: 6.4, a: 'marco', s: 'payments: drop the 2nd retry, the provider now rate-limits retries', edits: [['src/payments/retry.ts', 'times = 2): Promise<T>', 'times = 1): Promise<T>']] },
  { h: 4.7, a: 'priya', s: 'README: link the on-call runbook', edits: [['README.md', '## Deploys\n', '## On call\n\nRunbook: https://wiki.example.com/checkout/runbook — dashboards, alerts, how to roll back.\n\n## Deploys\n']] },
  { h: 3.1, a: 'jonas', s: 'config: trim idle orders-db connections (pool max 40 → 4)',
    b: 'The orders-db dashboard shows most of the 240 pooled connections idle overnight, and the reporting job\nneeds slots. 4 per replica covers the overnight traffic.',
    edits: [['config/pool.yaml', '  max: 40\n', '  max: 4\n']] },
  { h: 2.6, a: 'aisha', s: 'receipts: include the order total in the queue row',
    edits: [['src/receipts.ts', "orderId: string): Promise<void> {\n  await db.query('INSERT INTO receipt_queue (order_id) VALUES ($1)', [orderId]);", "orderId: string, totalCents = 0): Promise<void> {\n  await db.query('INSERT INTO receipt_queue (order_id, total_cents) VALUES ($1, $2)', [orderId, totalCents]);"],
      ['src/checkout.ts', 'await queueReceipt(db, order.rows[0].id);', 'await queueReceipt(db, order.rows[0].id, total);']] },
  { h: 1.4, a: 'jonas', tag: { name: 'release-42', by: 'jonas', h: 1.0, message: 'Deploy release-42: receipt emails, fewer payment retries, pool tuning' },
    s: 'db: shorter acquire timeout so requests fail fast', edits: [['config/pool.yaml', '  acquireTimeoutMs: 2000\n', '  acquireTimeoutMs: 1000\n']] },

  // merged after the last deploy: on main, not in production
  { h: 0.6, a: 'marco', s: 'payments: surface the provider decline code', edits: [['src/payments/client.ts', 'export class PaymentDeclined extends Error {}', 'export class PaymentDeclined extends Error {\n  constructor(readonly code: string) {\n    super(`declined: ${code}`);\n  }\n}']] },
  { h: 0.3, a: 'aisha', s: 'test: receipts are queued with the total', files: { 'test/receipts.test.ts': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { queueReceipt } from '../src/receipts';\n\ntest('queues the receipt with the order total', async () => {\n  const calls: unknown[][] = [];\n  await queueReceipt({ query: async (...a: unknown[]) => void calls.push(a) } as never, 'o-1', 1299);\n  assert.deepEqual(calls[0]?.[1], ['o-1', 1299]);\n});\n" } },
];

/** Small filler commits spread over the days (docs, comments) so the history reads like a team's week. */
const FILLERS = [
  { h: 112.5, a: 'marco', s: 'payments: document the client', edits: [['src/payments/client.ts', "// Client for the payments provider's REST API.\n", "// Client for the payments provider's REST API (https://docs.payments.example.com/v2).\n"]] },
  { h: 104.3, a: 'aisha', s: 'Ignore editor swap files', edits: [['.gitignore', 'dist/\n', 'dist/\n*.swp\n']] },
  { h: 74.2, a: 'priya', s: 'README: how to run the tests', edits: [['README.md', '## Deploys\n', '## Test\n\n`npm test` (node:test, no database needed).\n\n## Deploys\n']] },
  { h: 47.3, a: 'jonas', s: 'deploy.sh: say which sha goes out', edits: [['scripts/deploy.sh', '# usage: scripts/deploy.sh REF\n', '# usage: scripts/deploy.sh REF   (a tag or commit on main)\n']] },
  { h: 22.9, a: 'marco', s: 'payments: comment on the timeout', edits: [['src/payments/client.ts', 'const TIMEOUT_MS = 3000;', 'const TIMEOUT_MS = 3000; // provider p99 ≈ 2.4 s at peak']] },
  { h: 12.8, a: 'aisha', s: 'cart: doc comment', edits: [['src/cart.ts', 'export function totalCents(', '/** Order total in cents, tax rounded per line. */\nexport function totalCents(']] },
];

// ------------------------------------------------------------------------------------------------ building it

/**
 * Create the sample repository in `dir` (must not exist) and its bare origin in `originDir`.
 * @param {{ dir: string, originDir: string, you: { name: string, email: string }, now?: number }} o
 */
export function createDemoRepo({ dir, originDir, you, now = Date.now() }) {
  const base = Math.floor(now / 60e3) * 60e3; // whole minutes: the same run prints the same times everywhere
  const iso = (hoursAgo) => new Date(base - Math.round(hoursAgo * 3600e3)).toISOString();
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const k of Object.keys(env)) if (/^GIT_(DIR|WORK_TREE|INDEX_FILE|AUTHOR_|COMMITTER_)/.test(k)) delete env[k];
  const git = (args, extraEnv = {}, cwd = dir) => execFileSync('git', args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const as = (who, hoursAgo) => ({
    GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_AUTHOR_DATE: iso(hoursAgo),
    GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email, GIT_COMMITTER_DATE: iso(hoursAgo),
  });

  fs.mkdirSync(dir, { recursive: true });
  git(['init', '-q', '-b', 'main']);
  // The person at the keyboard: commits made in the demo's terminal are theirs.
  git(['config', 'user.name', you.name]);
  git(['config', 'user.email', you.email]);

  const steps = [...HISTORY, ...FILLERS].sort((x, y) => y.h - x.h);
  const tags = [];
  for (const step of steps) {
    for (const [file, content] of Object.entries(step.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    for (const [file, from, to] of step.edits ?? []) {
      const p = path.join(dir, file);
      const text = fs.readFileSync(p, 'utf8');
      if (!text.includes(from)) throw new Error(`demo repo: "${step.s}": ${file} has no ${JSON.stringify(from.slice(0, 60))}`);
      fs.writeFileSync(p, text.replace(from, () => to));
    }
    for (const file of step.exec ?? []) fs.chmodSync(path.join(dir, file), 0o755);
    // `commit -a` sees edits to tracked files; new files need an add (one spawn fewer per commit on a busy machine)
    if (step.files) git(['add', '-A']);
    git([...(step.files ? ['commit'] : ['commit', '-a']), '-q', '--no-verify', '-m', step.b ? `${step.s}\n\n${step.b}` : step.s], as(AUTHORS[step.a], step.h));
    if (step.tag) {
      const t = step.tag;
      if (t.message) git(['tag', '-a', t.name, '-m', t.message], as(AUTHORS[t.by], t.h));
      else git(['tag', t.name]);
      tags.push(t.name);
    }
  }

  fs.mkdirSync(originDir, { recursive: true });
  git(['init', '-q', '--bare', '-b', 'main'], {}, originDir);
  git(['remote', 'add', 'origin', `file://${originDir}`]);
  git(['push', '-q', '-u', 'origin', 'main', '--tags']);
  return { dir, origin: originDir, head: git(['rev-parse', 'HEAD']), commits: steps.length, tags };
}
