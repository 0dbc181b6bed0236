// The sidebar's real page outside VS Code, for the sidebar bench (bench/extensionWebview.mjs) and the layout
// audit (test/e2e/layout.ui.test.mjs): the HTML the extension builds (src/extension/sidebarHtml.ts, with its CSP),
// dist/webview.js and media/sidebar.css, served on loopback with a stand-in for VS Code's theme variables and for
// acquireVsCodeApi (what the page posts is kept in window.__posted).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const { sidebarHtml } = await tsImport('../../src/extension/sidebarHtml.ts', import.meta.url);

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** VS Code's Dark Modern values of the variables the sidebar uses. */
export const THEME_CSS = `html { --vscode-font-family: system-ui, "Ubuntu", "Droid Sans", sans-serif; --vscode-font-size: 13px;
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

/** VS Code's Light Modern values of the same variables. */
export const LIGHT_THEME_CSS = `html { --vscode-font-family: system-ui, "Ubuntu", "Droid Sans", sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: "Droid Sans Mono", monospace; --vscode-foreground: #3b3b3b; --vscode-descriptionForeground: #717171;
  --vscode-errorForeground: #f85149; --vscode-editorWarning-foreground: #bf8803; --vscode-testing-iconPassed: #388a34;
  --vscode-widget-border: #e5e5e5; --vscode-textLink-foreground: #005fb8; --vscode-list-hoverBackground: #f2f2f2;
  --vscode-editor-background: #ffffff; --vscode-sideBarSectionHeader-background: #f8f8f8; --vscode-list-inactiveSelectionBackground: #e4e6f1;
  --vscode-list-activeSelectionForeground: #000000; --vscode-list-activeSelectionBackground: #e8e8e8; --vscode-inputValidation-errorBorder: #be1100;
  --vscode-focusBorder: #005fb8; --vscode-editorWidget-background: #f8f8f8; --vscode-editorInfo-foreground: #1a85ff; --vscode-contrastBorder: transparent;
  --vscode-button-secondaryHoverBackground: #cccccc; --vscode-button-secondaryForeground: #3b3b3b; --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-hoverBackground: #0258a8; --vscode-button-foreground: #ffffff; --vscode-button-border: #0000001a; --vscode-button-background: #005fb8;
  --vscode-badge-foreground: #3b3b3b; --vscode-badge-background: #cccccc; }
body { background: #f8f8f8; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }`;

/** VS Code's Dark High Contrast values of the same variables: borders everywhere, no fills to tell things apart. */
export const HIGH_CONTRAST_THEME_CSS = `html { --vscode-font-family: system-ui, "Ubuntu", "Droid Sans", sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: "Droid Sans Mono", monospace; --vscode-foreground: #ffffff; --vscode-descriptionForeground: #ffffff;
  --vscode-errorForeground: #f48771; --vscode-editorWarning-foreground: #ffd370; --vscode-testing-iconPassed: #73c991;
  --vscode-widget-border: #6fc3df; --vscode-textLink-foreground: #21a6ff; --vscode-list-hoverBackground: transparent;
  --vscode-editor-background: #000000; --vscode-sideBarSectionHeader-background: #000000; --vscode-list-inactiveSelectionBackground: transparent;
  --vscode-list-activeSelectionForeground: #ffffff; --vscode-list-activeSelectionBackground: transparent; --vscode-inputValidation-errorBorder: #f48771;
  --vscode-focusBorder: #f38518; --vscode-editorWidget-background: #0c141f; --vscode-editorInfo-foreground: #3794ff; --vscode-contrastBorder: #6fc3df;
  --vscode-button-secondaryHoverBackground: #000000; --vscode-button-secondaryForeground: #ffffff; --vscode-button-secondaryBackground: #000000;
  --vscode-button-hoverBackground: #000000; --vscode-button-foreground: #ffffff; --vscode-button-border: #6fc3df; --vscode-button-background: #000000;
  --vscode-badge-foreground: #ffffff; --vscode-badge-background: #000000; }
body { background: #000000; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }`;

export const VSCODE_API_STUB = `(() => {
  window.__posted = [];
  window.__stateBytes = 0;
  globalThis.acquireVsCodeApi = () => Object.freeze({
    postMessage(message) { window.__posted.push({ at: performance.now(), message }); },
    setState(newState) { window.__stateBytes = JSON.stringify(newState).length; return newState; },
    getState() { return undefined; },
  });
})();`;

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.json': 'application/json', '.html': 'text/html' };

/**
 * An http server for the page, dist/ and media/, and states to fetch (`/state/N.json`); `theme` picks the
 * variables (`/theme.css`).
 */
export async function serveSidebar(extensionDir, states = new Map(), theme = THEME_CSS) {
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
    if (url.pathname === '/theme.css') return send(200, TYPES['.css'], theme);
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

