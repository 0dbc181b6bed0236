import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zodChunk from '../../../src/chunks/zod';

const REPO = path.resolve(__dirname, '..', '..', '..');

interface ActivationImports {
  eager: string[];
  eagerChunks: Map<string, string>;
  owners: string[];
  eagerKb: number;
  bundleKb: number;
  chain(file: string): string[];
}

// What activating the extension runs (scripts/activationImports.mjs): the modules of dist/extension.js reachable
// through top-level imports. #14 point 5: what startup does not need loads on first use.
describe('packaging: what activation loads', function () {
  this.timeout(60_000);
  let r: ActivationImports;

  before(async () => {
    const mod = (await import(path.join(REPO, 'scripts', 'activationImports.mjs'))) as { activationImports(): Promise<ActivationImports> };
    r = await mod.activationImports();
  });

  it('loads no lazy chunk at the top level (zod, ws, simple-git, the local host load on first use)', () => {
    const eager = [...r.eagerChunks].map(([chunk, file]) => `${chunk}: ${r.chain(file).join(' → ')}`);
    assert.deepEqual(eager, []);
  });

  it('runs none of the server, the store, the channel client or the protocol schemas', () => {
    const heavy = r.eager.filter((f) => /^src\/(server|store)\//.test(f)
      || /^src\/protocol\/(events|messages|commands|webviewMessages|zodMessage)\.ts$/.test(f)
      || /^src\/sync\/(channelClient|outbox|webhookDelivery)\.ts$/.test(f)
      || /node_modules\/(zod|ws|simple-git)\//.test(f));
    assert.deepEqual(heavy.map((f) => r.chain(f).join(' → ')), []);
    console.log(`      activation runs ${r.eager.length} modules, ${r.eagerKb.toFixed(1)} KB of the ${r.bundleKb.toFixed(1)} KB bundle`);
  });

  it('the zod vendor chunk exports every zod function the sources use (a missing one would be undefined at run time)', async () => {
    const chunk = fs.readFileSync(path.join(REPO, 'src', 'chunks', 'zod.ts'), 'utf8');
    const typeOnly = new Set([...chunk.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean)));
    const exported = new Set([...Object.keys(zodChunk), ...typeOnly]);
    // Every source the extension's bundles take in (the local host bundles most of src/server: a `z.custom` in
    // server/alertPayload.ts once broke local mode), found as esbuild finds them, not by folder.
    const esbuild = await import('esbuild');
    const { CHUNKS, lazyChunks } = (await import(path.join(REPO, 'scripts', 'lazyChunks.mjs'))) as { CHUNKS: string[]; lazyChunks: import('esbuild').Plugin };
    const result = await esbuild.build({
      entryPoints: ['src/extension/extension.ts', ...CHUNKS.map((n) => `src/chunks/${n}.ts`)], absWorkingDir: REPO, bundle: true, write: false,
      metafile: true, platform: 'node', format: 'cjs', external: ['vscode'], plugins: [lazyChunks], outdir: 'out', mainFields: ['module', 'main'], logLevel: 'silent',
    });
    const sources = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('src/') && f.endsWith('.ts'));
    assert.ok(sources.includes('src/server/alertPayload.ts'), 'the local host bundles the channel server');
    const used = new Set<string>();
    for (const f of sources) for (const m of fs.readFileSync(path.join(REPO, f), 'utf8').matchAll(/\bz\.([A-Za-z]\w*)/g)) used.add(m[1]!);
    assert.ok(used.has('object') && used.has('string'));
    assert.deepEqual([...used].filter((u) => !exported.has(u)).sort(), []);
  });
});
