/** Protocol version spoken by this build (PROTOCOL.md "version 1"). */
export const PROTOCOL_VERSION = 1;

/** WebSocket close codes of PROTOCOL.md, shared by server and client. */
export const CloseCode = {
  /** Server shutting down; clients reconnect. */
  GoingAway: 1001,
  /** Frame above the maximum size. */
  TooBig: 1009,
  /** Protocol error: first message not hello, unsupported version. */
  ProtocolError: 4400,
  /** The peer's outbound buffer exceeded the server's bound. */
  TooSlow: 4408,
  /** Rate limit exceeded repeatedly. */
  RateLimited: 4429,
  /** The session's token may not speak for the user id of its hello (a tokens-file entry pins its users). */
  Forbidden: 4403,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Error codes carried by `error` messages. */
export const ERROR_CODES = ['invalid_message', 'unknown_incident', 'rate_limited', 'too_large', 'forbidden', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Why the server says seqs are lost (`lost` in an `events` message). A client shows reasons it does not know as
 * plain "lost", so new ones can be added.
 */
export const LOST_REASONS = ['storage_damage'] as const;
export type LostReason = (typeof LOST_REASONS)[number];

/** Size and length limits of PROTOCOL.md. */
export const Limits = {
  maxFrameBytes: 256 * 1024,
  requestIdLength: 64,
  titleLength: 200,
  symptomLength: 2000,
  noteLength: 8000,
  snippetBytes: 16 * 1024,
  updateLength: 4000,
  detailLength: 8000,
  /** Not in the v1 table: generous bounds so no free-text field is unbounded. */
  shortTextLength: 2000,
  nameLength: 200,
} as const;

/** Channel names: `^[a-z0-9][a-z0-9-]{0,62}$`. */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Incident ids are assigned by the server per channel: INC-1, INC-2, … */
export const INCIDENT_ID_PATTERN = /^INC-[1-9][0-9]{0,9}$/;
