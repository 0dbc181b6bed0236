/** The message of a thrown value, for a log line (never sent to a client). */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
