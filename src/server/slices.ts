import { performance } from 'node:perf_hooks';

/**
 * Background work on the server (an alert storm: parsing bodies, merging alerts) shares the event loop with the
 * channel's live events by taking turns. Each piece of work runs for a slice of a few milliseconds, then waits here,
 * and one waiting piece resumes per turn of the event loop, whoever it belongs to.
 *
 * Yielding with `setImmediate` alone was not enough: every piece yielded at once resumed in the same turn, so 30
 * webhook calls being parsed held the loop for 30 slices (over 100 ms) between two reads of the live sockets, and
 * bench:alerts had the live events' p99 at 245 ms during a storm on a memory store. Taking turns bounds that to one
 * slice per turn, however many calls arrive together.
 */
const waiting: (() => void)[] = [];
let scheduled = false;
/** The longest a slice goes on (each caller checks its own clock: parsing, merging). */
export const SLICE_MS = 2;
/**
 * And this long at least passes between the start of one slice and the next (`SLICE_MS` of work, then three times
 * as long for everything else): in a storm, background work has at most a quarter of the server's time, the live
 * events the rest. The share matters to the machine as much as to the loop: a storm that takes a whole core slows
 * every process on it. bench:alerts (2 cores, 100 subscribers at 300 events/s, a 10,000-alert storm on a memory
 * store): live p99 during the storm 245 ms with every ingest yielding on its own, 104 ms taking turns, 61 ms with a
 * quarter of the time; the storm's 5,000-alert call was answered in 1.3 s, its 100 small calls in up to 3 s.
 * Slices of 2 ms rather than 4 (the same quarter, in smaller pieces, each caller looking at its clock more often):
 * the storm is taken in half the time (its 100 small calls all answered in 2.1 s where they took 3.7 s, every signal
 * told 2.9 s after the storm began where it was 4.9 s), with the live events' p99 where it was (2.6× the quiet one).
 */
const SLICE_PERIOD_MS = 4 * SLICE_MS;
let lastResumedAt = -Infinity;

/** Resolves in a later turn of the event loop, when it is this caller's turn (first come, first served). */
export function nextSlice(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}

/** How many pieces of work wait for a slice (for tests and metrics). */
export function slicesWaiting(): number {
  return waiting.length;
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  later();
}

/**
 * `resumeOne` in a later turn, no sooner than the period allows (a timer may fire a little early: checked again).
 * Always from the check phase (`setImmediate`), after the turn's poll phase has read the sockets: a timer's callback
 * runs before the poll phase, so when a slice overran the period (or the process was not run for a while) the next
 * piece, resumed straight from its timer, ran right after the last one with no read of the sockets in between.
 */
function later(): void {
  const wait = lastResumedAt + SLICE_PERIOD_MS - performance.now();
  if (wait > 0) setTimeout(() => setImmediate(resumeOne), Math.ceil(wait));
  else setImmediate(resumeOne);
}

function resumeOne(): void {
  if (lastResumedAt + SLICE_PERIOD_MS - performance.now() > 0) return later();
  scheduled = false;
  lastResumedAt = performance.now();
  const next = waiting.shift();
  // Scheduled from here, the next one runs in a later turn (after the period): live sockets are read in between.
  if (waiting.length > 0) schedule();
  next?.();
}
