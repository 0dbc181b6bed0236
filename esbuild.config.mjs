// The bundles (DESIGN.md): the extension (node, cjs, vscode external) with its lazy chunks, the sidebar webview
// (browser), the channel server (node) and the status page it serves (browser). `--production` minifies, `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { CHUNKS, lazyChunks } from './scripts/lazyChunks.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// ESM entry points first: zod (and others) tree-shake only from their ES modules, which halves the bundles.
const common = { bundle: true, sourcemap: true, minify: production, logLevel: 'warning', legalComments: 'none', mainFields: ['module', 'main'] };

const extensionSide = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], plugins: [lazyChunks] };
const bundles = [
  { ...extensionSide, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  ...CHUNKS.map((name) => ({ ...extensionSide, entryPoints: [`src/chunks/${name}.ts`], outfile: `dist/${name}.js` })),
  { ...common, entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { ...common, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js', platform: 'node', format: 'cjs', target: 'node20' },
  // The stakeholder status page the server serves (src/status/page/): its own script and style, minified always
  // (it is fetched by every stakeholder's browser), no source map next to it to serve.
  { ...common, entryPoints: ['src/status/page/main.ts'], outfile: 'dist/status-page.js', platform: 'browser', format: 'iife', target: 'es2020', minify: true, sourcemap: false },
  { ...common, entryPoints: ['src/status/page/statusPage.css'], outfile: 'dist/status-page.css', minify: true, sourcemap: false },
].filter((b) => fs.existsSync(b.entryPoints[0]));

// The sidebar's icon font ships inside the extension (the .vsix carries no node_modules).
fs.mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join('node_modules/@vscode/codicons/dist', f), path.join('dist/codicons', f));

if (watch) {
  for (const b of bundles) await (await esbuild.context(b)).watch();
  console.log(`watching ${bundles.length} bundles`);
} else {
  await Promise.all(bundles.map((b) => esbuild.build(b)));
  for (const b of bundles) {
    const kb = (fs.statSync(b.outfile).size / 1024).toFixed(1);
    console.log(`${path.basename(b.outfile).padEnd(14)} ${kb.padStart(8)} KB${production ? ' (minified)' : ''}`);
  }
}
