// Preloaded into the channel server by bench/alertStorm.mjs (node --import): where the server's event loop stood
// still, so the bench can say what a latency phase's p99 is made of. It records, in absolute milliseconds
// (performance.timeOrigin + now), every garbage collection pause (PerformanceObserver 'gc') and every gap of more than
// STALL_MS between two ticks of a 2 ms interval (a turn of the loop that held it that long, GC or not), and writes them
// as JSON to $IR_BENCH_WATCH_FILE when the server exits. Not part of the server: only the bench loads it.
// Where Linux has /proc/<pid>/task/<pid>/schedstat, each gap also says how long of it the main thread ran (`ranMs`)
// and how long it was ready but waited for a core (`waitedMs`: descheduled, the machine busy with other work).
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
  const sched = schedstat();
  let last = performance.now();
  let lastSched = sched?.read();
  setInterval(() => {
    const now = performance.now();
    const nowSched = sched?.read();
    if (now - last > STALL_MS) {
      const stall = { at: round(origin + last), ms: round(now - last - TICK_MS) };
      if (nowSched && lastSched) Object.assign(stall, { ranMs: round(nowSched.ranMs - lastSched.ranMs), waitedMs: round(nowSched.waitedMs - lastSched.waitedMs) });
      stalls.push(stall);
    }
    last = now;
    lastSched = nowSched;
  }, TICK_MS).unref();
  process.on('exit', () => fs.writeFileSync(file, JSON.stringify({ stallMs: STALL_MS, gc, stalls })));
}

/** The main thread's time on a core and waiting for one (ms), from /proc; null where there is no such file. */
function schedstat() {
  let fd;
  try {
    fd = fs.openSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'r');
  } catch {
    return null;
  }
  const buf = Buffer.alloc(128);
  return {
    read() {
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const [ran, waited] = buf.toString('latin1', 0, n).split(' ');
      return { ranMs: Number(ran) / 1e6, waitedMs: Number(waited) / 1e6 };
    },
  };
}

function round(x) {
  return Math.round(x * 100) / 100;
}
