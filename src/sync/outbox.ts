import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { ClientEvent, DeclareEvent } from '../protocol/events';
import { IncidentId } from '../protocol/messages';

/** One event waiting for the server's ack. */
export const OutboxEntry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('append'), incidentId: IncidentId, event: ClientEvent, queuedAt: z.string() }),
  z.object({ type: z.literal('declare'), event: DeclareEvent, queuedAt: z.string() }),
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
 * It keeps a view of its entries in memory and lists its folder once, on the first read (the start of a client):
 * what a client queues, sends and drops afterwards is known without asking the disk again. Several windows may share
 * the folder: each picks up what the others left when it starts, and may send an entry another window sent too —
 * the server's idempotency by event id makes the second send harmless (PROTOCOL.md guarantee 3).
 */
export class Outbox {
  private readonly dir: string;
  private readonly rejectedDir: string;
  private counter = 0;
  /** The view, by file name. */
  private readonly entries = new Map<string, Held>();
  private readonly nameById = new Map<string, string>();
  private loading: Promise<void> | undefined;

  constructor(root: string, endpointKey: string) {
    // One folder per server URL + channel: entries never leak to another channel.
    const key = createHash('sha256').update(endpointKey).digest('hex').slice(0, 16);
    this.dir = path.join(root, 'outbox', key);
    this.rejectedDir = path.join(this.dir, 'rejected');
  }

  get folder(): string {
    return this.dir;
  }

  /** Queue an entry durably; resolves once it is on disk. */
  async add(entry: OutboxEntry): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const name = this.nameFor(entry);
    await writeDurably(path.join(this.dir, name), JSON.stringify(entry));
    this.put(name, { entry, onDisk: true });
  }

  /**
   * Queue an entry in memory only, for a channel that acks it durably itself before long (an in-process core): it is
   * listed, counted and sent like any other, and `persist` puts it on disk should the ack not come.
   */
  hold(entry: OutboxEntry): void {
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

  /** Every queued entry in the order it was queued. Unreadable files are moved aside, not lost and not fatal. */
  async list(): Promise<OutboxEntry[]> {
    await this.load();
    return [...this.entries.keys()].sort().map((name) => this.entries.get(name)!.entry);
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
    await held.writing?.catch(() => undefined);
    if (held.onDisk) await fs.rm(path.join(this.dir, name), { force: true });
  }

  /** Move an entry the server refused for good into `rejected/`, with the reason, so the user can see it. */
  async reject(eventId: string, error: string): Promise<RejectedEntry | undefined> {
    await this.load();
    const name = this.nameById.get(eventId);
    const held = name === undefined ? undefined : this.entries.get(name);
    if (!name || !held) return undefined;
    this.forget(eventId, name);
    await held.writing?.catch(() => undefined);
    return this.setAside(name, { entry: held.entry, error, rejectedAt: new Date().toISOString() }, held.onDisk);
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

  /** Read the folder into the view, once (again after a failed attempt). */
  private load(): Promise<void> {
    this.loading ??= this.readFolder().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async readFolder(): Promise<void> {
    // Entries this instance wrote before the listing began are in it, unless another window acked them meanwhile.
    const before = [...this.entries].filter(([, held]) => held.onDisk).map(([name]) => name);
    const names = await jsonFiles(this.dir);
    const present = new Set(names);
    for (const name of before) {
      const held = this.entries.get(name);
      if (held && !present.has(name)) this.forget(held.entry.event.id, name);
    }
    for (const name of names) {
      if (this.entries.has(name)) continue; // queued by this instance while the folder was being read
      let text: string;
      try {
        text = await fs.readFile(path.join(this.dir, name), 'utf8');
      } catch (error) {
        if (isNotFound(error)) continue; // acked meanwhile (maybe by another window)
        throw error;
      }
      const parsed = safeJson(text);
      const entry = parsed === undefined ? undefined : OutboxEntry.safeParse(parsed);
      if (!entry?.success) {
        await this.setAside(name, { entry: (parsed ?? { raw: text }) as OutboxEntry, error: 'unreadable outbox entry', rejectedAt: new Date().toISOString() }, true);
        continue;
      }
      // One event in two files (a copied file): the first one stands for it, the copy goes (an ack drops one name).
      if (this.nameById.has(entry.data.event.id)) {
        await fs.rm(path.join(this.dir, name), { force: true });
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
