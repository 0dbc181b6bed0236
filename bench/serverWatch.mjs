// Preloaded into the channel server by bench/alertStorm.mjs (node --import): where the server's event loop stood
// still, so the bench can say what a latency phase's p99 is made of. It records, in absolute milliseconds
// (performance.timeOrigin + now), every garbage collection pause (PerformanceObserver 'gc') and every gap of more than
// STALL_MS between two ticks of a 2 ms interval (a turn of the loop that held it that long, GC or not), and writes them
// as JSON to $IR_BENCH_WATCH_FILE when the server exits. Not part of the server: only the bench loads it.
import fs from 'node:fs';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.IR_BENCH_WATCH_FILE;
if (file) {
  const STALL_MS = 6;
  const TICK_MS = 2;
  const origin = performance.timeOrigin;
  const KINDS = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
  };
  const gc = [];
  const stalls = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push({ at: round(origin + e.startTime), ms: round(e.duration), kind: KINDS[e.detail?.kind] ?? String(e.detail?.kind) });
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > STALL_MS) stalls.push({ at: round(origin + last), ms: round(now - last - TICK_MS) });
    last = now;
  }, TICK_MS).unref();
  process.on('exit', () => fs.writeFileSync(file, JSON.stringify({ stallMs: STALL_MS, gc, stalls })));
}

function round(x) {
  return Math.round(x * 100) / 100;
}
