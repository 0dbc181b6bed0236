import type { ErrorCode } from '../protocol/codes';

/** Hooks for metrics; the core stays free of prom-client (the extension bundles it). */
export interface ChannelObserver {
  /** An append or declare was processed: a new event, or a re-send of one already held. */
  appended?(outcome: 'new' | 'duplicate'): void;
  /** An ack or `declared` was sent, `latencyMs` after its frame arrived. */
  acked?(latencyMs: number): void;
  /** An `error` reply was sent. */
  errorSent?(code: ErrorCode): void;
  /** The store refused an append. */
  storeFailed?(error: unknown): void;
}
