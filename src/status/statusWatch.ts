import * as z from 'zod';
import { RequestId } from '../protocol/messages';

/**
 * Client → server (PROTOCOL.md "Status page"): send me the channel's status page now and whenever it changes.
 * Full zod, as the rest of the server's schemas: the extension's local mode bundles the server with its zod chunk.
 */
export const WatchStatusMessage = z.object({ type: z.literal('watchStatus'), requestId: RequestId });
export type WatchStatusMessage = z.infer<typeof WatchStatusMessage>;
