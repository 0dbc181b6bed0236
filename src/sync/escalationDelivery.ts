// Escalations out to PagerDuty's Events API v2 (or anything that speaks it), through the webhook queue and its
// retries (webhookDelivery.ts): the queued item holds the `trigger` without its routing key, which is read from
// SecretStorage for the item's own origin only when it is sent, so the key is never written to the queue file and
// never goes to another origin than the one it was set for.
import * as z from 'zod';
import { brand, hasBrand } from '../core/brand';
import type { EscalationEvent, EscalationResolve, EscalationTrigger } from '../core/escalationTrigger';
import { postJson, QueuedDelivery, WebhookError, webhookOrigin, type DeliveryOptions, type DeliveryReport, type WebhookErrorCode } from './webhookDelivery';

/** PagerDuty's Events API v2 endpoint: the default of `incidentRoom.escalation.url`. */
export const DEFAULT_ESCALATION_URL = 'https://events.pagerduty.com/v2/enqueue';

/** The SecretStorage key of the routing key for an escalation URL's origin (`https://events.pagerduty.com`). */
export function escalationKeyName(origin: string): string {
  return `incidentRoom.escalation.routingKey:${origin}`;
}

/** Whether `origin` is PagerDuty's (`events.pagerduty.com`, `events.eu.pagerduty.com`), whose keys have a known shape. */
export function isPagerDutyOrigin(origin: string): boolean {
  try {
    return /(^|\.)pagerduty\.com$/i.test(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/**
 * What is wrong with a routing key for `origin`, or undefined: PagerDuty's integration keys are 32 letters and
 * digits (ruleset keys start with R); another receiver's key may be anything without spaces.
 */
export function routingKeyProblem(key: string, origin: string): string | undefined {
  const k = key.trim();
  if (!k) return 'Enter the routing key (the integration key of the service to page)';
  if (/\s/.test(k)) return 'A routing key has no spaces';
  if (k.length > 1024) return 'At most 1024 characters';
  if (isPagerDutyOrigin(origin) && !/^[A-Za-z0-9]{32}$/.test(k)) {
    return `PagerDuty's integration keys are 32 letters and digits (this one has ${k.length} characters): copy the "Integration Key" of the service's Events API v2 integration`;
  }
  return undefined;
}

const text = (max: number) => z.string().min(1).max(max);

/** A queued `trigger` as stored: what `escalationTrigger` builds (core/escalationTrigger.ts), checked on load. */
export const EscalationTriggerSchema = z.object({
  event_action: z.literal('trigger'),
  dedup_key: text(255),
  payload: z.object({
    summary: text(1024),
    source: text(1024),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.string(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string(),
    custom_details: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  }),
  links: z.array(z.object({ href: z.string(), text: z.string() })).optional(),
  client: z.string(),
  client_url: z.string().optional(),
});
/** A queued `resolve` (the incident was resolved: the alert its escalations opened is closed). */
export const EscalationResolveSchema = z.object({ event_action: z.literal('resolve'), dedup_key: text(255) });
// The stored shapes and the built ones are the same (a change to either that breaks this does not compile).
const _sameShape: z.ZodType<EscalationTrigger> = EscalationTriggerSchema;
const _sameResolve: z.ZodType<EscalationResolve> = EscalationResolveSchema;
void _sameShape;
void _sameResolve;

/**
 * An escalation waiting for, or done with, delivery: a page (its id is the `escalation.requested` event's) or its
 * resolution (id: the resolving `status.changed` event's, with the dedup key).
 */
export const QueuedEscalation = QueuedDelivery.extend({ event: z.discriminatedUnion('event_action', [EscalationTriggerSchema, EscalationResolveSchema]) });
export type QueuedEscalation = z.infer<typeof QueuedEscalation>;

/** What fixes an escalation that failed: setting the routing key again, or the URL; undefined: waiting (and retrying). */
export type EscalationFix = 'routing_key' | 'url' | undefined;

/** The fix for a failure with this code and HTTP status (PagerDuty answers a bad routing key with 400). */
export function escalationFix(code: string | undefined, status: number | undefined): EscalationFix {
  if (code === 'no_key' || status === 400 || status === 401 || status === 403) return 'routing_key';
  if (code === 'bad_url' || status === 404 || status === 405 || (status !== undefined && status >= 300 && status < 400)) return 'url';
  return undefined;
}

/** Why an escalation was not delivered, with what fixes it (`fix`). A `WebhookError`, so the queue treats it as one. */
export class EscalationError extends WebhookError {
  /** By brand (core/brand.ts): the lazy chunks carry copies of this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'EscalationError');
  }

  readonly fix: EscalationFix;

  constructor(message: string, code: WebhookErrorCode, retryable: boolean, status?: number, retryAfterMs?: number, attempts?: number, reply?: string) {
    super(message, code, retryable, status, retryAfterMs, attempts, reply);
    brand(this, 'EscalationError');
    this.name = 'EscalationError';
    this.fix = escalationFix(code, status);
  }

  /** The delivery's error said in the words of escalation: what the receiver said and what to do about it. */
  static from(e: WebhookError, url: string): EscalationError {
    const fix = escalationFix(e.code, e.status);
    let message = e.message;
    if (fix === 'routing_key' && e.status !== undefined) {
      message = `the escalation endpoint at ${hostOf(url)} refused the page (${e.status}${replyText(e.reply)}): the routing key set for ${originOf(url)} is probably wrong. Set it again with "Incident: Set Escalation Routing Key"; the page waits in the queue until it is retried`;
    } else if (fix === 'url' && e.status !== undefined) {
      message = `the escalation endpoint at ${hostOf(url)} answered ${e.status}${replyText(e.reply)}: incidentRoom.escalation.url is probably not an Events API v2 address (PagerDuty's is ${DEFAULT_ESCALATION_URL})`;
    }
    return new EscalationError(message, e.code, e.retryable, e.status, e.retryAfterMs, e.attempts, e.reply);
  }
}

/** PagerDuty's error reply (`{"status":"invalid event","message":"Event object is invalid","errors":[…]}`) in a few words. */
function replyText(reply: string | undefined): string {
  if (!reply) return '';
  try {
    const r = JSON.parse(reply) as { status?: unknown; message?: unknown; errors?: unknown };
    const errors = Array.isArray(r.errors) ? r.errors.filter((x): x is string => typeof x === 'string') : [];
    const words = [typeof r.status === 'string' ? r.status : '', typeof r.message === 'string' ? r.message : '', ...errors].filter(Boolean);
    if (words.length > 0) return `: ${words.join('; ')}`;
  } catch {
    // not JSON (or cut short): the reply as it came
  }
  return `: ${reply}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

function originOf(url: string): string {
  try {
    return webhookOrigin(url);
  } catch {
    return hostOf(url);
  }
}

/** The JSON body PagerDuty receives: the routing key, then the trigger (or resolve). */
export function escalationBody<E extends EscalationEvent>(routingKey: string, event: E): { routing_key: string } & E {
  return { routing_key: routingKey, ...event };
}

/**
 * POST the trigger with its routing key to `url`, with the webhook delivery's retries (429, 5xx, network errors;
 * PagerDuty answers 202 `{"status":"success","dedup_key":…}`). Throws an `EscalationError` saying what fixes it.
 */
export async function deliverEscalation(url: string, routingKey: string, event: EscalationEvent, options: DeliveryOptions = {}): Promise<DeliveryReport> {
  try {
    return await postJson({ url, label: 'escalation endpoint' }, escalationBody(routingKey, event), options);
  } catch (e) {
    throw e instanceof WebhookError ? EscalationError.from(e, url) : e;
  }
}

/**
 * How the escalation queue sends an item (WebhookOutboxOptions.send): with the routing key kept for the item's own
 * origin, asked for only now. No key: a failure that only setting one fixes.
 */
export function escalationSender(keyFor: (origin: string) => string | undefined | PromiseLike<string | undefined>) {
  return async (item: QueuedEscalation & { readonly url: string }, options: DeliveryOptions): Promise<DeliveryReport> => {
    const origin = webhookOrigin(item.url);
    const key = await keyFor(origin);
    if (!key) throw new EscalationError(`no routing key is set for ${origin}: set it with "Incident: Set Escalation Routing Key"; the page waits in the queue until it is retried`, 'no_key', false);
    return deliverEscalation(item.url, key, item.event, options);
  };
}
