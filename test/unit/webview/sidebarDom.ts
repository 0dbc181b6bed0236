// The sidebar's webview code (src/webview/main.ts) running on a happy-dom document in plain Node: the same module
// esbuild bundles into dist/webview.js, loaded once with a stand-in for VS Code's webview shell. States arrive as the
// host sends them (a `message` event on the window), what the webview posts back is recorded, and time moves only
// when a test ticks it.
import type { Window as HappyWindow } from 'happy-dom' with { 'resolution-mode': 'import' };
import type { HostToWebview, SidebarState, TimelineEntryView, WebviewToHost } from '../../../src/protocol/webviewMessages';

/** The running sidebar: post states and pages to it, read its DOM, see what it asked the host. */
export interface Sidebar {
  readonly root: HTMLElement;
  readonly document: Document;
  /** Every message the webview posted to the host, oldest first. */
  readonly posted: WebviewToHost[];
  /** What it keeps with VS Code's setState (reload survival). */
  readonly saved: unknown[];
  /** Deliver a state as the host does (a structured clone, as VS Code's postMessage delivers it). */
  state(state: SidebarState): void;
  /** Deliver a page of older timeline entries. */
  page(incidentId: string, offset: number, entries: TimelineEntryView[]): void;
  /** Deliver anything, typed or not (the webview must ignore what is not the host's). */
  raw(data: unknown): void;
  /** The once-a-second tick (elapsed times, due times). */
  tick(): void;
  /** The webview's clock from now on (Date.now while it renders and ticks); undefined: the real one. */
  setNow(ms: number | undefined): void;
  /** The user scrolls the end of the timeline into view. */
  scrollToEnd(): void;
  /** Commands posted since `from` (index into `posted`). */
  commands(from?: number): { command: string; args?: unknown }[];
  /** Close the window and restore Node's globals. */
  close(): Promise<void>;
}

type Installed = Record<string, PropertyDescriptor | undefined>;

function install(values: Record<string, unknown>): Installed {
  const saved: Installed = {};
  for (const [name, value] of Object.entries(values)) {
    saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true, enumerable: false });
  }
  return saved;
}

function restore(saved: Installed): void {
  for (const [name, descriptor] of Object.entries(saved)) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else delete (globalThis as Record<string, unknown>)[name];
  }
}

interface Observed { callback: (entries: { isIntersecting: boolean; target: unknown }[]) => void; targets: { isConnected: boolean }[] }

let open: Sidebar | undefined;

// happy-dom is an ES module; this CommonJS test file loads it with require() (tsx, and Node >= 20.19 as well).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Window } = require('happy-dom') as { Window: typeof HappyWindow };

const MAIN = '../../../src/webview/main';

/**
 * Load src/webview/main.ts on a fresh document (one at a time: the module keeps its state and its #root, so it is
 * loaded anew for each sidebar). Close it when done.
 */
export function openSidebar(): Sidebar {
  if (open) throw new Error('one sidebar at a time: close the previous one');
  const window = new Window({ url: 'https://webview.invalid/', settings: { disableJavaScriptFileLoading: true, disableCSSFileLoading: true } });
  const document = window.document as unknown as Document;
  document.body.innerHTML = '<div id="root"></div>';
  const posted: WebviewToHost[] = [];
  const saved: unknown[] = [];
  const observed: Observed[] = [];
  let ticker: (() => void) | undefined;
  // happy-dom lays nothing out, so its IntersectionObserver never reports; this one reports when the test scrolls.
  class ScrollObserver {
    private readonly entry: Observed;
    constructor(callback: Observed['callback']) {
      this.entry = { callback, targets: [] };
      observed.push(this.entry);
    }
    observe(target: { isConnected: boolean }): void { this.entry.targets.push(target); }
    unobserve(): void {}
    disconnect(): void { this.entry.targets = []; }
  }
  const globals = install({
    window, document, IntersectionObserver: ScrollObserver,
    requestAnimationFrame: (cb: (t: number) => void) => window.requestAnimationFrame(cb),
    acquireVsCodeApi: () => ({
      postMessage: (m: WebviewToHost) => { posted.push(JSON.parse(JSON.stringify(m)) as WebviewToHost); },
      getState: () => saved.at(-1),
      setState: (s: unknown) => { saved.push(JSON.parse(JSON.stringify(s))); },
    }),
  });
  // The module's 1 s interval would keep mocha's process alive: keep the callback, the test ticks it.
  const timers = install({ setInterval: (fn: () => void) => { ticker = fn; return 0; } });
  try {
    // Loaded here, not imported: its top level needs the document above.
    delete require.cache[require.resolve(MAIN)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(MAIN);
  } finally {
    restore(timers);
  }
  let now: number | undefined;
  const at = (fn: () => void) => {
    if (now === undefined) return fn();
    const real = Date.now;
    const fixed = now;
    Date.now = () => fixed;
    try {
      fn();
    } finally {
      Date.now = real;
    }
  };
  const deliver = (data: unknown) => at(() => { window.dispatchEvent(new window.MessageEvent('message', { data: structuredClone(data) })); });
  open = {
    root: document.getElementById('root') as HTMLElement,
    document,
    posted,
    saved,
    state: (state) => deliver({ type: 'state', state } satisfies HostToWebview),
    page: (incidentId, offset, entries) => deliver({ type: 'timelinePage', incidentId, offset, entries } satisfies HostToWebview),
    raw: deliver,
    tick: () => at(() => ticker?.()),
    setNow: (ms) => { now = ms; },
    scrollToEnd: () => {
      for (const o of observed) {
        const target = o.targets.find((t) => t.isConnected);
        if (target) o.callback([{ isIntersecting: true, target }]);
      }
    },
    commands: (from = 0) => posted.slice(from).flatMap((m) => (m.type === 'command' ? [{ command: m.command, ...(m.args === undefined ? {} : { args: m.args }) }] : [])),
    close: async () => {
      open = undefined;
      await window.happyDOM.close();
      restore(globals);
    },
  };
  return open;
}
