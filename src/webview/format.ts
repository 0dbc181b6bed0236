import { durationText, elapsedText } from '../core/durationText';

/** Time since detection: `26m`, `1h 12m`, `2d 3h`. */
export const elapsed = (fromIso: string, now: number): string => elapsedText(Date.parse(fromIso), now);

/** `in 4m`, `overdue 3m`, `in 1h 05m`. */
export function dueIn(dueIso: string, now: number): string {
  const ms = Date.parse(dueIso) - now;
  const text = durationText(Math.ceil(Math.abs(ms) / 60_000));
  return ms < 0 ? `overdue ${text}` : `in ${text}`;
}

// One formatter each: building an Intl formatter per call (toLocaleTimeString) costs more than the row it labels.
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** Local wall-clock time `14:02` (with the date when not today). */
export function clock(iso: string, now: number): string {
  const d = new Date(iso);
  const t = timeFormat.format(d);
  const today = new Date(now);
  const sameDay = today.getFullYear() === d.getFullYear() && today.getMonth() === d.getMonth() && today.getDate() === d.getDate();
  return sameDay ? t : `${dayFormat.format(d)} ${t}`;
}
