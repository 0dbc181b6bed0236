import * as z from 'zod/mini';
import { SEVERITIES, STATUSES } from '../protocol/vocabulary';

// The stakeholder status page's data (PROTOCOL.md "Status page"): what `status.json` answers and what a `status`
// frame carries. Built with zod/mini so the page's bundle stays small; the server and the page share these schemas.

const Time = z.iso.datetime({ offset: true });
const Text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** One external status update, as posted. */
export const StatusUpdateEntry = z.object({
  /** When it was posted (the event's `at`). */
  postedAt: Time,
  /** The update's text, in full. */
  text: Text(4000),
  /** When the next update was promised by (`update.posted`'s `nextUpdateBy`); null when it promised none. */
  nextUpdateBy: z.nullable(Time),
});
export type StatusUpdateEntry = z.infer<typeof StatusUpdateEntry>;

/** One incident as stakeholders see it: no internal notes, guesses, names, roles or code. */
export const StatusIncident = z.object({
  id: z.string().check(z.regex(/^INC-[1-9][0-9]{0,9}$/)),
  title: Text(200),
  severity: z.enum(SEVERITIES),
  /** What the severity means: its label and criteria (SEVERITY_POLICY). */
  severityLabel: z.string(),
  severityMeaning: z.string(),
  status: z.enum(STATUSES),
  /** Since when the incident has had its current status. */
  statusSince: Time,
  /** When the impact began, as best known: impact start, else detection, else declaration. */
  startedAt: Time,
  declaredAt: Time,
  /** When it was resolved; null while open. */
  resolvedAt: z.nullable(Time),
  /** The newest external update; null when none was posted yet. */
  latestUpdate: z.nullable(StatusUpdateEntry),
  /** When the next external update is due (the latest one's promise, or the severity's cadence); null when none is. */
  nextUpdateDue: z.nullable(Time),
  /** Every external update, newest first (the latest included). */
  updates: z.array(StatusUpdateEntry),
});
export type StatusIncident = z.infer<typeof StatusIncident>;

/** A channel's status page: its open incidents (most severe first) and those resolved in the last 72 hours. */
export const StatusPage = z.object({
  channel: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/)),
  generatedAt: Time,
  open: z.array(StatusIncident),
  recentlyResolved: z.array(StatusIncident),
});
export type StatusPage = z.infer<typeof StatusPage>;

// ---- the wire: one client message and one server message beside PROTOCOL.md's v1 set ----

/** Client → server: send me the channel's status page now and whenever it changes. */
export const WatchStatusMessage = z.object({ type: z.literal('watchStatus'), requestId: z.string().check(z.minLength(1), z.maxLength(64)) });
export type WatchStatusMessage = z.infer<typeof WatchStatusMessage>;

/** Server → client: the status page; the first one answers `watchStatus` (with its requestId), later ones follow changes. */
export const StatusMessage = z.object({ type: z.literal('status'), requestId: z.optional(z.string()), page: StatusPage });
export type StatusMessage = z.infer<typeof StatusMessage>;

/** What the page reads of the other server frames: `welcome` and `error` (the rest it ignores). */
export const PageErrorMessage = z.object({ type: z.literal('error'), requestId: z.optional(z.string()), code: z.string(), message: z.string() });
