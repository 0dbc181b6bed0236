// No vscode import: the render benchmark builds the sidebar page from this same function.

export interface SidebarHtmlOptions {
  /** The webview's `cspSource` (the origin its resources are served from). */
  readonly cspSource: string;
  /** A fresh random nonce for the one script. */
  readonly nonce: string;
  /** The URL of a file of the extension, by its path segments (`asWebviewUri` in the extension). */
  readonly uri: (...path: string[]) => string;
  /** Stylesheets to load before the sidebar's own (the benchmark's stand-in for VS Code's theme variables). */
  readonly extraStyles?: readonly string[];
  /** Directives added to the CSP (the benchmark's `connect-src`); the sidebar itself needs none. */
  readonly extraCsp?: readonly string[];
}

/** The sidebar's page: CSP `default-src 'none'`, styles and fonts from the extension only, one nonce script. */
export function sidebarHtml(o: SidebarHtmlOptions): string {
  const csp = [
    `default-src 'none'`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `img-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
    ...(o.extraCsp ?? []),
  ].join('; ');
  const styles = [...(o.extraStyles ?? []), o.uri('dist', 'codicons', 'codicon.css'), o.uri('media', 'sidebar.css')]
    .map((href) => `<link href="${href}" rel="stylesheet">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>Incident</title>
</head>
<body>
<main id="root" aria-live="polite"><p class="muted">Loading the incident…</p></main>
<script nonce="${o.nonce}" src="${o.uri('dist', 'webview.js')}"></script>
</body>
</html>`;
}
