import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseServerMessage } from '../../../src/protocol/messages';
import { noteEvent, removeTempDirs, startTestServer, tempDir, TestClient, type Msg, type TestServer } from './helpers';

/**
 * Issue #10, "nothing acked is ever lost": a real server on a real file store whose log is damaged on disk between
 * two runs, as bit rot would, then restarted on the same directory.
 */
describe('server over a damaged event log (issue #10)', function () {
  this.timeout(30_000);
  let t: TestServer | undefined;
  const clients: TestClient[] = [];

  async function start(dir: string): Promise<TestServer> {
    t = await startTestServer({ dir, limits: { messagesPerSecond: 100_000, burst: 100_000 } });
    return t;
  }
  async function stop(): Promise<void> {
    for (const c of clients.splice(0)) c.close();
    await t?.server.close();
    t = undefined;
  }
  async function connect(): Promise<TestClient> {
    const c = await TestClient.connect(t!.url());
    clients.push(c);
    return c;
  }
  /** Flip one byte of the log inside the record that holds `marker` (a title or note text), as bit rot would. */
  function damage(dir: string, marker: string): Buffer {
    const file = path.join(dir, 'events.log');
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from(marker));
    assert.ok(at > 0, `${marker} is in the log`);
    assert.equal(bytes.indexOf(Buffer.from(marker), at + 1), -1, `${marker} is in one record only`);
    bytes[at] = bytes[at]! ^ 0x20;
    writeFileSync(file, bytes);
    return bytes.subarray(at, at + marker.length);
  }
  /** Subscribe and collect every `events`/`event` frame until the client holds `head`. */
  async function replay(c: TestClient, incidentId: string, afterSeq: number, head: number): Promise<{ seqs: number[]; lost: unknown[]; frames: Msg[] }> {
    const from = c.messages.length;
    c.send({ type: 'subscribe', incidentId, afterSeq });
    const covered = () => {
      let top = afterSeq;
      for (const m of c.messages.slice(from)) {
        if (m.type !== 'events' || m.incidentId !== incidentId) continue;
        for (const e of m.events as { seq: number }[]) top = Math.max(top, e.seq);
        for (const l of (m.lost ?? []) as { toSeq: number }[]) top = Math.max(top, l.toSeq);
      }
      return top >= head;
    };
    await c.next((m) => m.type === 'events' && m.incidentId === incidentId && covered(), 5000, false).catch(() => undefined);
    const frames = c.messages.slice(from).filter((m) => m.type === 'events' && m.incidentId === incidentId);
    for (const f of frames) assert.ok(parseServerMessage(f).ok, `every frame is valid: ${JSON.stringify(f).slice(0, 300)}`);
    // Frame by frame, every seq comes in order: each event or lost range starts right after what came before.
    let held = afterSeq;
    for (const f of frames) {
      const items = [
        ...(f.events as { seq: number }[]).map((e) => ({ from: e.seq, to: e.seq })),
        ...((f.lost ?? []) as { fromSeq: number; toSeq: number }[]).map((l) => ({ from: l.fromSeq, to: l.toSeq })),
      ].sort((x, y) => x.from - y.from);
      for (const item of items) {
        assert.equal(item.from, held + 1, `no gap before ${item.from}`);
        held = item.to;
      }
    }
    return {
      frames,
      seqs: frames.flatMap((f) => (f.events as { seq: number }[]).map((e) => e.seq)),
      lost: frames.flatMap((f) => (f.lost ?? []) as unknown[]),
    };
  }

  afterEach(stop);
  after(removeTempDirs);

  it('never gives a damaged declaration\'s incident number to a new incident, so no acked event is mixed up or dropped', async () => {
    const dir = tempDir();
    await start(dir);
    const a = await connect();
    assert.equal(await a.declare('Checkout 5xx'), 'INC-1');
    assert.equal(await a.declare('Search is slow'), 'INC-2');
    for (const text of ['old note one', 'old note two']) assert.equal((await a.append('INC-2', noteEvent(text))).type, 'ack');
    await stop();
    damage(dir, 'Search is slow');

    await start(dir);
    const b = await connect();
    const id = await b.declare('Payments down');
    assert.equal(id, 'INC-3', 'INC-2 is still taken, though its declaration is damaged');
    const ack = await b.append(id, noteEvent('new note'));
    assert.equal(ack.type, 'ack');
    await stop();

    await start(dir);
    const c = await connect();
    const listed = (c.messages[0]!.incidents as { id: string; title: string }[]).map((i) => [i.id, i.title]);
    assert.deepEqual(listed, [['INC-1', 'Checkout 5xx'], ['INC-3', 'Payments down']]);
    const { seqs } = await replay(c, 'INC-3', 0, 2);
    assert.deepEqual(seqs, [1, 2]);
    const texts = c.eventsOf('INC-3').map((e) => e.data.text ?? e.data.title);
    assert.deepEqual(texts, ['Payments down', 'new note'], 'the new incident has its own events, and all of them');
  });

  it('keeps a complete last record that fails its checksum: copied aside, its seq declared lost, never reused', async () => {
    const dir = tempDir();
    await start(dir);
    const a = await connect();
    const id = await a.declare('Queue backlog');
    for (const text of ['first note', 'second note', 'the last acked note']) assert.equal((await a.append(id, noteEvent(text))).type, 'ack');
    await stop();
    const size = statSync(path.join(dir, 'events.log')).size;
    const damaged = damage(dir, 'the last acked note');

    await start(dir);
    assert.equal(statSync(path.join(dir, 'events.log')).size, size, 'the acked record was not cut off the log');
    assert.ok(existsSync(path.join(dir, 'events.log.quarantine')), 'its bytes are copied aside next to the log');
    assert.ok(readFileSync(path.join(dir, 'events.log.quarantine')).includes(damaged), 'byte for byte, damage included');
    const health = t!.store.health();
    assert.equal(health.state, 'degraded');
    assert.equal(health.damagedRecords, 1);
    const b = await connect();
    const { seqs, lost } = await replay(b, id, 0, 4);
    assert.deepEqual(seqs, [1, 2, 3]);
    assert.deepEqual(lost, [{ fromSeq: 4, toSeq: 4, reason: 'storage_damage' }]);
    const ack = await b.append(id, noteEvent('after the restart'));
    assert.equal(ack.seq, 5, 'seq 4 was acked once: it is never given to another event');
  });

  it('tells a subscriber which seqs are lost, in the frame that skips them, then goes on live', async () => {
    const dir = tempDir();
    await start(dir);
    const a = await connect();
    const id = await a.declare('Login errors');
    for (let i = 1; i <= 6; i++) assert.equal((await a.append(id, noteEvent(`note number ${i}`))).type, 'ack');
    await stop();
    damage(dir, 'note number 3');
    damage(dir, 'note number 4');

    await start(dir);
    const b = await connect();
    const all = await replay(b, id, 0, 7);
    assert.deepEqual(all.seqs, [1, 2, 3, 6, 7]);
    assert.deepEqual(all.lost, [{ fromSeq: 4, toSeq: 5, reason: 'storage_damage' }]);
    assert.equal(all.frames.at(-1)!.headSeq, 7);
    const after = await replay(await connect(), id, 4, 7);
    assert.deepEqual([after.seqs, after.lost], [[6, 7], [{ fromSeq: 5, toSeq: 5, reason: 'storage_damage' }]], 'only what lies after afterSeq');
    const past = await replay(await connect(), id, 5, 7);
    assert.deepEqual([past.seqs, past.lost], [[6, 7], []], 'a client past the hole is not told again');
    const writer = await connect();
    assert.equal((await writer.append(id, noteEvent('live after the hole'))).seq, 8);
    await b.next((m) => m.type === 'event' && (m.event as { seq: number }).seq === 8);
  });

  it('places each lost range in order among the frames of a long replay', async () => {
    const dir = tempDir();
    await start(dir);
    const a = await connect();
    const id = await a.declare('Big notes');
    // ~7 KB each: a replay of 300 of them goes out in several frames of about 1 MB.
    for (let i = 2; i <= 301; i++) assert.equal((await a.append(id, noteEvent(`big note ${i} ${'x'.repeat(7000)}`))).type, 'ack');
    await stop();
    for (const seq of [100, 140, 141, 142, 143, 144, 145, 146, 301]) damage(dir, `big note ${seq} `);

    await start(dir);
    const { seqs, lost, frames } = await replay(await connect(), id, 0, 301);
    assert.ok(frames.length >= 3, `several frames (${frames.length})`);
    assert.deepEqual(lost, [
      { fromSeq: 100, toSeq: 100, reason: 'storage_damage' }, { fromSeq: 140, toSeq: 146, reason: 'storage_damage' },
      { fromSeq: 301, toSeq: 301, reason: 'storage_damage' },
    ]);
    assert.equal(seqs.length, 301 - 9);
  });
});
