// Timing for the benches: medians over interleaved runs, so load from other processes on a shared machine falls on
// every measured function alike.

export const round = (n) => Math.round(n * 10) / 10;

/** Run the functions in turn after `warmup` rounds, alternating their order each round; median, p90, min of each. */
export async function timeInterleaved(fns, runs, warmup = 3) {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = fns.map((_, k) => k);
    if (i % 2 === 1) order.reverse();
    for (const k of order) {
      const t = performance.now();
      await fns[k]();
      samples[k].push(performance.now() - t);
    }
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return { medianMs: round(q(0.5)), p90Ms: round(q(0.9)), minMs: round(s[0]), runs };
  });
}

/** One function, timed as above. */
export async function time(fn, runs, warmup = 3) {
  return (await timeInterleaved([fn], runs, warmup))[0];
}
