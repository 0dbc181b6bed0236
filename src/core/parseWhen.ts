/**
 * An estimate ahead of `now`: "30m", "2h", "1h 30m", "in 45m", a wall-clock time "15:30" (this machine's zone; "15:30
 * UTC" in UTC; the next one to come, so "01:00" late at night is tomorrow) or an ISO time → Date; undefined for an
 * empty answer (no estimate); null when not understood or not in the future.
 */
export function parseEta(value: string, now: Date): Date | null | undefined {
  const v = value.trim().toLowerCase().replace(/^in\s+/, '');
  if (v === '' || v === 'unknown' || v === '?') return undefined;
  const rel = /^(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:ins?|inutes?)?)?$/.exec(v);
  if (rel && (rel[1] || rel[2])) return new Date(now.getTime() + Number(rel[1] ?? 0) * 3_600_000 + Number(rel[2] ?? 0) * 60_000);
  const clock = /^(?:at\s+)?([01]?\d|2[0-3]):([0-5]\d)\s*(utc|z)?$/.exec(v);
  if (clock) {
    const [h, m, utc] = [Number(clock[1]), Number(clock[2]), !!clock[3]];
    const at = new Date(now);
    if (utc) at.setUTCHours(h, m, 0, 0);
    else at.setHours(h, m, 0, 0);
    if (at.getTime() <= now.getTime()) at.setTime(at.getTime() + 24 * 3_600_000);
    return at;
  }
  const t = Date.parse(value.trim());
  return Number.isNaN(t) || t <= now.getTime() ? null : new Date(t);
}

/**
 * A time behind `now`: "now", "15m ago", "15 mins ago", "2 hours ago", "1h 30m ago" (the units `parseEta` reads) or
 * an ISO time → Date; null when not understood.
 */
export function parseWhen(value: string, now: Date): Date | null {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'now') return now;
  const rel = /^(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:ins?|inutes?)?)?\s*ago$/.exec(v);
  if (rel && (rel[1] || rel[2])) return new Date(now.getTime() - Number(rel[1] ?? 0) * 3_600_000 - Number(rel[2] ?? 0) * 60_000);
  const t = Date.parse(value.trim());
  return Number.isNaN(t) ? null : new Date(t);
}
