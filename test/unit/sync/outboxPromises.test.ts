import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Outbox, writeDurably, type OutboxEntry } from '../../../src/sync/outbox';
import { until } from '../../support/until';

// The promises of the outbox's doc comments that its other tests (outbox.test.ts) leave unchecked: where it keeps its
// files, the queue order, what two windows sharing the folder may do to each other, and what it does with files it
// cannot read.

/** A note as the client queues it: a fresh event id, parsed back from JSON the way the outbox reads it. */
const note = (text: string): OutboxEntry =>
  JSON.parse(JSON.stringify({
    type: 'append', incidentId: 'INC-7', queuedAt: new Date().toISOString(),
    event: { id: randomUUID(), kind: 'note.added', at: new Date().toISOString(), data: { text, tag: 'note' } },
  })) as OutboxEntry;

const ids = (entries: readonly OutboxEntry[]): string[] => entries.map((e) => e.event.id);
const jsonIn = async (dir: string): Promise<string[]> => (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
/** A file name in the outbox's format (queue time, counter, event id), for files another window left. */
const fileName = (at: number, id: string): string => `${String(at).padStart(15, '0')}-000000-${id}.json`;

describe('Outbox promises', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ir-outbox-promises-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  describe('where and in what order', () => {
    it('keeps its files in an outbox folder of the storage root, apart from what else is stored there', async () => {
      const o = new Outbox(root, 'wss://a.example#ops');
      await o.add(note('first'));
      assert.deepEqual(await fs.readdir(root), ['outbox'], 'the outbox wrote outside its own folder');
      assert.equal(path.dirname(o.folder), path.join(root, 'outbox'));
      assert.equal((await jsonIn(o.folder)).length, 1);
    });

    it('lists what another window queued earlier before what this window queued later, whatever the order it learnt them in', async () => {
      const a = new Outbox(root, 'k');
      const b = new Outbox(root, 'k');
      await a.list();
      const earlier = note('queued by B first');
      await b.add(earlier);
      const t = Date.now();
      await until('the clock moves on', () => Date.now() > t);
      const later = note('queued by A after it');
      await a.add(later);
      await a.merge();
      assert.deepEqual(ids(a.view()), [earlier.event.id, later.event.id]);
      assert.deepEqual(ids(await a.list()), [earlier.event.id, later.event.id]);
    });

    it('keeps the order of many entries queued within the same millisecond', async () => {
      const o = new Outbox(root, 'k');
      await o.list();
      const entries = Array.from({ length: 200 }, (_, i) => note(`burst ${i}`));
      for (const e of entries) o.hold(e);
      assert.deepEqual(ids(o.view()), ids(entries));
      await Promise.all(entries.slice(0, 30).map((e) => o.persist(e.event.id)));
      assert.deepEqual(ids(await new Outbox(root, 'k').list()), ids(entries.slice(0, 30)), 'a restart sees another order');
    });
  });

  describe('an event queued twice', () => {
    it('is queued once, so that its ack empties the queue of it', async () => {
      const o = new Outbox(root, 'k');
      await o.list();
      const e = note('a follow-up of a declaration answered twice');
      await o.add(e);
      await o.add(e);
      o.hold(e);
      assert.deepEqual(ids(await o.list()), [e.event.id]);
      await o.remove(e.event.id);
      assert.equal(await o.count(), 0, 'the acked event still waits');
      assert.deepEqual(await jsonIn(o.folder), []);
    });

    it('is queued once when both queue it at the same moment, and stays on disk until acked', async () => {
      const o = new Outbox(root, 'k');
      await o.list();
      const e = note('queued twice at once');
      await Promise.all([o.add(e), o.add(e), o.add(e)]);
      assert.deepEqual(ids(await o.list()), [e.event.id]);
      assert.equal((await jsonIn(o.folder)).length, 1);
      assert.deepEqual(ids(await new Outbox(root, 'k').list()), [e.event.id], 'not on disk');
      await o.remove(e.event.id);
      assert.equal(await o.count(), 0);
      assert.deepEqual(await jsonIn(o.folder), []);
    });

    it('held in memory, then queued durably: written once, at its place in the queue', async () => {
      const o = new Outbox(root, 'k');
      await o.list();
      const first = note('held first');
      const second = note('queued after it');
      o.hold(first);
      await o.add(second);
      await o.add(first);
      assert.deepEqual(ids(await new Outbox(root, 'k').list()), [first.event.id, second.event.id]);
      assert.deepEqual(ids(o.view()), [first.event.id, second.event.id]);
    });

    it('acked here and queued again by another window is taken in by the next merge, so it is not left in the folder', async () => {
      const a = new Outbox(root, 'k');
      const b = new Outbox(root, 'k');
      const e = note('declared twice');
      await a.add(e);
      await a.remove(e.event.id);
      await b.add(e); // B queues it again, then closes before sending it: A must
      await a.merge();
      assert.deepEqual(ids(await a.list()), [e.event.id]);
      await a.remove(e.event.id);
      assert.deepEqual(await jsonIn(a.folder), []);
    });

    it('in two files (another window queued it too): listed once, and the second file leaves the folder', async () => {
      const a = new Outbox(root, 'k');
      const e = note('queued by both windows');
      await a.add(e);
      await new Outbox(root, 'k').add(e);
      assert.equal((await jsonIn(a.folder)).length, 2);
      await a.merge();
      assert.deepEqual(ids(await a.list()), [e.event.id]);
      assert.equal((await jsonIn(a.folder)).length, 1);
      await a.remove(e.event.id);
      assert.deepEqual(await jsonIn(a.folder), [], 'the ack left a copy behind');
    });

    it('in two files: keeps the place of the one queued first, whichever reached the disk first', async () => {
      // Two windows queued each: each names its file when it queues, and the later-named write may finish first.
      const o = new Outbox(root, 'k');
      await fs.mkdir(o.folder, { recursive: true });
      const twice = Array.from({ length: 8 }, (_, i) => note(`queued in two windows ${i}`));
      const between = note('queued between the two');
      for (const [i, e] of twice.entries()) await fs.writeFile(path.join(o.folder, fileName(100 + i, e.event.id)), JSON.stringify(e));
      await fs.writeFile(path.join(o.folder, fileName(50, between.event.id)), JSON.stringify(between));
      for (const [i, e] of twice.entries()) await fs.writeFile(path.join(o.folder, fileName(1 + i, e.event.id)), JSON.stringify(e));
      assert.deepEqual(ids(await o.list()), [...ids(twice), between.event.id]);
      assert.deepEqual(await jsonIn(o.folder), [...twice.map((e, i) => fileName(1 + i, e.event.id)), fileName(50, between.event.id)]);
    });

    it('in memory here and on disk in another window: the file on disk stays, so a crash of this window loses nothing', async () => {
      const a = new Outbox(root, 'k');
      await a.list();
      const e = note('held here, queued there');
      a.hold(e);
      await new Outbox(root, 'k').add(e);
      await a.merge();
      assert.deepEqual(ids(await a.list()), [e.event.id]);
      assert.deepEqual(ids(await new Outbox(root, 'k').list()), [e.event.id], 'the only copy on disk was removed');
    });
  });

  describe('persist', () => {
    it('writes nothing for an entry already on disk, so an ack by another window is not undone', async () => {
      const a = new Outbox(root, 'k');
      const e = note('acked by B');
      await a.add(e);
      await new Outbox(root, 'k').remove(e.event.id);
      await a.persist(e.event.id);
      assert.deepEqual(await jsonIn(a.folder), []);
    });

    it('tries again after a failed write', async () => {
      const o = new Outbox(root, 'k');
      const e = note('held while the disk refuses');
      o.hold(e);
      await fs.mkdir(path.dirname(o.folder), { recursive: true });
      await fs.writeFile(o.folder, 'in the way'); // the outbox folder cannot be made
      await assert.rejects(o.persist(e.event.id));
      await fs.rm(o.folder);
      await o.persist(e.event.id);
      assert.deepEqual(ids(await new Outbox(root, 'k').list()), [e.event.id]);
    });
  });

  describe('acks and refusals from two windows', () => {
    it('an entry both windows sent is dropped by both acks without an error', async () => {
      const a = new Outbox(root, 'k');
      const b = new Outbox(root, 'k');
      const e = note('sent by both');
      await a.add(e);
      assert.equal(await b.count(), 1);
      await a.remove(e.event.id);
      await b.remove(e.event.id);
      assert.equal(await b.count(), 0);
    });

    it('an entry acked in one window and refused in the other is set aside without an error', async () => {
      const a = new Outbox(root, 'k');
      const b = new Outbox(root, 'k');
      const e = note('acked there, refused here');
      await a.add(e);
      assert.equal(await b.count(), 1);
      await a.remove(e.event.id);
      const record = await b.reject(e.event.id, 'forbidden: not a responder');
      assert.equal(record?.error, 'forbidden: not a responder');
      assert.deepEqual((await b.rejected()).map((r) => r.entry.event.id), [e.event.id]);
      assert.equal(await b.count(), 0);
    });

    it('refusing an event that is no longer queued sets nothing aside', async () => {
      const o = new Outbox(root, 'k');
      const e = note('acked, then refused by a late answer');
      await o.add(e);
      await o.remove(e.event.id);
      assert.equal(await o.reject(e.event.id, 'invalid_message: late'), undefined);
      assert.equal(await o.reject(randomUUID(), 'invalid_message: never queued'), undefined);
      assert.deepEqual(await o.rejected(), []);
    });
  });

  describe('rejected entries', () => {
    it('keeps every refused entry, in the order they were queued', async () => {
      const o = new Outbox(root, 'k');
      const entries: OutboxEntry[] = [];
      for (let i = 0; i < 12; i++) {
        const e = note(`refused ${i}`);
        entries.push(e);
        await o.add(e);
      }
      for (const e of entries) await o.reject(e.event.id, `invalid_message: ${e.event.id}`);
      const rejected = await o.rejected();
      assert.deepEqual(rejected.map((r) => r.entry.event.id), ids(entries));
      assert.deepEqual(rejected.map((r) => r.error), entries.map((e) => `invalid_message: ${e.event.id}`));
      assert.equal(await o.count(), 0);
    });

    it('leaves out of the list what in the rejected folder is not a record', async () => {
      const o = new Outbox(root, 'k');
      const e = note('refused for real');
      await o.add(e);
      await o.reject(e.event.id, 'invalid_message: test');
      const rejectedDir = path.join(o.folder, 'rejected');
      await fs.writeFile(path.join(rejectedDir, '000000000000001-000000-truncated.json'), '{"entry": {"type"');
      await fs.writeFile(path.join(rejectedDir, '000000000000002-000000-number.json'), '42');
      await fs.writeFile(path.join(rejectedDir, '000000000000003-000000-null.json'), 'null');
      await fs.writeFile(path.join(rejectedDir, '000000000000004-000000-string.json'), '"text"');
      await fs.mkdir(path.join(rejectedDir, '000000000000005-000000-folder.json'));
      assert.deepEqual((await o.rejected()).map((r) => r.entry.event.id), [e.event.id]);
    });
  });

  describe('files it cannot use', () => {
    it('sets a damaged entry aside with its text and the reason, and takes it out of the outbox folder', async () => {
      const o = new Outbox(root, 'k');
      await fs.mkdir(o.folder, { recursive: true });
      const text = '{"type":"append", "trunc';
      await fs.writeFile(path.join(o.folder, fileName(1, 'damaged')), text);
      const wrongShape = { type: 'append', incidentId: 'INC-7' };
      await fs.writeFile(path.join(o.folder, fileName(2, 'wrong-shape')), JSON.stringify(wrongShape));
      assert.deepEqual(await o.list(), []);
      const rejected = await o.rejected();
      assert.deepEqual(rejected.map((r) => r.entry), [{ raw: text }, wrongShape]);
      assert.deepEqual(rejected.map((r) => r.error), ['unreadable outbox entry', 'unreadable outbox entry']);
      assert.deepEqual(await jsonIn(o.folder), []);
      await new Outbox(root, 'k').list();
      assert.equal((await o.rejected()).length, 2, 'set aside twice');
    });

    it('skips an entry that vanished between the listing and its read: not set aside, not fatal', async () => {
      const o = new Outbox(root, 'k');
      const e = note('still queued');
      await new Outbox(root, 'k').add(e);
      // A name the listing returns whose file is not there when read: what an ack by another window mid-read leaves.
      await fs.symlink(path.join(root, 'acked-meanwhile'), path.join(o.folder, fileName(1, 'vanished')));
      assert.deepEqual(ids(await o.list()), [e.event.id]);
      assert.deepEqual(await o.rejected(), []);
    });

    it('fails a read of a folder it cannot list, rather than counting nothing, and the next read tries again', async () => {
      const o = new Outbox(root, 'k');
      await fs.mkdir(path.dirname(o.folder), { recursive: true });
      await fs.writeFile(o.folder, 'not a folder');
      await assert.rejects(o.count(), (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR');
      await assert.rejects(o.list());
      await fs.rm(o.folder);
      const e = note('queued once the folder is back');
      await new Outbox(root, 'k').add(e);
      assert.deepEqual(ids(await o.list()), [e.event.id]);
    });

    it('fails a read that hits an entry it cannot read, rather than leave the entry out, and the next read takes it in', async () => {
      const o = new Outbox(root, 'k');
      await fs.mkdir(o.folder, { recursive: true });
      const e = note('unreadable for a moment');
      const name = fileName(1, e.event.id);
      await fs.mkdir(path.join(o.folder, name));
      await assert.rejects(o.list(), (error: NodeJS.ErrnoException) => error.code === 'EISDIR');
      await fs.rmdir(path.join(o.folder, name));
      await fs.writeFile(path.join(o.folder, name), JSON.stringify(e));
      assert.deepEqual(ids(await o.list()), [e.event.id]);
    });

    it('shares one listing among the merges asked for while one runs', async () => {
      const o = new Outbox(root, 'k');
      await o.list();
      const listings: string[] = [];
      const { readdir } = fs;
      (fs as { readdir: unknown }).readdir = (...args: Parameters<typeof fs.readdir>) => {
        listings.push(String(args[0]));
        return readdir(...args);
      };
      try {
        await Promise.all(Array.from({ length: 10 }, () => o.merge()));
      } finally {
        (fs as { readdir: unknown }).readdir = readdir;
      }
      assert.ok(listings.length >= 1 && listings.length <= 2, `${listings.length} listings for 10 merges at once`);
    });
  });

  describe('writeDurably', () => {
    it('fails when the file cannot take its place, and leaves no temp file behind', async () => {
      const target = path.join(root, 'entry.json');
      await fs.mkdir(target);
      await fs.writeFile(path.join(target, 'keep'), 'a folder that is not empty');
      await assert.rejects(writeDurably(target, '{"a":1}'));
      assert.deepEqual(await fs.readdir(root), ['entry.json']);
    });

    it('leaves no file open: a long incident does not run the extension host out of file descriptors', async function () {
      if (!existsSync('/proc/self/fd')) this.skip();
      const o = new Outbox(root, 'k');
      await o.add(note('warm up'));
      const before = (await fs.readdir('/proc/self/fd')).length;
      for (let i = 0; i < 40; i++) await o.add(note(`n${i}`));
      await writeDurably(path.join(root, 'token.json'), '{}', { mode: 0o600 });
      const after = (await fs.readdir('/proc/self/fd')).length;
      assert.ok(after - before < 10, `${after - before} more file descriptors open after 41 writes`);
    });
  });
});
