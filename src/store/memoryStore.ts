import { reduceSummary } from '../core/summary';
import type { IncidentSummary, Signal } from '../protocol/messages';
import {
  type AppendRecord, type EventStore, eventIdKey, type IncidentRecord, incidentNumber, type RecoveryReport, signalToKeep, StoreError,
  type StoreHealth, type StoreStats, type StoredEvent,
} from './eventStore';

interface Incident {
  readonly number: number;
  readonly events: StoredEvent[];
  summary: IncidentSummary | null;
  declareEventId: string;
}

/**
 * Everything in memory, nothing survives the process: for tests and `--store memory`. Appends resolve on a later
 * tick (never synchronously) so callers see the same asynchrony as with a real store; `failAppends` makes them
 * reject, to exercise the core's failure path.
 */
export class MemoryStore implements EventStore {
  private readonly channels = new Map<string, Map<string, Incident>>();
  /** Channel → fingerprint → the latest signal. */
  private readonly signals = new Map<string, Map<string, Signal>>();
  private events = 0;
  private failed = false;
  private closed = false;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly options: { readonly appendDelayMs?: number } = {}) {}

  /** Make every append from now on reject, as a broken disk would (and, as the contract says, stay failed). */
  failAppends(): void {
    this.failed = true;
  }

  async open(): Promise<RecoveryReport> {
    return { events: this.events, incidents: this.countIncidents(), channels: this.channels.size, truncatedBytes: 0, skipped: [], durationMs: 0 };
  }

  async listIncidents(channel: string): Promise<IncidentRecord[]> {
    const incidents = [...(this.channels.get(channel)?.values() ?? [])].sort((a, b) => a.number - b.number);
    return incidents.flatMap((i) => (i.summary ? [{ summary: i.summary, declareEventId: i.declareEventId }] : []));
  }

  async highestIncidentNumber(channel: string): Promise<number> {
    let max = 0;
    for (const i of this.channels.get(channel)?.values() ?? []) max = Math.max(max, i.number);
    return max;
  }

  append(records: readonly AppendRecord[]): Promise<void> {
    return this.write(() => {
      const refused = this.outOfOrder(records);
      if (refused) {
        // The contract: a rejected append leaves none of its records behind, and fails every later one (the core
        // has sequenced what follows it).
        this.failed = true;
        throw refused;
      }
      for (const r of records) this.put(r);
    });
  }

  putSignals(channel: string, signals: readonly Signal[]): Promise<void> {
    return this.write(() => {
      let kept = this.signals.get(channel);
      if (!kept) this.signals.set(channel, (kept = new Map()));
      for (const s of signals) kept.set(s.fingerprint, signalToKeep(kept.get(s.fingerprint), s));
    });
  }

  async listSignals(channel: string, fingerprints?: readonly string[]): Promise<Signal[]> {
    const kept = this.signals.get(channel);
    if (!kept) return [];
    const found = fingerprints ? fingerprints.flatMap((f) => kept.get(f) ?? []) : [...kept.values()];
    return found.map((s) => structuredClone(s));
  }

  async read(channel: string, incidentId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const events = this.channels.get(channel)?.get(incidentId)?.events ?? [];
    // events[i] has seq i + 1.
    return events.slice(Math.max(0, afterSeq), Math.max(0, afterSeq) + Math.max(0, limit));
  }

  async readIds(channel: string, incidentId: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const e of this.channels.get(channel)?.get(incidentId)?.events ?? []) ids.set(eventIdKey(e.id), e.seq);
    return ids;
  }

  stats(): StoreStats {
    return { channels: this.channels.size, incidents: this.countIncidents(), events: this.events, failed: this.failed };
  }

  /** Nothing in memory can rot: always `ok`. */
  health(): StoreHealth {
    return { state: 'ok', damagedRecords: 0, quarantinedBytes: 0, lostEvents: 0, incidentsWithLostEvents: 0, incidentsWithoutDeclaration: 0, truncatedBytes: 0 };
  }

  async close(): Promise<void> {
    await this.tail;
    this.closed = true;
  }

  /** Run `apply` once a write "is durable": on a later tick, after every earlier write (the contract's call order). */
  private write(apply: () => void): Promise<void> {
    const done = this.tail.then(async () => {
      if (this.closed) throw new StoreError('store_closed', 'the store is closed');
      if (this.failed) throw new StoreError('store_failed', 'the store has failed (simulated)');
      if (this.options.appendDelayMs) await new Promise((r) => setTimeout(r, this.options.appendDelayMs));
      else await new Promise((r) => setImmediate(r));
      if (this.failed) throw new StoreError('store_failed', 'the store has failed (simulated)');
      apply();
    });
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** The error for the first record that does not follow its incident's head (earlier records of the batch counted). */
  private outOfOrder(records: readonly AppendRecord[]): StoreError | null {
    const heads = new Map<string, number>();
    for (const r of records) {
      const key = JSON.stringify([r.channel, r.incidentId]);
      const head = heads.get(key) ?? this.channels.get(r.channel)?.get(r.incidentId)?.events.length ?? 0;
      if (r.seq !== head + 1) return new StoreError('store_corrupt', `${r.channel}/${r.incidentId}: seq ${r.seq} after ${head}`);
      heads.set(key, r.seq);
    }
    return null;
  }

  private put(r: AppendRecord): void {
    let channel = this.channels.get(r.channel);
    if (!channel) this.channels.set(r.channel, (channel = new Map()));
    let incident = channel.get(r.incidentId);
    if (!incident) channel.set(r.incidentId, (incident = { number: incidentNumber(r.incidentId), events: [], summary: null, declareEventId: '' }));
    const { event: _event, ...stored } = r;
    incident.events.push(stored);
    if (r.kind === 'incident.declared') incident.declareEventId = eventIdKey(r.id);
    incident.summary = reduceSummary(incident.summary, r.incidentId, r.event);
    this.events++;
  }

  private countIncidents(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.size;
    return n;
  }
}
