// Entry of dist/server.js. Run directly it is the CLI; required (bin/incident-room-server.js, the benchmark) it
// exports the pieces.
import { runCli } from './cli';

export { runCli } from './cli';
export { startServer, DEFAULT_LIMITS } from './channelServer';
export { ChannelCore } from './channel';
export { SERVER_NODE_FLAGS } from './nodeFlags';
export { FileStore } from '../store/fileStore';
export { MemoryStore } from '../store/memoryStore';
export { PostgresStore } from '../store/postgresStore';

if (require.main === module) void runCli(process.argv.slice(2));
