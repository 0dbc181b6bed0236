// Compiles the integration tests (test/integration/**/*.ts) into dist-test/integration/ for the extension host:
// one CommonJS file per source, `vscode` provided by the host, `mocha` loaded from the repo's node_modules.
// usage: node test/integration/build.mjs      (the launchers call buildIntegrationTests() themselves)
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(REPO_ROOT, 'test', 'integration');
export const OUT_DIR = path.join(REPO_ROOT, 'dist-test', 'integration');
export const RUNNER = path.join(OUT_DIR, 'runner.js');

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

export async function buildIntegrationTests() {
  fs.rmSync(OUT_DIR, { recursive: true, force: true }); // no stale *.test.js of deleted tests
  await esbuild.build({
    entryPoints: sources(SRC), outbase: SRC, outdir: OUT_DIR,
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline',
    external: ['vscode', 'mocha'], logLevel: 'warning',
  });
  return RUNNER;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildIntegrationTests();
  console.log(`integration tests built into ${path.relative(process.cwd(), OUT_DIR)}`);
}
