/** "now", "15m ago", "2h ago" or an ISO time → Date; null when not understood. */
export function parseWhen(value: string, now: Date): Date | null {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'now') return now;
  const rel = /^(\d+)\s*(m|min|h|hr)\s*ago$/.exec(v);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * (rel[2]?.startsWith('h') ? 3_600_000 : 60_000));
  const t = Date.parse(value.trim());
  return Number.isNaN(t) ? null : new Date(t);
}
