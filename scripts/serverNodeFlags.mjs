// The node flags a build of the channel server is deployed with (src/server/nodeFlags.ts; its bundle exports them),
// so what starts dist/server.js here (the demo, the benches, the workbench tests) starts it as `npm start` does.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `SERVER_NODE_FLAGS` of the bundle at `serverJs`; none for a build from before there were any. */
export function serverNodeFlags(serverJs) {
  return require(serverJs).SERVER_NODE_FLAGS ?? [];
}
