import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../../../src/protocol/messages';
import { ChannelError, type Link, type LinkFailure, type LinkHandlers } from '../../../src/sync/transport';
import { channelUrl, WsTransport } from '../../../src/sync/wsTransport';
import { freePort } from '../../support/ports';
import { until } from '../../support/until';

/** A plain ws server standing in for one replica, so a test can make it misbehave on purpose. */
interface Replica {
  readonly port: number;
  /** What the transport will show for this replica. */
  readonly target: string;
  /** Every upgrade request that reached it, accepted or not. */
  readonly upgrades: IncomingMessage[];
  /** The server side of every link it accepted. */
  readonly sockets: WebSocket[];
  /** When set, upgrades are answered with this HTTP status instead of being accepted. */
  answer: number | undefined;
}

/** What a link's handlers were given. */
interface Seen {
  readonly messages: ServerMessage[];
  readonly invalid: string[];
  readonly closes: LinkFailure[];
  readonly handlers: LinkHandlers;
}

function seen(): Seen {
  const messages: ServerMessage[] = [];
  const invalid: string[] = [];
  const closes: LinkFailure[] = [];
  return { messages, invalid, closes, handlers: { onMessage: (m) => messages.push(m), onInvalid: (e) => invalid.push(e), onClose: (f) => closes.push(f) } };
}

const target = (port: number): string => `ws://127.0.0.1:${port}/v1/channels/payments`;

describe('WsTransport', function () {
  this.timeout(20_000);
  let servers: WebSocketServer[] = [];
  let silent: { server: Server; sockets: Socket[] }[] = [];

  beforeEach(() => {
    servers = [];
    silent = [];
  });

  afterEach(async () => {
    for (const wss of servers) {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    for (const { server, sockets } of silent) {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  async function replica(options: { perMessageDeflate?: boolean } = {}): Promise<Replica> {
    const upgrades: IncomingMessage[] = [];
    const sockets: WebSocket[] = [];
    const r: { answer: number | undefined } = { answer: undefined };
    const wss = new WebSocketServer({
      host: '127.0.0.1', port: 0, perMessageDeflate: options.perMessageDeflate ?? false,
      verifyClient: (info, done) => {
        upgrades.push(info.req);
        if (r.answer === undefined) done(true);
        else done(false, r.answer);
      },
    });
    servers.push(wss);
    await once(wss, 'listening');
    wss.on('connection', (s) => sockets.push(s));
    const port = (wss.address() as AddressInfo).port;
    return Object.assign(r, { port, target: target(port), upgrades, sockets });
  }

  /** A server that takes the TCP connection and never answers the upgrade (a hung proxy, a stopped process). */
  async function neverAnswers(): Promise<number> {
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    silent.push({ server, sockets });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  const transport = (serverUrl: string, connectTimeoutMs = 2000): WsTransport =>
    new WsTransport({ serverUrl, channel: 'payments', token: async () => undefined, connectTimeoutMs });

  const pong = (requestId: string): string => JSON.stringify({ type: 'pong', requestId, serverTime: new Date().toISOString() });

  describe('the server setting', () => {
    it('accepts http:// and https:// as the ws:// and wss:// of the same server, and keeps ws:// and wss:// as they are', () => {
      assert.equal(channelUrl('http://127.0.0.1:7077', 'payments'), 'ws://127.0.0.1:7077/v1/channels/payments');
      assert.equal(channelUrl('https://incidents.example.com', 'payments'), 'wss://incidents.example.com/v1/channels/payments');
      assert.equal(channelUrl('wss://incidents.example.com:8443', 'payments'), 'wss://incidents.example.com:8443/v1/channels/payments');
      assert.equal(channelUrl('ws://127.0.0.1:7077', 'payments'), 'ws://127.0.0.1:7077/v1/channels/payments');
    });

    it('an http:// setting really connects, to the channel path', async () => {
      const r = await replica();
      const link = await transport(`http://127.0.0.1:${r.port}`).open(seen().handlers);
      assert.equal(r.upgrades[0]?.url, '/v1/channels/payments');
      link.close();
    });

    it('keeps a path prefix (a server behind a reverse proxy), however many slashes end it', () => {
      assert.equal(channelUrl('wss://example.com/relay/', 'payments'), 'wss://example.com/relay/v1/channels/payments');
      assert.equal(channelUrl('wss://example.com/relay//', 'payments'), 'wss://example.com/relay/v1/channels/payments');
      assert.equal(channelUrl('wss://example.com/team/relay', 'payments'), 'wss://example.com/team/relay/v1/channels/payments');
    });

    it('takes a URL pasted with non-breaking spaces around it (copied from a web page)', () => {
      assert.equal(channelUrl('\u00a0ws://127.0.0.1:7077\u00a0', 'payments'), 'ws://127.0.0.1:7077/v1/channels/payments');
    });

    it('says what is wrong with a setting that is not a URL, not a WebSocket URL, empty, or names a bad channel', () => {
      assert.throws(() => transport('127.0.0.1:7077'), { message: 'incidentRoom.server.url "127.0.0.1:7077" is not a URL; expected something like ws://127.0.0.1:7077' });
      assert.throws(() => transport('ftp://files.example.com'), { message: 'incidentRoom.server.url must start with ws:// or wss:// (got ftp://)' });
      assert.throws(() => transport(' , '), { message: 'incidentRoom.server.url is empty; expected something like ws://127.0.0.1:7077' });
      assert.throws(
        () => new WsTransport({ serverUrl: 'ws://127.0.0.1:7077', channel: 'Payments', token: async () => undefined }),
        { message: 'incidentRoom.channel "Payments" is not a channel name: lowercase letters, digits and dashes, starting with a letter or digit, at most 63' },
      );
    });
  });

  describe('opening a link', () => {
    it('a dead server fails the open with why, and never reports a close for a link that never opened', async () => {
      const dead = await freePort();
      const s = seen();
      await assert.rejects(transport(`ws://127.0.0.1:${dead}`).open(s.handlers), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.equal(e.failure.kind, 'unreachable');
        assert.match(e.message, new RegExp(`^cannot reach ${target(dead).replace(/[/.]/g, '\\$&')}: connect ECONNREFUSED`));
        return true;
      });
      assert.deepEqual(s.closes, []);
    });

    it('when no replica answers, says so once for each of them', async () => {
      const a = await freePort();
      const b = await freePort();
      await assert.rejects(transport(`ws://127.0.0.1:${a}, ws://127.0.0.1:${b}`).open(seen().handlers), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.equal(e.failure.kind, 'unreachable');
        const prefix = 'no replica answered: ';
        assert.ok(e.message.startsWith(prefix), e.message);
        const each = e.message.slice(prefix.length).split('; ');
        assert.equal(each.length, 2, e.message);
        assert.ok(each[0]!.startsWith(`cannot reach ${target(a)}: `), each[0]);
        assert.ok(each[1]!.startsWith(`cannot reach ${target(b)}: `), each[1]);
        return true;
      });
    });

    it('gives up after the connect timeout when a server takes the connection but never answers', async () => {
      const port = await neverAnswers();
      const started = Date.now();
      await assert.rejects(transport(`ws://127.0.0.1:${port}`, 200).open(seen().handlers), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.equal(e.failure.kind, 'unreachable');
        assert.match(e.message, /timed out/);
        return true;
      });
      // The setting is what counts: 200 ms, not the 10 s default.
      assert.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms`);
    });

    it('a refused token stops at the first replica (every replica would say the same) and tells the user what to do', async () => {
      const a = await replica();
      const b = await replica();
      a.answer = 401;
      b.answer = 401;
      const s = seen();
      await assert.rejects(transport(`ws://127.0.0.1:${a.port} ws://127.0.0.1:${b.port}`).open(s.handlers), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.deepEqual(e.failure, { kind: 'unauthorized', message: 'the channel server refused the token (HTTP 401): run "Incident: Set Channel Token"' });
        return true;
      });
      assert.equal(a.upgrades.length, 1);
      assert.equal(b.upgrades.length, 0, 'the second replica was asked too');
      assert.deepEqual(s.closes, []);
    });

    it('a channel the token does not grant (403) names the channel and stops at the first replica', async () => {
      const a = await replica();
      const b = await replica();
      a.answer = 403;
      await assert.rejects(transport(`ws://127.0.0.1:${a.port},ws://127.0.0.1:${b.port}`).open(seen().handlers), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.deepEqual(e.failure, { kind: 'forbidden', message: 'the token does not grant channel "payments" (HTTP 403)' });
        return true;
      });
      assert.equal(b.upgrades.length, 0);
    });

    it('a replica answering the upgrade with another status (503, draining) is unreachable: the next one is tried', async () => {
      const a = await replica();
      a.answer = 503;
      await assert.rejects(transport(`ws://127.0.0.1:${a.port}`).open(seen().handlers), (e: unknown) => {
        assert.ok(e instanceof ChannelError);
        assert.deepEqual(e.failure, { kind: 'unreachable', message: 'the channel server answered HTTP 503 to the WebSocket upgrade' });
        return true;
      });
      const b = await replica();
      const t = transport(`ws://127.0.0.1:${a.port} ws://127.0.0.1:${b.port}`);
      const link = await t.open(seen().handlers);
      assert.equal(b.sockets.length, 1);
      assert.equal(t.description, b.target);
      link.close();
    });

    it('a token that cannot go in a header fails the open with the header problem, not an error from inside the transport', async () => {
      const r = await replica();
      const t = new WsTransport({ serverUrl: `ws://127.0.0.1:${r.port}`, channel: 'payments', token: async () => 'tok-pasted-with-newline\n' });
      await assert.rejects(t.open(seen().handlers), /Invalid character in header content \["Authorization"\]/);
      assert.equal(r.upgrades.length, 0);
    });

    it('asks for no compression, even from a server that offers it', async () => {
      const r = await replica({ perMessageDeflate: true });
      const link = await transport(`ws://127.0.0.1:${r.port}`).open(seen().handlers);
      assert.equal(r.upgrades[0]?.headers['sec-websocket-extensions'], undefined);
      assert.equal(r.sockets[0]?.extensions, '');
      link.close();
    });
  });

  describe('an open link', () => {
    it('hands over valid frames and reports binary and malformed ones as invalid, never as messages', async () => {
      const r = await replica();
      const s = seen();
      const link = await transport(`ws://127.0.0.1:${r.port}`).open(s.handlers);
      const server = r.sockets[0]!;
      server.send(Buffer.from(pong('as-binary')), { binary: true });
      server.send('not json at all');
      server.send(JSON.stringify({ type: 'pong' }));
      server.send(pong('r-1'));
      await until('the valid frame', () => s.messages.length === 1);
      assert.equal(s.invalid.length, 3, s.invalid.join(' | '));
      assert.equal(s.invalid[0], 'binary frame from server');
      assert.deepEqual(s.messages.map((m) => m.type === 'pong' && m.requestId), ['r-1']);
      link.close();
    });

    it('closing without a code says "normal closure" (1000) to the server; a code and reason given are passed on', async () => {
      const r = await replica();
      const t = transport(`ws://127.0.0.1:${r.port}`);
      const first = await t.open(seen().handlers);
      const firstClosed = once(r.sockets[0]!, 'close');
      first.close();
      const [code1] = (await firstClosed) as [number, Buffer];
      assert.equal(code1, 1000);

      const second = await t.open(seen().handlers);
      const secondClosed = once(r.sockets[1]!, 'close');
      second.close(4000, 'liveness timeout');
      const [code2, reason2] = (await secondClosed) as [number, Buffer];
      assert.equal(code2, 4000);
      assert.equal(reason2.toString(), 'liveness timeout');
    });

    it('reports the server\'s close with its code and reason, or "closed (code)" when it gives none', async () => {
      const r = await replica();
      const t = transport(`ws://127.0.0.1:${r.port}`);
      const a = seen();
      await t.open(a.handlers);
      r.sockets[0]!.close(4408, 'too slow');
      await until('closed', () => a.closes.length === 1);
      assert.deepEqual(a.closes, [{ kind: 'closed', code: 4408, message: 'too slow' }]);

      const b = seen();
      await t.open(b.handlers);
      r.sockets[1]!.close(1011);
      await until('closed', () => b.closes.length === 1);
      assert.deepEqual(b.closes, [{ kind: 'closed', code: 1011, message: 'closed (1011)' }]);
    });

    it('sends nothing once closed, and does not throw', async () => {
      const r = await replica();
      const s = seen();
      const link: Link = await transport(`ws://127.0.0.1:${r.port}`).open(s.handlers);
      const got: string[] = [];
      r.sockets[0]!.on('message', (d) => got.push(d.toString()));
      link.send({ type: 'ping', requestId: 'before' });
      await until('the ping', () => got.length === 1);
      link.close();
      link.send({ type: 'ping', requestId: 'after' });
      await until('closed', () => s.closes.length === 1);
      assert.deepEqual(got.map((g) => (JSON.parse(g) as { requestId: string }).requestId), ['before']);
    });
  });

  describe('replicas', () => {
    it('a lost link moves the next open to the next replica', async () => {
      const a = await replica();
      const b = await replica();
      const t = transport(`ws://127.0.0.1:${a.port} ws://127.0.0.1:${b.port}`);
      const s = seen();
      await t.open(s.handlers);
      assert.equal(t.description, a.target);
      a.sockets[0]!.terminate(); // the machine is gone: no close frame (1006)
      await until('lost', () => s.closes.length === 1);
      assert.equal(s.closes[0]!.kind === 'closed' && s.closes[0]!.code, 1006);
      assert.equal(t.description, b.target);
      const link = await t.open(seen().handlers);
      assert.equal(a.upgrades.length, 1, 'the lost replica was tried first again');
      assert.equal(b.sockets.length, 1);
      link.close();
    });

    it('a link closed on purpose (1000), by the server or by the client, keeps the transport on its replica', async () => {
      const a = await replica();
      const b = await replica();
      const t = transport(`ws://127.0.0.1:${a.port} ws://127.0.0.1:${b.port}`);
      const byServer = seen();
      await t.open(byServer.handlers);
      a.sockets[0]!.close(1000, 'bye');
      await until('closed by the server', () => byServer.closes.length === 1);
      assert.equal(t.description, a.target);

      const byClient = seen();
      const link = await t.open(byClient.handlers);
      assert.equal(a.sockets.length, 2);
      link.close();
      await until('closed by the client', () => byClient.closes.length === 1);
      assert.equal(t.description, a.target);
      const again = await t.open(seen().handlers);
      assert.equal(a.sockets.length, 3);
      assert.equal(b.upgrades.length, 0);
      again.close();
    });

    it('an old link lost after a newer one opened elsewhere does not move the transport off the replica it is on', async () => {
      const a = await replica();
      const c = await replica();
      const dead = await freePort();
      const t = transport(`ws://127.0.0.1:${a.port} ws://127.0.0.1:${dead} ws://127.0.0.1:${c.port}`);
      const old = seen();
      await t.open(old.handlers);
      // A starts draining; the next open skips it and the dead one and lands on C while the old link to A lives on.
      a.answer = 503;
      const link = await t.open(seen().handlers);
      assert.equal(t.description, c.target);
      a.sockets[0]!.terminate();
      await until('the old link lost', () => old.closes.length === 1);
      assert.equal(t.description, c.target);
      link.close();
    });
  });
});
