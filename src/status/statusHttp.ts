import { readFile } from 'node:fs/promises';
import path from 'node:path';

// What the channel server answers for a status page's files (PROTOCOL.md "Status page"): the HTML shell, its script
// and style (bundled by esbuild.config.mjs into dist/status-page.js and dist/status-page.css) and the headers that
// make the page safe by construction.

/**
 * No inline script or style, no eval, nothing from elsewhere; the page talks only to its own origin (fetch and
 * WebSocket); no form may submit anywhere (the token never lands in a URL); no one may frame it.
 */
export const STATUS_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers of every status response, JSON included. */
export const STATUS_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': STATUS_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * The page's HTML: a shell without data (the script fetches it), so serving it to anyone reveals nothing, not even
 * whether the channel exists. Every URL in it is relative, so it works under a reverse proxy's path prefix.
 */
export function statusShell(channel: string): string {
  const name = escapeHtml(channel);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>Status · ${name}</title>
<link rel="stylesheet" href="status.css">
<script src="status.js" defer></script>
</head>
<body>
<header class="top">
<div class="heading"><p class="eyebrow">Incident status</p><h1 id="channel">${name}</h1></div>
<p id="connection" class="connection connecting" role="status" aria-live="polite">Connecting…</p>
</header>
<main id="main"><noscript><p class="notice">This page needs JavaScript to show the status live. The same content is at <a href="status.json">status.json</a>.</p></noscript></main>
<footer id="footer" class="footer"></footer>
</body>
</html>
`;
}

export interface StatusAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The page's script and style, read from `dir` once (dist/ next to the server bundle). */
export class StatusAssets {
  private readonly cache = new Map<'status.js' | 'status.css', Promise<StatusAsset | null>>();

  constructor(private readonly dir: string) {}

  /** The file, or null when it was not built (`npm run build` writes it). */
  get(file: 'status.js' | 'status.css'): Promise<StatusAsset | null> {
    let pending = this.cache.get(file);
    if (!pending) {
      const [name, contentType] = file === 'status.js' ? ['status-page.js', 'text/javascript; charset=utf-8'] : ['status-page.css', 'text/css; charset=utf-8'];
      pending = readFile(path.join(this.dir, name)).then((body) => ({ body, contentType }), () => null);
      // A missing file is looked for again next time (a build may have written it since).
      void pending.then((a) => {
        if (!a) this.cache.delete(file);
      });
      this.cache.set(file, pending);
    }
    return pending;
  }
}
