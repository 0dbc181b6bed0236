#!/usr/bin/env node
'use strict';
// The npm bin: the bundled server (run `npm run build` first; `npm start` does). Its node flags (README, "The channel
// server") come through NODE_OPTIONS: `env -S` on the #! line would pass them, but BusyBox's env (Alpine) has no -S.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../dist/server.js').runCli(process.argv.slice(2));
