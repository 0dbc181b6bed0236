import type { StatusUpdate } from './incidentState';

/** The ETA in force and where it came from: the latest update that gave one, and the one before it if it moved. */
export interface EtaView {
  readonly eta: string;
  /** When the update that gave it was posted. */
  readonly givenAt: string;
  /** The ETA it replaced, when a later update moved it (undefined when it was the first or restated the same). */
  readonly movedFrom?: string;
}

/**
 * The ETA as of the updates up to (not including) `beforeSeq`: the latest one given. An update that gives none
 * leaves the last estimate standing (it said nothing about it), so an internal note does not wipe the estimate.
 */
export function currentEta(updates: readonly StatusUpdate[], beforeSeq = Infinity): EtaView | undefined {
  let latest: StatusUpdate | undefined;
  let previous: StatusUpdate | undefined;
  for (const u of updates) {
    if (u.seq >= beforeSeq || !u.eta) continue;
    previous = latest;
    latest = u;
  }
  if (!latest?.eta) return undefined;
  const movedFrom = previous?.eta && etaMoved(previous.eta, latest.eta) ? previous.eta : undefined;
  return { eta: latest.eta, givenAt: latest.at, ...(movedFrom ? { movedFrom } : {}) };
}

/** Whether `next` moves the estimate `previous`: a different minute (seconds are noise from "30m" typed a bit later). */
export function etaMoved(previous: string | undefined, next: string | undefined): boolean {
  if (!previous || !next) return false;
  return Math.floor(Date.parse(previous) / 60_000) !== Math.floor(Date.parse(next) / 60_000);
}

/** `15:30 UTC`: the time of an ETA as drafts and the timeline say it (one zone for every reader of the channel). */
export function etaClock(iso: string): string {
  return `${new Date(iso).toISOString().slice(11, 16)} UTC`;
}
