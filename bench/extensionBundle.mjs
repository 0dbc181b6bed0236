// Bundle size and load cost of the extension, for npm run bench:extension.
//
// Sizes are of the production build in dist/ (npm run bench:extension builds it first), staged to a private folder
// at once (see stageProductionBuild). What takes the space comes from esbuild's metafile of the same build rebuilt in
// memory with the options of esbuild.config.mjs (checked: the in-memory output must have the size of the staged
// bundle). What takes the
// time of loading comes from a CPU profile of a cold require in the extension host's Node, mapped back to the
// sources through dist/extension.js.map.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import { CHUNKS, lazyChunks } from '../scripts/lazyChunks.mjs';

// The options of esbuild.config.mjs for the bundles the .vsix carries (keep in step with it): the extension, its
// lazy chunks (scripts/lazyChunks.mjs) and the sidebar webview.
const common = { bundle: true, sourcemap: true, minify: true, logLevel: 'silent', legalComments: 'none', mainFields: ['module', 'main'] };
const extensionSide = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], plugins: [lazyChunks] };
const BUNDLES = {
  extension: { ...extensionSide, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  webview: { ...common, entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  ...Object.fromEntries(CHUNKS.map((name) => [`chunk:${name}`, { ...extensionSide, entryPoints: [`src/chunks/${name}.ts`], outfile: `dist/${name}.js` }])),
};

/** `node_modules/zod/v4/core/schemas.js` → `zod`; `src/extension/container.ts` → `src/extension`. */
export function owner(file) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (m) return m[1];
  return file.split('/').slice(0, 2).join('/');
}

/** How `target` (a package) gets into the bundle: the shortest import chain from the entry point. */
function importChain(inputs, entry, target) {
  const prev = new Map([[entry, null]]);
  const queue = [entry];
  while (queue.length) {
    const f = queue.shift();
    if (owner(f) === target) {
      const chain = [];
      for (let x = f; x; x = prev.get(x)) chain.unshift(x);
      // Stop at the first file of the package: the files inside it say nothing about why it is here.
      return chain.map((p) => (p.includes('node_modules') ? owner(p) : p));
    }
    for (const imp of inputs[f]?.imports ?? []) {
      if (imp.external || prev.has(imp.path)) continue;
      prev.set(imp.path, f);
      queue.push(imp.path);
    }
  }
  return [];
}

/** The in-memory production build of one bundle with its metafile, broken down by package/folder and by file. */
async function breakdown(repoRoot, options) {
  const result = await esbuild.build({ ...options, absWorkingDir: repoRoot, write: false, metafile: true });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const meta = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const byOwner = new Map();
  const byFile = [];
  for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
    byOwner.set(owner(input), (byOwner.get(owner(input)) ?? 0) + bytesInOutput);
    byFile.push([input, bytesInOutput]);
  }
  const entry = options.entryPoints[0];
  return {
    bytes: js.contents.length,
    topContributors: [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([what, b]) => ({
      what, kb: round(b / 1024), share: round((100 * b) / meta.bytes),
      ...(what.startsWith('src/') ? {} : { via: importChain(result.metafile.inputs, entry, what) }),
    })),
    topFiles: byFile.sort((a, b) => b[1] - a[1]).slice(0, 10).map(([f, b]) => ({ file: f, kb: round(b / 1024) })),
  };
}

const STAGED = ['package.json', 'README.md', 'LICENSE', 'media', 'dist/codicons', ...Object.values(BUNDLES).flatMap((b) => [b.outfile, `${b.outfile}.map`])];

/**
 * Copy the production build in dist/ (with package.json and media/) to `stagingDir`, which every later step of the
 * bench uses: other people build into the same dist/ while the bench runs. The copy must be the production build
 * of the current sources (same size as esbuild's in-memory build with esbuild.config.mjs's options); if someone
 * rebuilt dist/ since `npm run bench:extension` built it, it is rebuilt with `node esbuild.config.mjs --production`
 * and copied again. Returns the sizes of the staged bundles and what takes their space.
 */
export async function stageProductionBuild(repoRoot, stagingDir, log = () => {}) {
  const replicas = {};
  for (const [name, options] of Object.entries(BUNDLES)) replicas[name] = await breakdown(repoRoot, options);
  let attempts = 0;
  let matches = false;
  for (; attempts < 3 && !matches; attempts++) {
    if (attempts > 0) {
      log('  dist/ is not the production build of the current sources (someone rebuilt it?): rebuilding');
      execFileSync(process.execPath, ['esbuild.config.mjs', '--production'], { cwd: repoRoot, stdio: 'ignore' });
    }
    fs.rmSync(stagingDir, { recursive: true, force: true });
    for (const p of STAGED) {
      if (fs.existsSync(path.join(repoRoot, p))) fs.cpSync(path.join(repoRoot, p), path.join(stagingDir, p), { recursive: true });
    }
    matches = Object.entries(BUNDLES).every(([name, o]) => fs.statSync(path.join(stagingDir, o.outfile)).size === replicas[name].bytes);
  }
  const out = { stagedFromDist: true, matchesProductionBuild: matches, buildAttempts: attempts };
  for (const [name, options] of Object.entries(BUNDLES)) {
    const file = path.join(stagingDir, options.outfile);
    const bytes = fs.statSync(file).size;
    out[name] = {
      file: options.outfile, bytes, kb: round(bytes / 1024),
      gzipKb: round(zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length / 1024),
      topContributors: replicas[name].topContributors, topFiles: replicas[name].topFiles,
    };
  }
  return out;
}

/** Cold require of each bundle, `samples` fresh processes each (alternating), in the given Node. */
export function loadTimes(node, bundles, samples) {
  const loader = path.join(path.dirname(new URL(import.meta.url).pathname), 'extensionLoad.mjs');
  const times = Object.fromEntries(Object.keys(bundles).map((k) => [k, []]));
  for (let i = 0; i < samples; i++) {
    for (const [k, file] of Object.entries(bundles)) {
      const { ms } = JSON.parse(execFileSync(node, [loader, file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
      times[k].push(ms);
    }
  }
  return times;
}

/**
 * `runs` profiled cold requires of `bundle`: CPU time inside the require only, grouped by where it went (source
 * package through the source map, V8 compile, GC, Node's loader), averaged over the runs.
 */
export function loadProfile(node, bundle, runs = 3) {
  const loader = path.join(path.dirname(new URL(import.meta.url).pathname), 'extensionLoad.mjs');
  const map = new SourceMap(JSON.parse(fs.readFileSync(`${bundle}.map`, 'utf8')));
  const bundleUrl = `file://${path.resolve(bundle)}`;
  const groups = new Map();
  const requireMs = [];
  for (let run = 0; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-bench-prof-'));
    try {
      const w = JSON.parse(execFileSync(node, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100', loader, bundle], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
      requireMs.push(w.ms);
      const profile = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))), 'utf8'));
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      let t = profile.startTime;
      profile.samples.forEach((id, i) => {
        t += profile.timeDeltas[i] ?? 0;
        const us = profile.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next one
        if (t < w.startUs || t > w.endUs || !us) return;
        const group = groupOf(byId.get(id).callFrame);
        groups.set(group, (groups.get(group) ?? 0) + us / runs);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  function groupOf({ url, functionName, lineNumber, columnNumber }) {
    if (url === bundleUrl) {
      const entry = map.findEntry(lineNumber, columnNumber);
      if (entry?.originalSource) return owner(entry.originalSource.replace(/^.*?(node_modules\/|src\/)/, '$1'));
      // esbuild concatenates ES modules into the bundle's top-level function: their module-scope code runs there.
      if (lineNumber === 0 && columnNumber === 0) return 'bundle top level (module-scope code of the concatenated ES modules: zod, src/…)';
      return 'esbuild runtime helpers (__require, __copyProps, …; no source)';
    }
    if (functionName === 'wrapSafe' || functionName === 'compileFunction') return 'V8 compile of the bundle (wrapSafe)';
    if (functionName === '(garbage collector)') return 'garbage collector';
    // Node compiles its own built-in modules on their first require: http, https, tls, zlib, child_process, … here.
    if (functionName === 'compileForInternalLoader' || functionName === 'internalBinding') return 'Node built-in modules loaded on first require (http, tls, zlib, child_process, …)';
    if (functionName === '(program)' || functionName === '(idle)') return 'V8 (program: lazy compile and runtime, not attributed)';
    return `node: ${functionName || '(anonymous)'} (${path.basename(url) || 'native'})`;
  }
  const total = [...groups.values()].reduce((a, b) => a + b, 0);
  return {
    runs,
    requireMs: requireMs.map(round),
    profiledMs: round(total / 1000),
    byOrigin: [...groups].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([what, us]) => ({ what, ms: round(us / 1000), share: round((100 * us) / total) })),
  };
}

const round = (n) => Math.round(n * 10) / 10;
