import * as z from 'zod';
import { Fingerprint, IsoTime, SignalStatus, WebUrl } from '../protocol/events';
import type { Signal } from '../protocol/messages';
import { zodErrorField } from '../protocol/zodMessage';
import { type BodyBytes, Bytes, splitAlerts } from './alertsJson';
import { nextSlice, SLICE_MS } from './slices';

/*
 * What monitoring POSTs to /v1/channels/CHANNEL/alerts (PROTOCOL.md "Signals"): the Prometheus Alertmanager webhook
 * payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config), and Grafana's
 * variant of it (version "1", with `orgId`, and per alert `silenceURL`, `dashboardURL`, `panelURL`, `values`).
 * Fields neither of them documents (Grafana's `title`, `state`, `message`, `valueString`, `imageURL`) are ignored.
 */

/** Labels and annotations as monitoring sends them: any number, any length (bounded when made a signal). */
const Pairs = z.record(z.string(), z.string());
/** A link as sent: anything (an empty `generatorURL` is Alertmanager's "none"); only an http(s) URL is kept. */
const Link = z.string().max(64 * 1024);

/** The payload without its alerts. */
export const WebhookEnvelope = z.object({
  version: z.string().max(16),
  groupKey: z.string().max(64 * 1024),
  /** How many alerts Alertmanager left out (`max_alerts`); absent before Alertmanager 0.22. */
  truncatedAlerts: z.number().int().min(0).optional(),
  status: SignalStatus,
  receiver: z.string().max(256),
  groupLabels: Pairs,
  commonLabels: Pairs,
  commonAnnotations: Pairs,
  externalURL: Link,
  /** Grafana's organisation. */
  orgId: z.number().int().optional(),
}).superRefine((e, ctx) => {
  if (e.version === '4' || (e.version === '1' && e.orgId !== undefined)) return;
  ctx.addIssue({ code: 'custom', path: ['version'], message: `expected "4" (Alertmanager) or "1" with orgId (Grafana), got ${JSON.stringify(e.version)}` });
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>;

/** One alert of the payload. */
export const WebhookAlert = z.object({
  status: SignalStatus,
  labels: Pairs,
  annotations: Pairs,
  startsAt: IsoTime,
  /** Alertmanager sends `0001-01-01T00:00:00Z` (Go's zero time) while the alert fires. */
  endsAt: IsoTime.optional(),
  generatorURL: Link.optional(),
  fingerprint: Fingerprint,
  silenceURL: Link.optional(),
  dashboardURL: Link.optional(),
  panelURL: Link.optional(),
  /** Grafana's query values; a value that is not a number (NaN as null) is kept as null. */
  values: z.record(z.string().max(256), z.number().nullable()).nullable().optional(),
});
export type WebhookAlert = z.infer<typeof WebhookAlert>;

/** A plain object whose every own property is a string: what `Pairs` accepts. */
function isPairs(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in value) if (Object.hasOwn(value, k) && typeof (value as Record<string, unknown>)[k] !== 'string') return false;
  return true;
}

/**
 * `WebhookAlert` with its labels and annotations checked in place rather than copied entry by entry (z.record makes
 * a new object and a parse result per entry: a third of what a storm's parsing allocated, bench:alerts). What it
 * accepts, `WebhookAlert` accepts; an alert it refuses is checked again with `WebhookAlert`, whose error names the
 * field (`alerts[3].labels.severity`).
 */
const WebhookAlertFast = WebhookAlert.extend({ labels: z.custom<Record<string, string>>(isPairs), annotations: z.custom<Record<string, string>>(isPairs) });

/** The whole payload (the schema the parts above are checked against, alert by alert). */
export const WebhookPayload = z.object({ ...WebhookEnvelope.shape, alerts: z.array(WebhookAlert) });

/** A signal as one alert of a payload makes it, before the core merges it with what it holds. */
export type IncomingAlert = Omit<Signal, 'incidentId' | 'receivedAt' | 'updatedAt'>;

export interface ParsedAlerts {
  readonly envelope: WebhookEnvelope;
  readonly alerts: readonly IncomingAlert[];
}

const NOT_UTF8 = 'the body is not valid UTF-8';

/** A payload refused: why, and the field (`alerts[3].startsAt`; null when the body is not JSON at all). */
export class PayloadError extends Error {
  constructor(message: string, readonly field: string | null) {
    super(message);
    this.name = 'PayloadError';
  }
}


/**
 * Parse and check a webhook body, alert by alert with a turn of the event loop every few milliseconds, and make
 * each alert a signal's fields (`toIncoming`). Throws `PayloadError` naming the first field that is wrong.
 */
export async function parseAlertPayload(body: BodyBytes): Promise<ParsedAlerts> {
  // Its turn first: many calls arriving together must not all be parsed in one turn of the event loop.
  await nextSlice();
  const bytes = new Bytes(body);
  const split = await splitAlerts(bytes);
  let envelopeValue: unknown;
  let count: number;
  let element: (i: number) => unknown;
  if (split) {
    if (split.envelope === null) throw new PayloadError(NOT_UTF8, null);
    envelopeValue = parseJson(split.envelope, null);
    count = split.count;
    element = (i) => {
      const text = split.element(i);
      if (text === null) throw new PayloadError(`${NOT_UTF8} (in alerts[${i}])`, `alerts[${i}]`);
      return parseJson(text, `alerts[${i}]`);
    };
  } else {
    const text = bytes.text(0, bytes.length);
    if (text === null) throw new PayloadError(NOT_UTF8, null);
    const whole = parseJson(text, null) as { alerts?: unknown } | null;
    envelopeValue = whole;
    const alerts = typeof whole === 'object' && whole !== null ? whole.alerts : undefined;
    if (!Array.isArray(alerts)) throw new PayloadError(alerts === undefined ? 'alerts: required (expected array)' : 'alerts: expected array', 'alerts');
    count = alerts.length;
    element = (i) => alerts[i] as unknown;
  }
  const envelope = WebhookEnvelope.safeParse(envelopeValue);
  if (!envelope.success) throw fieldError(envelope.error, '');
  const out: IncomingAlert[] = [];
  const source = alertSource(envelope.data);
  let turn = performance.now();
  for (let i = 0; i < count; i++) {
    if (i % 4 === 3 && performance.now() - turn >= SLICE_MS) {
      await nextSlice();
      turn = performance.now();
    }
    const raw = element(i);
    const alert = WebhookAlertFast.safeParse(raw);
    if (!alert.success) throw fieldError(WebhookAlert.safeParse(raw).error ?? alert.error, `alerts[${i}]`);
    out.push(toIncoming(alert.data, source));
  }
  return { envelope: envelope.data, alerts: out };
}

/** At most this many labels (or annotations) per signal, each name and value this long (the protocol's `SignalLabels`). */
const MAX_PAIRS = 64;
const MAX_NAME = 256;
const MAX_VALUE = 4096;
/** Names kept first when an alert has more labels than a signal holds. */
const KEEP_FIRST = ['alertname', 'severity', 'priority', 'service', 'job', 'namespace', 'cluster', 'region', 'instance', 'summary', 'description', 'runbook_url'];
/** Before this, a time is Go's zero time or close to it: no real alert ended then. */
const NO_TIME_BEFORE = Date.UTC(1971, 0, 1);

/**
 * One alert as a signal's fields. Monitoring has no limits a client could rely on, a signal has: labels and
 * annotations are bounded (the well-known names kept first, then by name; long values cut with `…`) rather than the
 * whole notification refused, since Alertmanager does not retry a 400 and the alerts would be lost. A link that is
 * not an http(s) URL (an empty `generatorURL`, a `javascript:` one) becomes null or is left out: a client renders
 * these as links. `endsAt` is null while firing; a resolved alert without a usable one ends now.
 */
export function toIncoming(a: WebhookAlert, source: AlertSource, now = Date.now()): IncomingAlert {
  const endsAt = a.endsAt === undefined ? NaN : Date.parse(a.endsAt);
  const silenceURL = webUrl(a.silenceURL);
  const dashboardURL = webUrl(a.dashboardURL);
  const panelURL = webUrl(a.panelURL);
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    labels: bounded(a.labels),
    annotations: bounded(a.annotations),
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: a.status === 'firing' ? null : new Date(Number.isFinite(endsAt) && endsAt >= NO_TIME_BEFORE ? endsAt : now).toISOString(),
    generatorURL: webUrl(a.generatorURL) ?? null,
    ...(silenceURL ? { silenceURL } : {}),
    ...(dashboardURL ? { dashboardURL } : {}),
    ...(panelURL ? { panelURL } : {}),
    ...(a.values ? { values: Object.fromEntries(Object.entries(a.values).slice(0, MAX_PAIRS)) } : {}),
    ...source,
  };
}

/** What every alert of a payload gets from its envelope: where it came from. */
export type AlertSource = Pick<IncomingAlert, 'externalURL' | 'receiver'>;

/** The envelope's `externalURL` (when it is an http(s) URL) and `receiver`, worked out once per payload. */
export function alertSource(envelope: WebhookEnvelope): AlertSource {
  const external = webUrl(envelope.externalURL);
  return { ...(external ? { externalURL: external } : {}), ...(envelope.receiver ? { receiver: envelope.receiver } : {}) };
}

function bounded(pairs: Readonly<Record<string, string>>): Record<string, string> {
  const all = Object.keys(pairs);
  // Within bounds already, as nearly every alert is: the parsed object itself (parsing made it for this alert alone),
  // not a copy. A copy made property by property also takes an object more per signal held than the parsed one.
  if (all.length <= MAX_PAIRS && all.every((n) => n.length >= 1 && n.length <= MAX_NAME && n !== '__proto__' && pairs[n]!.length <= MAX_VALUE)) return pairs as Record<string, string>;
  const names = all.filter((n) => n.length >= 1 && n.length <= MAX_NAME);
  if (names.length > MAX_PAIRS) {
    const rank = (n: string) => {
      const i = KEEP_FIRST.indexOf(n);
      return i < 0 ? KEEP_FIRST.length : i;
    };
    names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    names.length = MAX_PAIRS;
  }
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = pairs[n]!;
    out[n] = v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 1)}…` : v;
  }
  return out;
}

function webUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return WebUrl.safeParse(value).success ? value : undefined;
}

function parseJson(text: string, field: string | null): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PayloadError(`${field ? `${field}: ` : 'the body '}is not valid JSON: ${(e as Error).message}`, field);
  }
}

function fieldError(error: z.ZodError, prefix: string): PayloadError {
  const { field, problem } = zodErrorField(error);
  const where = prefix && field ? `${prefix}.${field}` : prefix || field;
  return new PayloadError(where ? `${where}: ${problem}` : problem, where || null);
}
