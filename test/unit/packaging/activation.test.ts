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

  it('the zod vendor chunk exports every zod function the sources use (a missing one would be undefined at run time)', () => {
    const chunk = fs.readFileSync(path.join(REPO, 'src', 'chunks', 'zod.ts'), 'utf8');
    const typeOnly = new Set([...chunk.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean)));
    const exported = new Set([...Object.keys(zodChunk), ...typeOnly]);
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.includes(`${path.sep}webview${path.sep}`) && !p.includes(`${path.sep}server${path.sep}`)) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/\bz\.([A-Za-z]\w*)/g)) used.add(m[1]!);
        }
      }
    };
    walk(path.join(REPO, 'src'));
    assert.ok(used.has('object') && used.has('string'));
    assert.deepEqual([...used].filter((u) => !exported.has(u)).sort(), []);
  });
});
