// Preloaded into Stryker and its test-runner processes by scripts/mutation.mjs (NODE_OPTIONS).
// @stryker-mutator/mocha-runner 9 (the last release that runs on Node 20) loads mocha's CLI helpers as
// `mocha/lib/cli/run-helpers` and `.../options`; mocha 12 ships them as `.cjs`, which require() does not try.
// Let require() try `.cjs` after `.js` so the runner finds them; nothing else in those processes asks for a path
// without its extension that only exists as `.cjs`.
if (!require.extensions['.cjs']) require.extensions['.cjs'] = require.extensions['.js'];
