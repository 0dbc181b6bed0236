// What activating the extension loads: the modules of dist/extension.js that run when the bundle is required, i.e.
// reachable from src/extension/extension.ts through top-level imports. A module reached only through a
// `require(...)` inside a function is wrapped by esbuild to run on its first use, and a lazy chunk
// (scripts/lazyChunks.mjs) is another file; neither runs at activation. Used by the unit test that keeps zod, ws,
// simple-git, the server and the store off the activation path (test/unit/packaging/activation.test.ts) and by
// npm run bench:extension.
import path from 'node:path';
import * as esbuild from 'esbuild';
import { lazyChunks } from './lazyChunks.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

/** `node_modules/zod/v4/core/schemas.js` → `zod`; `src/extension/container.ts` → `src/extension`. */
export function owner(file) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (m) return m[1];
  return file.split('/').slice(0, 2).join('/');
}

/** The eager modules of the extension bundle and the lazy chunks they load, with the import chain of each. */
export async function activationImports() {
  const result = await esbuild.build({
    entryPoints: ['src/extension/extension.ts'], absWorkingDir: root, bundle: true, write: false, metafile: true, minify: true,
    platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], mainFields: ['module', 'main'], logLevel: 'silent',
    outfile: 'dist/extension.js', plugins: [lazyChunks],
  });
  const { inputs } = result.metafile;
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const entry = 'src/extension/extension.ts';
  const via = new Map([[entry, null]]);
  const queue = [entry];
  // a top-level import of a lazy chunk (a vendor chunk: `import * as z from 'zod'`) loads it at activation
  const eagerChunks = new Map();
  while (queue.length) {
    const file = queue.shift();
    for (const imp of inputs[file]?.imports ?? []) {
      if (imp.kind !== 'import-statement') continue;
      if (imp.external) {
        const chunk = /^\.\/([\w-]+)\.js$/.exec(imp.path)?.[1];
        if (chunk && !eagerChunks.has(chunk)) eagerChunks.set(chunk, file);
        continue;
      }
      if (via.has(imp.path)) continue;
      via.set(imp.path, file);
      queue.push(imp.path);
    }
  }
  const chain = (file) => {
    const out = [];
    for (let f = file; f; f = via.get(f)) out.unshift(f.includes('node_modules') ? owner(f) : f);
    return out;
  };
  const bytes = (f) => output.inputs[f]?.bytesInOutput ?? 0;
  const eager = [...via.keys()];
  return {
    eager,
    /** chunk name → the eager module that imports it at the top level */
    eagerChunks,
    owners: [...new Set(eager.map(owner))].sort(),
    eagerKb: eager.reduce((n, f) => n + bytes(f), 0) / 1024,
    bundleKb: output.bytes / 1024,
    chain,
  };
}
