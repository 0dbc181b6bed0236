// Lazy chunk (scripts/lazyChunks.mjs): everything commands take — the command table's schemas, the handlers and
// their prompts, the postmortem and status-update drafts, rollback planning, the error mapping — and the sidebar's
// message schemas (derived from the table). Loaded on the first command or sidebar message, not at activation.
// Errors cross this edge by brand (core/brand.ts).
export { runCommand } from '../extension/commandInvoke';
export { commandHandlers } from '../extension/commandHandlers';
export { resolveDeploy } from '../extension/deployCommands';
export { openNoteSource } from '../extension/scribeCapture';
export { WebviewToHost } from '../protocol/webviewMessages';
export { parseCatalog } from '../git/mitigationCatalog';
