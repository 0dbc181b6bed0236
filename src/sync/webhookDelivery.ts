// Outbound webhooks, in plain Node so they are tested without VS Code: status updates (Slack-compatible
// `{ "text": … }`) and, through the same queue and retries, escalations (escalationDelivery.ts). Delivery is at least
// once: an item is persisted before the first attempt and marked delivered only after a 2xx, so a crash in between
// sends it again rather than losing it.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import * as z from 'zod';
import { Audience } from '../protocol/events';
import { Backoff, DEFAULT_BACKOFF } from './backoff';
import { writeDurably } from './outbox';
import { brand, hasBrand } from '../core/brand';

// ---- errors and URL ----

/**
 * `no_key`: the secret the receiver needs (an escalation's routing key) is not set for its origin. `bad_token`: the
 * token set for it cannot be sent in a header (a line break, a character outside Latin-1).
 */
export type WebhookErrorCode = 'bad_url' | 'bad_token' | 'http' | 'network' | 'timeout' | 'aborted' | 'no_key';

/**
 * Why a token cannot go in an `Authorization` header, or null when it can: HTTP header values are bytes (RFC 9110
 * field-value: visible characters, spaces and tabs, obs-text); fetch refuses anything else. Without this check a
 * token pasted with a line break in it failed every attempt as "could not reach the webhook", and was retried.
 * Whitespace around it is not a problem: it is trimmed, as fetch trims a header value.
 */
export function tokenProblem(token: string): string | null {
  const bad = /[^\t\x20-\x7e\x80-\xff]/.exec(token);
  if (!bad) return null;
  const c = bad[0];
  // Never the character itself: the message is shown and logged, the token is a secret.
  const what = c === '\n' || c === '\r' ? 'a line break' : c.charCodeAt(0) < 0x20 || c === '\x7f' ? 'a control character' : 'a character outside Latin-1';
  return `it holds ${what} (at character ${bad.index + 1}), which an HTTP header cannot carry`;
}

/** Why a delivery failed; `retryable` says whether trying again later could help. Messages never carry the URL path or token. */
export class WebhookError extends Error {
  /** By brand (core/brand.ts): the lazy chunks carry copies of this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'WebhookError');
  }

  constructor(
    message: string,
    readonly code: WebhookErrorCode,
    readonly retryable: boolean,
    readonly status?: number,
    /** How long the receiver asked us to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
    /** Attempts made before giving up (set when `deliverWebhook` gives up). */
    readonly attempts?: number,
    /** The start of the receiver's reply to a refused request, on one line (it often says what was wrong). */
    readonly reply?: string,
  ) {
    super(message);
    brand(this, 'WebhookError');
    this.name = 'WebhookError';
  }
}

/** Check a webhook URL setting: an absolute http(s) URL without embedded credentials. Throws a `WebhookError` (`bad_url`) saying what is wrong. */
export function validateWebhookUrl(raw: string): URL {
  const value = raw.trim();
  if (!value) throw new WebhookError('Webhook URL is not set.', 'bad_url', false);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value itself is not echoed: a webhook URL usually carries its secret in the path.
    throw new WebhookError('Webhook URL is not a valid URL: expected something like https://hooks.example.com/services/…', 'bad_url', false);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WebhookError(`Webhook URL must start with https:// or http:// (this one starts with ${url.protocol}).`, 'bad_url', false);
  }
  if (url.username || url.password) {
    throw new WebhookError('Webhook URL must not contain a user name or password; put a token in the webhook token setting instead.', 'bad_url', false);
  }
  return url;
}

/** The origin a webhook token belongs to (`https://hooks.example.com`, `http://127.0.0.1:8080`): scheme, host, port. */
export function webhookOrigin(url: string): string {
  return validateWebhookUrl(url).origin;
}

/**
 * The SecretStorage key of the token for a webhook origin. A token is sent only to the origin it was set for, so
 * a URL changed by a workspace setting never receives the token of the user's own receiver.
 */
export function webhookTokenKey(origin: string): string {
  return `incidentRoom.updates.webhookToken:${origin}`;
}

/** Where the token lived before it was kept per origin; it is never sent anywhere (see UpdateDelivery.start). */
export const LEGACY_WEBHOOK_TOKEN_KEY = 'incidentRoom.updates.webhookToken';

// ---- one delivery ----

export interface WebhookTarget {
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Escape `&`, `<` and `>` as Slack requires for message text (default true). */
  readonly slackEscaping?: boolean;
  /** What the receiver is called in errors, before ` at HOST` (default `webhook`). */
  readonly label?: string;
}

export interface DeliveryOptions {
  /** Per attempt, connection to response body (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts in all, the first included (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; it doubles each time up to `maxDelayMs` (defaults 1 s and 30 s), with jitter. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A Retry-After longer than this ends the attempts instead of waiting (default 2 min). */
  readonly maxRetryAfterMs?: number;
  /** Sent as `Idempotency-Key` so a receiver that supports it can drop a repeat. */
  readonly idempotencyKey?: string;
  /** Cancels the delivery, including any wait between attempts. */
  readonly signal?: AbortSignal;
  /** Told before each wait between attempts (the outbox shows it as "retrying"). */
  readonly onRetry?: (info: { readonly attempt: number; readonly error: WebhookError; readonly delayMs: number }) => void;
  /** For tests: the clock of the waits, and the jitter source. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export interface DeliveryReport {
  readonly status: number;
  readonly attempts: number;
}

/** The JSON body sent: Slack's incoming-webhook shape, which Mattermost, Rocket.Chat and many others accept too. */
export function webhookPayload(text: string, slackEscaping = true): { text: string } {
  // Slack reads `<…>` as links and mentions and `&…;` as entities; these three are the ones it asks senders to escape.
  return { text: slackEscaping ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : text };
}

/**
 * POST `text` to the webhook, retrying network errors, timeouts, 5xx and 429 with capped exponential backoff
 * (honouring Retry-After); other 4xx and redirects fail at once. Resolves on a 2xx; otherwise throws a `WebhookError`.
 */
export function deliverWebhook(target: WebhookTarget, text: string, options: DeliveryOptions = {}): Promise<DeliveryReport> {
  return postJson(target, webhookPayload(text, target.slackEscaping ?? true), options);
}

/**
 * POST `body` as JSON to the target with the retries of `deliverWebhook` (network errors, timeouts, 5xx and 429
 * retried with backoff; other 4xx and redirects fail at once). Resolves on a 2xx; otherwise throws a `WebhookError`.
 */
export async function postJson(target: Omit<WebhookTarget, 'slackEscaping'>, body: unknown, options: DeliveryOptions = {}): Promise<DeliveryReport> {
  const url = validateWebhookUrl(target.url);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const sleep = options.sleep ?? defaultSleep;
  // The channel client's reconnect curve (doubling, capped, jitter over the upper half so many clients never retry
  // in step), with the first and largest step this delivery was given.
  const backoff = new Backoff(
    { ...DEFAULT_BACKOFF, initialMs: options.initialDelayMs ?? DEFAULT_BACKOFF.initialMs, maxMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxMs },
    options.random ?? Math.random,
  );
  const label = target.label ?? 'webhook';
  const token = target.token?.trim();
  const problem = token ? tokenProblem(token) : null;
  if (problem) throw new WebhookError(`The ${label} token set for ${url.origin} cannot be sent: ${problem}. Set it again.`, 'bad_token', false, undefined, undefined, 0);
  const json = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    let error: WebhookError;
    try {
      const status = await attemptOnce(url, label, token, json, options);
      return { status, attempts: attempt };
    } catch (e) {
      error = e instanceof WebhookError ? e : new WebhookError(`Webhook delivery failed: ${String(e)}`, 'network', true);
    }
    const giveUp = (why: WebhookError) => new WebhookError(why.message, why.code, why.retryable, why.status, why.retryAfterMs, attempt, why.reply);
    // Cancelled (the outbox is shutting down): not a failure to retry, so nobody is told a retry is coming.
    if (!error.retryable || error.code === 'aborted' || attempt >= maxAttempts) throw giveUp(error);
    if (error.retryAfterMs !== undefined && error.retryAfterMs > (options.maxRetryAfterMs ?? 120_000)) throw giveUp(error);
    // Every retry moves one step up the curve, so a wait the receiver chose (Retry-After) does not restart it.
    const step = backoff.next();
    const wait = error.retryAfterMs ?? step;
    options.onRetry?.({ attempt, error, delayMs: wait });
    try {
      await sleep(wait, options.signal);
    } catch {
      throw new WebhookError('Webhook delivery was cancelled.', 'aborted', true, undefined, undefined, attempt);
    }
  }
}

async function attemptOnce(url: URL, label: string, token: string | undefined, body: string, options: DeliveryOptions): Promise<number> {
  const where = `${label} at ${url.host}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'incident-room' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let res: Response;
  try {
    // Redirects are not followed: a POST would turn into a GET, and the token must not travel to another host.
    res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
  } catch (e) {
    throw failure(e, where, timeoutMs, options.signal);
  }
  let snippet: string;
  try {
    snippet = await readSnippet(res);
  } catch (e) {
    if (res.ok) return res.status; // delivered; only the reply body was cut short
    throw failure(e, where, timeoutMs, options.signal);
  }
  if (res.ok) return res.status;
  const detail = `${where} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`;
  const reply = snippet || undefined;
  if (res.status === 429 || res.status >= 500) {
    throw new WebhookError(detail, 'http', true, res.status, parseRetryAfter(res.headers.get('retry-after')), undefined, reply);
  }
  if (res.status >= 300 && res.status < 400) {
    throw new WebhookError(`${detail} (a redirect; set the ${label} URL to its final address)`, 'http', false, res.status, undefined, undefined, reply);
  }
  throw new WebhookError(detail, 'http', false, res.status, undefined, undefined, reply);
}

function failure(e: unknown, where: string, timeoutMs: number, outer: AbortSignal | undefined): WebhookError {
  if (outer?.aborted) return new WebhookError('Webhook delivery was cancelled.', 'aborted', true);
  const name = (e as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new WebhookError(`${where} did not answer within ${timeoutMs} ms`, 'timeout', true);
  const cause = (e as { cause?: { code?: string; message?: string } } | null)?.cause;
  return new WebhookError(`could not reach the ${where}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`, 'network', true);
}

/** The first few hundred characters of the reply, on one line, for the error shown to the user. */
async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let out = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
    if (out.length >= 300) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const line = out.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, signal ? { signal } : {});

// ---- the durable queue ----

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** What every queued item carries besides what it sends: which it is, where it goes, and how its delivery went. */
export const QueuedDelivery = z.object({
  /** Unique per item (the event id: `update.posted`, `escalation.requested`); also the Idempotency-Key. */
  id: z.string().min(1),
  incidentId: z.string(),
  queuedAt: z.string(),
  /**
   * The URL the item was queued for: it is sent there and nowhere else, with that origin's secret, even if the
   * setting changes while it waits. Absent only in queues written before it was recorded.
   */
  url: z.string().optional(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int().min(0),
  lastAttemptAt: z.string().optional(),
  /** Why the last attempt failed (pending: retrying; failed: gave up). */
  lastError: z.string().optional(),
  /** The last failure's HTTP status and error code: what fixes it depends on them (a key for a 400, the URL for a 404). */
  lastStatus: z.number().int().optional(),
  lastCode: z.string().optional(),
  /** Whether waiting could fix the last failure (receiver down, 429, 5xx): only those are retried unasked. */
  retryable: z.boolean().optional(),
  deliveredAt: z.string().optional(),
});
export type QueuedDelivery = z.infer<typeof QueuedDelivery>;
/** The fields the queue fills in; an item is enqueued with what it sends and its id and incident only. */
type QueueFields = Exclude<keyof QueuedDelivery, 'id' | 'incidentId'>;
export type NewQueued<T extends QueuedDelivery> = Omit<T, QueueFields>;
const OUTCOME_FIELDS = ['lastError', 'lastStatus', 'lastCode', 'retryable'] as const;

/** A status update waiting for, or done with, webhook delivery. */
export const QueuedUpdate = QueuedDelivery.extend({ audience: Audience, text: z.string() });
export type QueuedUpdate = z.infer<typeof QueuedUpdate>;

/** Where a queue lives between runs; the extension backs each with a JSON file in its global storage. */
export interface WebhookQueueStore<T extends QueuedDelivery = QueuedUpdate> {
  load(): Promise<readonly T[]>;
  /** Replace the stored queue; resolves once it is durable. */
  save(items: readonly T[]): Promise<void>;
}

/** A store in memory, for tests and for running without storage. */
export class MemoryWebhookQueueStore<T extends QueuedDelivery = QueuedUpdate> implements WebhookQueueStore<T> {
  private items: T[] = [];

  async load(): Promise<readonly T[]> {
    return structuredClone(this.items);
  }

  async save(items: readonly T[]): Promise<void> {
    this.items = structuredClone([...items]);
  }
}

/**
 * A queue as one JSON file, replaced atomically (`writeDurably`: temp file, fsync, rename) so a crash leaves the old
 * or the new one. `item` is the schema of what it holds (default: status updates).
 */
export class JsonFileWebhookQueueStore<T extends QueuedDelivery = QueuedUpdate> implements WebhookQueueStore<T> {
  private readonly schema: z.ZodType<{ version: 1; items: T[] }>;

  constructor(readonly file: string, item: z.ZodType<T> = QueuedUpdate as unknown as z.ZodType<T>) {
    this.schema = z.object({ version: z.literal(1), items: z.array(item) });
  }

  async load(): Promise<readonly T[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    let parsed: ReturnType<typeof this.schema.safeParse>;
    try {
      parsed = this.schema.safeParse(JSON.parse(text));
    } catch {
      throw new Error(`The webhook queue file ${this.file} is not valid JSON; move it aside to start a new queue.`);
    }
    // Refuse rather than start empty: starting over would silently drop the items the file still holds.
    if (!parsed.success) throw new Error(`The webhook queue file ${this.file} is not in the expected format; move it aside to start a new queue.`);
    return parsed.data.items;
  }

  async save(items: readonly T[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    // Owner-only, like local mode's endpoint.json: the queued URLs usually carry the webhook's secret in their path.
    await writeDurably(this.file, JSON.stringify({ version: 1, items }, null, 1), { mode: 0o600 });
  }
}

export interface WebhookOutboxOptions<T extends QueuedDelivery = QueuedUpdate> {
  /**
   * The URL configured now, undefined when none is. A new item is bound to it; a flush sends nothing while none is
   * configured, and otherwise sends each item to the URL it was bound to.
   */
  readonly url: () => string | undefined;
  /**
   * How an item goes to its URL (its retries come with `options`). Default: a status update's text, Slack-shaped,
   * with `tokenFor`'s token.
   */
  readonly send?: (item: T & { readonly url: string }, options: DeliveryOptions) => Promise<DeliveryReport>;
  /** The token set for an origin, if any; asked only for the origin a request goes to. */
  readonly tokenFor?: (origin: string) => string | undefined | Promise<string | undefined>;
  /**
   * Where updates queued before their URL was recorded go: the user's own setting, never one a workspace could set.
   * Undefined: they are marked failed and not sent.
   */
  readonly legacyUrl?: () => string | undefined;
  /** Escape `&`, `<` and `>` for Slack (default true). */
  readonly slackEscaping?: boolean;
  readonly delivery?: Omit<DeliveryOptions, 'signal' | 'onRetry' | 'idempotencyKey'>;
  /** Delivered items kept for display (newest first); older ones are dropped (default 50). */
  readonly keepDelivered?: number;
  readonly now?: () => Date;
}

export interface FlushReport {
  readonly delivered: number;
  readonly failed: number;
  readonly pending: number;
}

const UNBOUND_ERROR = 'queued by an earlier version without its webhook URL, so it was not sent anywhere; post it again if it is still needed';

/**
 * A durable queue for one kind of receiver: an item is stored before any attempt, sent in order, and kept with its
 * delivery state (pending / delivered / failed and the last error) until it is delivered or discarded.
 */
export class WebhookOutbox<T extends QueuedDelivery = QueuedUpdate> {
  private queue: T[];
  private flushing: Promise<FlushReport> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(items: readonly T[]) => void>();
  private readonly abort = new AbortController();

  private constructor(private readonly store: WebhookQueueStore<T>, private readonly options: WebhookOutboxOptions<T>, items: readonly T[]) {
    this.queue = [...items];
  }

  /** Open the queue from its store; pending items from an earlier run are sent by the next `flush()`. */
  static async open<T extends QueuedDelivery = QueuedUpdate>(store: WebhookQueueStore<T>, options: WebhookOutboxOptions<T>): Promise<WebhookOutbox<T>> {
    const outbox = new WebhookOutbox<T>(store, options, await store.load());
    await outbox.bindLegacy();
    return outbox;
  }

  /** Items stored without their URL (an earlier version) go to the user's own URL, or are failed, never guessed. */
  private async bindLegacy(): Promise<void> {
    const unbound = this.queue.filter((q) => q.url === undefined && q.state !== 'delivered');
    if (unbound.length === 0) return;
    let url: string | undefined;
    try {
      const raw = this.options.legacyUrl?.();
      url = raw ? validateWebhookUrl(raw).href : undefined;
    } catch {
      url = undefined;
    }
    for (const item of unbound) {
      if (url) this.update(item.id, { url });
      else this.update(item.id, { state: 'failed', lastError: UNBOUND_ERROR, retryable: false });
    }
    await this.changed();
  }

  /** Every queued item, oldest first, with its delivery state. */
  get items(): readonly T[] {
    return this.queue;
  }

  /** Called with the whole list after every change. */
  onDidChange(listener: (items: readonly T[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Add an item for the URL configured now (a `WebhookError` when none is, or it is invalid); resolves once it is
   * stored. Enqueueing an id already queued changes nothing.
   */
  async enqueue(update: NewQueued<T>): Promise<T> {
    const existing = this.queue.find((q) => q.id === update.id);
    if (existing) return existing;
    const url = validateWebhookUrl(this.options.url() ?? '').href;
    const item = { ...update, queuedAt: this.now(), url, state: 'pending', attempts: 0 } as unknown as T;
    this.queue.push(item);
    await this.changed();
    return item;
  }

  /**
   * Send every pending item in order. A failure that retrying could fix (endpoint down) stops the flush and
   * leaves the rest pending; any other failure marks that item failed and goes on with the next.
   */
  flush(): Promise<FlushReport> {
    // One flush at a time: a second caller waits for the running one, then runs again for anything added meanwhile.
    const run = (this.flushing ?? Promise.resolve()).then(() => this.flushPending(), () => this.flushPending());
    this.flushing = run;
    return run;
  }

  /** Put a failed item back in line and flush. */
  retry(id: string): Promise<FlushReport> {
    return this.retryFailed((q) => q.id === id);
  }

  /** Put the failed items that `which` picks (default: all) back in line, then flush once. */
  async retryFailed(which: (item: T) => boolean = () => true): Promise<FlushReport> {
    const again = this.queue.filter((q) => q.state === 'failed' && which(q));
    for (const item of again) this.update(item.id, { state: 'pending' });
    if (again.length > 0) await this.changed();
    return this.flush();
  }

  /** Drop an item from the queue (the user gave up on it). */
  async discard(id: string): Promise<void> {
    const before = this.queue.length;
    this.queue = this.queue.filter((q) => q.id !== id);
    if (this.queue.length !== before) await this.changed();
  }

  /** Stops waits between attempts; what is pending stays stored for the next run. */
  dispose(): void {
    this.abort.abort();
    this.listeners.clear();
  }

  private async flushPending(): Promise<FlushReport> {
    let delivered = 0;
    let failed = 0;
    if (this.options.url()) {
      for (const item of [...this.queue]) {
        if (item.state !== 'pending' || this.abort.signal.aborted) continue;
        const outcome = await this.deliverOne(item);
        if (outcome === 'delivered') delivered++;
        else if (outcome === 'failed') failed++;
        else break; // the endpoint is unreachable for now: later items stay pending, in order
      }
    }
    return { delivered, failed, pending: this.queue.filter((q) => q.state === 'pending').length };
  }

  private async deliverOne(item: T): Promise<'delivered' | 'failed' | 'stopped'> {
    let attempts = item.attempts;
    if (item.url === undefined) {
      this.update(item.id, { state: 'failed', lastError: UNBOUND_ERROR, retryable: false });
      await this.changed();
      return 'failed';
    }
    try {
      const options: DeliveryOptions = {
        ...this.options.delivery,
        idempotencyKey: item.id,
        signal: this.abort.signal,
        onRetry: ({ error }) => {
          attempts++;
          this.update(item.id, { attempts, lastAttemptAt: this.now(), lastError: error.message });
          void this.changed().catch(() => undefined);
        },
      };
      const bound = item as T & { readonly url: string };
      if (this.options.send) await this.options.send(bound, options);
      else await this.sendUpdate(bound as unknown as QueuedUpdate & { readonly url: string }, options);
    } catch (e) {
      const error = e instanceof WebhookError ? e : new WebhookError(String(e), 'network', true);
      if (error.code === 'aborted') return 'stopped'; // shutting down: it stays pending for the next run
      this.update(item.id, {
        state: 'failed', attempts: attempts + 1, lastAttemptAt: this.now(), lastError: error.message, lastCode: error.code, retryable: error.retryable,
        ...(error.status !== undefined ? { lastStatus: error.status } : {}),
      }, error.status === undefined ? ['lastStatus'] : []);
      await this.changed();
      return error.retryable ? 'stopped' : 'failed';
    }
    // Delivered. Recorded so even when the queue cannot be saved just now: the save's error goes to the caller (the
    // flush rejects), and the item is never marked failed, which would send it a second time on a retry.
    this.update(item.id, { state: 'delivered', attempts: attempts + 1, lastAttemptAt: this.now(), deliveredAt: this.now() }, OUTCOME_FIELDS);
    this.prune();
    await this.changed();
    return 'delivered';
  }

  /** A status update: its text, Slack-shaped, with the token of its own origin asked for only now (never another's). */
  private async sendUpdate(item: QueuedUpdate & { readonly url: string }, options: DeliveryOptions): Promise<DeliveryReport> {
    const token = await this.options.tokenFor?.(webhookOrigin(item.url));
    const target: WebhookTarget = { url: item.url, ...(token ? { token } : {}), ...(this.options.slackEscaping === false ? { slackEscaping: false } : {}) };
    return deliverWebhook(target, item.text, options);
  }

  private update(id: string, patch: Partial<QueuedDelivery>, remove: readonly (keyof QueuedDelivery)[] = []): void {
    const i = this.queue.findIndex((q) => q.id === id);
    if (i < 0) return; // discarded meanwhile
    const next: Record<string, unknown> = { ...this.queue[i], ...patch };
    for (const key of remove) delete next[key];
    this.queue[i] = next as T;
  }

  private prune(): void {
    const keep = this.options.keepDelivered ?? 50;
    const delivered = this.queue.filter((q) => q.state === 'delivered');
    if (delivered.length <= keep) return;
    const drop = new Set(delivered.slice(0, delivered.length - keep).map((q) => q.id));
    this.queue = this.queue.filter((q) => !drop.has(q.id));
  }

  private changed(): Promise<void> {
    const snapshot = [...this.queue];
    for (const listener of [...this.listeners]) {
      try {
        listener(snapshot);
      } catch {
        // a faulty listener must not stop delivery
      }
    }
    // Saves run one after another, so an older snapshot never overwrites a newer one.
    this.saving = this.saving.catch(() => undefined).then(() => this.store.save(snapshot));
    return this.saving;
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }
}
