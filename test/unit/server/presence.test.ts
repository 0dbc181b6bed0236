// Presence (PROTOCOL.md "Presence"): who is on a channel, told to the responders that ask for it in hello; a
// stakeholder's read-only session is never listed nor told, and a client that did not ask gets no such frame.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Msg, removeTempDirs, startTestServer, type TestServer, TestClient } from './helpers';

const TOKENS = [
  { name: 'alice-laptop', token: 'tok-alice-presence', channels: ['payments-oncall'] },
  { name: 'bob-laptop', token: 'tok-bob-presence', channels: ['payments-oncall'] },
  { name: 'status-board', token: 'tok-read-presence', channels: ['payments-oncall'], access: 'read' as const },
];

describe('server/presence', function () {
  this.timeout(20_000);
  let t: TestServer;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    t = await startTestServer({ tokens: TOKENS });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.server.close();
    removeTempDirs();
  });

  async function join(token: string, user: string, presence: boolean): Promise<TestClient> {
    const c = await TestClient.connect(t.url(), { token, hello: false });
    clients.push(c);
    c.send({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: `${user.toLowerCase()}@example.com`, name: user }, ...(presence ? { presence: true } : {}) });
    await c.next((m) => m.type === 'welcome');
    return c;
  }
  const listed = (m: Msg) => (m.users as { name: string }[]).map((u) => u.name).sort().join(', ');
  /** A ping's pong: every frame the server sent this client before it has arrived. */
  const drained = async (c: TestClient) => c.request({ type: 'ping', requestId: randomUUID() });

  it('lists the responders to those who asked, never the read-only session, and says when one leaves', async () => {
    const alice = await join('tok-alice-presence', 'Alice', true);
    const board = await join('tok-read-presence', 'Board', true);
    const old = await join('tok-bob-presence', 'Olga', false);
    const bob = await join('tok-bob-presence', 'Bob', true);
    await alice.next((m) => m.type === 'presence' && listed(m) === 'Alice, Bob, Olga');
    await bob.next((m) => m.type === 'presence' && listed(m) === 'Alice, Bob, Olga');
    await drained(board);
    await drained(old);
    assert.deepEqual(board.messages.filter((m) => m.type === 'presence'), [], 'a read-only session is told nothing of who is here');
    assert.deepEqual(old.messages.filter((m) => m.type === 'presence'), [], 'a client that did not ask gets no presence frame');
    for (const m of alice.messages.filter((x) => x.type === 'presence')) assert.doesNotMatch(listed(m), /Board/);

    bob.close();
    await alice.next((m) => m.type === 'presence' && listed(m) === 'Alice, Olga', 5000);
  });
});
