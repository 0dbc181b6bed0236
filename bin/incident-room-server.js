#!/usr/bin/env -S node --max-semi-space-size=4
'use strict';
// The npm bin: the bundled server (run `npm run build` first; `npm start` does).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../dist/server.js').runCli(process.argv.slice(2));
