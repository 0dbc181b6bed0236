import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Why a socket was closed before it became a session: the `reason` label of `incident_room_socket_refusals_total`. */
export type SocketRefusal = 'handshake_timeout' | 'per_address' | 'max_connections' | 'evicted';

export interface SocketGuardOptions {
  /** How long a socket may take to send a complete request or upgrade, and may sit idle between two requests. */
  readonly handshakeTimeoutMs: number;
  /** Sockets open at once, sessions included. */
  readonly maxConnections: number;
  /** Sockets one remote address may have open that have not upgraded. */
  readonly maxPendingPerAddress: number;
  readonly onRefuse: (reason: SocketRefusal, remote: string) => void;
}

interface Pending {
  readonly address: string;
  timer: NodeJS.Timeout | undefined;
  /** Requests of this socket being answered (more than one when a client pipelines them): while any is, it is not idle, and not pushed out. */
  busy: number;
  /** Its request proved a token (`vouched`): it does not count against its address until the request is answered. */
  vouched: boolean;
}

/**
 * Keeps sockets that never finish their request from holding the server's descriptors (issue #10 item 5): each
 * socket gets `handshakeTimeoutMs` to send a whole request or upgrade; one address may hold only
 * `maxPendingPerAddress` sockets that have not upgraded; and at `maxConnections`, a new socket pushes out the
 * oldest idle one that has not upgraded (so a flood of half-open sockets from many addresses cannot lock real
 * clients out until the timeout), or is refused when every slot is a session. Sessions are never pushed out: their
 * liveness is the pings'.
 *
 * Node's own `headersTimeout` is checked only every `connectionsCheckingInterval` (30 s) and counts nothing, and
 * `server.maxConnections` refuses newcomers instead of the sockets that hold the slots, hence this.
 */
export class SocketGuard {
  /** Sockets holding a slot. */
  private readonly counted = new Set<Socket>();
  /** Of those, the ones that have not upgraded, oldest first (a Map iterates in insertion order). */
  private readonly pending = new Map<Socket, Pending>();
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly options: SocketGuardOptions) {}

  /** Watch every socket `server` accepts (call before it listens). */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** A request arrived whole on `socket`: no deadline while it is answered. */
  requestStarted(socket: Socket): void {
    const p = this.pending.get(socket);
    if (!p) return;
    p.busy++;
    clearTimeout(p.timer);
  }

  /** Its response is done: the socket (kept alive) gets `handshakeTimeoutMs` again for its next request. */
  requestFinished(socket: Socket): void {
    const p = this.pending.get(socket);
    if (!p) return;
    p.busy = Math.max(0, p.busy - 1);
    // A pipelined request after it is still being answered.
    if (p.busy > 0) return;
    if (p.vouched) {
      // Idle again, it has proved nothing about its next request.
      p.vouched = false;
      this.perAddress.set(p.address, (this.perAddress.get(p.address) ?? 0) + 1);
    }
    this.arm(socket, p);
  }

  /**
   * The request being answered on `socket` authenticated with a token that may do what it asks (an Alertmanager
   * posting alerts): while it is answered the socket does not count against its address's limit, which is for
   * sockets that have proved nothing. An Alertmanager that flushes many groups at once opens a connection for each;
   * during a storm their answers take longer, and the limit would refuse the very calls it should take.
   */
  vouched(socket: Socket): void {
    const p = this.pending.get(socket);
    if (!p || p.vouched || !p.busy) return;
    p.vouched = true;
    this.uncount(p.address);
  }

  /** `socket` is a WebSocket session now: it keeps its slot, without deadline. */
  upgraded(socket: Socket): void {
    this.settle(socket);
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    if ((this.perAddress.get(address) ?? 0) >= this.options.maxPendingPerAddress) return this.refuse(socket, 'per_address', address);
    if (this.counted.size >= this.options.maxConnections) {
      const oldest = this.oldestIdle();
      if (!oldest) return this.refuse(socket, 'max_connections', address);
      this.refuse(oldest[0], 'evicted', oldest[1].address);
    }
    this.counted.add(socket);
    const p: Pending = { address, timer: undefined, busy: 0, vouched: false };
    this.pending.set(socket, p);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.arm(socket, p);
    socket.once('close', () => this.release(socket));
  }

  private oldestIdle(): [Socket, Pending] | undefined {
    for (const entry of this.pending) if (!entry[1].busy) return entry;
    return undefined;
  }

  private arm(socket: Socket, p: Pending): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => this.refuse(socket, 'handshake_timeout', p.address), this.options.handshakeTimeoutMs);
    p.timer.unref();
  }

  /** Close `socket`, freeing its slot at once (its 'close' event comes later). */
  private refuse(socket: Socket, reason: SocketRefusal, address: string): void {
    this.release(socket);
    this.options.onRefuse(reason, address);
    socket.destroy();
  }

  private release(socket: Socket): void {
    this.counted.delete(socket);
    this.settle(socket);
  }

  private settle(socket: Socket): void {
    const p = this.pending.get(socket);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(socket);
    if (!p.vouched) this.uncount(p.address);
  }

  private uncount(address: string): void {
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(address, left);
    else this.perAddress.delete(address);
  }
}

/** Descriptors kept back from the connection cap: the store's log and lock, stdio, the metrics listener, DNS. */
const DESCRIPTOR_RESERVE = 32;

/**
 * The connection cap to use when none is configured: `ceiling`, or fewer so that sockets cannot use up the
 * process's descriptor limit (Linux: read from /proc; elsewhere the ceiling). At the limit, accept() fails and every
 * newcomer is dropped, real clients included — the cap makes the guard choose whom to drop instead.
 */
export function defaultMaxConnections(ceiling: number): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return ceiling;
    const free = Number(m[1]) - readdirSync('/proc/self/fd').length - DESCRIPTOR_RESERVE;
    return Math.max(16, Math.min(ceiling, free));
  } catch {
    return ceiling;
  }
}
