import * as z from 'zod';
import { CHANNEL_PATTERN } from '../protocol/codes';

// The schema of the settings settings.ts reads (loaded on the first read, not at activation).

const Cadence = z.number().int().min(1).max(24 * 60).nullable();

/** The settings the extension reads, validated: a bad value gives a clear message naming the setting. */
export const Settings = z.object({
  serverUrl: z.string().trim(),
  channel: z.string().regex(CHANNEL_PATTERN, 'must be lowercase letters, digits and dashes (e.g. payments-oncall)'),
  userId: z.string().trim().max(200),
  userName: z.string().trim().max(200),
  cadence: z.object({ SEV1: Cadence, SEV2: Cadence, SEV3: Cadence, SEV4: Cadence }),
  selectionMaxChars: z.number().int().min(100).max(16_000),
});
export type Settings = z.infer<typeof Settings>;
