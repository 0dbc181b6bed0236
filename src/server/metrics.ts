import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreHealth, StoreStats } from '../store/eventStore';
import type { ChannelObserver } from './channelObserver';

/** What the server reports at scrape time (counts only). */
export interface MetricsSource {
  stats(): StoreStats;
  health(): StoreHealth;
  rooms(): number;
}

/** The Prometheus metrics of `/metrics`, on a registry of their own. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'incident_room_connections', help: 'WebSocket sessions open now', registers: [this.registry] });
  readonly connectionsTotal = new Counter({ name: 'incident_room_connections_total', help: 'WebSocket sessions accepted', registers: [this.registry] });
  readonly authRefusals = new Counter({ name: 'incident_room_auth_refusals_total', help: 'Upgrades refused before the WebSocket handshake', labelNames: ['status'], registers: [this.registry] });
  readonly socketRefusals = new Counter({
    name: 'incident_room_socket_refusals_total',
    help: 'Sockets closed before they became sessions: handshake_timeout (no complete request in time), per_address (too many from one address), evicted (pushed out at the connection cap), max_connections (refused at the cap)',
    labelNames: ['reason'], registers: [this.registry],
  });
  readonly appends = new Counter({ name: 'incident_room_appends_total', help: 'Appends and declares processed (new events or re-sends of held ones)', labelNames: ['outcome'], registers: [this.registry] });
  readonly acks = new Counter({ name: 'incident_room_acks_total', help: 'Acks and declared replies sent (each after the event was durable)', registers: [this.registry] });
  readonly errors = new Counter({ name: 'incident_room_errors_total', help: 'Error replies sent, by code', labelNames: ['code'], registers: [this.registry] });
  readonly closes = new Counter({ name: 'incident_room_closes_total', help: 'Sessions closed by the server, by close code', labelNames: ['code'], registers: [this.registry] });
  readonly storeFailures = new Counter({ name: 'incident_room_store_failures_total', help: 'Appends the store refused', registers: [this.registry] });
  readonly fsyncSeconds = new Histogram({
    name: 'incident_room_fsync_duration_seconds', help: 'Duration of each group-commit fsync',
    buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1], registers: [this.registry],
  });
  readonly commitEvents = new Histogram({
    name: 'incident_room_commit_events', help: 'Events made durable by each group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'incident_room_append_to_ack_seconds', help: 'From an append frame arriving to its ack being sent',
    buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2], registers: [this.registry],
  });

  private source: MetricsSource | null = null;
  readonly storeIncidents = this.sourced('incident_room_store_incidents', 'Incidents the store holds', (s) => s.stats().incidents);
  readonly storeEvents = this.sourced('incident_room_store_events', 'Events the store holds', (s) => s.stats().events);
  readonly rooms = this.sourced('incident_room_rooms', 'Incident rooms loaded in memory', (s) => s.rooms());
  readonly lostEvents = this.sourced('incident_room_store_lost_events', 'Acked events the store can no longer serve (lost to damage)', (s) => s.health().lostEvents);
  readonly damagedRecords = this.sourcedCounter(
    'incident_room_store_damaged_records_total', 'Stored records found damaged (failing their check) since the store was opened, each once', (s) => s.health().damagedRecords);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Read the store's and the core's counts at each scrape (what /healthz used to answer). */
  track(source: MetricsSource): void {
    this.source = source;
  }

  /** A gauge read from the tracked source at each scrape (absent until `track`). */
  private sourced(name: string, help: string, read: (source: MetricsSource) => number): Gauge {
    const source = () => this.source;
    return new Gauge({
      name, help, registers: [this.registry],
      collect(this: Gauge) {
        const s = source();
        if (s) this.set(read(s));
      },
    });
  }

  /** A counter that follows a count of the tracked source that only grows (the store's damaged records). */
  private sourcedCounter(name: string, help: string, read: (source: MetricsSource) => number): Counter {
    const source = () => this.source;
    let seen = 0;
    return new Counter({
      name, help, registers: [this.registry],
      collect(this: Counter) {
        const s = source();
        const now = s ? read(s) : seen;
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  }

  /** The core's hooks, wired to these metrics. */
  observer(): ChannelObserver {
    return {
      appended: (outcome) => this.appends.inc({ outcome }),
      acked: (ms) => {
        this.acks.inc();
        this.ackSeconds.observe(ms / 1000);
      },
      errorSent: (code) => this.errors.inc({ code }),
      storeFailed: () => this.storeFailures.inc(),
    };
  }

  /** FileStore's `onCommit`. */
  commit(info: { readonly events: number; readonly fsyncMs: number }): void {
    this.fsyncSeconds.observe(info.fsyncMs / 1000);
    this.commitEvents.observe(info.events);
  }
}
