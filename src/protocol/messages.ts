import * as z from 'zod';
import { CHANNEL_PATTERN, ERROR_CODES, INCIDENT_ID_PATTERN, Limits, PROTOCOL_VERSION } from './codes';
import {
  ClientEvent, DeclareEvent, EventId, Fingerprint, IsoTime, SequencedEvent, Severity, SignalLabels, SignalStatus, Status, User, WebUrl,
} from './events';
import { describeZodError } from './zodMessage';

export const RequestId = z.string().min(1).max(Limits.requestIdLength);
export const IncidentId = z.string().regex(INCIDENT_ID_PATTERN, 'expected an incident id like INC-7');
export const Channel = z.string().regex(CHANNEL_PATTERN, 'expected a channel name: lowercase letters, digits and dashes, at most 63');
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** What every session learns about an incident without subscribing. */
export const IncidentSummary = z.object({
  id: IncidentId,
  title: z.string(),
  severity: Severity,
  status: Status,
  declaredAt: IsoTime,
  commander: User.nullable(),
  headSeq: Seq,
});
export type IncidentSummary = z.infer<typeof IncidentSummary>;

/**
 * A signal: one alert from monitoring (Alertmanager or Grafana), kept per channel by fingerprint. A later
 * notification for the same fingerprint updates it (firing → resolved, new annotations). `incidentId`: the incident
 * a `signal.linked` event linked it to (the latest link wins), null while none has.
 */
export const Signal = z.object({
  fingerprint: Fingerprint,
  status: SignalStatus,
  labels: SignalLabels,
  annotations: SignalLabels,
  startsAt: IsoTime,
  /** When it resolved; null while firing (Alertmanager's `0001-01-01T00:00:00Z` and a future `endsAt` read as null). */
  endsAt: IsoTime.nullable(),
  generatorURL: WebUrl.nullable(),
  /** Grafana's links (absent from Alertmanager's payload). */
  silenceURL: WebUrl.optional(),
  dashboardURL: WebUrl.optional(),
  panelURL: WebUrl.optional(),
  /** Grafana's query values, e.g. `{ "B": 0.12 }`. */
  values: z.record(z.string().max(256), z.number().nullable()).optional(),
  /** The Alertmanager (or Grafana) that sent it: `externalURL`, and its `receiver`. */
  externalURL: WebUrl.optional(),
  receiver: z.string().max(256).optional(),
  incidentId: z.string().regex(INCIDENT_ID_PATTERN).nullable(),
  /** When this server first heard of it, and last changed it. */
  receivedAt: IsoTime,
  updatedAt: IsoTime,
});
export type Signal = z.infer<typeof Signal>;
export type SignalDigestMessage = z.infer<typeof SignalDigestMessage>;

// ---- client → server ----
export const HelloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  clientId: z.string().min(1).max(64),
  user: User,
  /** Ask for `presence` messages: who else is on the channel (absent: none are sent, as to clients before them). */
  presence: z.boolean().optional(),
  /**
   * Ask for `signalDigest` messages instead of one `signal` per change (absent: `signal` frames, as to clients before
   * digests): at most a few a second, with the channel's counts and the newest changes, so an alert storm costs a
   * sidebar a few kilobytes a second rather than every alert's body.
   */
  signalDigest: z.boolean().optional(),
});
export const SubscribeMessage = z.object({ type: z.literal('subscribe'), incidentId: IncidentId, afterSeq: Seq });
export const UnsubscribeMessage = z.object({ type: z.literal('unsubscribe'), incidentId: IncidentId });
export const DeclareMessage = z.object({ type: z.literal('declare'), requestId: RequestId, event: DeclareEvent });
export const AppendMessage = z.object({ type: z.literal('append'), requestId: RequestId, incidentId: IncidentId, event: ClientEvent });
export const ListMessage = z.object({ type: z.literal('list'), requestId: RequestId });
export const PingMessage = z.object({ type: z.literal('ping'), requestId: RequestId });
/** Ask for the channel's signals: firing first, then recently resolved. */
export const SignalsRequestMessage = z.object({ type: z.literal('signals'), requestId: RequestId });

export const ClientMessage = z.discriminatedUnion('type', [
  HelloMessage, SubscribeMessage, UnsubscribeMessage, DeclareMessage, AppendMessage, ListMessage, PingMessage, SignalsRequestMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type HelloMessage = z.infer<typeof HelloMessage>;
export type AppendMessage = z.infer<typeof AppendMessage>;
export type DeclareMessage = z.infer<typeof DeclareMessage>;

/**
 * Seqs `fromSeq`..`toSeq` of an incident that the server can no longer send (its store lost them), and why. The
 * promise of no gaps is kept by saying so: a client counts them as held and never asks for them again.
 */
export const LostSeqs = z.object({
  fromSeq: Seq.min(1),
  toSeq: Seq.min(1),
  /** One of `LOST_REASONS` today; any short string is accepted so a newer server can say more. */
  reason: z.string().min(1).max(64),
}).refine((l) => l.toSeq >= l.fromSeq, { message: 'toSeq must not be below fromSeq', path: ['toSeq'] });
export type LostSeqs = z.infer<typeof LostSeqs>;

// ---- server → client ----
export const WelcomeMessage = z.object({
  type: z.literal('welcome'), protocol: z.number().int(), channel: Channel, serverTime: IsoTime, incidents: z.array(IncidentSummary),
});
export const EventsMessage = z.object({
  type: z.literal('events'), incidentId: IncidentId, events: z.array(SequencedEvent), headSeq: Seq,
  /** Seqs in the range this frame covers that will never be sent (absent when none are). */
  lost: z.array(LostSeqs).optional(),
});
export const DeclaredMessage = z.object({ type: z.literal('declared'), requestId: RequestId, incidentId: IncidentId, seq: Seq });
export const AckMessage = z.object({
  type: z.literal('ack'), requestId: RequestId, incidentId: IncidentId, eventId: EventId, seq: Seq, duplicate: z.boolean(),
});
export const EventMessage = z.object({ type: z.literal('event'), incidentId: IncidentId, event: SequencedEvent });
export const IncidentMessage = z.object({ type: z.literal('incident'), summary: IncidentSummary });
export const IncidentsMessage = z.object({ type: z.literal('incidents'), requestId: RequestId, items: z.array(IncidentSummary) });
export const PongMessage = z.object({ type: z.literal('pong'), requestId: RequestId, serverTime: IsoTime });
export const ErrorMessage = z.object({
  type: z.literal('error'),
  requestId: RequestId.optional(),
  code: z.enum(ERROR_CODES),
  message: z.string(),
});

/** One responder on the channel: a user id with one or more sessions (windows), since when, last written when. */
export const PresentUser = z.object({
  id: z.string().min(1).max(200), name: z.string().min(1).max(200), since: IsoTime, activeAt: IsoTime, sessions: z.number().int().min(1),
});
export type PresentUser = z.infer<typeof PresentUser>;
/** Who is on the channel now (responders with a writing session; read-only and public sessions are never listed). */
export const PresenceMessage = z.object({ type: z.literal('presence'), users: z.array(PresentUser).max(1000) });
/** A signal of the channel fired, changed, resolved or was linked (to every write and read session of the channel). */
export const SignalMessage = z.object({ type: z.literal('signal'), signal: Signal });
/** How many of the channel's signals fire now, and how many resolved in the last 24 hours (however many are listed). */
const SignalCount = z.number().int().min(0).max(1e9);
/** The answer to `signals`: firing first (newest first), then those resolved recently (newest first). */
export const SignalsMessage = z.object({
  type: z.literal('signals'), requestId: RequestId, items: z.array(Signal),
  /** The channel's counts (a list is capped; servers before digests leave them out). */
  firing: SignalCount.optional(), resolved: SignalCount.optional(),
});
/**
 * What changed among the channel's signals since the last digest to this session (sessions that asked in `hello`):
 * the counts, the newest changes (`items`, newest last), and how many changed signals are not among them
 * (`omitted` > 0: ask `signals` for the list once the storm settles).
 */
export const SignalDigestMessage = z.object({
  type: z.literal('signalDigest'), firing: SignalCount, resolved: SignalCount, items: z.array(Signal).max(1000), omitted: SignalCount,
});

export const ServerMessage = z.discriminatedUnion('type', [
  WelcomeMessage, EventsMessage, DeclaredMessage, AckMessage, EventMessage, IncidentMessage, IncidentsMessage, PongMessage, ErrorMessage,
  PresenceMessage, SignalMessage, SignalsMessage, SignalDigestMessage,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;
export type EventsMessage = z.infer<typeof EventsMessage>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/** Either the parsed value or a one-line error naming the offending field. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Parse JSON (or take an already-parsed value) and validate it against `schema`; errors are one line naming the
 * field. `text` and `value` name the input in the two errors a schema cannot give (not JSON, not an object).
 */
export function parseWith<T>(schema: z.ZodType<T>, raw: string | unknown, text: string, value = text): ParseResult<T> {
  let input: unknown = raw;
  if (typeof raw === 'string') {
    try {
      input = JSON.parse(raw);
    } catch {
      return { ok: false, error: `${text} is not valid JSON` };
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: `${value} must be a JSON object` };
  const parsed = schema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: describeZodError(parsed.error) };
}

const parseFrame = <T>(schema: z.ZodType<T>, raw: string | unknown): ParseResult<T> => parseWith(schema, raw, 'frame', 'message');

/** Parse and validate one client → server frame (a JSON string or an already-parsed value). */
export const parseClientMessage = (raw: string | unknown): ParseResult<ClientMessage> => parseFrame(ClientMessage, raw);
/** Parse and validate one server → client frame (a JSON string or an already-parsed value). */
export const parseServerMessage = (raw: string | unknown): ParseResult<ServerMessage> => parseFrame(ServerMessage, raw);

export { PROTOCOL_VERSION };
