#!/usr/bin/env node
'use strict';
// The npm bin: the bundled server (run `npm run build` first; `npm start` does).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../dist/server.js').runCli(process.argv.slice(2));
