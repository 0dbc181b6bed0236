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
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { tsImport } from 'tsx/esm/api';

const { sidebarHtml } = await tsImport('../src/extension/sidebarHtml.ts', import.meta.url);

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// What VS Code injects into every webview (its theme as CSS variables), Dark Modern values: the stylesheet uses them.
const THEME_CSS = `html { --vscode-font-family: system-ui, "Ubuntu", "Droid Sans", sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: "Droid Sans Mono", monospace; --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d;
  --vscode-errorForeground: #f85149; --vscode-editorWarning-foreground: #cca700; --vscode-testing-iconPassed: #73c991;
  --vscode-widget-border: #313131; --vscode-textLink-foreground: #4daafc; --vscode-list-hoverBackground: #2a2d2e;
  --vscode-editor-background: #1f1f1f; --vscode-sideBarSectionHeader-background: #181818; --vscode-list-inactiveSelectionBackground: #37373d;
  --vscode-list-activeSelectionForeground: #ffffff; --vscode-list-activeSelectionBackground: #04395e; --vscode-inputValidation-errorBorder: #be1100;
  --vscode-focusBorder: #0078d4; --vscode-editorWidget-background: #202020; --vscode-editorInfo-foreground: #3794ff; --vscode-contrastBorder: transparent;
  --vscode-button-secondaryHoverBackground: #3c3c3c; --vscode-button-secondaryForeground: #cccccc; --vscode-button-secondaryBackground: #313131;
  --vscode-button-hoverBackground: #026ec1; --vscode-button-foreground: #ffffff; --vscode-button-border: #ffffff12; --vscode-button-background: #0078d4;
  --vscode-badge-foreground: #f8f8f8; --vscode-badge-background: #616161; }
body { background: #181818; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }`;

// Before any page script: the stand-in for VS Code's webview API.
const VSCODE_API_STUB = `(() => {
  window.__posted = [];
  window.__stateBytes = 0;
  globalThis.acquireVsCodeApi = () => Object.freeze({
    postMessage(message) { window.__posted.push({ at: performance.now(), message }); },
    setState(newState) { window.__stateBytes = JSON.stringify(newState).length; return newState; },
    getState() { return undefined; },
  });
})();`;

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.json': 'application/json', '.html': 'text/html' };

/** An http server for the page, dist/ and media/, and the bench states (`/state/N.json`). */
async function serve(extensionDir, states) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (status, type, body) => { res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const origin = `http://${req.headers.host}`;
      // The real page, from the function the extension uses, with the bench's theme stand-in and one extra directive.
      return send(200, TYPES['.html'], sidebarHtml({
        cspSource: origin, nonce, uri: (...p) => `/${p.join('/')}`, extraStyles: ['/theme.css'],
        // not in the real CSP: only so the bench can fetch its state into the page before timing starts
        extraCsp: [`connect-src ${origin}`],
      }));
    }
    if (url.pathname === '/theme.css') return send(200, TYPES['.css'], THEME_CSS);
    if (url.pathname === '/favicon.ico') return send(204, 'text/plain', '');
    const m = /^\/state\/(\d+)\.json$/.exec(url.pathname);
    if (m && states.has(Number(m[1]))) return send(200, TYPES['.json'], states.get(Number(m[1])));
    if (/^\/(dist|media)\/[\w./-]+$/.test(url.pathname) && !url.pathname.includes('..')) {
      const file = path.join(extensionDir, url.pathname);
      if (fs.existsSync(file)) return send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', fs.readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

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
  const { server, url } = await serve(extensionDir, payloads);
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
