import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deliverWebhook, JsonFileWebhookQueueStore, MemoryWebhookQueueStore, parseRetryAfter, validateWebhookUrl, WebhookError, webhookPayload,
  WebhookOutbox, type QueuedUpdate,
} from '../../../src/sync/webhookDelivery';
import { until } from '../../support/until';
import { answer, type Handler, httpReceiver, recordingSleep } from '../../support/httpReceiver';

// What the webhook delivery promises its callers (the outbox, the extension's view of it, the people reading the
// errors), checked against a real HTTP receiver on loopback and real queue files in a temp dir.


/** A Slack-style webhook receiver (test/support/httpReceiver). */
const receiver = (handler: Handler) => httpReceiver(handler, { path: '/services/T000/B000/SECRETPATH' });


/** Headers and the start of a reply, then the connection breaks off. */
const cutShort = (status: number): Handler => (_, res) => {
  res.writeHead(status, { 'content-length': '1000' });
  res.write('partial', () => res.destroy());
};

async function rejection(p: Promise<unknown>): Promise<WebhookError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WebhookError, `expected a WebhookError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected the delivery to fail');
}

/** `p`, or a failure naming `what` if it has not settled within `ms` (a hang must fail the test, not stall it). */
async function settlesWithin<T>(what: string, p: Promise<T>, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}


describe('sync/webhookDelivery: what delivery promises', () => {
  const servers: { close(): Promise<void> }[] = [];
  const serve = async (handler: Handler) => {
    const s = await receiver(handler);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('the request', () => {
    it('says who sends it, and carries no Idempotency-Key unless one was given', async () => {
      const srv = await serve(answer(200));
      await deliverWebhook({ url: srv.url }, 'INC-7 mitigated');
      const [r] = srv.received;
      assert.equal(r?.headers['user-agent'], 'incident-room');
      assert.equal(r?.headers['idempotency-key'], undefined);
      assert.ok(!('idempotency-key' in (r?.headers ?? {})));
    });

    it('Slack escaping is on unless turned off', () => {
      assert.deepEqual(webhookPayload('p99 > 2s & <!channel>'), { text: 'p99 &gt; 2s &amp; &lt;!channel&gt;' });
      assert.deepEqual(webhookPayload('p99 > 2s & <!channel>', false), { text: 'p99 > 2s & <!channel>' });
    });

    it('a URL with only a user name, or only a password, is refused: credentials go in the token setting', () => {
      for (const url of ['https://bot@hooks.example.com/services/T/B/X', 'https://:hunter2@hooks.example.com/services/T/B/X']) {
        assert.throws(() => validateWebhookUrl(url), (e: unknown) => e instanceof WebhookError && e.code === 'bad_url' && /must not contain a user name or password/.test(e.message));
      }
    });
  });

  describe('what a refusal says', () => {
    it('an empty reply adds nothing after the status; a missing reason phrase adds nothing either', async () => {
      const srv = await serve((r, res, n) => (n === 0 ? answer(404)(r, res, n) : void res.writeHead(400, '').end('invalid_payload')));
      const notFound = await rejection(deliverWebhook({ url: srv.url }, 'x'));
      assert.equal(notFound.message, `webhook at ${srv.host} answered 404 Not Found`);
      assert.equal(notFound.reply, undefined);
      const bare = await rejection(deliverWebhook({ url: srv.url }, 'x'));
      assert.equal(bare.message, `webhook at ${srv.host} answered 400: invalid_payload`);
      assert.equal(bare.reply, 'invalid_payload');
    });

    it('the reply is shown on one line, trimmed, with runs of white space made one space', async () => {
      const srv = await serve(answer(400, '\n  invalid_token:\n\n\t token   expired  \n'));
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x'));
      assert.equal(err.reply, 'invalid_token: token expired');
      assert.equal(err.message, `webhook at ${srv.host} answered 400 Bad Request: invalid_token: token expired`);
    });

    it('a reply of 200 characters is shown whole; a longer one is cut to 199 and an ellipsis', async () => {
      const exactly = 'a'.repeat(200);
      const longer = `${'b'.repeat(240)}END`;
      const srv = await serve((r, res, n) => answer(422, n === 0 ? exactly : longer)(r, res, n));
      assert.equal((await rejection(deliverWebhook({ url: srv.url }, 'x'))).reply, exactly);
      const cut = await rejection(deliverWebhook({ url: srv.url }, 'x'));
      assert.equal(cut.reply, `${'b'.repeat(199)}…`);
      assert.ok(cut.message.endsWith(`: ${'b'.repeat(199)}…`));
    });

    it('a reply that arrives in pieces is read whole, a character split between pieces included', async () => {
      const text = 'clé refusée — réessayez';
      const bytes = Buffer.from(text, 'utf8');
      const split = bytes.indexOf(Buffer.from('é', 'utf8')) + 1; // between the two bytes of the first é
      const srv = await serve((_, res) => {
        res.writeHead(403);
        res.write(bytes.subarray(0, split), () => setTimeout(() => res.end(bytes.subarray(split)), 30)); // two packets
      });
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x'));
      assert.equal(err.reply, text);
    });

    it('stops reading a reply that never ends once it has enough of it to show', async () => {
      const srv = await serve((_, res) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.write('e'.repeat(300)); // …and the rest never comes
      });
      const err = await settlesWithin('the refusal', rejection(deliverWebhook({ url: srv.url }, 'x', { timeoutMs: 10_000 })));
      assert.deepEqual([err.code, err.status, err.retryable], ['http', 400, false]);
      assert.equal(err.reply, `${'e'.repeat(199)}…`);
    });

    it('a 304 (a reply without a body) is refused at once as a redirect, not retried as a network failure', async () => {
      const srv = await serve(answer(304));
      const { sleep, waits } = recordingSleep();
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x', { sleep }));
      assert.deepEqual([err.code, err.status, err.retryable, err.attempts, err.reply], ['http', 304, false, 1, undefined]);
      assert.equal(err.message, `webhook at ${srv.host} answered 304 Not Modified (a redirect; set the webhook URL to its final address)`);
      assert.deepEqual(waits, []);
    });

    it('a 300 is a redirect too: an HTTP refusal that names the fix', async () => {
      const srv = await serve(answer(300, '', { location: '/elsewhere' }));
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x'));
      assert.deepEqual([err.code, err.status, err.retryable], ['http', 300, false]);
      assert.match(err.message, /answered 300 Multiple Choices \(a redirect; set the webhook URL to its final address\)$/);
    });
  });

  describe('replies that break off', () => {
    it('a 2xx whose reply breaks off was delivered: it is not sent again', async () => {
      const srv = await serve(cutShort(200));
      const { sleep, waits } = recordingSleep();
      assert.deepEqual(await deliverWebhook({ url: srv.url }, 'x', { sleep }), { status: 200, attempts: 1 });
      assert.equal(srv.received.length, 1);
      assert.deepEqual(waits, []);
    });

    it('a 5xx whose reply breaks off is never taken as delivered: it is a broken connection, and retried', async () => {
      const srv = await serve((r, res, n) => (n === 0 ? cutShort(503) : answer(200))(r, res, n));
      const retries: WebhookError[] = [];
      const { sleep } = recordingSleep();
      const report = await deliverWebhook({ url: srv.url }, 'x', { sleep, onRetry: ({ error }) => retries.push(error) });
      assert.deepEqual(report, { status: 200, attempts: 2 });
      assert.equal(retries.length, 1);
      // The status line came, but the reply did not: nothing the receiver said is trusted.
      assert.deepEqual([retries[0]?.code, retries[0]?.status, retries[0]?.retryable], ['network', undefined, true]);
      assert.match(retries[0]?.message ?? '', new RegExp(`^could not reach the webhook at 127\\.0\\.0\\.1:\\d+ \\(UND_ERR_SOCKET\\)$`));
    });
  });

  describe('failures that are not the receiver\'s answer', () => {
    it('a token that cannot travel in a header sends nothing, and the error names the receiver but not the token', async () => {
      const srv = await serve(answer(200));
      const token = 'xoxb-pasted\nwith-a-line-break';
      const err = await rejection(deliverWebhook({ url: srv.url, token }, 'x', { maxAttempts: 5 }));
      assert.equal(srv.received.length, 0);
      // Said for what it is, once, not "could not reach" and retried (webhookDelivery.test.ts has the wording).
      assert.deepEqual([err.code, err.retryable, err.attempts], ['bad_token', false, 0]);
      assert.match(err.message, new RegExp(`^The webhook token set for http://${srv.host.replace(/\./g, '\\.')} cannot be sent: it holds a line break`));
      assert.ok(!err.message.includes('xoxb') && !err.message.includes('SECRETPATH'));
    });

    it('anything else that goes wrong in an attempt still comes back as a WebhookError, retried like a network failure', async () => {
      const srv = await serve(answer(200));
      const { sleep, waits } = recordingSleep();
      // A negative timeout makes building the attempt throw a RangeError before anything is sent.
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x', { timeoutMs: -1, maxAttempts: 2, sleep }));
      assert.deepEqual([err.code, err.retryable, err.attempts], ['network', true, 2]);
      assert.match(err.message, /^Webhook delivery failed: RangeError\b/);
      assert.equal(waits.length, 1);
      assert.equal(srv.received.length, 0);
    });
  });

  describe('waits and cancellation', () => {
    it('waits a Retry-After that is exactly as long as it is willing to wait', async () => {
      const srv = await serve((r, res, n) => answer(n === 0 ? 429 : 200, '', n === 0 ? { 'retry-after': '2' } : {})(r, res, n));
      const { sleep, waits } = recordingSleep();
      const report = await deliverWebhook({ url: srv.url }, 'x', { sleep, maxRetryAfterMs: 2000 });
      assert.deepEqual(report, { status: 200, attempts: 2 });
      assert.deepEqual(waits, [2000]);
    });

    it('a Retry-After it cannot read ("30s", "in 30") falls back to the backoff curve', async () => {
      const unreadable = ['30s', 'in 30'];
      const srv = await serve((r, res, n) => answer(n < 2 ? 429 : 200, '', n < 2 ? { 'retry-after': unreadable[n] ?? '' } : {})(r, res, n));
      const { sleep, waits } = recordingSleep();
      const report = await deliverWebhook({ url: srv.url }, 'x', { sleep, initialDelayMs: 100, random: () => 1 });
      assert.deepEqual(report, { status: 200, attempts: 3 });
      assert.deepEqual(waits, [100, 200]);
    });

    it('parseRetryAfter reads seconds with white space around them', () => {
      assert.equal(parseRetryAfter(' 30 ', 0), 30_000);
      assert.equal(parseRetryAfter('30s', 0), undefined);
      assert.equal(parseRetryAfter('in 30', 0), undefined);
    });

    it('cancelled while waiting to retry: one attempt, one retry announced, and a cancellation that later trying could fix', async () => {
      const srv = await serve(answer(500));
      const ac = new AbortController();
      let announced = 0;
      const err = await rejection(deliverWebhook({ url: srv.url }, 'x', {
        signal: ac.signal, initialDelayMs: 60_000, onRetry: () => {
          announced++;
          ac.abort();
        },
      }));
      assert.deepEqual([err.code, err.message, err.retryable, err.attempts], ['aborted', 'Webhook delivery was cancelled.', true, 1]);
      assert.equal(announced, 1);
      assert.equal(srv.received.length, 1);
    });

    it('cancelled while the receiver has not answered yet: settles at once as a cancellation, with no retry announced', async () => {
      const srv = await serve(() => undefined); // holds every request open
      const ac = new AbortController();
      const announced: string[] = [];
      const p = rejection(deliverWebhook({ url: srv.url }, 'x', { signal: ac.signal, timeoutMs: 10_000, onRetry: ({ error }) => announced.push(error.message) }));
      await until('the request to arrive', () => srv.received.length === 1);
      ac.abort();
      const err = await settlesWithin('the cancelled delivery', p);
      assert.deepEqual([err.code, err.message, err.retryable, err.attempts], ['aborted', 'Webhook delivery was cancelled.', true, 1]);
      assert.deepEqual(announced, [], 'nothing will be retried, so nobody is told a retry is coming');
      assert.equal(srv.received.length, 1);
    });
  });

  describe('WebhookOutbox', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'webhook-promises-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const fast = { sleep: async () => undefined, maxAttempts: 1 };
    const update = (n: number, text = `update ${n}`) => ({ id: `u-${n}`, incidentId: 'INC-7', audience: 'internal' as const, text });
    const stored = async (file: string): Promise<QueuedUpdate[]> => (JSON.parse(await readFile(file, 'utf8')) as { items: QueuedUpdate[] }).items;
    const states = (outbox: WebhookOutbox) => outbox.items.map((q) => `${q.id}:${q.state}`);

    it('sends the text Slack-escaped by default, and as written when escaping is off', async () => {
      const srv = await serve(answer(200));
      const text = 'error rate > 5% & rising, see <https://grafana.example.com|dashboard>';
      const escaped = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast });
      await escaped.enqueue(update(1, text));
      await escaped.flush();
      const raw = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast, slackEscaping: false });
      await raw.enqueue(update(2, text));
      await raw.flush();
      assert.deepEqual(srv.received.map((r) => JSON.parse(r.body) as unknown), [
        { text: 'error rate &gt; 5% &amp; rising, see &lt;https://grafana.example.com|dashboard&gt;' },
        { text },
      ]);
    });

    it('a send that fails with a plain error is kept as a retryable network failure, and the flush stops there', async () => {
      const sent: string[] = [];
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), {
        url: () => 'https://hooks.example.com/services/T0/B0/x',
        send: async (item) => {
          sent.push(item.id);
          throw new Error('socket hang up');
        },
      });
      await outbox.enqueue(update(1));
      await outbox.enqueue(update(2));
      assert.deepEqual(await outbox.flush(), { delivered: 0, failed: 0, pending: 1 });
      assert.deepEqual(sent, ['u-1'], 'the receiver is treated as down: the next one waits');
      const [first] = outbox.items;
      assert.deepEqual([first?.state, first?.lastError, first?.lastCode, first?.retryable], ['failed', 'Error: socket hang up', 'network', true]);
    });

    it('a failure without an HTTP status clears the status an earlier failure left', async () => {
      const srv = await serve(answer(503, 'maintenance'));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast });
      await outbox.enqueue(update(1));
      await outbox.flush();
      assert.deepEqual([outbox.items[0]?.lastStatus, outbox.items[0]?.lastCode], [503, 'http']);
      await srv.close(); // now nothing listens there
      await outbox.retry('u-1');
      const [item] = outbox.items;
      assert.deepEqual([item?.state, item?.lastCode, item?.retryable], ['failed', 'network', true]);
      assert.equal(item?.lastStatus, undefined, 'a 503 from before is not what is wrong now');
      assert.ok(!('lastStatus' in (item ?? {})));
    });

    it('disposed while a request is in flight: the flush ends at once and the update stays pending for the next run', async () => {
      let up = false;
      const srv = await serve((r, res, n) => (up ? answer(200)(r, res, n) : undefined)); // holds requests until it is "up"
      const file = join(dir, 'q.json');
      const first = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url, delivery: { timeoutMs: 10_000 } });
      await first.enqueue(update(1));
      const flushed = first.flush();
      await until('the request to arrive', () => srv.received.length === 1);
      first.dispose();
      assert.deepEqual(await settlesWithin('the flush', flushed), { delivered: 0, failed: 0, pending: 1 });
      assert.equal(first.items[0]?.state, 'pending');
      assert.deepEqual([first.items[0]?.lastError, first.items[0]?.lastCode], [undefined, undefined], 'shutting down is not an error to show');
      assert.equal((await stored(file))[0]?.lastError, undefined);

      up = true;
      const next = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url });
      assert.equal(next.items[0]?.state, 'pending');
      assert.deepEqual(await next.flush(), { delivered: 1, failed: 0, pending: 0 });
      next.dispose();
    });

    it('after dispose a flush sends nothing and listeners hear nothing', async () => {
      const srv = await serve(answer(200));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url });
      const heard: number[] = [];
      outbox.onDidChange((items) => heard.push(items.length));
      await outbox.enqueue(update(1));
      outbox.dispose();
      await outbox.enqueue(update(2));
      assert.deepEqual(await outbox.flush(), { delivered: 0, failed: 0, pending: 2 });
      assert.equal(srv.received.length, 0);
      assert.deepEqual(heard, [1]);
    });

    it('a listener that stops listening hears no more changes; the others still do', async () => {
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => 'https://hooks.example.com/services/T0/B0/x' });
      const a: number[] = [];
      const b: number[] = [];
      const subscription = outbox.onDidChange((items) => a.push(items.length));
      outbox.onDidChange((items) => b.push(items.length));
      await outbox.enqueue(update(1));
      subscription.dispose();
      await outbox.enqueue(update(2));
      assert.deepEqual(a, [1]);
      assert.deepEqual(b, [1, 2]);
      outbox.dispose();
    });

    it('a flush that could not save does not stop the next one', async () => {
      const srv = await serve(answer(200));
      const queueDir = join(dir, 'storage');
      const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(join(queueDir, 'q.json')), { url: () => srv.url });
      await outbox.enqueue(update(1));
      await rm(queueDir, { recursive: true });
      await writeFile(queueDir, 'a file where the storage folder was'); // saving now fails
      await assert.rejects(outbox.flush());
      await rm(queueDir);
      await mkdir(queueDir);
      await outbox.enqueue(update(2));
      assert.deepEqual(await outbox.flush(), { delivered: 1, failed: 0, pending: 0 });
      assert.deepEqual(srv.received.map((r) => (JSON.parse(r.body) as { text: string }).text), ['update 1', 'update 2']);
      assert.equal((await stored(join(queueDir, 'q.json'))).find((q) => q.id === 'u-2')?.state, 'delivered');
    });

    it('retry(id) sends that failed update only; retryFailed() never sends a delivered one again', async () => {
      let refusing = true;
      const srv = await serve((r, res, n) => answer(refusing ? 400 : 200, refusing ? 'invalid_payload' : 'ok')(r, res, n));
      const outbox = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast });
      await outbox.enqueue(update(1));
      await outbox.enqueue(update(2));
      await outbox.enqueue(update(3));
      await outbox.flush();
      assert.deepEqual(states(outbox), ['u-1:failed', 'u-2:failed', 'u-3:failed']);
      refusing = false;
      assert.deepEqual(await outbox.retry('u-2'), { delivered: 1, failed: 0, pending: 0 });
      assert.deepEqual(states(outbox), ['u-1:failed', 'u-2:delivered', 'u-3:failed']);
      assert.deepEqual(await outbox.retryFailed(), { delivered: 2, failed: 0, pending: 0 });
      assert.deepEqual(srv.received.slice(3).map((r) => (JSON.parse(r.body) as { text: string }).text), ['update 2', 'update 1', 'update 3']);
    });

    it('a retry shows the update back in line before it is sent; a retry with nothing failed announces nothing', async () => {
      let refusing = true;
      const srv = await serve((r, res, n) => answer(refusing ? 400 : 200)(r, res, n));
      const file = join(dir, 'q.json');
      const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url, delivery: fast });
      await outbox.enqueue(update(1));
      await outbox.flush();
      const seen: string[] = [];
      outbox.onDidChange((items) => seen.push(items.map((q) => q.state).join()));
      refusing = false;
      await outbox.retry('u-1');
      assert.deepEqual(seen, ['pending', 'delivered']);
      seen.length = 0;
      const before = await readFile(file, 'utf8');
      assert.deepEqual(await outbox.retryFailed(), { delivered: 0, failed: 0, pending: 0 });
      assert.deepEqual(seen, []);
      assert.equal(await readFile(file, 'utf8'), before);
      outbox.dispose();
    });

    it('a discarded update stays discarded after a restart; discarding one that is not there changes nothing', async () => {
      const file = join(dir, 'q.json');
      const url = () => 'https://hooks.example.com/services/T0/B0/x';
      const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url });
      await outbox.enqueue(update(1));
      await outbox.enqueue(update(2));
      const seen: string[] = [];
      outbox.onDidChange((items) => seen.push(items.map((q) => q.id).join()));
      await outbox.discard('u-1');
      assert.deepEqual(seen, ['u-2']);
      await outbox.discard('u-404');
      assert.deepEqual(seen, ['u-2']);
      outbox.dispose();
      const reopened = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url });
      assert.deepEqual(reopened.items.map((q) => q.id), ['u-2']);
      reopened.dispose();
    });

    it('the in-memory store gives back what was saved, when reopened', async () => {
      const store = new MemoryWebhookQueueStore();
      const first = await WebhookOutbox.open(store, { url: () => 'https://hooks.example.com/services/T0/B0/x' });
      await first.enqueue(update(1));
      await first.enqueue(update(2));
      first.dispose();
      const second = await WebhookOutbox.open(store, { url: () => undefined });
      assert.deepEqual(second.items.map((q) => [q.id, q.state, q.text]), [['u-1', 'pending', 'update 1'], ['u-2', 'pending', 'update 2']]);
      second.dispose();
    });

    it('an update delivered while the queue cannot be saved stays delivered: the flush says so, and no retry sends it twice', async () => {
      const file = join(dir, 'q.json');
      // While the receiver answers, the queue file turns into a folder with something in it: the next save fails.
      const srv = await serve(async (r, res, n) => {
        await rm(file, { force: true });
        await mkdir(join(file, 'in-the-way'), { recursive: true });
        answer(200, 'ok')(r, res, n);
      });
      const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url, delivery: fast });
      await outbox.enqueue(update(1));
      await assert.rejects(outbox.flush(), (e: NodeJS.ErrnoException) => typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code));
      assert.deepEqual(outbox.items.map((q) => [q.id, q.state, q.retryable]), [['u-1', 'delivered', undefined]]);
      await rm(file, { recursive: true });
      assert.deepEqual(await outbox.retryFailed(), { delivered: 0, failed: 0, pending: 0 });
      assert.equal(srv.received.length, 1, 'sent once');
      // The next save writes what happened.
      await outbox.enqueue(update(2, 'second'));
      const saved = JSON.parse(await readFile(file, 'utf8')) as { items: QueuedUpdate[] };
      assert.deepEqual(saved.items.map((q) => [q.id, q.state]), [['u-1', 'delivered'], ['u-2', 'pending']]);
      outbox.dispose();
    });

    it('a queue file that cannot be read (a folder in its place) is refused, not taken for an empty queue', async () => {
      const file = join(dir, 'q.json');
      await mkdir(file);
      await assert.rejects(WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => undefined }), { code: 'EISDIR' });
    });

    it('a failed update is never dropped to keep the delivered ones few, and delivered ones within the limit are all kept', async () => {
      const srv = await serve((r, res, n) => answer(r.body.includes('bad') ? 400 : 200)(r, res, n));
      const few = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast, keepDelivered: 2 });
      await few.enqueue(update(1, 'bad one'));
      for (let i = 2; i <= 4; i++) await few.enqueue(update(i));
      await few.flush();
      assert.deepEqual(states(few), ['u-1:failed', 'u-3:delivered', 'u-4:delivered']);

      const roomy = await WebhookOutbox.open(new MemoryWebhookQueueStore(), { url: () => srv.url, delivery: fast, keepDelivered: 5 });
      for (let i = 1; i <= 3; i++) await roomy.enqueue(update(i));
      await roomy.flush();
      assert.deepEqual(states(roomy), ['u-1:delivered', 'u-2:delivered', 'u-3:delivered']);
    });

    describe('a queue written before URLs were recorded', () => {
      const legacy = (n: number, state: QueuedUpdate['state']) => ({ ...update(n), queuedAt: '2026-11-22T14:00:00.000Z', state, attempts: 1 });

      it('without a usable URL of the user\'s own, its waiting updates show as failed, not retryable, as soon as it is opened', async () => {
        for (const legacyUrl of [undefined, () => 'hooks.example.com/no-scheme']) {
          const file = join(dir, 'legacy.json');
          await writeFile(file, JSON.stringify({ version: 1, items: [legacy(1, 'pending')] }));
          const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => undefined, ...(legacyUrl ? { legacyUrl } : {}) });
          const [item] = outbox.items;
          assert.deepEqual([item?.state, item?.retryable, item?.url], ['failed', false, undefined]);
          assert.match(item?.lastError ?? '', /without its webhook URL, so it was not sent anywhere/);
          assert.equal((await stored(file))[0]?.state, 'failed');
          outbox.dispose();
        }
      });

      it('retrying one sends it nowhere, fails it again, and the flush goes on with the updates behind it', async () => {
        const srv = await serve(answer(200));
        const file = join(dir, 'legacy.json');
        await writeFile(file, JSON.stringify({ version: 1, items: [legacy(1, 'failed')] }));
        const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => srv.url, delivery: fast });
        await outbox.enqueue(update(2));
        assert.deepEqual(await outbox.retry('u-1'), { delivered: 1, failed: 1, pending: 0 });
        assert.deepEqual(srv.received.map((r) => (JSON.parse(r.body) as { text: string }).text), ['update 2']);
        const [old] = outbox.items;
        assert.deepEqual([old?.state, old?.retryable], ['failed', false]);
        assert.match(old?.lastError ?? '', /without its webhook URL, so it was not sent anywhere/);
        outbox.dispose();
      });

      it('opening a queue with nothing to rebind leaves its file as it was', async () => {
        const file = join(dir, 'q.json');
        const written = JSON.stringify({ version: 1, items: [{ ...legacy(1, 'pending'), url: 'https://hooks.example.com/services/T0/B0/x' }, legacy(2, 'delivered')] });
        await writeFile(file, written);
        const outbox = await WebhookOutbox.open(new JsonFileWebhookQueueStore(file), { url: () => undefined });
        assert.equal(outbox.items.length, 2);
        assert.equal(await readFile(file, 'utf8'), written);
        outbox.dispose();
      });
    });
  });
});
