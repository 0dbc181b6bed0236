import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deliverWebhook, JsonFileWebhookQueueStore, LEGACY_WEBHOOK_TOKEN_KEY, MemoryWebhookQueueStore, parseRetryAfter, validateWebhookUrl, WebhookError,
  webhookOrigin, WebhookOutbox, webhookTokenKey, type QueuedUpdate,
} from '../../../src/sync/webhookDelivery';
import { answer, type Handler, httpReceiver, recordingSleep } from '../../support/httpReceiver';


/** A Slack-style webhook receiver (test/support/httpReceiver). */
const webhookServer = (handler: Handler) => httpReceiver(handler, { path: '/services/T000/B000/SECRETPATH' });



async function rejection(p: Promise<unknown>): Promise<WebhookError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WebhookError, `expected a WebhookError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected the delivery to fail');
}

describe('sync/webhookDelivery', () => {
  const servers: { close(): Promise<void> }[] = [];
  const serve = async (handler: Handler) => {
    const s = await webhookServer(handler);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('deliverWebhook', () => {
    it('POSTs {"text": …} as JSON with the bearer token and an idempotency key', async () => {
      const srv = await serve(answer(200, 'ok'));
      const report = await deliverWebhook({ url: srv.url, token: 's3cret' }, 'INC-7 is SEV1', { idempotencyKey: 'u-1' });
      assert.deepEqual(report, { status: 200, attempts: 1 });
      assert.equal(srv.received.length, 1);
      const [r] = srv.received;
      assert.ok(r);
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/services/T000/B000/SECRETPATH');
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(r.headers.authorization, 'Bearer s3cret');
      assert.equal(r.headers['idempotency-key'], 'u-1');
      assert.deepEqual(JSON.parse(r.body), { text: 'INC-7 is SEV1' });
    });

    it('sends no Authorization header without a token, and escapes <, > and & for Slack unless told not to', async () => {
      const srv = await serve(answer(204));
      await deliverWebhook({ url: srv.url }, 'a <b> & <!here>');
      await deliverWebhook({ url: srv.url, slackEscaping: false }, 'a <b> & <!here>');
      assert.equal(srv.received[0]?.headers.authorization, undefined);
      assert.deepEqual(JSON.parse(srv.received[0]?.body ?? ''), { text: 'a &lt;b&gt; &amp; &lt;!here&gt;' });
      assert.deepEqual(JSON.parse(srv.received[1]?.body ?? ''), { text: 'a <b> & <!here>' });
    });

    it('refuses a token a header cannot carry without a request or a retry, and says why without showing it', async () => {
      const srv = await serve(answer(200, 'ok'));
      const retries: unknown[] = [];
      for (const [token, why] of [['abc\ndef-SECRET', 'a line break (at character 4)'], ['abc\u0000SECRET', 'a control character (at character 4)'], ['tök€n-SECRET', 'a character outside Latin-1 (at character 4)']] as const) {
        const e = await rejection(deliverWebhook({ url: srv.url, token }, 'hello', { onRetry: (r) => retries.push(r) }));
        assert.equal(e.code, 'bad_token');
        assert.equal(e.retryable, false);
        assert.equal(e.message, `The webhook token set for ${new URL(srv.url).origin} cannot be sent: it holds ${why}, which an HTTP header cannot carry. Set it again.`);
        assert.ok(!e.message.includes('SECRET') && !e.message.includes('€'), 'no part of the token is shown');
      }
      assert.deepEqual(retries, []);
      assert.equal(srv.received.length, 0, 'nothing was sent');
      // Whitespace around a pasted token is trimmed, as fetch trims a header value; Latin-1 (obs-text) is sent as is.
      await deliverWebhook({ url: srv.url, token: '  s3cret\n' }, 'hello');
      await deliverWebhook({ url: srv.url, token: 'caf\u00e9\tx' }, 'hello');
      assert.equal(srv.received[0]?.headers.authorization, 'Bearer s3cret');
      assert.equal(Buffer.from(srv.received[1]?.headers.authorization ?? '', 'latin1').toString('latin1'), 'Bearer caf\u00e9\tx');
    });

    it('retries after a 500 and delivers the same payload', async () => {
      const srv = await serve((r, res, n) => answer(n === 0 ? 500 : 200, n === 0 ? 'boom' : 'ok')(r, res));
      const retries: string[] = [];
      const report = await deliverWebhook({ url: srv.url }, 'hello', {
        initialDelayMs: 20, onRetry: ({ error }) => retries.push(error.message), // real waits, short
      });
      assert.deepEqual(report, { status: 200, attempts: 2 });
      assert.equal(srv.received.length, 2);
      assert.equal(srv.received[0]?.body, srv.received[1]?.body);
      assert.deepEqual(retries, [`webhook at 127.0.0.1:${srv.port} answered 500 Internal Server Error: boom`]);
    });

    it('backs off exponentially with jitter, capped, and gives up after maxAttempts with the last error', async () => {
      const srv = await serve(answer(503, 'down'));
      const { sleep, waits } = recordingSleep();
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x', { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 250, sleep, random: () => 1 }));
      assert.deepEqual(waits, [100, 200, 250, 250]);
      assert.equal(srv.received.length, 5);
      assert.equal(err.code, 'http');
      assert.equal(err.status, 503);
      assert.equal(err.attempts, 5);
      assert.equal(err.retryable, true);
      const low = recordingSleep();
      await rejection(deliverWebhook({ url: srv.url }, 'x', { maxAttempts: 3, initialDelayMs: 100, sleep: low.sleep, random: () => 0 }));
      assert.deepEqual(low.waits, [50, 100], 'jitter never goes below half the step');
    });

    it('honours Retry-After on a 429', async () => {
      const srv = await serve((r, res, n) => answer(n === 0 ? 429 : 200, '', n === 0 ? { 'retry-after': '2' } : {})(r, res));
      const { sleep, waits } = recordingSleep();
      const report = await deliverWebhook({ url: srv.url }, 'x', { sleep, random: () => 0.5 });
      assert.equal(report.attempts, 2);
      assert.deepEqual(waits, [2000]);
    });

    it('a Retry-After wait does not restart the backoff: the next wait is the next step of the curve', async () => {
      const srv = await serve((r, res, n) => answer(n === 0 ? 429 : 503, '', n === 0 ? { 'retry-after': '2' } : {})(r, res));
      const { sleep, waits } = recordingSleep();
      await rejection(deliverWebhook({ url: srv.url }, 'x', { maxAttempts: 4, initialDelayMs: 100, sleep, random: () => 1 }));
      assert.deepEqual(waits, [2000, 200, 400]);
    });

    it('stops when Retry-After asks for longer than it is willing to wait', async () => {
      const srv = await serve(answer(429, 'rate_limited', { 'retry-after': '3600' }));
      const { sleep, waits } = recordingSleep();
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x', { sleep }));
      assert.deepEqual(waits, []);
      assert.equal(srv.received.length, 1);
      assert.equal(err.retryAfterMs, 3_600_000);
      assert.equal(err.retryable, true, 'later it may well work');
    });

    for (const status of [400, 401, 403, 404, 410]) {
      it(`does not retry a ${status}`, async () => {
        const srv = await serve(answer(status, 'invalid_token'));
        const { sleep, waits } = recordingSleep();
        const err = await rejection(deliverWebhook({ url: srv.url, token: 'tok-123' }, 'x', { sleep }));
        assert.equal(srv.received.length, 1);
        assert.deepEqual(waits, []);
        assert.equal(err.code, 'http');
        assert.equal(err.status, status);
        assert.equal(err.retryable, false);
        assert.equal(err.attempts, 1);
        assert.match(err.message, new RegExp(`^webhook at 127\\.0\\.0\\.1:${srv.port} answered ${status} .*: invalid_token$`));
        assert.ok(!err.message.includes('tok-123') && !err.message.includes('SECRETPATH'), 'no secret in the message');
      });
    }

    it('does not follow a redirect (the token must not travel on), nor retry it', async () => {
      const other = await serve(answer(200));
      const srv = await serve(answer(302, '', { location: other.url }));
      const err = await rejection(deliverWebhook({ url: srv.url, token: 't' }, 'x'));
      assert.equal(err.status, 302);
      assert.equal(err.retryable, false);
      assert.equal(other.received.length, 0);
      assert.match(err.message, /a redirect; set the webhook URL to its final address/);
    });

    it('retries a refused connection, then reports it', async () => {
      const srv = await serve(answer(200));
      const url = srv.url;
      await srv.close();
      const { sleep, waits } = recordingSleep();
      const err = await rejection(deliverWebhook({ url }, 'x', { maxAttempts: 3, sleep }));
      assert.equal(waits.length, 2);
      assert.equal(err.code, 'network');
      assert.equal(err.retryable, true);
      assert.match(err.message, /^could not reach the webhook at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    });

    it('times out a receiver that never answers, and retries it', async () => {
      const srv = await serve(() => undefined); // holds every request open
      const { sleep, waits } = recordingSleep();
      const started = Date.now();
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x', { timeoutMs: 150, maxAttempts: 2, sleep }));
      assert.equal(err.code, 'timeout');
      assert.equal(err.message, `webhook at 127.0.0.1:${srv.port} did not answer within 150 ms`);
      assert.equal(srv.received.length, 2);
      assert.equal(waits.length, 1);
      assert.ok(Date.now() - started < 5000);
    });

    it('is cancelled by its signal, also while waiting to retry', async () => {
      const srv = await serve(answer(500));
      const ac = new AbortController();
      const p = deliverWebhook({ url: srv.url }, 'x', { signal: ac.signal, initialDelayMs: 60_000, onRetry: () => ac.abort() });
      const err = await rejection(p);
      assert.equal(err.code, 'aborted');
      assert.equal(srv.received.length, 1);
    });
  });

  describe('bad URL settings', () => {
    const cases: [string, string][] = [
      ['', 'Webhook URL is not set.'],
      ['   ', 'Webhook URL is not set.'],
      ['hooks.slack.com/services/T/B/X', 'Webhook URL is not a valid URL: expected something like https://hooks.example.com/services/…'],
      ['ftp://files.example.com/hook', 'Webhook URL must start with https:// or http:// (this one starts with ftp:).'],
      ['javascript:alert(1)', 'Webhook URL must start with https:// or http:// (this one starts with javascript:).'],
      ['https://user:pw@hooks.example.com/x', 'Webhook URL must not contain a user name or password; put a token in the webhook token setting instead.'],
    ];
    for (const [url, message] of cases) {
      it(`"${url}" → ${message}`, async () => {
        assert.throws(() => validateWebhookUrl(url), { name: 'WebhookError', message });
        const err = await rejection(deliverWebhook({ url }, 'x'));
        assert.equal(err.code, 'bad_url');
        assert.equal(err.retryable, false);
      });
    }
    it('accepts http and https URLs', () => {
      assert.equal(validateWebhookUrl(' https://hooks.slack.com/services/T/B/X ').host, 'hooks.slack.com');
      assert.equal(validateWebhookUrl('http://127.0.0.1:8080/hook').port, '8080');
    });
  });

  it('parseRetryAfter reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-22T14:00:00Z');
    assert.equal(parseRetryAfter('30', now), 30_000);
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 14:01:30 GMT', now), 90_000);
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 13:00:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  describe('WebhookOutbox', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'webhook-queue-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const fast = { sleep: async () => undefined, maxAttempts: 2 };
    const update = (n: number, text = `update ${n}`) => ({ id: `u-${n}`, incidentId: 'INC-7', audience: 'internal' as const, text });
    const stored = async (file: string): Promise<QueuedUpdate[]> => (JSON.parse(await readFile(file, 'utf8')) as { items: QueuedUpdate[] }).items;

    it('stores an update before sending it, then records it delivered', async () => {
      const srv = await serve(answer(200));
      const file = join(dir, 'nested', 'webhook-queue.json');
      const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url, tokenFor: () => 't', delivery: fast });
      await outbox.enqueue(update(1));
      assert.equal(srv.received.length, 0);
      assert.deepEqual((await stored(file)).map((q) => [q.id, q.state, q.attempts, q.url]), [['u-1', 'pending', 0, srv.url]]);
      assert.deepEqual(await outbox.flush(), { delivered: 1, failed: 0, pending: 0 });
      assert.deepEqual(JSON.parse(srv.received[0]?.body ?? ''), { text: 'update 1' });
      assert.equal(srv.received[0]?.headers['idempotency-key'], 'u-1');
      assert.equal(srv.received[0]?.headers.authorization, 'Bearer t');
      const [item] = await stored(file);
      assert.equal(item?.state, 'delivered');
      assert.equal(item?.attempts, 1);
      assert.ok(item?.deliveredAt);
    });

    it('replaces the queue file durably, readable by its owner only, leaving no temp file behind', async function () {
      if (process.platform === 'win32') this.skip(); // POSIX modes
      const file = join(dir, 'webhook-queue.json');
      const store = new JsonFileWebhookQueueStore(file);
      await store.save([]);
      const outbox = await WebhookOutbox.open(store, { url: () => 'https://hooks.example.com/services/T0/B0/secret', delivery: fast });
      await outbox.enqueue(update(1));
      await outbox.enqueue(update(2));
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.deepEqual(await readdir(dir), ['webhook-queue.json']);
      assert.deepEqual((await stored(file)).map((q) => q.id), ['u-1', 'u-2']);
      outbox.dispose();
    });

    it('loses nothing: a failed update and the ones behind it survive a restart and are delivered in order once the endpoint is back', async () => {
      let healthy = false;
      const srv = await serve((r, res) => answer(healthy ? 200 : 500, healthy ? 'ok' : 'maintenance')(r, res));
      const file = join(dir, 'webhook-queue.json');
      const url = () => srv.url;
      const first = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url, delivery: fast });
      await first.enqueue(update(1));
      await first.enqueue(update(2));
      assert.deepEqual(await first.flush(), { delivered: 0, failed: 0, pending: 1 }, 'the endpoint is down: stop, keep the rest pending');
      assert.equal(srv.received.length, 2, 'two attempts of the first update, none of the second');
      first.dispose();

      // A new window / restart reads the same file.
      const second = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url, delivery: fast });
      const [one, two] = second.items;
      assert.equal(one?.state, 'failed');
      assert.equal(one?.attempts, 2);
      assert.equal(one?.lastError, `webhook at 127.0.0.1:${srv.port} answered 500 Internal Server Error: maintenance`);
      assert.equal(two?.state, 'pending');

      healthy = true;
      assert.deepEqual(await second.retry('u-1'), { delivered: 2, failed: 0, pending: 0 });
      assert.deepEqual(srv.received.slice(2).map((r) => JSON.parse(r.body)), [{ text: 'update 1' }, { text: 'update 2' }]);
      assert.deepEqual((await stored(file)).map((q) => [q.id, q.state]), [['u-1', 'delivered'], ['u-2', 'delivered']]);
      assert.equal((await stored(file))[0]?.lastError, undefined, 'the old error is cleared once delivered');
    });

    it('delivers after a crash between storing and sending', async () => {
      const srv = await serve(answer(200));
      const file = join(dir, 'q.json');
      const crashed = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url });
      await crashed.enqueue(update(1)); // …and the window dies before flush()
      const next = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url });
      assert.deepEqual(await next.flush(), { delivered: 1, failed: 0, pending: 0 });
      assert.equal(srv.received.length, 1);
    });

    it('a 4xx fails that update at once and the flush goes on with the next', async () => {
      const srv = await serve((r, res) => answer(r.body.includes('bad') ? 400 : 200, r.body.includes('bad') ? 'invalid_payload' : 'ok')(r, res));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast });
      await outbox.enqueue(update(1, 'bad one'));
      await outbox.enqueue(update(2, 'good one'));
      assert.deepEqual(await outbox.flush(), { delivered: 1, failed: 1, pending: 0 });
      assert.equal(srv.received.length, 2, 'the 400 was not retried');
      assert.deepEqual(outbox.items.map((q) => [q.state, q.lastError]), [
        ['failed', `webhook at 127.0.0.1:${srv.port} answered 400 Bad Request: invalid_payload`],
        ['delivered', undefined],
      ]);
    });

    it('a failure keeps its status, code and whether waiting could fix it; retryFailed sends only the ones it picks, and a delivery clears them', async () => {
      let down = true;
      const srv = await serve((r, res) => answer(r.body.includes('bad') ? 400 : down ? 503 : 200, r.body.includes('bad') ? 'invalid_payload' : 'x')(r, res));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: { ...fast, maxAttempts: 1 } });
      await outbox.enqueue(update(1, 'bad one'));
      await outbox.flush();
      await outbox.enqueue(update(2, 'good one'));
      await outbox.flush();
      assert.deepEqual(outbox.items.map((q) => [q.state, q.lastStatus, q.lastCode, q.retryable]), [['failed', 400, 'http', false], ['failed', 503, 'http', true]]);
      down = false;
      const sent = srv.received.length;
      assert.deepEqual(await outbox.retryFailed((q) => q.retryable === true), { delivered: 1, failed: 0, pending: 0 });
      assert.equal(srv.received.length, sent + 1, 'the refused one was not sent again');
      const [bad, good] = outbox.items;
      assert.deepEqual([bad?.state, bad?.lastStatus], ['failed', 400]);
      assert.equal(good?.state, 'delivered');
      assert.deepEqual([good?.lastError, good?.lastStatus, good?.lastCode, good?.retryable], [undefined, undefined, undefined, undefined]);
    });

    it('a bad or missing URL setting queues nothing, and says why', async () => {
      let url: string | undefined = 'hooks.example.com/oops';
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => url, delivery: fast });
      await assert.rejects(outbox.enqueue(update(1)), { name: 'WebhookError', message: /^Webhook URL is not a valid URL/ });
      url = undefined;
      await assert.rejects(outbox.enqueue(update(1)), { name: 'WebhookError', message: 'Webhook URL is not set.' });
      assert.deepEqual(outbox.items, []);
    });

    it('while the webhook setting is cleared, queued updates wait as pending', async () => {
      const srv = await serve(answer(200));
      let url: string | undefined = srv.url;
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => url });
      await outbox.enqueue(update(1));
      url = undefined;
      assert.deepEqual(await outbox.flush(), { delivered: 0, failed: 0, pending: 1 });
      assert.equal(srv.received.length, 0);
      url = srv.url;
      assert.deepEqual(await outbox.flush(), { delivered: 1, failed: 0, pending: 0 });
    });

    it('shows progress: attempts and the last error while retrying, then the outcome', async () => {
      const srv = await serve((r, res, n) => answer(n === 0 ? 502 : 200)(r, res));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: { sleep: async () => undefined } });
      const seen: string[] = [];
      outbox.onDidChange((items) => seen.push(items.map((q) => `${q.state}/${q.attempts}${q.lastError ? '/error' : ''}`).join()));
      await outbox.enqueue(update(1));
      await outbox.flush();
      assert.deepEqual(seen, ['pending/0', 'pending/1/error', 'delivered/2']);
    });

    it('enqueueing the same update twice queues it once; concurrent flushes send it once', async () => {
      const srv = await serve(answer(200));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url });
      await outbox.enqueue(update(1));
      await outbox.enqueue(update(1, 'changed'));
      assert.equal(outbox.items.length, 1);
      await Promise.all([outbox.flush(), outbox.flush(), outbox.flush()]);
      assert.equal(srv.received.length, 1);
    });

    it('keeps only the newest delivered updates, and discards on request', async () => {
      const srv = await serve(answer(200));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, keepDelivered: 2 });
      for (let i = 1; i <= 4; i++) await outbox.enqueue(update(i));
      await outbox.flush();
      assert.deepEqual(outbox.items.map((q) => q.id), ['u-3', 'u-4']);
      await outbox.discard('u-3');
      assert.deepEqual(outbox.items.map((q) => q.id), ['u-4']);
    });

    it('refuses a corrupt queue file rather than starting empty over it', async () => {
      const file = join(dir, 'q.json');
      await writeFile(file, '{"version":1,"items":[{"id":');
      await assert.rejects(WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => undefined }),
        { message: `The webhook queue file ${file} is not valid JSON; move it aside to start a new queue.` });
      assert.equal(await readFile(file, 'utf8'), '{"version":1,"items":[{"id":', 'left as it was');
      await writeFile(file, '{"version":2,"items":[]}');
      await assert.rejects(new JsonFileWebhookQueueStore(file).load(), /is not in the expected format/);
    });
  });

  describe('tokens are kept per origin, and an update goes only where it was posted for (issue #10 item 10)', () => {
    const fast = { sleep: async () => undefined, maxAttempts: 1 };
    const update = (n: number) => ({ id: `u-${n}`, incidentId: 'INC-7', audience: 'internal' as const, text: `update ${n}` });

    it('a URL changed by a workspace gets neither the queued update nor the token set for the user\'s own receiver', async () => {
      let ownUp = false;
      const own = await serve((r, res) => answer(ownUp ? 200 : 503)(r, res));
      const workspace = await serve(answer(200));
      const tokens = new Map([[webhookOrigin(own.url), 'users-token']]);
      const asked: string[] = [];
      let url = own.url;
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), {
        url: () => url, delivery: fast,
        tokenFor: (origin) => {
          asked.push(origin);
          return tokens.get(origin);
        },
      });
      await outbox.enqueue(update(1));
      await outbox.flush(); // the user's receiver is down: update 1 stays queued for it
      assert.equal(outbox.items[0]?.state, 'failed');

      url = workspace.url; // a cloned repository's .vscode/settings.json points the setting elsewhere
      ownUp = true;
      await outbox.retry('u-1');
      await outbox.enqueue(update(2));
      await outbox.flush();

      assert.deepEqual(workspace.received.map((r) => JSON.parse(r.body)), [{ text: 'update 2' }], 'only what was posted while it was set');
      assert.equal(workspace.received[0]?.headers.authorization, undefined, 'no token was set for its origin');
      assert.deepEqual(own.received.map((r) => [JSON.parse(r.body).text, r.headers.authorization]), [
        ['update 1', 'Bearer users-token'], ['update 1', 'Bearer users-token'],
      ]);
      assert.deepEqual([...new Set(asked)].sort(), [webhookOrigin(own.url), webhookOrigin(workspace.url)].sort());
    });

    it('an origin is scheme, host and port: another port or scheme is another origin; the path is not part of it', () => {
      assert.equal(webhookOrigin('https://Hooks.Example.com/services/A'), 'https://hooks.example.com');
      assert.equal(webhookOrigin('https://hooks.example.com:443/services/B'), 'https://hooks.example.com');
      assert.notEqual(webhookOrigin('http://hooks.example.com/x'), webhookOrigin('https://hooks.example.com/x'));
      assert.notEqual(webhookOrigin('https://hooks.example.com:8443/x'), webhookOrigin('https://hooks.example.com/x'));
      assert.notEqual(webhookOrigin('https://hooks.example.com.evil.example/x'), webhookOrigin('https://hooks.example.com/x'));
      assert.equal(webhookTokenKey(webhookOrigin('https://hooks.example.com/a')), 'incidentRoom.updates.webhookToken:https://hooks.example.com');
      assert.notEqual(webhookTokenKey('https://hooks.example.com'), LEGACY_WEBHOOK_TOKEN_KEY);
    });

    it('a queue written before URLs were recorded: its waiting updates go to the user\'s own URL, never the current one, or fail', async () => {
      const own = await serve(answer(200));
      const workspace = await serve(answer(200));
      const dir = await mkdtemp(join(tmpdir(), 'webhook-legacy-'));
      try {
        const file = join(dir, 'webhook-queue.json');
        const legacy = (n: number, state: QueuedUpdate['state']) => ({ ...update(n), queuedAt: '2026-11-22T14:00:00.000Z', state, attempts: 1 });
        const old = JSON.stringify({ version: 1, items: [legacy(1, 'delivered'), legacy(2, 'failed'), legacy(3, 'pending')] });
        await writeFile(file, old);
        const bound = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => workspace.url, legacyUrl: () => own.url, delivery: fast });
        await bound.retry('u-2');
        assert.deepEqual(own.received.map((r) => JSON.parse(r.body).text), ['update 2', 'update 3']);
        assert.equal(workspace.received.length, 0);

        await writeFile(file, old);
        const unbound = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => workspace.url, delivery: fast });
        await unbound.retry('u-2');
        assert.equal(workspace.received.length, 0);
        assert.deepEqual(unbound.items.map((q) => q.state), ['delivered', 'failed', 'failed']);
        assert.match(unbound.items[2]?.lastError ?? '', /without its webhook URL, so it was not sent anywhere/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
