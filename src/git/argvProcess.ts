import { spawn } from 'node:child_process';

/** How a command run by {@link runArgv} ended. */
export interface ArgvResult {
  /** Exit code, or null when it was killed or could not start. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Ended by the AbortSignal. */
  cancelled: boolean;
  /** Set when the program could not be started (not found, not executable). */
  spawnError?: string;
  /** The last bytes of its output (stdout and stderr interleaved), for the timeline and logs. */
  outputTail: string;
  durationMs: number;
}

export interface RunArgvOptions {
  cwd: string;
  /** Environment; default the extension host's own. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called with each chunk of output as it arrives. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** After an abort, wait this long for SIGTERM to work before SIGKILL (default 5 s). */
  killGraceMs?: number;
  /** How much output to keep in `outputTail` (default 4000 characters). */
  tailChars?: number;
}

/**
 * Run an argv with no shell: `argv[0]` is the program, every other element reaches it as exactly one argument,
 * whatever characters it holds. The extension uses this wherever it runs a command outside a VS Code task.
 * Never rejects: failure to start is reported in `spawnError`.
 */
export function runArgv(argv: readonly string[], options: RunArgvOptions): Promise<ArgvResult> {
  const started = Date.now();
  const tailChars = options.tailChars ?? 4000;
  let tail = '';
  const keep = (s: string) => {
    tail = (tail + s).slice(-tailChars);
  };
  return new Promise<ArgvResult>((resolve) => {
    const [program, ...args] = argv;
    const done = (r: Omit<ArgvResult, 'outputTail' | 'durationMs'>) => resolve({ ...r, outputTail: tail, durationMs: Date.now() - started });
    if (!program) {
      done({ exitCode: null, signal: null, cancelled: false, spawnError: 'empty command' });
      return;
    }
    if (options.signal?.aborted) {
      done({ exitCode: null, signal: null, cancelled: true });
      return;
    }
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(program, args, { cwd: options.cwd, env: options.env ?? process.env, shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = () => {
      cancelled = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 5000);
      killTimer.unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        keep(chunk);
        options.onOutput?.(chunk, stream);
      });
    }
    let spawnError: string | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code === 'ENOENT' ? `${program}: command not found` : e.code === 'EACCES' ? `${program}: permission denied` : e.message;
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      // A program that never started reports a negative errno as its code: not an exit code.
      const r: Omit<ArgvResult, 'outputTail' | 'durationMs'> = { exitCode: spawnError ? null : code, signal, cancelled };
      if (spawnError) r.spawnError = spawnError;
      done(r);
    });
  });
}
