import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { ClientEvent, DeclareEvent } from '../protocol/events';
import { IncidentId } from '../protocol/messages';

/** One event waiting for the server's ack. */
export const OutboxEntry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('append'), incidentId: IncidentId, event: ClientEvent, queuedAt: z.string() }),
  z.object({
    type: z.literal('declare'), event: DeclareEvent, queuedAt: z.string(),
    /**
     * Events to append to the incident once the channel has numbered it (a commander other than the declarer, the
     * signals it was declared from): kept with the declaration, so a window closed while it waits offline loses
     * none of them, and whichever window delivers the declaration queues them. Their ids are fixed here, so queueing
     * them again (a declaration answered twice) gives the server duplicates it recognises.
     */
    then: z.array(ClientEvent).max(100).optional(),
  }),
]);
export type OutboxEntry = z.infer<typeof OutboxEntry>;

/** An entry the server refused for good, kept (never dropped) with the reason. */
export interface RejectedEntry {
  readonly entry: OutboxEntry;
  readonly error: string;
  readonly rejectedAt: string;
}

/** An entry of the in-memory view: on disk, or held in memory while an in-process channel acks it (`hold`). */
interface Held {
  readonly entry: OutboxEntry;
  onDisk: boolean;
  /** The write under way that puts a held entry on disk (`persist`). */
  writing?: Promise<void>;
}

/**
 * The durable outbox: one file per unacked event, written to a temp name, fsync'd and renamed, so a crash or a
 * second VS Code window never sees half an entry. Files sort by name in the order they were queued.
 *
 * It keeps a view of its entries in memory and lists its folder on the first read (the start of a client): what a
 * client queues, sends and drops afterwards is known without asking the disk again — queueing, sending and dropping
 * a note lists nothing. Several windows may share the folder (local mode's windows share global storage): `merge`
 * lists it again and reads only the files the view does not know yet — what other windows queued since (the client
 * merges on each connect and on its periodic resend) — and drops from the view what another window acked meanwhile.
 * Two windows may send the same entry: the server's idempotency by event id makes the second send harmless
 * (PROTOCOL.md guarantee 3). What this instance removed or set aside never comes back into its view.
 */
export class Outbox {
  private readonly dir: string;
  private readonly rejectedDir: string;
  private counter = 0;
  /** The view, by file name. */
  private readonly entries = new Map<string, Held>();
  private readonly nameById = new Map<string, string>();
  /**
   * Names this instance dropped (acked or set aside), so that a listing that raced the removal does not bring them
   * back: name → whether the file's removal is over. Forgotten once a listing begun after the removal misses them.
   */
  private readonly gone = new Map<string, boolean>();
  private loaded = false;
  /** The folder read under way, and the one asked for meanwhile (it starts after it, and is shared). */
  private scanning: Promise<void> | undefined;
  private nextScan: Promise<void> | undefined;

  constructor(root: string, endpointKey: string) {
    // One folder per server URL + channel: entries never leak to another channel.
    const key = createHash('sha256').update(endpointKey).digest('hex').slice(0, 16);
    this.dir = path.join(root, 'outbox', key);
    this.rejectedDir = path.join(this.dir, 'rejected');
  }

  get folder(): string {
    return this.dir;
  }

  /**
   * Queue an entry durably; resolves once it is on disk. An event queued already (a declaration answered twice queues
   * its follow-ups again, maybe at once) is queued once: one ack drops one name, and a second name would wait forever.
   */
  async add(entry: OutboxEntry): Promise<void> {
    const id = entry.event.id;
    if (this.peek(id)) return this.persist(id);
    await fs.mkdir(this.dir, { recursive: true });
    const name = this.nameFor(entry);
    const file = path.join(this.dir, name);
    await writeDurably(file, JSON.stringify(entry));
    const other = this.nameById.get(id);
    if (other === undefined || other === name || !this.entries.has(other)) {
      this.put(name, { entry, onDisk: true });
      return;
    }
    // Queued meanwhile under another name: that one stands for it (on disk before this copy goes).
    await this.persist(id);
    await fs.rm(file, { force: true });
  }

  /**
   * Queue an entry in memory only, for a channel that acks it durably itself before long (an in-process core): it is
   * listed, counted and sent like any other, and `persist` puts it on disk should the ack not come. An event queued
   * already stays as it is.
   */
  hold(entry: OutboxEntry): void {
    if (this.peek(entry.event.id)) return;
    this.put(this.nameFor(entry), { entry, onDisk: false });
  }

  /** Write a held entry to disk (nothing to do when it is there already, or acked meanwhile). */
  async persist(eventId: string): Promise<void> {
    const name = this.nameById.get(eventId);
    const held = name === undefined ? undefined : this.entries.get(name);
    if (!name || !held) return;
    if (!held.onDisk) {
      held.writing ??= (async () => {
        await fs.mkdir(this.dir, { recursive: true });
        await writeDurably(path.join(this.dir, name), JSON.stringify(held.entry));
        held.onDisk = true;
      })().finally(() => {
        held.writing = undefined;
      });
    }
    await held.writing;
  }

  /**
   * Take into the view what other windows queued in the folder since it was last read, and drop what they acked:
   * one listing, and a read of each file the view does not know yet (none of the known ones). Unreadable files are
   * moved aside, not lost and not fatal.
   */
  merge(): Promise<void> {
    return this.scan();
  }

  /** Every queued entry in the order it was queued. Unreadable files are moved aside, not lost and not fatal. */
  async list(): Promise<OutboxEntry[]> {
    await this.load();
    return this.view();
  }

  /** The view as it is now, in queue order, without reading the folder (empty until the first read). */
  view(): OutboxEntry[] {
    return [...this.entries.keys()].sort().map((name) => this.entries.get(name)!.entry);
  }

  /** The entry of an event id in the view, if it is there. */
  peek(eventId: string): OutboxEntry | undefined {
    const name = this.nameById.get(eventId);
    return name === undefined ? undefined : this.entries.get(name)?.entry;
  }

  /** How many entries wait. */
  async count(): Promise<number> {
    await this.load();
    return this.entries.size;
  }

  /** Drop an acked entry (no error when it is already gone). */
  async remove(eventId: string): Promise<void> {
    await this.load();
    const name = this.nameById.get(eventId);
    const held = name === undefined ? undefined : this.entries.get(name);
    if (!name || !held) return;
    this.forget(eventId, name);
    this.gone.set(name, false);
    try {
      await held.writing?.catch(() => undefined);
      if (held.onDisk) await fs.rm(path.join(this.dir, name), { force: true });
    } finally {
      this.gone.set(name, true);
    }
  }

  /** Move an entry the server refused for good into `rejected/`, with the reason, so the user can see it. */
  async reject(eventId: string, error: string): Promise<RejectedEntry | undefined> {
    await this.load();
    const name = this.nameById.get(eventId);
    const held = name === undefined ? undefined : this.entries.get(name);
    if (!name || !held) return undefined;
    this.forget(eventId, name);
    this.gone.set(name, false);
    try {
      await held.writing?.catch(() => undefined);
      return await this.setAside(name, { entry: held.entry, error, rejectedAt: new Date().toISOString() }, held.onDisk);
    } finally {
      this.gone.set(name, true);
    }
  }

  /** Entries the server refused, newest last. */
  async rejected(): Promise<RejectedEntry[]> {
    const names = await jsonFiles(this.rejectedDir);
    const out: RejectedEntry[] = [];
    for (const name of names) {
      const value = safeJson(await fs.readFile(path.join(this.rejectedDir, name), 'utf8').catch(() => ''));
      if (value && typeof value === 'object') out.push(value as RejectedEntry);
    }
    return out;
  }

  private nameFor(entry: OutboxEntry): string {
    return `${Date.now().toString().padStart(15, '0')}-${String(this.counter++).padStart(6, '0')}-${entry.event.id}.json`;
  }

  private put(name: string, held: Held): void {
    this.entries.set(name, held);
    this.nameById.set(held.entry.event.id, name);
  }

  private forget(eventId: string, name: string): void {
    this.entries.delete(name);
    if (this.nameById.get(eventId) === name) this.nameById.delete(eventId);
  }

  /** Read the folder into the view unless it was read already (again after a failed attempt). */
  private load(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    return this.scanning ?? this.scan();
  }

  /** Read the folder into the view, one read at a time; a read asked for while one runs shares the next one. */
  private scan(): Promise<void> {
    if (this.nextScan) return this.nextScan;
    const next = (this.scanning ?? Promise.resolve()).catch(() => undefined).then(() => {
      this.nextScan = undefined;
      const run = this.readFolder().then(() => {
        this.loaded = true;
      });
      this.scanning = run;
      run.then(
        () => (this.scanning === run ? (this.scanning = undefined) : undefined),
        () => (this.scanning === run ? (this.scanning = undefined) : undefined),
      );
      return run;
    });
    this.nextScan = next;
    return next;
  }

  /** Known to the view, or dropped by this instance: not to be read (again). */
  private known(name: string): boolean {
    return this.entries.has(name) || this.gone.has(name);
  }

  private async readFolder(): Promise<void> {
    // Entries on disk before the listing began are in it, unless another window acked them meanwhile.
    const before = [...this.entries].filter(([, held]) => held.onDisk).map(([name]) => name);
    // Names whose removal is over before the listing began: once it misses them, they cannot come back.
    const removed = [...this.gone].filter(([, done]) => done).map(([name]) => name);
    const names = await jsonFiles(this.dir);
    const present = new Set(names);
    for (const name of before) {
      const held = this.entries.get(name);
      if (held && !present.has(name)) this.forget(held.entry.event.id, name);
    }
    for (const name of removed) if (!present.has(name)) this.gone.delete(name);
    for (const name of names) {
      // Queued by this instance (maybe while the folder was being read), read before, or dropped by this instance.
      if (this.known(name)) continue;
      let text: string;
      try {
        text = await fs.readFile(path.join(this.dir, name), 'utf8');
      } catch (error) {
        if (isNotFound(error)) continue; // acked meanwhile (maybe by another window)
        throw error;
      }
      if (this.known(name)) continue; // dropped by this instance while it was being read
      const parsed = safeJson(text);
      const entry = parsed === undefined ? undefined : OutboxEntry.safeParse(parsed);
      if (!entry?.success) {
        await this.setAside(name, { entry: (parsed ?? { raw: text }) as OutboxEntry, error: 'unreadable outbox entry', rejectedAt: new Date().toISOString() }, true);
        continue;
      }
      // One event in two files (a copied file): the one in the view stands for it, the copy goes (an ack drops one
      // name) — but only once the one in the view is on disk too: a copy is never the only one on disk.
      const mine = this.nameById.get(entry.data.event.id);
      if (mine !== undefined) {
        if (this.entries.get(mine)?.onDisk) await fs.rm(path.join(this.dir, name), { force: true });
        continue;
      }
      this.put(name, { entry: entry.data, onDisk: true });
    }
  }

  private async setAside(name: string, record: RejectedEntry, onDisk: boolean): Promise<RejectedEntry> {
    await fs.mkdir(this.rejectedDir, { recursive: true });
    await writeDurably(path.join(this.rejectedDir, name), JSON.stringify(record));
    if (onDisk) await fs.rm(path.join(this.dir, name), { force: true });
    return record;
  }
}

/**
 * Write a file so that readers see either nothing or all of it, and it survives a crash once this resolves.
 * `mode` is the file's mode from the moment it exists (e.g. 0o600 for a secret; default: 0o666 less the umask).
 */
export async function writeDurably(file: string, data: string, { mode }: { mode?: number } = {}): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  // fsync the folder so the rename itself is durable.
  const dirHandle = await fs.open(path.dirname(file), 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}

/** The `.json` entries of a folder in name order (none when the folder does not exist yet). */
async function jsonFiles(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT';
}
