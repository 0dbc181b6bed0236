import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EscalationTrigger } from '../../../src/core/escalationTrigger';
import {
  DEFAULT_ESCALATION_URL, deliverEscalation, EscalationError, escalationKeyName, escalationSender, QueuedEscalation, routingKeyProblem,
} from '../../../src/sync/escalationDelivery';
import { JsonFileWebhookQueueStore, MemoryWebhookQueueStore, WebhookError, WebhookOutbox } from '../../../src/sync/webhookDelivery';
import { type Handler, httpReceiver } from '../../support/httpReceiver';


/** The Events API v2, played by a real HTTP server (test/support/httpReceiver). */
const eventsApi = (handler: Handler, port = 0) => httpReceiver(handler, { path: '/v2/enqueue', port });

/** PagerDuty's answers (https://developer.pagerduty.com/docs/events-api-v2/overview/#response-codes--retry-logic). */
const accepted: Handler = (r, res) => {
  const dedup = (JSON.parse(r.body) as { dedup_key: string }).dedup_key;
  res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedup }));
};
const invalidKey: Handler = (_, res) => {
  res.writeHead(400, { 'content-type': 'application/json' })
    .end(JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['Length of \'routing_key\' is incorrect (should be 32 characters)'] }));
};
const rateLimited: Handler = (_, res) => {
  res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' }));
};
const serverError: Handler = (_, res) => {
  res.writeHead(500).end('Internal Server Error');
};
const then = (first: Handler, after: Handler): Handler => (r, res, n) => (n === 0 ? first : after)(r, res, n);

const KEY = 'R0123456789abcdef0123456789ABCDE'; // 32 letters and digits, as PagerDuty's integration keys are

/** A trigger as JSON brings it back (the queue file, a reload): parsed, not a shared object. */
function trigger(n = 7): QueuedEscalation['event'] & EscalationTrigger {
  return JSON.parse(JSON.stringify({
    event_action: 'trigger',
    dedup_key: `payments-oncall/INC-${n}/2026-11-22T14:00:00.000Z`,
    payload: {
      summary: `[SEV2] INC-${n}: Checkout 5xx for EU cards (investigating)`,
      source: 'incidents.example.com/payments-oncall',
      severity: 'error',
      timestamp: '2026-11-22T14:25:00.000Z',
      group: 'payments-oncall',
      class: 'escalation',
      custom_details: { incident: `INC-${n}`, reason: 'nobody owns the tokenizer', escalated_by: 'Carol Chen (carol@example.com)' },
    },
    links: [{ href: 'https://incidents.example.com/v1/channels/payments-oncall/status', text: `INC-${n} on the payments-oncall stakeholder page` }],
    client: 'Incident Room',
    client_url: 'https://incidents.example.com/v1/channels/payments-oncall/status',
  })) as QueuedEscalation['event'] & EscalationTrigger;
}

const fast = { initialDelayMs: 10, maxDelayMs: 20 };

async function refusal(p: Promise<unknown>): Promise<EscalationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EscalationError, `expected an EscalationError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected the escalation to fail');
}

describe('sync/escalationDelivery: escalations to the PagerDuty Events API v2', () => {
  const servers: { close(): Promise<void> }[] = [];
  const serve = async (handler: Handler, port = 0) => {
    const s = await eventsApi(handler, port);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('deliverEscalation', () => {
    it('202: POSTs exactly the JSON PagerDuty documents, the routing key first, and no Authorization header', async () => {
      const api = await serve(accepted);
      const report = await deliverEscalation(api.url, KEY, trigger());
      assert.deepEqual(report, { status: 202, attempts: 1 });
      const [r] = api.received;
      assert.ok(r);
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/v2/enqueue');
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(r.headers.authorization, undefined, 'the routing key travels in the body only');
      assert.deepEqual(Object.keys(JSON.parse(r.body) as object), ['routing_key', 'event_action', 'dedup_key', 'payload', 'links', 'client', 'client_url']);
      assert.deepEqual(JSON.parse(r.body), {
        routing_key: KEY,
        event_action: 'trigger',
        dedup_key: 'payments-oncall/INC-7/2026-11-22T14:00:00.000Z',
        payload: {
          summary: '[SEV2] INC-7: Checkout 5xx for EU cards (investigating)',
          source: 'incidents.example.com/payments-oncall',
          severity: 'error',
          timestamp: '2026-11-22T14:25:00.000Z',
          group: 'payments-oncall',
          class: 'escalation',
          custom_details: { incident: 'INC-7', reason: 'nobody owns the tokenizer', escalated_by: 'Carol Chen (carol@example.com)' },
        },
        links: [{ href: 'https://incidents.example.com/v1/channels/payments-oncall/status', text: 'INC-7 on the payments-oncall stakeholder page' }],
        client: 'Incident Room',
        client_url: 'https://incidents.example.com/v1/channels/payments-oncall/status',
      });
    });

    it('400 (invalid routing key): fails at once, says what PagerDuty said and what fixes it', async () => {
      const api = await serve(invalidKey);
      const err = await refusal(deliverEscalation(api.url, 'short-key', trigger(), fast));
      assert.equal(api.received.length, 1, 'a 400 is not retried');
      assert.equal(err.status, 400);
      assert.equal(err.retryable, false);
      assert.equal(err.fix, 'routing_key');
      assert.equal(err.message, `the escalation endpoint at 127.0.0.1:${api.port} refused the page (400: invalid event; Event object is invalid; Length of 'routing_key' is incorrect (should be 32 characters)): the routing key set for http://127.0.0.1:${api.port} is probably wrong. Set it again with "Incident: Set Escalation Routing Key"; the page waits in the queue until it is retried`);
      assert.ok(err instanceof WebhookError, 'the queue handles it as any delivery error');
    });

    it('429 then 202: retried after a backoff, the same body both times', async () => {
      const api = await serve(then(rateLimited, accepted));
      const retries: string[] = [];
      const report = await deliverEscalation(api.url, KEY, trigger(), { ...fast, onRetry: ({ error }) => retries.push(error.message) });
      assert.deepEqual(report, { status: 202, attempts: 2 });
      assert.equal(api.received[0]?.body, api.received[1]?.body);
      assert.equal(retries.length, 1);
      assert.match(retries[0] ?? '', /^escalation endpoint at 127\.0\.0\.1:\d+ answered 429 Too Many Requests: /);
    });

    it('500 then 202: retried, delivered', async () => {
      const api = await serve(then(serverError, accepted));
      assert.deepEqual(await deliverEscalation(api.url, KEY, trigger(), fast), { status: 202, attempts: 2 });
      assert.equal(api.received.length, 2);
    });

    it('404: the URL is not an Events API address, and the message says which one is', async () => {
      const api = await serve((_, res) => void res.writeHead(404).end('not found'));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.equal(err.fix, 'url');
      assert.match(err.message, /incidentRoom\.escalation\.url is probably not an Events API v2 address \(PagerDuty's is https:\/\/events\.pagerduty\.com\/v2\/enqueue\)/);
    });

    it('500 every time: gives up after its attempts with a retryable error that names no fix but waiting', async () => {
      const api = await serve(serverError);
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), { ...fast, maxAttempts: 3 }));
      assert.equal(api.received.length, 3);
      assert.deepEqual([err.retryable, err.fix, err.attempts], [true, undefined, 3]);
    });
  });

  describe('through the durable queue', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'escalation-queue-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const open = (file: string, url: () => string | undefined, keys: Map<string, string>, asked: string[] = []) => WebhookOutbox.open<QueuedEscalation>(
      new JsonFileWebhookQueueStore<QueuedEscalation>(file, QueuedEscalation),
      {
        url,
        send: escalationSender((origin) => {
          asked.push(origin);
          return keys.get(escalationKeyName(origin));
        }),
        delivery: { ...fast, maxAttempts: 2 },
      },
    );

    it('unreachable: the page waits in the queue file (without its routing key), survives a reload, and is delivered once the endpoint is up', async () => {
      const probe = await serve(accepted);
      const { port, url } = probe;
      await probe.close(); // nothing listens on the port now
      servers.splice(0);
      const file = join(dir, 'escalation-queue.json');
      const keys = new Map([[escalationKeyName(`http://127.0.0.1:${port}`), KEY]]);
      const first = await open(file, () => url, keys);
      await first.enqueue({ id: 'e-1', incidentId: 'INC-7', event: trigger() });
      assert.deepEqual(await first.flush(), { delivered: 0, failed: 0, pending: 0 });
      const [waiting] = first.items;
      assert.deepEqual([waiting?.state, waiting?.retryable, waiting?.lastCode], ['failed', true, 'network']);
      assert.match(waiting?.lastError ?? '', new RegExp(`could not reach the escalation endpoint at 127\\.0\\.0\\.1:${port}`));
      first.dispose();
      const stored = await readFile(file, 'utf8');
      assert.ok(!stored.includes(KEY), 'the routing key is never written to the queue file');
      assert.ok(stored.includes('payments-oncall/INC-7/2026-11-22T14:00:00.000Z'));

      // a reload: the queue is read back from its file; the endpoint is back on the same port
      const api = await serve(accepted, port);
      const second = await open(file, () => url, keys);
      assert.deepEqual(second.items.map((q) => q.id), ['e-1']);
      assert.deepEqual(await second.retryFailed((q) => q.retryable === true), { delivered: 1, failed: 0, pending: 0 });
      assert.equal(api.received.length, 1);
      assert.deepEqual(JSON.parse(api.received[0]?.body ?? ''), { routing_key: KEY, ...trigger() });
      assert.equal(second.items[0]?.state, 'delivered');
      second.dispose();
    });

    it('a resolve (the incident is over) goes through the same queue: routing key, event_action and dedup key only, kept across a reload', async () => {
      const api = await serve(accepted);
      const file = join(dir, 'resolve-queue.json');
      const keys = new Map([[escalationKeyName(`http://127.0.0.1:${api.port}`), KEY]]);
      const outbox = await open(file, () => api.url, keys);
      const dedup = trigger().dedup_key;
      await outbox.enqueue({ id: 'e-1', incidentId: 'INC-7', event: trigger() });
      await outbox.enqueue({ id: 's-9/resolve/0', incidentId: 'INC-7', event: { event_action: 'resolve', dedup_key: dedup } });
      assert.deepEqual(await outbox.flush(), { delivered: 2, failed: 0, pending: 0 });
      assert.deepEqual(api.received.map((r) => JSON.parse(r.body) as unknown), [
        { routing_key: KEY, ...trigger() }, { routing_key: KEY, event_action: 'resolve', dedup_key: dedup },
      ], 'the page first, then its end, in order');
      outbox.dispose();
      const again = await open(file, () => api.url, keys);
      assert.deepEqual(again.items.map((q) => [q.id, q.event.event_action, q.state]), [['e-1', 'trigger', 'delivered'], ['s-9/resolve/0', 'resolve', 'delivered']]);
      again.dispose();
      assert.equal(QueuedEscalation.safeParse({ ...again.items[1], event: { event_action: 'resolve' } }).success, false, 'a resolve without its dedup key');
    });

    it('no routing key for the origin: nothing is sent, it fails with the fix, and goes out once the key is set', async () => {
      const api = await serve(accepted);
      const keys = new Map<string, string>();
      const outbox = await open(join(dir, 'q.json'), () => api.url, keys);
      await outbox.enqueue({ id: 'e-1', incidentId: 'INC-7', event: trigger() });
      assert.deepEqual(await outbox.flush(), { delivered: 0, failed: 1, pending: 0 });
      assert.equal(api.received.length, 0);
      const [item] = outbox.items;
      assert.deepEqual([item?.state, item?.lastCode, item?.retryable], ['failed', 'no_key', false]);
      assert.equal(item?.lastError, `no routing key is set for http://127.0.0.1:${api.port}: set it with "Incident: Set Escalation Routing Key"; the page waits in the queue until it is retried`);
      keys.set(escalationKeyName(`http://127.0.0.1:${api.port}`), KEY);
      assert.deepEqual(await outbox.retryFailed(), { delivered: 1, failed: 0, pending: 0 });
      assert.equal((JSON.parse(api.received[0]?.body ?? '') as { routing_key: string }).routing_key, KEY);
      outbox.dispose();
    });

    it('a page goes to the URL it was requested for, with that origin\'s key only, even after the setting changes', async () => {
      const own = await serve(accepted);
      const other = await serve(accepted);
      let url = own.url;
      const keys = new Map([[escalationKeyName(`http://127.0.0.1:${own.port}`), KEY]]);
      const asked: string[] = [];
      const outbox = await open(join(dir, 'q.json'), () => url, keys, asked);
      await outbox.enqueue({ id: 'e-1', incidentId: 'INC-7', event: trigger() });
      url = other.url; // a workspace setting points elsewhere before it is sent
      await outbox.flush();
      assert.equal(own.received.length, 1);
      assert.equal(other.received.length, 0);
      assert.deepEqual(asked, [`http://127.0.0.1:${own.port}`]);
      await outbox.enqueue({ id: 'e-2', incidentId: 'INC-8', event: trigger(8) });
      await outbox.flush();
      assert.equal(other.received.length, 0, 'no key is set for the other origin, so nothing went there');
      assert.equal(outbox.items[1]?.lastCode, 'no_key');
      outbox.dispose();
    });

    it('the queue keeps escalations in order and 400 fails only that one', async () => {
      const api = await serve((r, res, n) => (r.body.includes('INC-1/') ? invalidKey : accepted)(r, res, n));
      const outbox = await WebhookOutbox.open<QueuedEscalation>(new MemoryWebhookQueueStore<QueuedEscalation>(), {
        url: () => api.url, send: escalationSender(() => KEY), delivery: fast,
      });
      await outbox.enqueue({ id: 'e-1', incidentId: 'INC-1', event: trigger(1) });
      await outbox.enqueue({ id: 'e-2', incidentId: 'INC-2', event: trigger(2) });
      assert.deepEqual(await outbox.flush(), { delivered: 1, failed: 1, pending: 0 });
      assert.deepEqual(outbox.items.map((q) => [q.id, q.state, q.lastStatus]), [['e-1', 'failed', 400], ['e-2', 'delivered', undefined]]);
      outbox.dispose();
    });
  });

  describe('routing keys', () => {
    it('PagerDuty\'s are 32 letters and digits; another receiver\'s may be any key without spaces', () => {
      assert.equal(routingKeyProblem(KEY, 'https://events.pagerduty.com'), undefined);
      assert.equal(routingKeyProblem(` ${KEY} `, 'https://events.eu.pagerduty.com'), undefined);
      assert.match(routingKeyProblem('abc', 'https://events.pagerduty.com') ?? '', /32 letters and digits \(this one has 3 characters\)/);
      assert.equal(routingKeyProblem('abc', 'http://127.0.0.1:8080'), undefined);
      assert.match(routingKeyProblem('a b', 'http://127.0.0.1:8080') ?? '', /no spaces/);
      assert.match(routingKeyProblem('', 'http://127.0.0.1:8080') ?? '', /Enter the routing key/);
    });

    it('are kept per origin, and the setting\'s default is PagerDuty\'s endpoint, restricted in untrusted workspaces', () => {
      assert.equal(escalationKeyName('https://events.pagerduty.com'), 'incidentRoom.escalation.routingKey:https://events.pagerduty.com');
      assert.equal(DEFAULT_ESCALATION_URL, 'https://events.pagerduty.com/v2/enqueue');
      const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
        capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
        contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
      };
      assert.equal(manifest.contributes.configuration.properties['incidentRoom.escalation.url']?.default, DEFAULT_ESCALATION_URL);
      assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('incidentRoom.escalation.url'));
    });
  });
});
