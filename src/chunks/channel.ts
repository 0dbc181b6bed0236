// Lazy chunk (scripts/lazyChunks.mjs): the channel's client side — the client, its outbox, the socket transport
// (which loads dist/ws.js when it first dials), the protocol's schemas — and the status-update webhook queue.
// Loaded when the channel starts, just after activation (which does not wait for it). Errors cross this edge by
// brand (core/brand.ts).
export { ChannelClient } from '../sync/channelClient';
export { Outbox } from '../sync/outbox';
export { WsTransport } from '../sync/wsTransport';
export {
  JsonFileWebhookQueueStore, LEGACY_WEBHOOK_TOKEN_KEY, tokenProblem, validateWebhookUrl, webhookOrigin, WebhookOutbox, webhookTokenKey,
} from '../sync/webhookDelivery';
export { escalationFix, escalationKeyName, escalationSender, QueuedEscalation } from '../sync/escalationDelivery';
