/**
 * The flags node runs the channel server with, wherever it is started: package.json `start`, deploy/systemd, the
 * README's container (and, through NODE_OPTIONS, the npm bin); the demo, the benches and the tests start it so too.
 *
 * `--max-semi-space-size=4`: a young generation of 4 MB semi-spaces instead of V8's default, which grows to 16 MB
 * under load. A scavenge copies what survived since the last one, so its pause grows with the semi-space, and an
 * alert storm (thousands of signals kept, each surviving) filled 16 MB semi-spaces with enough survivors for pauses
 * of 7 to 13 ms, each holding every live event behind it. bench:alerts, 18 and 19 alternated runs on the 2-core
 * bench machine: the storm's live p99 7.4 to 12.1 ms (median 9.5) with 4 MB, 8.7 to 15.1 ms (median 10.8) with the
 * default, the quiet p99 the same (medians 4.9 and 4.8 ms); the storm's turns over 6 ms held 0 to 22 ms of GC with
 * 4 MB, 24 to 54 ms with the default. It costs more, shorter scavenges (the storm's GC time 98 to 136 ms against 69
 * to 86 ms; bench:channel's throughput within 2%) and keeps the young generation 24 MB smaller. (2 MB was worse than
 * either, 8 to 13 ms: objects promoted before they die make the old generation's marking the pause.)
 *
 * `--v8-pool-size=1`: one V8 worker thread (concurrent marking, the scavenger's helper, optimizing compiles) instead
 * of node's four, whatever the machine. The server's work is one thread's, its heap tens of MB: one helper keeps up,
 * and four of them runnable at once (a scavenge's parallel tasks, marking, a compile) competed with the main thread
 * for the cores, every live event waiting while it was off a core. bench:alerts, 14 alternated pairs on the 2-core
 * bench machine (one trial each): the storm's GC pauses 89 to 95 ms against 106 to 119 ms in all 6 pairs of the first
 * batch, the storm's live p99 a median 9.2 against 9.5 ms and 9.7 against 10.6 ms in two batches; bench:alerts:cost
 * (median of 4): the storm's server CPU 0.68 against 0.74 s, its longest scavenge 4.7 against 5.3 ms.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--v8-pool-size=1'];

/**
 * Of `SERVER_NODE_FLAGS`, those this process was not started with (on its command line or in NODE_OPTIONS), by
 * name: a deployment that sets its own `--max-semi-space-size` or `--v8-pool-size` has chosen.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return SERVER_NODE_FLAGS.filter((f) => !given.has(flagName(f)));
}

/** `--max-semi-space-size` of `--max-semi-space-size=4`; V8 takes `_` for `-` in a flag's name. */
function flagName(flag: string): string {
  const name = flag.split('=')[0]!;
  return `--${name.slice(2).replaceAll('_', '-')}`;
}
