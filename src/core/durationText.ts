/**
 * A span of minutes in words a tired reader cannot misread (`00:26` could be hours or minutes): `0m`, `26m`,
 * `1h 05m`, `2d 3h`. The sidebar's elapsed clock, its "update in …" and the status bar all say it this way.
 */
export function durationText(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Time since `fromMs`, whole minutes: `1h 12m`. */
export const elapsedText = (fromMs: number, now: number): string => durationText((now - fromMs) / 60_000);

/** `1 commit`, `10 commits`, `10+ commits` (a count that may be more than shown): never `commit(s)`. */
export function countText(n: number, noun: string, options: { more?: boolean; plural?: string } = {}): string {
  return `${n}${options.more ? '+' : ''} ${n === 1 && !options.more ? noun : options.plural ?? `${noun}s`}`;
}
