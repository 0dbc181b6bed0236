import { statusSocketUrl } from '../statusPaths';
import { PageErrorMessage, StatusMessage, StatusPage } from '../statusSchema';

/** What the page tells the reader about its link to the server. */
export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  /** Lost (or never had) the live link; the next try is at `retryAt` (ms since the epoch). */
  | { readonly kind: 'reconnecting'; readonly retryAt: number; readonly reason: string }
  /** The page needs a token: none given, the one given was not accepted, or it does not grant this channel. */
  | { readonly kind: 'needToken'; readonly reason: 'none' | 'rejected' | 'forbidden' }
  /** The server refused the session for good (its message says why). */
  | { readonly kind: 'refused'; readonly message: string };

export interface ConnectionEvents {
  onPage(page: StatusPage): void;
  onState(state: ConnectionState): void;
}

/** Reconnect delays: 1 s, ×2, at most 30 s, each with jitter (CONVENTIONS.md 10). */
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** An application ping this often; no pong within `PONG_TIMEOUT_MS` means the link is dead. */
const PING_MS = 15_000;
const PONG_TIMEOUT_MS = 10_000;

/**
 * The page's link to the channel: `status.json` first (it checks the token with a status code a WebSocket cannot
 * show, and paints at once), then a protocol session — hello, watchStatus — whose `status` frames repaint the page.
 * The token goes as `Authorization` to status.json and as the subprotocol to the WebSocket; never in a URL.
 */
export class StatusConnection {
  private ws: WebSocket | null = null;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private requests = 0;
  private generation = 0;

  constructor(private readonly location: Pick<Location, 'protocol' | 'host' | 'pathname'>, private token: string | null, private readonly events: ConnectionEvents) {}

  start(): void {
    void this.load(++this.generation);
  }

  /** Use another token from now on (the reader typed one). */
  setToken(token: string): void {
    this.token = token;
    this.failures = 0;
    this.stop();
    this.events.onState({ kind: 'connecting' });
    this.start();
  }

  private stop(): void {
    this.generation++;
    clearTimeout(this.retryTimer);
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }

  private async load(generation: number): Promise<void> {
    let res: Response;
    try {
      res = await fetch('status.json', {
        headers: this.token ? { Authorization: `Bearer ${this.token}` } : {}, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
      });
    } catch {
      return this.retry(generation, 'the server cannot be reached');
    }
    if (generation !== this.generation) return;
    if (res.status === 401) return this.events.onState({ kind: 'needToken', reason: this.token ? 'rejected' : 'none' });
    if (res.status === 403) return this.events.onState({ kind: 'needToken', reason: 'forbidden' });
    if (!res.ok) return this.retry(generation, `the server answered ${res.status}`);
    const page = StatusPage.safeParse(await res.json().catch(() => null));
    if (!page.success) return this.retry(generation, 'the server sent a status this page cannot read');
    if (generation !== this.generation) return;
    this.events.onPage(page.data);
    this.open(generation);
  }

  private open(generation: number): void {
    const protocols = ['incident-room.v1', ...(this.token ? [`incident-room.bearer.${base64url(this.token)}`] : [])];
    let ws: WebSocket;
    try {
      ws = new WebSocket(statusSocketUrl(this.location), protocols);
    } catch {
      return this.retry(generation, 'the live connection could not be opened');
    }
    this.ws = ws;
    ws.onopen = () => this.send({ type: 'hello', protocol: 1, clientId: randomId(), user: { id: 'status-page', name: 'Status page' } });
    ws.onmessage = (e: MessageEvent) => {
      if (this.ws === ws && typeof e.data === 'string') this.frame(e.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      this.retry(generation, 'the live connection was lost');
    };
  }

  private frame(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    if (type === 'welcome') {
      this.send({ type: 'watchStatus', requestId: `watch-${++this.requests}` });
      this.startPing();
    } else if (type === 'status') {
      const m = StatusMessage.safeParse(value);
      if (!m.success) return;
      this.failures = 0;
      this.events.onPage(m.data.page);
      this.events.onState({ kind: 'live' });
    } else if (type === 'pong') {
      clearTimeout(this.pongTimer);
    } else if (type === 'error') {
      const m = PageErrorMessage.safeParse(value);
      if (m.success && m.data.code === 'forbidden') {
        this.stop();
        this.events.onState({ kind: 'refused', message: m.data.message });
      }
    }
  }

  private send(message: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      this.send({ type: 'ping', requestId: `ping-${++this.requests}` });
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.ws?.close(), PONG_TIMEOUT_MS);
    }, PING_MS);
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  private retry(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.failures++);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.events.onState({ kind: 'reconnecting', retryAt: Date.now() + delay, reason });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.load(generation), delay);
  }
}

/** A token as the subprotocol carries it: its UTF-8 bytes in base64url, no padding (PROTOCOL.md "Transport"). */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A client id; `crypto.randomUUID` exists only on https and localhost pages, `getRandomValues` everywhere. */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `status-page-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
