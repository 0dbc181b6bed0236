import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openInProcessLink } from '../../../src/local/inProcessLink';
import type { ClientMessage, ServerMessage } from '../../../src/protocol/messages';
import { ChannelCore } from '../../../src/server/channel';
import { DEFAULT_LIMITS } from '../../../src/server/channelServer';
import { ConnectionRateLimit } from '../../../src/server/rateLimiter';
import { nextSlice, SLICE_MS, slicesWaiting } from '../../../src/server/slices';
import { MemoryStore } from '../../../src/store/memoryStore';
import type { LinkFailure } from '../../../src/sync/transport';
import { until } from '../../support/until';
import { type Msg, startTestServer, type TestServer, TestClient } from './helpers';

const hello = (): ClientMessage => ({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'alice@example.com', name: 'Alice' } });

/** The error replies a raw frame got: sent, then a ping behind it; replies come in order, so whatever the frame got arrives before the pong. */
async function refusalsOf(c: TestClient, raw: string | Buffer, options: { binary?: boolean } = {}): Promise<Msg[]> {
  const before = c.messages.length;
  if (typeof raw === 'string') c.send(raw);
  else c.ws.send(raw, { binary: options.binary ?? false });
  const pong = await c.request({ type: 'ping' });
  assert.equal(pong.type, 'pong');
  return c.messages.slice(before, c.messages.indexOf(pong));
}

/**
 * What a client hears about a frame the server refuses before it could read it (server/frameIntake.ts) and which of
 * its requests a refusal names (server/frameGuard.ts): the client matches an error to the event it holds by requestId.
 */
describe('server intake: frames refused before they are read', function () {
  this.timeout(20_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ store: 'memory' });
  });
  after(async () => {
    await t.server.close();
  });

  it('refuses a binary frame with a typed error and does not take it for the hello; the text hello after it is welcomed', async () => {
    const c = await TestClient.connect(t.url(), { hello: false });
    try {
      c.ws.send(Buffer.from(JSON.stringify(hello())), { binary: true });
      const first = await c.next(() => true);
      assert.deepEqual({ type: first.type, code: first.code, message: first.message }, { type: 'error', code: 'invalid_message', message: 'binary frames are not accepted: send JSON text frames' });
      c.send(hello());
      await c.next((m) => m.type === 'welcome');
      assert.equal(c.messages.filter((m) => m.type === 'welcome').length, 1);
    } finally {
      c.close();
    }
  });

  it('refuses a text frame that is not UTF-8 with a typed error and keeps the session', async () => {
    const c = await TestClient.connect(t.url());
    try {
      const bytes = Buffer.concat([Buffer.from('{"type":"ping","requestId":"u1","pad":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
      const replies = await refusalsOf(c, bytes);
      assert.deepEqual(replies.map((m) => ({ type: m.type, code: m.code, message: m.message })), [{ type: 'error', code: 'invalid_message', message: 'frame is not valid UTF-8' }]);
    } finally {
      c.close();
    }
  });

  it('a frame cut short gets its own requestId back, however long (1 to 64 characters) and however the client\'s encoder spells it', async () => {
    const c = await TestClient.connect(t.url());
    try {
      const cut = (requestIdLiteral: string) => `{"type":"append","requestId":${requestIdLiteral},"incidentId":"INC-1","event":{"id":`;
      const cases: [string, string][] = [
        // a client numbering its requests 1, 2, 3…
        [cut('"7"'), '7'],
        [cut(JSON.stringify('r'.repeat(64))), 'r'.repeat(64)],
        // an ASCII-only encoder (Python's json.dumps) writes each of 64 accented characters as \u00e9
        [cut(`"${'\\u00e9'.repeat(64)}"`), 'é'.repeat(64)],
        // cut inside a string, as a frame cut at any byte is
        ['{"type":"append","requestId":"r-cut","incidentId":"INC-1","event":{"id":"0f9c', 'r-cut'],
      ];
      for (const [raw, requestId] of cases) {
        const replies = await refusalsOf(c, raw);
        assert.deepEqual(replies.map((m) => ({ code: m.code, requestId: m.requestId })), [{ code: 'invalid_message', requestId }], raw.slice(0, 80));
      }
      // one character over: nothing to echo, but still refused
      const tooLong = await refusalsOf(c, cut(JSON.stringify('r'.repeat(65))));
      assert.deepEqual(tooLong.map((m) => ({ code: m.code, requestId: m.requestId })), [{ code: 'invalid_message', requestId: undefined }]);
    } finally {
      c.close();
    }
  });

  it('a refusal names the request by the key requestId alone, the last usable one of repeated keys, as JSON.parse would read it', async () => {
    const c = await TestClient.connect(t.url());
    try {
      const cases: [string, string][] = [
        // keys that start like it, or are as long as it, are other fields
        ['{"type":"append","requestId":"r1","requestIdAttempt":"2","requested":"now","incidentId":"INC-1","event":{"id":', 'r1'],
        // a requestId that is not a string does not hide the string one after it
        ['{"type":"ping","requestId":7,"pad":1,"requestId":"r2","x":', 'r2'],
        // a repeated requestId cut short does not lose the one before it
        ['{"type":"ping","requestId":"r1","requestId":"r2', 'r1'],
      ];
      for (const [raw, requestId] of cases) {
        const replies = await refusalsOf(c, raw);
        assert.deepEqual(replies.map((m) => ({ code: m.code, requestId: m.requestId })), [{ code: 'invalid_message', requestId }], raw);
      }
    } finally {
      c.close();
    }
  });

  it('closes a client that keeps sending while refused with 4429 and says why', async () => {
    const limited = await startTestServer({ store: 'memory', limits: { messagesPerSecond: 1, burst: 1, patience: 3 } });
    try {
      const c = await TestClient.connect(limited.url());
      for (let i = 0; i < 20; i++) c.send({ type: 'ping', requestId: `a${i}` });
      assert.deepEqual(await c.closed, { code: 4429, reason: 'rate limit exceeded repeatedly' });
      assert.ok(c.messages.some((m) => m.code === 'rate_limited'), 'refused before it was closed');
    } finally {
      await limited.server.close();
    }
  });
});

describe('server intake: an in-process link (local mode) has the same frame size limit as a socket', () => {
  it('closes the link with 1009, naming the limit, for a frame over 256 KiB, which a socket\'s maxPayload would have refused', async () => {
    const store = new MemoryStore();
    await store.open();
    const core = new ChannelCore({ store });
    const seen: ServerMessage[] = [];
    let closed: LinkFailure | undefined;
    const link = openInProcessLink(core, 'payments-oncall', { onMessage: (m) => seen.push(m), onInvalid: () => undefined, onClose: (f) => (closed = f) }, { via: 'local' }, DEFAULT_LIMITS);
    try {
      link.send(hello());
      await until('welcome', () => seen.some((m) => m.type === 'welcome'), 5000);
      // A note with a pasted log as big as a frame may be: the session's own limits never see it.
      const huge: ClientMessage = { type: 'append', requestId: 'huge', incidentId: 'INC-1', event: { id: randomUUID(), kind: 'note.added', at: new Date().toISOString(), data: { text: 'x'.repeat(DEFAULT_LIMITS.maxFrameBytes), tag: 'note' } } };
      link.send(huge);
      assert.deepEqual(await until('the link closed', () => closed, 5000), { kind: 'closed', code: 1009, message: `frame over ${DEFAULT_LIMITS.maxFrameBytes} bytes` });
      assert.ok(!seen.some((m) => 'requestId' in m && m.requestId === 'huge'), 'the frame was not answered');
    } finally {
      link.close();
      await core.close();
      await store.close();
    }
  });
});

describe('server intake: a client that backs off regains the patience it spent', () => {
  it('refills patience at a tenth of it per second, so a client that paused half a second is refused, not closed', () => {
    let now = 0;
    const limit = new ConnectionRateLimit({ messagesPerSecond: 1, burst: 1, patience: 200 }, () => now);
    assert.equal(limit.check(), 'ok');
    const refused = Array.from({ length: 200 }, () => limit.check());
    assert.ok(refused.every((v) => v === 'limited'));
    assert.equal(limit.check(), 'abuse');
    now += 500; // half a second at 20 per second: 10 refusals of patience back (and half a message)
    assert.deepEqual(Array.from({ length: 11 }, () => limit.check()), [...Array<string>(10).fill('limited'), 'abuse']);
  });
});

describe('server intake: background work leaves nothing running when it is done', function () {
  this.timeout(20_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('after a quiet spell, the next piece of work starts on the next turn of the loop, not behind a leftover timer', async () => {
    // Background work that has finished, as a small alert call leaves behind.
    let lastSlice = 0;
    await Promise.all([1, 2, 3].map(async () => {
      await nextSlice();
      lastSlice = performance.now();
    }));
    // Once a slice period has passed, nothing is owed to the live events: a new call need not wait.
    await until('no work waiting and a slice period since the last slice', () => slicesWaiting() === 0 && performance.now() - lastSlice > 4 * SLICE_MS + 1, 5000);
    const order: string[] = [];
    const work = nextSlice().then(() => order.push('background work'));
    setImmediate(() => order.push('what the next turn queued after it'));
    await work;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['background work', 'what the next turn queued after it']);
  });

  it('a process whose background slices are all done can exit on its own (no timer keeps waking it)', async () => {
    const root = path.join(__dirname, '../../..');
    const slices = path.join(root, 'src/server/slices.ts');
    const script = `const { nextSlice, slicesWaiting } = require(${JSON.stringify(slices)});
      Promise.all([nextSlice(), nextSlice(), nextSlice()]).then(() => process.stdout.write('resumed, waiting ' + slicesWaiting()));`;
    child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (err += String(d)));
    const code = await new Promise<number | null>((resolve) => child!.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, err);
    assert.equal(out, 'resumed, waiting 0');
  });
});
