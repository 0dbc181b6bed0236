// Lazy chunk (scripts/lazyChunks.mjs), named after the package so that it is where every extension-side bundle gets
// ws: the WebSocket client loads when a window first dials a channel server (src/sync/wsTransport.ts), not at
// activation — local mode's hosting window never needs it — and the localHost chunk's server takes its
// WebSocketServer from here too, so ws is loaded once.
export { WebSocket, WebSocketServer } from 'ws';
