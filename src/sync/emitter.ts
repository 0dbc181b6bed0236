/** Something that can be released; matches vscode.Disposable so the extension can own it directly. */
export interface Disposable {
  dispose(): void;
}

/** A subscribe function in VS Code's style: `onDidX(listener) → Disposable`. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/** A small typed event emitter for code that must not import vscode. */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        // One faulty listener must not stop the others (or the socket loop that fired the event).
        console.error('Incident Room: listener failed', error);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
