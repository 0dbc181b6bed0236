import { type ServerOptions, startServer } from '../../../src/server/channelServer';
import { ServerMetrics } from '../../../src/server/metrics';
import { PostgresStore, type PostgresStoreOptions } from '../../../src/store/postgresStore';
import type { TestServer } from './helpers';

export interface PgTestServer extends TestServer {
  readonly store: PostgresStore;
}

/**
 * An in-process server on port 0 whose store is PostgreSQL at `url` (as `startTestServer` does with a FileStore).
 * Start two on one database and they are replicas.
 */
export async function startPgServer(
  url: string, options: Partial<Omit<ServerOptions, 'store'>> & { readonly pg?: Partial<PostgresStoreOptions> } = {},
): Promise<PgTestServer> {
  const { pg, ...serverOptions } = options;
  const store = new PostgresStore({ url, ...pg });
  await store.open();
  const server = await startServer({ host: '127.0.0.1', port: 0, tokens: null, metrics: new ServerMetrics(), metricsListener: { host: '127.0.0.1', port: 0 }, ...serverOptions, store });
  return { server, store, dir: null, url: (channel = 'payments-oncall') => `${server.url}/v1/channels/${channel}` };
}
