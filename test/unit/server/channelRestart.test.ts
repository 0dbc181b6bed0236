import assert from 'node:assert/strict';
import { freshDatabase, usePostgres } from '../../support/postgres';
import { noteEvent, removeTempDirs, startTestServer, tempDir, TestClient, type TestServer } from './helpers';
import { startPgServer } from './pgServer';

/** Where a restarted server finds what the one before it stored: the same test body for each store. */
interface RestartStore {
  readonly name: string;
  fresh(): Promise<string>;
  start(where: string): Promise<TestServer>;
}

/**
 * Issue #18: channels never mix after a restart. The file store rebuilds which channel each record belongs to from
 * the channel name in the record; names of the same length (`payments-a`, `payments-b`) must stay apart.
 */
describe('server restart: channels stay apart (issue #18)', function () {
  this.timeout(30_000);
  after(removeTempDirs);

  describe('on a file store', () => {
    restartTests(() => ({ name: 'file', fresh: async () => tempDir(), start: (dir) => startTestServer({ dir }) }));
  });

  describe('on PostgreSQL', () => {
    usePostgres('restart');
    restartTests(() => ({ name: 'postgres', fresh: () => freshDatabase('restart'), start: (url) => startPgServer(url) }));
  });
});

function restartTests(kind: () => RestartStore): void {
  let t: TestServer | undefined;
  const clients: TestClient[] = [];

  async function stop(): Promise<void> {
    for (const c of clients.splice(0)) c.close();
    await t?.server.close();
    t = undefined;
  }
  async function connect(channel: string): Promise<TestClient> {
    const c = await TestClient.connect(t!.url(channel));
    clients.push(c);
    return c;
  }

  afterEach(stop);

  it('after a restart, payments-a and payments-b (names of equal length) each list and replay only their own incidents and notes', async () => {
    const dir = await kind().fresh();
    const channels = ['payments-a', 'payments-b', 'alpha', 'gamma'];
    t = await kind().start(dir);
    const writers = await Promise.all(channels.map(connect));
    // Interleaved writes: every channel declares INC-1, then each note lands between notes of the other channels.
    for (const [i, c] of writers.entries()) assert.equal(await c.declare(`${channels[i]} is down`), 'INC-1');
    for (let n = 0; n < 3; n++) {
      for (const [i, c] of writers.entries()) assert.equal((await c.append('INC-1', noteEvent(`${channels[i]} note ${n}`))).type, 'ack');
    }
    assert.equal(await writers[0]!.declare('payments-a second incident'), 'INC-2');
    await stop();

    t = await kind().start(dir);
    for (const channel of channels) {
      const c = await connect(channel);
      const listed = (c.messages[0]!.incidents as { id: string; title: string; headSeq: number }[]).map((i) => [i.id, i.title, i.headSeq]);
      const expected: unknown[] = [['INC-1', `${channel} is down`, 4]];
      if (channel === 'payments-a') expected.push(['INC-2', 'payments-a second incident', 1]);
      assert.deepEqual(listed.sort(), expected, `${channel} lists its own incidents only`);
      c.send({ type: 'subscribe', incidentId: 'INC-1', afterSeq: 0 });
      await c.waitForSeq('INC-1', 4, 5000);
      const texts = c.eventsOf('INC-1').map((e) => e.data.text ?? e.data.title);
      assert.deepEqual(texts, [`${channel} is down`, `${channel} note 0`, `${channel} note 1`, `${channel} note 2`], `${channel} replays its own events only`);
      // A new incident there gets the next number of that channel, not of another.
      assert.equal(await c.declare(`${channel} after restart`), channel === 'payments-a' ? 'INC-3' : 'INC-2');
    }
  });
}
