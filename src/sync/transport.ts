import type { ClientMessage, ServerMessage } from '../protocol/messages';
import { brand, hasBrand } from '../core/brand';

/** Why a link could not be opened or was closed. */
export type LinkFailure =
  | { readonly kind: 'unauthorized'; readonly message: string }
  | { readonly kind: 'forbidden'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'closed'; readonly code: number; readonly message: string };

/** One open connection to a channel, whatever carries it (a WebSocket, or the in-process channel core). */
export interface Link {
  /**
   * The channel core runs in this process (local mode's hosting window) and acks only what its store has on disk:
   * a queued event may wait in memory for that ack instead of being written to the outbox first, so its durability
   * is paid once. Absent for a socket.
   */
  readonly sameProcess?: boolean;
  send(message: ClientMessage): void;
  close(code?: number, reason?: string): void;
}

export interface LinkHandlers {
  onMessage(message: ServerMessage): void;
  /** A frame that failed validation: logged, never applied. */
  onInvalid(error: string): void;
  onClose(failure: LinkFailure): void;
}

/** Opens links to one channel. `open` rejects with a LinkFailure when the link cannot be made. */
export interface Transport {
  /** Human-readable target, for the log and the UI (never includes a token). */
  readonly description: string;
  open(handlers: LinkHandlers): Promise<Link>;
}

/** A typed error carrying a LinkFailure. */
export class ChannelError extends Error {
  /** By brand (core/brand.ts): the lazy chunks carry copies of this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'ChannelError');
  }

  constructor(readonly failure: LinkFailure) {
    super(failure.message);
    brand(this, 'ChannelError');
    this.name = 'ChannelError';
  }
}

/**
 * The LinkFailure a failed `open` carries. Local mode's links are opened in a lazy chunk (its own bundle, with its
 * own copy of ChannelError): `instanceof` recognises it by brand (core/brand.ts).
 */
export function linkFailureOf(error: unknown): LinkFailure {
  if (error instanceof ChannelError) return error.failure;
  return { kind: 'unreachable', message: String(error) };
}
