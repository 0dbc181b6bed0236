// `zm`, not `z`: zod/mini is bundled straight into the page, not loaded through the extension's zod vendor chunk
// (scripts/lazyChunks.mjs), whose exports test/unit/packaging/activation.test.ts checks against every `z.` used.
import * as zm from 'zod/mini';
import { SEVERITIES, STATUSES } from '../protocol/vocabulary';

// The stakeholder status page's data (PROTOCOL.md "Status page"): what `status.json` answers and what a `status`
// frame carries. Built with zod/mini so the page's bundle stays small; the server and the page share these schemas.

const Time = zm.iso.datetime({ offset: true });
const Text = (max: number) => zm.string().check(zm.minLength(1), zm.maxLength(max));

/** One external status update, as posted. */
export const StatusUpdateEntry = zm.object({
  /** When it was posted (the event's `at`). */
  postedAt: Time,
  /** The update's text, in full. */
  text: Text(4000),
  /** When the next update was promised by (`update.posted`'s `nextUpdateBy`); null when it promised none. */
  nextUpdateBy: zm.nullable(Time),
  /** When the responders expected the impact to end, as of this update (`update.posted`'s `eta`); null: no estimate. */
  eta: zm.nullable(Time),
});
export type StatusUpdateEntry = zm.infer<typeof StatusUpdateEntry>;

/** One incident as stakeholders see it: no internal notes, guesses, names, roles or code. */
export const StatusIncident = zm.object({
  id: zm.string().check(zm.regex(/^INC-[1-9][0-9]{0,9}$/)),
  title: Text(200),
  severity: zm.enum(SEVERITIES),
  /** What the severity means: its label and criteria (SEVERITY_POLICY). */
  severityLabel: zm.string(),
  severityMeaning: zm.string(),
  status: zm.enum(STATUSES),
  /** Since when the incident has had its current status. */
  statusSince: Time,
  /** When the impact began, as best known: impact start, else detection, else declaration. */
  startedAt: Time,
  declaredAt: Time,
  /** When it was resolved; null while open. */
  resolvedAt: zm.nullable(Time),
  /** The newest external update; null when none was posted yet. */
  latestUpdate: zm.nullable(StatusUpdateEntry),
  /** When the next external update is due (the latest one's promise, or the severity's cadence); null when none is. */
  nextUpdateDue: zm.nullable(Time),
  /** Every external update, newest first (the latest included). */
  updates: zm.array(StatusUpdateEntry),
});
export type StatusIncident = zm.infer<typeof StatusIncident>;

/** A channel's status page: its open incidents (most severe first) and those resolved in the last 72 hours. */
export const StatusPage = zm.object({
  channel: zm.string().check(zm.regex(/^[a-z0-9][a-z0-9-]{0,62}$/)),
  generatedAt: Time,
  open: zm.array(StatusIncident),
  recentlyResolved: zm.array(StatusIncident),
});
export type StatusPage = zm.infer<typeof StatusPage>;

// ---- the wire: what the page reads (it sends `watchStatus`, whose schema the server holds: statusWatch.ts) ----

/** Server → client: the status page; the first one answers `watchStatus` (with its requestId), later ones follow changes. */
export const StatusMessage = zm.object({ type: zm.literal('status'), requestId: zm.optional(zm.string()), page: StatusPage });
export type StatusMessage = zm.infer<typeof StatusMessage>;

/** What the page reads of the other server frames: `welcome` and `error` (the rest it ignores). */
export const PageErrorMessage = zm.object({ type: zm.literal('error'), requestId: zm.optional(zm.string()), code: zm.string(), message: zm.string() });
