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

/**
 * The durable outbox: one file per unacked event, written to a temp name, fsync'd and renamed, so a crash or a
 * second VS Code window never sees half an entry. Several windows may share the folder: any of them may send an
 * entry, and the server's idempotency by event id makes a second send harmless (PROTOCOL.md guarantee 3).
 * Files sort by name in the order they were queued.
 */
export class Outbox {
  private readonly dir: string;
  private readonly rejectedDir: string;
  private counter = 0;
  private readonly nameById = new Map<string, string>();
  /** Entries already read, by file name: a flush lists the folder but reads only files it has not seen. */
  private readonly cache = new Map<string, OutboxEntry>();

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
    const name = `${Date.now().toString().padStart(15, '0')}-${String(this.counter++).padStart(6, '0')}-${entry.event.id}.json`;
    await writeDurably(path.join(this.dir, name), JSON.stringify(entry));
    this.nameById.set(entry.event.id, name);
    this.cache.set(name, entry);
  }

  /** Every queued entry in the order it was queued. Unreadable files are moved aside, not lost and not fatal. */
  async list(): Promise<OutboxEntry[]> {
    const names = await jsonFiles(this.dir);
    const entries: OutboxEntry[] = [];
    const present = new Set(names);
    for (const name of this.cache.keys()) if (!present.has(name)) this.cache.delete(name); // acked by another window
    for (const name of names) {
      const cached = this.cache.get(name);
      if (cached) {
        entries.push(cached);
        continue;
      }
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
        await this.moveAside(name, 'unreadable outbox entry');
        continue;
      }
      this.nameById.set(entry.data.event.id, name);
      this.cache.set(name, entry.data);
      entries.push(entry.data);
    }
    return entries;
  }

  /** How many entries wait. */
  async count(): Promise<number> {
    return (await jsonFiles(this.dir)).length;
  }

  /** Drop an acked entry (no error when it is already gone). */
  async remove(eventId: string): Promise<void> {
    const name = this.nameById.get(eventId) ?? (await this.findName(eventId));
    if (!name) return;
    this.nameById.delete(eventId);
    this.cache.delete(name);
    await fs.rm(path.join(this.dir, name), { force: true });
  }

  /** Move an entry the server refused for good into `rejected/`, with the reason, so the user can see it. */
  async reject(eventId: string, error: string): Promise<RejectedEntry | undefined> {
    const name = this.nameById.get(eventId) ?? (await this.findName(eventId));
    if (!name) return undefined;
    this.nameById.delete(eventId);
    this.cache.delete(name);
    return this.moveAside(name, error);
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

  private async findName(eventId: string): Promise<string | undefined> {
    return (await jsonFiles(this.dir)).find((n) => n.endsWith(`-${eventId}.json`));
  }

  private async moveAside(name: string, reason: string): Promise<RejectedEntry | undefined> {
    const from = path.join(this.dir, name);
    let text: string;
    try {
      text = await fs.readFile(from, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const parsed = safeJson(text);
    const record: RejectedEntry = {
      entry: (parsed ?? { raw: text }) as OutboxEntry, error: reason, rejectedAt: new Date().toISOString(),
    };
    await fs.mkdir(this.rejectedDir, { recursive: true });
    await writeDurably(path.join(this.rejectedDir, name), JSON.stringify(record));
    await fs.rm(from, { force: true });
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
