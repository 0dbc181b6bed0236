import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readZip, readZipEntry, type ZipEntry } from './zipEntries';

const REPO = path.resolve(__dirname, '..', '..', '..');
// The lazy chunks of the extension (scripts/lazyChunks.mjs): each src/chunks/<name>.ts ships as dist/<name>.js.
const CHUNKS = fs.existsSync(path.join(REPO, 'src', 'chunks'))
  ? fs.readdirSync(path.join(REPO, 'src', 'chunks')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
  : [];
// What a fresh clone does not have (or the build makes): left out of the copy the package is built in.
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'dist-test', 'dist-vsix', 'test-output', 'incident-room-data', '.vscode-test']);
// The extension's page in VS Code shows the packaged readme: the user guide, not the developer README.md.
const USER_GUIDE = 'USER-GUIDE.md';
const README_FLAG = ['--readme-path', USER_GUIDE];

/** Every file under `dir`, as slash-separated paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]);
}

/** The targets of the Markdown images (`![alt](target "title")`) and HTML `<img src>` of a document. */
function imageTargets(markdown: string): string[] {
  const md = [...markdown.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const html = [...markdown.matchAll(/<img\b[^>]*\bsrc=["']([^"']+)["']/gi)].map((m) => m[1]!);
  return [...md, ...html];
}

/**
 * `npm run package`, exactly as package.json says, in a copy of the working tree (node_modules linked): the
 * production build and vsce then run where the shared dist/ of other runs is not touched, and the copy holds
 * everything .vscodeignore must keep out (sources, tests, the server bundle, source maps, node_modules).
 */
describe('packaging: npm run package', function () {
  this.timeout(180_000);
  let stage: string;
  let output = '';
  let vsix: string;
  let entries: ZipEntry[];
  let buf: Buffer;
  let ms = 0;

  before(async () => {
    stage = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-vsix-'));
    for (const name of fs.readdirSync(REPO)) {
      if (NOT_COPIED.has(name)) continue;
      fs.cpSync(path.join(REPO, name), path.join(stage, name), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
    const started = Date.now();
    // npm's own variables of an outer `npm test` would point the inner npm at the outer package
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    // Until package.json's script names the user guide itself, hand vsce the flag here (npm appends it to the
    // script's last command, vsce package): the tests below then check the package the script is meant to build.
    const script = (JSON.parse(fs.readFileSync(path.join(stage, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.package!;
    const extra = script.includes(README_FLAG.join(' ')) ? [] : ['--', ...README_FLAG];
    const r = await promisify(execFile)('npm', ['run', 'package', ...extra], { cwd: stage, env, maxBuffer: 16 << 20, timeout: 170_000 });
    ms = Date.now() - started;
    output = `${r.stdout}\n${r.stderr}`;
    vsix = path.join(stage, 'dist-vsix', 'incident-room.vsix');
    ({ buf, entries } = readZip(vsix));
  });

  after(() => {
    if (stage) fs.rmSync(stage, { recursive: true, force: true });
  });

  const names = () => entries.map((e) => e.name);
  const inExtension = () => names().filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));

  it('builds dist-vsix/incident-room.vsix without a warning (a warning is a y/N prompt in a terminal)', () => {
    assert.match(output, /DONE\s+Packaged: .*incident-room\.vsix/);
    assert.doesNotMatch(output, /\bWARNING\b/, output);
    const kb = fs.statSync(vsix).size / 1024;
    console.log(`      ${entries.length} entries, ${kb.toFixed(1)} KB, built in ${(ms / 1000).toFixed(1)} s`);
    assert.ok(kb < 2048, `the .vsix is ${kb.toFixed(0)} KB`);
  });

  it('the copy it was built from held what must stay out (so the next test can fail)', () => {
    for (const p of ['src/extension/extension.ts', 'test/unit', 'bench', 'dist/server.js', 'dist/extension.js.map', 'node_modules/ws/package.json']) {
      assert.ok(fs.existsSync(path.join(stage, p)), `${p} is missing from the staging copy`);
    }
  });

  it('carries the manifest, both bundles, the lazy chunks, the codicons, media/, README and LICENSE', () => {
    const files = inExtension();
    for (const f of ['package.json', 'dist/extension.js', 'dist/webview.js', ...CHUNKS.map((c) => `dist/${c}.js`), 'dist/codicons/codicon.css', 'dist/codicons/codicon.ttf']) {
      assert.ok(files.includes(f), `${f} is not in the .vsix: ${files.join(', ')}`);
    }
    for (const f of filesUnder(path.join(REPO, 'media'))) assert.ok(files.includes(`media/${f}`), `media/${f} is not in the .vsix`);
    // vsce stores README.md as readme.md and LICENSE as LICENSE.txt (and names them in extension.vsixmanifest)
    assert.ok(files.some((f) => /^readme\.md$/i.test(f)), 'README.md is not in the .vsix');
    assert.ok(files.some((f) => /^license(\.txt)?$/i.test(f)), 'LICENSE is not in the .vsix');
    assert.ok(names().includes('extension.vsixmanifest'));
  });

  it(`its README is ${USER_GUIDE} (the user guide), not the developer README`, () => {
    const readmes = inExtension().filter((f) => /^(readme|user-guide)\.md$/i.test(f));
    assert.deepEqual(readmes, ['readme.md'], `readme entries: ${readmes.join(', ')}`);
    const packaged = readZipEntry(buf, entries.find((e) => e.name === 'extension/readme.md')!).toString('utf8');
    assert.equal(packaged, fs.readFileSync(path.join(REPO, USER_GUIDE), 'utf8'), `the packaged readme.md is not ${USER_GUIDE}`);
    assert.doesNotMatch(packaged, /npm (ci|test)\b/, 'the user guide carries developer instructions');
    // the extension page shows the asset the manifest names as the details
    const manifest = readZipEntry(buf, entries.find((e) => e.name === 'extension.vsixmanifest')!).toString('utf8');
    assert.match(manifest, /Type="Microsoft\.VisualStudio\.Services\.Content\.Details" Path="extension\/readme\.md"/);
  });

  it('every image the packaged README shows is in the .vsix, at the path it names (relative to the extension root)', () => {
    const packaged = readZipEntry(buf, entries.find((e) => e.name === 'extension/readme.md')!).toString('utf8');
    const targets = imageTargets(packaged);
    // the guide shows the four README pictures; none of them may be left out of the count by a syntax this misses
    assert.ok(targets.length >= 4, `found ${targets.length} images in the packaged readme: ${targets.join(', ')}`);
    const files = new Set(inExtension());
    for (const target of targets) {
      // VS Code resolves a relative image against the installed extension's folder; a web URL would need the
      // network (and the Marketplace would rewrite it), an absolute path points nowhere on another machine
      assert.doesNotMatch(target, /^([a-z][a-z0-9+.-]*:|\/)/i, `${target}: images must be relative paths inside the extension`);
      const file = path.posix.normalize(decodeURI(target.split(/[?#]/)[0]!));
      assert.ok(!file.startsWith('../'), `${target} points outside the extension`);
      assert.ok(files.has(file), `${target} is referenced by the readme but ${file} is not in the .vsix`);
      const entry = entries.find((e) => e.name === `extension/${file}`)!;
      assert.ok(entry.size > 1000, `${file} is ${entry.size} bytes: not a picture`);
    }
  });

  it('carries nothing else: no sources, tests, benchmarks, node_modules, server bundle, source maps or .ts', () => {
    const files = inExtension();
    const forbidden = files.filter((f) =>
      /^(src|test|bench|bin|scripts|node_modules|dist-test|test-output|\.vscode|\.ci)\//.test(f)
      || f === 'dist/server.js' || f.endsWith('.map') || /\.(ts|mts|cts)$/.test(f));
    assert.deepEqual(forbidden, []);
    // and nothing outside the shipped shapes (a new top-level file has to be let in on purpose)
    const allowed = /^(package\.json|readme\.md|changelog\.md|license(\.txt)?|dist\/(extension|webview)\.js|dist\/codicons\/[^/]+|media\/.+)$/i;
    assert.deepEqual(files.filter((f) => !allowed.test(f) && !CHUNKS.some((c) => f === `dist/${c}.js`)), []);
  });

  it('ships the production build that the packaged manifest starts', () => {
    const manifest = JSON.parse(readZipEntry(buf, entries.find((e) => e.name === 'extension/package.json')!).toString('utf8')) as { main: string };
    const main = `extension/${path.posix.normalize(manifest.main)}`;
    const bundle = entries.find((e) => e.name === main);
    assert.ok(bundle, `main ${manifest.main} is not in the .vsix`);
    const code = readZipEntry(buf, bundle).toString('utf8');
    assert.match(code, /\bactivate\b/);
    // minified: esbuild --production puts the bundle on a few long lines
    const lines = code.split('\n').length;
    assert.ok(lines < 200, `dist/extension.js has ${lines} lines: not the --production build`);
  });
});
