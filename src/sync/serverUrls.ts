/**
 * The URLs of `incidentRoom.server.url`: one, or several separated by commas or whitespace (replicas of one channel
 * server, tried in order). No imports: the extension reads it at activation.
 */
export function serverUrls(setting: string): string[] {
  return setting.split(/[\s,]+/).filter((u) => u !== '');
}

/** One key for a server setting however it is spaced: outbox folders and stored tokens are keyed by it. */
export const serverKey = (setting: string): string => serverUrls(setting).join(',');
