import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { httpGet, noteEvent, removeTempDirs, sleep, startTestServer, TestClient } from './helpers';

describe('server limits: frame size, rate, slow consumers, liveness', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it('closes with 1009 above 256 KiB and answers a frame just under it', async () => {
    const t = await startTestServer({ store: 'memory' });
    try {
      const ok = await TestClient.connect(t.url());
      const under = JSON.stringify({ type: 'ping', requestId: 'big', pad: 'x'.repeat(256 * 1024 - 60) });
      assert.ok(Buffer.byteLength(under) <= 256 * 1024);
      ok.send(under);
      assert.equal((await ok.next((m) => m.requestId === 'big')).type, 'pong');
      ok.send(JSON.stringify({ type: 'ping', requestId: 'huge', pad: 'x'.repeat(256 * 1024) }));
      assert.equal((await ok.closed).code, 1009);
    } finally {
      await t.server.close();
    }
  });

  it('refuses with rate_limited past the token bucket, then closes 4429 on persistent abuse; a client that backs off is never closed', async () => {
    const t = await startTestServer({ store: 'memory', limits: { messagesPerSecond: 20, burst: 20, patience: 30 } });
    try {
      const polite = await TestClient.connect(t.url());
      for (let i = 0; i < 25; i++) polite.send({ type: 'ping', requestId: `p${i}` });
      const limited = await polite.next((m) => m.type === 'error' && m.code === 'rate_limited');
      assert.match(String(limited.message), /rate limit: at most 20 messages per second/);
      assert.match(String(limited.requestId), /^p\d+$/, 'the refusal echoes the requestId');
      await sleep(1000);
      assert.equal((await polite.request({ type: 'ping' })).type, 'pong');

      const abuser = await TestClient.connect(t.url());
      for (let i = 0; i < 200; i++) abuser.send({ type: 'ping', requestId: `a${i}` });
      assert.equal((await abuser.closed).code, 4429);
      const pongs = abuser.messages.filter((m) => m.type === 'pong').length;
      const refusals = abuser.messages.filter((m) => m.code === 'rate_limited').length;
      assert.ok(pongs >= 19 && pongs <= 21, `${pongs} pongs`);
      assert.ok(refusals >= 25 && refusals <= 40, `${refusals} refusals before the close`);
      assert.equal(polite.ws.readyState, polite.ws.OPEN);
    } finally {
      await t.server.close();
    }
  });

  it('a rate-limited frame over 4 KiB is refused with its requestId, so the client keeps the event queued and resends it', async () => {
    const t = await startTestServer({ store: 'memory', limits: { messagesPerSecond: 5, burst: 5, patience: 30 } });
    try {
      const c = await TestClient.connect(t.url());
      // A note with a big snippet is a frame well over 4 KiB; the requestId leads, as the client writes it.
      for (let i = 0; i < 8; i++) c.send(JSON.stringify({ type: 'ping', requestId: `big${i}`, pad: 'x'.repeat(6000) }));
      const limited = await c.next((m) => m.type === 'error' && m.code === 'rate_limited');
      assert.match(String(limited.requestId), /^big\d$/, 'the refusal of a big frame echoes its requestId');
      // and wherever the requestId sits in the frame's outer object
      await sleep(1100);
      for (let i = 0; i < 8; i++) c.send(`{"type":"ping","pad":"${'y'.repeat(6000)}","requestId":"late${i}"}`);
      const late = await c.next((m) => m.type === 'error' && m.code === 'rate_limited' && String(m.requestId).startsWith('late'));
      assert.match(String(late.requestId), /^late\d$/);
      // a frame cut short (not JSON) is refused naming its request too
      await sleep(1100);
      c.send('{"type":"append","requestId":"cut","incidentId":"INC-1","event":{"id":');
      const cut = await c.next((m) => m.type === 'error' && m.requestId === 'cut');
      assert.equal(cut.code, 'invalid_message');
    } finally {
      await t.server.close();
    }
  });

  it('closes a subscriber that stops reading with 4408, and nobody else slows down', async () => {
    const t = await startTestServer({ limits: { messagesPerSecond: 1e6, burst: 1e6, maxBufferedBytes: 512 * 1024, closeGraceMs: 20_000 } });
    try {
      const writer = await TestClient.connect(t.url());
      const id = await writer.declare();
      const slow = await TestClient.connect(t.url());
      const fast = await TestClient.connect(t.url());
      for (const c of [slow, fast]) {
        c.send({ type: 'subscribe', incidentId: id, afterSeq: 0 });
        await c.next((m) => m.type === 'events');
      }
      slow.ws.pause();
      const rtts: number[] = [];
      let sent = 1;
      // Large notes until the server gives up on the slow reader (the kernel buffers take several MB first).
      for (let round = 0; round < 60; round++) {
        const acks = Array.from({ length: 50 }, () => writer.append(id, noteEvent('x'.repeat(7900))));
        const t0 = performance.now();
        await fast.request({ type: 'ping' });
        rtts.push(performance.now() - t0);
        await Promise.all(acks);
        sent += 50;
        const metrics = await httpGet(t.server.metricsPort!, '/metrics');
        if (/incident_room_closes_total\{code="4408"\} 1/.test(metrics.body)) break;
      }
      const metrics = await httpGet(t.server.metricsPort!, '/metrics');
      assert.match(metrics.body, /incident_room_closes_total\{code="4408"\} 1/, 'the slow consumer was closed');
      await fast.waitForSeq(id, sent);
      rtts.sort((a, b) => a - b);
      // Loose: two shared cores; a server held up by the stuck reader would take seconds, not this.
      assert.ok(rtts[Math.floor(rtts.length * 0.9)]! < 500, `fast client's ping p90 ${rtts[Math.floor(rtts.length * 0.9)]} ms`);
      slow.ws.resume();
      const closed = await slow.closed;
      assert.equal(closed.code, 4408);
      assert.match(closed.reason, /too slow/);
      assert.equal(fast.ws.readyState, fast.ws.OPEN);
      assert.equal(fast.eventsOf(id).length, sent, 'the fast subscriber got every event');
    } finally {
      await t.server.close();
    }
  });

  it('pings every interval and drops a peer that misses two pongs', async () => {
    const t = await startTestServer({ store: 'memory', limits: { pingIntervalMs: 60 } });
    try {
      const deaf = await TestClient.connect(t.url(), { autoPong: false });
      const alive = await TestClient.connect(t.url());
      let pings = 0;
      alive.ws.on('ping', () => pings++);
      const t0 = Date.now();
      const closed = await deaf.closed;
      assert.equal(closed.code, 1006, 'terminated, no close handshake');
      assert.ok(Date.now() - t0 < 1000);
      await sleep(200);
      assert.ok(pings >= 3, `${pings} pings`);
      assert.equal(alive.ws.readyState, alive.ws.OPEN);
      assert.equal((await alive.request({ type: 'ping', n: randomUUID() })).type, 'pong');
    } finally {
      await t.server.close();
    }
  });
});
