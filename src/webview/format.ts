/** `HH:MM` elapsed since `from` (hours keep counting past 24). */
export function elapsed(fromIso: string, now: number): string {
  const ms = Math.max(0, now - Date.parse(fromIso));
  const totalMin = Math.floor(ms / 60_000);
  return `${String(Math.floor(totalMin / 60)).padStart(2, '0')}:${String(totalMin % 60).padStart(2, '0')}`;
}

/** `in 4m`, `overdue 3m`, `in 1h 05m`. */
export function dueIn(dueIso: string, now: number): string {
  const ms = Date.parse(dueIso) - now;
  const min = Math.ceil(Math.abs(ms) / 60_000);
  const text = min >= 60 ? `${Math.floor(min / 60)}h ${String(min % 60).padStart(2, '0')}m` : `${min}m`;
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
