import { randomUUID } from 'node:crypto';
import type { User } from '../protocol/events';
import type { RoomConnection } from './room';

/**
 * An append the server makes itself (a linked signal resolved): it goes to the incident's room like a session's, so
 * it is sequenced, stored, acked and fanned out like any event; this connection only hears the answer. `done`
 * resolves once the event is durable (or was there already: a duplicate) and rejects when the room answers with an
 * error.
 */
export class ServerAppend implements RoomConnection {
  readonly requestId = `server-${randomUUID()}`;
  readonly closed = false;
  readonly done: Promise<void>;
  private settle!: { resolve: () => void; reject: (e: Error) => void };

  constructor(readonly actor: User, readonly via: string | undefined) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  send(frame: string): void {
    const m = JSON.parse(frame) as { type?: string; requestId?: string; message?: string };
    if (m.requestId !== this.requestId) return;
    if (m.type === 'ack') this.settle.resolve();
    else this.settle.reject(new Error(`the append was refused: ${m.message ?? m.type ?? 'no reason'}`));
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  internalError(): void {
    this.settle.reject(new Error('the store did not take the event'));
  }
}
