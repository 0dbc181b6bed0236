// Lazy chunks of the extension (esbuild.config.mjs, bench/extensionBundle.mjs): each src/chunks/<name>.ts is a
// bundle of its own, dist/<name>.js, that the extension loads the first time it is used — with
// `require('../chunks/<name>')` inside a function, never a top-level import — so what startup does not need is
// neither compiled nor run at activation. In the extension's bundles such a require stays a require of the sibling
// file dist/<name>.js; run from source (unit tests) it is an ordinary require of the .ts module.
//
// A chunk is a bundle of its own: a module both it and the extension import exists twice at run time, so nothing
// that crosses the boundary may rely on `instanceof` or module state of the other side (pass plain data, interfaces
// and error codes).
//
// Vendor chunks: a chunk named after a package (src/chunks/zod.ts: `export * from 'zod'`) is where every
// extension-side bundle gets that package: a bare `import … from 'zod'` anywhere becomes a require of dist/zod.js,
// so zod is loaded once, by the first module that runs a schema, and never by the activation path (whose modules
// must not import it at the top level: test/unit/packaging/activation.test.ts).
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

export const CHUNKS = fs.existsSync(path.join(root, 'src/chunks'))
  ? fs.readdirSync(path.join(root, 'src/chunks')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
  : [];

/** Packages that are vendor chunks (see above). */
export const VENDOR_CHUNKS = CHUNKS.filter((name) => fs.existsSync(path.join(root, 'node_modules', name, 'package.json')));

export const lazyChunks = {
  name: 'lazy-chunks',
  setup(build) {
    if (VENDOR_CHUNKS.length) {
      const vendor = new RegExp(`^(${VENDOR_CHUNKS.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
      build.onResolve({ filter: vendor }, (args) => {
        // the vendor chunk's own entry imports the package itself
        if (path.resolve(args.importer) === path.join(root, 'src', 'chunks', `${args.path}.ts`)) return undefined;
        return { path: `./${args.path}.js`, external: true };
      });
    }
    build.onResolve({ filter: /(^|\/)chunks\/[\w-]+$/ }, (args) => {
      const name = path.basename(args.path);
      if (!CHUNKS.includes(name)) return { errors: [{ text: `no chunk src/chunks/${name}.ts` }] };
      return { path: `./${name}.js`, external: true };
    });
  },
};
