import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Outbox, type OutboxEntry } from '../../../src/sync/outbox';

const note = (text: string): OutboxEntry => ({
  type: 'append', incidentId: 'INC-1', queuedAt: new Date().toISOString(),
  event: { id: randomUUID(), kind: 'note.added', at: new Date().toISOString(), data: { text, tag: 'note' } },
});

describe('Outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-outbox-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps entries across instances (a VS Code restart) in the order they were queued', async () => {
    const a = new Outbox(dir, 'ws://x#c');
    const entries = Array.from({ length: 25 }, (_, i) => note(`n${i}`));
    for (const e of entries) await a.add(e);
    const b = new Outbox(dir, 'ws://x#c');
    assert.deepEqual((await b.list()).map((e) => e.event.id), entries.map((e) => e.event.id));
    assert.equal(await b.count(), 25);
  });

  it('removes acked entries, also when another instance (another window) queued them', async () => {
    const a = new Outbox(dir, 'k');
    const b = new Outbox(dir, 'k');
    const e1 = note('one');
    const e2 = note('two');
    await a.add(e1);
    await a.add(e2);
    await b.remove(e1.event.id);
    await b.remove(e1.event.id); // acked twice (both windows sent it): harmless
    assert.deepEqual((await a.list()).map((e) => e.event.id), [e2.event.id]);
  });

  it('keeps separate queues per server and channel', async () => {
    await new Outbox(dir, 'ws://a#one').add(note('for one'));
    assert.equal(await new Outbox(dir, 'ws://a#two').count(), 0);
    assert.equal(await new Outbox(dir, 'ws://a#one').count(), 1);
  });

  it('moves a refused entry aside with its reason instead of dropping it', async () => {
    const o = new Outbox(dir, 'k');
    const e = note('refused');
    await o.add(e);
    const record = await o.reject(e.event.id, 'invalid_message: event.data.text: must not be empty');
    assert.equal(record?.error, 'invalid_message: event.data.text: must not be empty');
    assert.equal(await o.count(), 0);
    const rejected = await o.rejected();
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.entry.event.id, e.event.id);
  });

  it('sets aside a corrupt file without losing the good entries', async () => {
    const o = new Outbox(dir, 'k');
    const good = note('good');
    await o.add(good);
    await fs.writeFile(path.join(o.folder, '000000000000001-000000-bad.json'), '{"type":"append", "trunc');
    const listed = await o.list();
    assert.deepEqual(listed.map((e) => e.event.id), [good.event.id]);
    assert.equal((await o.rejected()).length, 1);
  });

  it('survives two writers adding at once (two windows): nothing lost, nothing corrupt', async () => {
    const a = new Outbox(dir, 'k');
    const b = new Outbox(dir, 'k');
    const all = Array.from({ length: 200 }, (_, i) => note(`n${i}`));
    await Promise.all(all.map((e, i) => (i % 2 ? a : b).add(e)));
    const ids = new Set((await new Outbox(dir, 'k').list()).map((e) => e.event.id));
    assert.equal(ids.size, 200);
    for (const e of all) assert.ok(ids.has(e.event.id));
  });
  it('lists its folder once, when it starts: queueing, sending and dropping a hundred notes asks the disk for no listing', async () => {
    await new Outbox(dir, 'k').add(note('left by an earlier run'));
    const o = new Outbox(dir, 'k');
    const listings: string[] = [];
    const readdir = fs.readdir;
    (fs as { readdir: unknown }).readdir = (...args: Parameters<typeof fs.readdir>) => {
      listings.push(String(args[0]));
      return readdir(...args);
    };
    try {
      assert.equal(await o.count(), 1, 'the start finds what an earlier run left');
      const started = listings.length;
      for (let i = 0; i < 100; i++) {
        const e = note(`n${i}`);
        await o.add(e);
        await o.count();
        await o.list();
        await o.remove(e.event.id);
        await o.count();
      }
      assert.equal(listings.length - started, 0, `listed the folder again: ${listings.slice(started, started + 3).join(', ')}`);
      assert.equal(await o.count(), 1);
      assert.equal((await fs.readdir(o.folder)).filter((n) => n.endsWith('.json')).length, 1, 'the view and the folder disagree');
    } finally {
      (fs as { readdir: unknown }).readdir = readdir;
    }
  });

  it('merges what another window (another instance on the folder) queued after it started, reading only the new files', async () => {
    const a = new Outbox(dir, 'k');
    const b = new Outbox(dir, 'k');
    const first = note('before A started');
    await b.add(first);
    assert.deepEqual((await a.list()).map((e) => e.event.id), [first.event.id], 'A starts with what is there');
    const later = note('queued by B after A started');
    await b.add(later);
    assert.equal((await fs.readdir(a.folder)).filter((n) => n.endsWith('.json')).length, 2);
    const listings: string[] = [];
    const reads: string[] = [];
    const { readdir, readFile } = fs;
    (fs as { readdir: unknown }).readdir = (...args: Parameters<typeof fs.readdir>) => {
      listings.push(String(args[0]));
      return readdir(...args);
    };
    (fs as { readFile: unknown }).readFile = (...args: Parameters<typeof fs.readFile>) => {
      reads.push(path.basename(String(args[0])));
      return readFile(...args);
    };
    try {
      assert.equal(await a.count(), 1, 'no listing between merges: the view');
      assert.equal(listings.length, 0);
      await a.merge();
      assert.equal(listings.length, 1, 'one listing per merge');
      assert.equal(reads.length, 1, `read known files again: ${reads.join(', ')}`);
      assert.ok(reads[0]?.includes(later.event.id));
      assert.deepEqual((await a.list()).map((e) => e.event.id), [first.event.id, later.event.id]);
      assert.equal(await a.count(), 2);
      await a.merge();
      assert.equal(reads.length, 1, 'a merge with nothing new reads no file');
    } finally {
      (fs as { readdir: unknown }).readdir = readdir;
      (fs as { readFile: unknown }).readFile = readFile;
    }
    // A acks B's entry: it leaves the folder, and B's next merge drops it from B's view too.
    await a.remove(later.event.id);
    await a.merge();
    assert.deepEqual((await a.list()).map((e) => e.event.id), [first.event.id], 'what A acked came back');
    await b.merge();
    assert.deepEqual((await b.list()).map((e) => e.event.id), [first.event.id], 'B still counts what A acked');
    // A sets one aside: it stays in rejected/, and comes back into no view.
    await a.reject(first.event.id, 'invalid_message: test');
    await a.merge();
    await b.merge();
    assert.equal(await a.count(), 0);
    assert.equal(await b.count(), 0);
    assert.deepEqual((await b.rejected()).map((r) => r.entry.event.id), [first.event.id]);
  });

  it('a merge racing removals never brings back what this instance dropped, and never drops a held entry', async () => {
    const a = new Outbox(dir, 'k');
    const b = new Outbox(dir, 'k');
    await a.list();
    const theirs = Array.from({ length: 40 }, (_, i) => note(`b${i}`));
    for (const e of theirs) await b.add(e);
    await a.merge();
    assert.equal(await a.count(), 40);
    const held = note('held in memory');
    a.hold(held);
    // Ack B's entries in A while A merges over and over: none comes back, B's view empties, nothing else is lost.
    await Promise.all([...theirs.map((e) => a.remove(e.event.id)), ...Array.from({ length: 10 }, () => a.merge())]);
    await a.merge();
    assert.deepEqual((await a.list()).map((e) => e.event.id), [held.event.id]);
    await b.merge();
    assert.equal(await b.count(), 0);
    // B queues more while A drops its own: A takes B's in, keeps its held one, and every file is accounted for.
    const more = Array.from({ length: 20 }, (_, i) => note(`more${i}`));
    const mine = Array.from({ length: 20 }, (_, i) => note(`mine${i}`));
    for (const e of mine) await a.add(e);
    await Promise.all([...more.map((e) => b.add(e)), ...mine.map((e) => a.remove(e.event.id)), a.merge(), a.merge()]);
    await a.merge();
    const ids = (await a.list()).map((e) => e.event.id);
    assert.deepEqual(new Set(ids), new Set([held.event.id, ...more.map((e) => e.event.id)]));
    const onDisk = (await fs.readdir(a.folder)).filter((n) => n.endsWith('.json'));
    assert.equal(onDisk.length, 20, 'the folder holds exactly what B queued');
  });

  it('an entry acked while a merge lists or reads it does not come back (ack and merge interleave)', async () => {
    const a = new Outbox(dir, 'k');
    const b = new Outbox(dir, 'k');
    await a.list();
    // Another window acks an entry while A's merge is reading its file: A may hold it until its next merge.
    const e = note('acked by B mid-read');
    await b.add(e);
    const { readFile, rm } = fs;
    let acked = false;
    (fs as { readFile: unknown }).readFile = async (...args: Parameters<typeof fs.readFile>) => {
      const text = await readFile(...args);
      if (!acked && String(args[0]).includes(e.event.id)) {
        acked = true;
        await b.remove(e.event.id);
      }
      return text;
    };
    try {
      await a.merge();
    } finally {
      (fs as { readFile: unknown }).readFile = readFile;
    }
    assert.ok(acked);
    await a.merge();
    assert.equal(await a.count(), 0, 'an entry acked by another window stays in the view');
    // A acks an entry and merges while the file is still being removed: the listing has it, the view must not.
    const f = note('acked by A, merged mid-removal');
    await b.add(f);
    await a.merge();
    let merged = false;
    (fs as { rm: unknown }).rm = async (...args: Parameters<typeof fs.rm>) => {
      if (!merged && String(args[0]).includes(f.event.id)) {
        merged = true;
        await a.merge();
      }
      return rm(...args);
    };
    try {
      await a.remove(f.event.id);
    } finally {
      (fs as { rm: unknown }).rm = rm;
    }
    assert.ok(merged);
    assert.equal(await a.count(), 0, 'an entry A acked came back into its view');
    await a.merge();
    assert.equal(await a.count(), 0);
  });

  it('holds an entry in memory, listed like the others, and writes it only when asked to persist it', async () => {
    const o = new Outbox(dir, 'k');
    const first = note('on disk');
    const held = note('held');
    await o.add(first);
    o.hold(held);
    assert.deepEqual((await o.list()).map((e) => e.event.id), [first.event.id, held.event.id]);
    assert.deepEqual((await new Outbox(dir, 'k').list()).map((e) => e.event.id), [first.event.id], 'a held entry reached the disk');
    await o.persist(held.event.id);
    assert.deepEqual((await new Outbox(dir, 'k').list()).map((e) => e.event.id), [first.event.id, held.event.id], 'persist kept its place in the queue');
    await o.remove(held.event.id);
    assert.deepEqual((await new Outbox(dir, 'k').list()).map((e) => e.event.id), [first.event.id]);
    // Acked while held: nothing was ever written, and a late persist writes nothing.
    const acked = note('acked in memory');
    o.hold(acked);
    await o.remove(acked.event.id);
    await o.persist(acked.event.id);
    assert.deepEqual((await new Outbox(dir, 'k').list()).map((e) => e.event.id), [first.event.id]);
    // Refused while held: set aside with its reason like any other.
    const refused = note('refused in memory');
    o.hold(refused);
    await o.reject(refused.event.id, 'invalid_message: event.data.tag');
    assert.deepEqual((await o.rejected()).map((r) => r.entry.event.id), [refused.event.id]);
  });
});
