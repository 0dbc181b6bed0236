import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { SocketGuard } from '../../../src/server/socketGuard';
import { until } from '../../support/until';
import {
  connectWithin, HALF_UPGRADE, metricsText, rawSocket, type RawSocket, removeTempDirs, sample, spawnServer, startTestServer, TestClient,
} from './helpers';

/** Issue #10 item 5: sockets that never finish (or never start) a request cannot hold the server's descriptors. */
describe('server/socketGuard: slow and silent sockets', function () {
  this.timeout(30_000);
  const sockets: RawSocket[] = [];
  const open = (port: number, localAddress: string, send?: string) => {
    const s = rawSocket(port, { localAddress, ...(send ? { send } : {}) });
    sockets.push(s);
    return s;
  };
  // Other loopback addresses (127.0.0.2…) stand for other hosts: Linux routes all of 127/8 to lo, macOS does not.
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.socket.destroy();
  });
  after(removeTempDirs);

  it('under a 200-descriptor limit, 300 silent and half-sent upgrades from other addresses do not keep a real client out for 2 s', async () => {
    const child = await spawnServer(['--port', '0', '--store', 'memory'], {}, { fdLimit: 200 });
    try {
      // 10 attacking addresses (127.0.0.2–11), 30 sockets each: half say nothing, half stop in the middle of the headers.
      for (let i = 0; i < 300; i++) open(child.port, `127.0.0.${2 + (i % 10)}`, i % 2 ? HALF_UPGRADE : undefined);
      await Promise.all(sockets.map((s) => s.ready));
      const { client, ms } = await connectWithin(child.url(), 2000);
      assert.ok(ms < 2000, `${ms} ms`);
      // The session works, and is not the next one pushed out.
      assert.equal((await client.request({ type: 'ping' })).type, 'pong');
      for (let i = 0; i < 50; i++) open(child.port, '127.0.0.12');
      await Promise.all(sockets.map((s) => s.ready));
      assert.equal((await client.request({ type: 'ping' })).type, 'pong');
      client.close();
    } finally {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  });

  it('closes a socket that sends nothing, and one that stops in the middle of its upgrade, after the handshake timeout; counts both', async () => {
    const t = await startTestServer({ store: 'memory', limits: { handshakeTimeoutMs: 300 } });
    try {
      // A session that upgraded (and said hello) before them: if the timeout wrongly applied to it, it would go first.
      const c = await TestClient.connect(t.url());
      const t0 = Date.now();
      const silent = open(t.server.port, '127.0.0.1');
      const half = open(t.server.port, '127.0.0.1', HALF_UPGRADE);
      await until('both closed', () => silent.isClosed() && half.isClosed(), 3000).catch(() => undefined);
      assert.ok(silent.isClosed() && half.isClosed(), `closed: silent ${silent.isClosed()}, half ${half.isClosed()} after ${Date.now() - t0} ms`);
      assert.ok(Date.now() - t0 >= 250, 'not before the timeout');
      assert.equal((await c.request({ type: 'ping' })).type, 'pong');
      assert.equal(sample(await metricsText(t), 'incident_room_socket_refusals_total{reason="handshake_timeout"}'), 2);
      c.close();
    } finally {
      await t.server.close();
    }
  });

  it('closes an upgraded socket that never says hello with 4400 after the handshake timeout', async () => {
    const t = await startTestServer({ store: 'memory', limits: { handshakeTimeoutMs: 300 } });
    try {
      const mute = await TestClient.connect(t.url(), { hello: false });
      const closed = await Promise.race([mute.closed, until('closed', () => false, 3000).then(() => ({ code: 0, reason: '' }), () => ({ code: 0, reason: 'still open after 3 s' }))]);
      assert.equal(closed.code, 4400, closed.reason);
      assert.match(closed.reason, /hello/);
      // A frame that is refused (binary) is not a hello: it must not stop the clock.
      const sly = await TestClient.connect(t.url(), { hello: false });
      sly.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      const slyClosed = await Promise.race([sly.closed, until('closed', () => false, 3000).then(() => ({ code: 0, reason: '' }), () => ({ code: 0, reason: 'still open after 3 s' }))]);
      assert.equal(slyClosed.code, 4400, slyClosed.reason);
    } finally {
      await t.server.close();
    }
  });

  it('refuses pre-upgrade sockets beyond the cap per remote address at once, counts them, and lets other addresses in', async () => {
    const t = await startTestServer({ store: 'memory', limits: { maxPendingPerAddress: 20 } });
    try {
      for (let i = 0; i < 50; i++) open(t.server.port, '127.0.0.2', i % 2 ? HALF_UPGRADE : undefined);
      await until('30 refused', () => sockets.filter((s) => s.isClosed()).length === 30, 3000);
      const c = await TestClient.connect(t.url());
      assert.equal((await c.request({ type: 'ping' })).type, 'pong');
      assert.equal(sample(await metricsText(t), 'incident_room_socket_refusals_total{reason="per_address"}'), 30);
      // The refused address gets its slots back as its sockets close.
      for (const s of sockets.splice(0)) s.socket.destroy();
      const again = await connectWithin(t.url(), 2000);
      again.client.close();
      c.close();
    } finally {
      await t.server.close();
    }
  });

  it('at the connection cap a new socket pushes out the oldest that has not upgraded; with only sessions left, it is refused', async () => {
    const t = await startTestServer({ store: 'memory', limits: { maxConnections: 12, maxPendingPerAddress: 100 } });
    try {
      const sessions = await Promise.all(Array.from({ length: 4 }, () => TestClient.connect(t.url())));
      const idle = Array.from({ length: 8 }, (_, i) => open(t.server.port, `127.0.0.${2 + i}`));
      await Promise.all(idle.map((s) => s.ready));
      const newcomer = await connectWithin(t.url(), 2000);
      await until('the oldest idle socket was pushed out', () => idle[0]!.isClosed(), 2000);
      assert.ok(!idle[7]!.isClosed(), 'only as many as needed');
      for (const s of sessions) assert.equal((await s.request({ type: 'ping' })).type, 'pong', 'sessions are never pushed out');
      const more = await Promise.all(Array.from({ length: 7 }, () => connectWithin(t.url(), 2000)));
      // 12 sessions now: the next socket has nobody to push out.
      const refused = new WebSocket(t.url());
      const outcome = await new Promise<string>((resolve) => {
        refused.once('open', () => resolve('open'));
        refused.once('error', (e) => resolve(`error: ${e.message}`));
      });
      assert.match(outcome, /^error/);
      const text = await metricsText(t);
      assert.ok(sample(text, 'incident_room_socket_refusals_total{reason="evicted"}') >= 8);
      assert.equal(sample(text, 'incident_room_socket_refusals_total{reason="max_connections"}'), 1);
      for (const c of [...sessions, newcomer.client, ...more.map((m) => m.client)]) c.close();
    } finally {
      await t.server.close();
    }
  });
});

/**
 * An Alertmanager that flushes many groups at once opens a connection for each; a request that proved a token does
 * not count against its address while it is answered (the per-address limit is for sockets that proved nothing).
 */
describe('server/socketGuard: vouched requests', function () {
  this.timeout(30_000);
  it('admits more concurrent authenticated requests from one address than the limit, while silent sockets still count', async () => {
    const refused: string[] = [];
    const guard = new SocketGuard({ handshakeTimeoutMs: 10_000, maxConnections: 1000, maxPendingPerAddress: 4, onRefuse: (reason) => void refused.push(reason) });
    const held: (() => void)[] = [];
    const server = createServer((req, res) => {
      guard.requestStarted(req.socket);
      res.once('close', () => guard.requestFinished(req.socket));
      // A request with the right token is vouched for; its answer is held until the test lets it go.
      if (req.headers.authorization === 'Bearer good') guard.vouched(req.socket);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.flushHeaders();
      held.push(() => res.end('ok'));
    });
    guard.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 100 });
    /** A request whose headers came back (it is being answered); resolves with its response and a way to read it whole. */
    const start = (token: string) => new Promise<{ body: Promise<string> }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-length': '0' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        resolve({ body: new Promise((done) => res.on('end', () => done(text))) });
      });
      req.on('error', reject);
      req.end();
    });
    const silent: Socket[] = [];
    try {
      // Ten at once from one address with a limit of 4: each is taken while the ones before it are still answered.
      const vouched = [];
      for (let i = 0; i < 10; i++) vouched.push(await start('good'));
      assert.deepEqual(refused, []);
      // Sockets that prove nothing still count: 4 are taken, the fifth is refused.
      for (let i = 0; i < 5; i++) {
        const s = connect({ port, host: '127.0.0.1' });
        s.on('error', () => undefined);
        silent.push(s);
        await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      }
      await until('the fifth silent socket refused', () => refused.length === 1);
      assert.deepEqual(refused, ['per_address']);
      for (const release of held.splice(0)) release();
      assert.deepEqual(await Promise.all(vouched.map((v) => v.body)), Array(10).fill('ok'));
    } finally {
      for (const s of silent) s.destroy();
      agent.destroy();
      for (const release of held.splice(0)) release();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
