// The sidebar webview rendering a big incident, for npm run bench:extension.
//
// dist/webview.js runs in Debian's Chromium (playwright-core, headless) on a page built like the real webview
// (IncidentViewProvider.html: the same CSP with a nonce script, #root, dist/codicons/codicon.css and
// media/sidebar.css), served over http from a local server. VS Code's webview shell is replaced by a stand-in
// acquireVsCodeApi that records what the webview posts and, like the real one
// (vs/workbench/contrib/webview/browser/pre/index.html), JSON-stringifies the state handed to setState.
// The host's post is window.postMessage({type:'state', state}) (a structured clone, as VS Code delivers it).
//
// Per sample we read (a) the webview's own `rendered.ms` and (b) wall time from postMessage to the first
// timeline entry in the DOM, to the next animation frame, and to the task after that frame (the frame with the
// entries has been laid out and painted).
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serveSidebar, VSCODE_API_STUB } from '../test/e2e/sidebarPage.mjs';

/** In the page: post the state as the host does and time the render. */
function measureInPage() {
  const state = window.__benchState;
  const root = document.getElementById('root');
  const postedBefore = window.__posted.length;
  return new Promise((resolve, reject) => {
    const out = {};
    let t0 = 0;
    const finish = () => {
      if (out.paintMs === undefined || out.reportedMs === undefined) return;
      out.entriesInDom = document.querySelectorAll('[data-testid="timeline-entry"]').length;
      out.totalEntries = state.incident.timelineTotal;
      out.heading = [...document.querySelectorAll('h2')].map((h) => h.textContent).find((t) => t.includes('Timeline')) ?? '';
      out.setStateBytes = window.__stateBytes;
      out.domNodes = root.getElementsByTagName('*').length;
      resolve(out);
    };
    const observer = new MutationObserver(() => {
      if (!root.querySelector('[data-testid="timeline-entry"]')) return;
      observer.disconnect();
      out.domMs = performance.now() - t0;
      requestAnimationFrame(() => {
        out.frameMs = performance.now() - t0;
        // A task queued from the frame's rAF runs after that frame's style, layout and paint.
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { out.paintMs = performance.now() - t0; finish(); };
        ch.port2.postMessage(0);
      });
    });
    observer.observe(root, { childList: true, subtree: true });
    const poll = setInterval(() => {
      const r = window.__posted.slice(postedBefore).find((p) => p.message.type === 'rendered');
      if (r) { clearInterval(poll); out.reportedMs = r.message.ms; out.reportedEntries = r.message.entries; finish(); }
    }, 5);
    setTimeout(() => { clearInterval(poll); reject(new Error('no render within 30 s')); }, 30e3);
    t0 = performance.now();
    window.postMessage({ type: 'state', state }, '*');
  });
}

/**
 * Render the given states `samples` times each: every sample opens a fresh page (the sidebar opening on a big
 * incident: `open`), then posts the same state again on that page (`update`: the re-render every new event causes).
 * @param {{extensionDir: string, states: Map<number, {json: string}>, samples: number, warmup?: number, log?: (s: string) => void}} o
 */
export async function benchWebview({ extensionDir, states, samples, warmup = 1, log = () => {} }) {
  const payloads = new Map([...states].map(([n, s]) => [n, s.json]));
  const { server, url } = await serveSidebar(extensionDir, payloads);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const version = browser.version();
  const context = await browser.newContext({ viewport: { width: 380, height: 1000 } });
  await context.addInitScript(VSCODE_API_STUB);
  const results = new Map([...states.keys()].map((n) => [n, { open: [], update: [] }]));
  const errors = [];
  try {
    // Sizes interleaved within each round so background load spreads over all of them alike.
    // The first `warmup` rounds (browser and http cache warming up) are not kept.
    for (let round = -warmup; round < samples; round++) {
      for (const n of states.keys()) {
        const page = await context.newPage();
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        await page.goto(url);
        await page.waitForFunction(() => window.__posted.some((p) => p.message.type === 'ready'));
        await page.evaluate(async (n) => { window.__benchState = await (await fetch(`/state/${n}.json`)).json(); }, n);
        const open = await page.evaluate(measureInPage);
        const update = await page.evaluate(measureInPage);
        // What two steps of the post cost on their own, on this page: the structured clone of the message and
        // the JSON.stringify that the webview's setState(state) makes VS Code do.
        Object.assign(open, await page.evaluate(() => {
          const s = window.__benchState;
          let t = performance.now();
          structuredClone({ type: 'state', state: s });
          const cloneMs = performance.now() - t;
          t = performance.now();
          JSON.stringify(s);
          return { cloneMs, stringifyMs: performance.now() - t };
        }));
        for (const r of [open, update]) {
          if (r.reportedEntries !== n || r.totalEntries !== n || !r.heading.includes(`(${n})`) || r.entriesInDom < Math.min(n, 50)) { // the first page: a screenful, the rest comes as the user scrolls
            throw new Error(`the webview did not render the ${n}-entry incident: ${JSON.stringify(r)}`);
          }
        }
        if (round >= 0) {
          results.get(n).open.push(open);
          results.get(n).update.push(update);
        }
        await page.close();
      }
      if (round >= 0) log(`  render round ${round + 1}/${samples}, to paint: ${[...states.keys()].map((n) => `${n} entries ${results.get(n).open.at(-1).paintMs.toFixed(0)} ms`).join(', ')}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  if (errors.length) throw new Error(`the webview logged errors: ${errors.slice(0, 3).join(' | ')}`);
  return { chromium: version, viewport: '380x1000', results };
}
