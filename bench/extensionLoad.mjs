// Loads one extension bundle the way the extension host does (a plain CommonJS require, `vscode` provided by the
// host), with nothing else in the process, and prints how long the require took. npm run bench:extension runs it
// with the extension host's own Node (code-server's Node 24), a fresh process per sample: every load is cold.
// usage: node bench/extensionLoad.mjs <bundle.js>
import Module, { createRequire } from 'node:module';
import path from 'node:path';

// Stand-in for the `vscode` module: loading must not touch the API (activate() does that), so any shape will do;
// a function proxy also survives `class X extends vscode.TreeItem` at the top level of a bundle.
const anything = new Proxy(function vscodeStub() {}, { get: (_t, key) => (key === 'prototype' ? {} : anything) });
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? anything : load.call(this, request, ...rest);
};

const require = createRequire(import.meta.url);
// hrtime is the monotonic clock V8 stamps CPU profile samples with: the window lets a profile keep only the require.
const startUs = Number(process.hrtime.bigint() / 1000n);
const started = performance.now();
require(path.resolve(process.argv[2]));
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, startUs, endUs: Number(process.hrtime.bigint() / 1000n) }));
