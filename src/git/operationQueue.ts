/** Whether an operation only reads the repository (may run alongside other reads) or changes it (runs alone). */
export type OperationKind = 'read' | 'mutate';

/** What {@link OperationQueue.state} reports: the changing operation running and the operations waiting, by name. */
export interface QueueState {
  running: string | undefined;
  waiting: readonly string[];
}

interface Entry {
  name: string;
  kind: OperationKind;
  start: () => void;
}

/**
 * The operation queue of one repository (held by its {@link GitRepository}), in the manner of VS Code git's
 * `Repository.run`: reads run together; an operation that changes the repository waits for the reads under way
 * and runs alone, and whatever arrives after it waits until it has finished, so a read never sees a rollback
 * half done and two changes never interleave. First come, first served: a waiting change is not overtaken by
 * reads that arrive after it. A failure propagates to the caller and does not block the queue.
 */
export class OperationQueue {
  private readonly pending: Entry[] = [];
  private readonly reads: string[] = [];
  private readonly mutateListeners = new Set<{ listener: (operation: string) => void }>();
  private mutation: string | undefined;

  /** `onDidMutate`: called after each changing operation ends, however it ended (the owner drops its caches). */
  constructor(onDidMutate?: (operation: string) => void) {
    if (onDidMutate) this.onDidMutate(onDidMutate);
  }

  /**
   * Also call `listener` after each changing operation ends, however it ended. The queue of a root outlives the
   * {@link GitRepository} objects that use it (close and reopen): each one listens while it is open.
   */
  onDidMutate(listener: (operation: string) => void): { dispose(): void } {
    const entry = { listener };
    this.mutateListeners.add(entry);
    return { dispose: () => this.mutateListeners.delete(entry) };
  }

  /** Run `fn` as a changing operation (exclusive). */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.enqueue(operation, 'mutate', fn);
  }

  /** Run `fn` as a read (concurrent with other reads, never with a change). */
  read<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.enqueue(operation, 'read', fn);
  }

  enqueue<T>(operation: string, kind: OperationKind, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        if (kind === 'mutate') this.mutation = operation;
        else this.reads.push(operation);
        let result: Promise<T>;
        try {
          result = fn();
        } catch (e) {
          result = Promise.reject(e);
        }
        // The queue's state is updated before the caller resumes: to it, a finished operation is gone.
        result.then(
          (value) => {
            this.finish(operation, kind);
            resolve(value);
          },
          (error: unknown) => {
            this.finish(operation, kind);
            reject(error);
          },
        );
      };
      this.pending.push({ name: operation, kind, start });
      // Started from a microtask, never inside the caller's own call: what a caller queues in one go is all
      // listed as waiting, and runs in that order.
      queueMicrotask(() => this.pump());
    });
  }

  /** The changing operation running (reads are in {@link reading}) and those waiting, in order. */
  get state(): QueueState {
    return { running: this.mutation, waiting: this.pending.map((e) => e.name) };
  }

  /** The reads running now. */
  get reading(): readonly string[] {
    return [...this.reads];
  }

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return this.mutation === undefined && this.reads.length === 0 && this.pending.length === 0;
  }

  private finish(operation: string, kind: OperationKind): void {
    if (kind === 'mutate') {
      this.mutation = undefined;
      for (const { listener } of [...this.mutateListeners]) {
        try {
          listener(operation);
        } catch {
          // The owner's cache reset must not wedge the queue.
        }
      }
    } else {
      this.reads.splice(this.reads.indexOf(operation), 1);
    }
    this.pump();
  }

  private pump(): void {
    while (this.mutation === undefined) {
      const next = this.pending[0];
      if (!next) return;
      if (next.kind === 'mutate' && this.reads.length > 0) return;
      this.pending.shift();
      next.start();
      if (next.kind === 'mutate') return;
    }
  }
}
