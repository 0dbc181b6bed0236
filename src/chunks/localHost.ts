// Lazy chunk (scripts/lazyChunks.mjs): local mode's hosting — the channel server, the file store, the WebSocket
// server — loads when local mode opens its first link, not at activation. Only src/local/localChannelHost.ts loads it.
export { LocalHosting } from '../local/localHosting';
