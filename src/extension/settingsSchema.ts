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

/** An http(s) URL, or undefined. */
function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * incidentRoom.escalation.url: where Escalate posts its Events API v2 `trigger`; empty turns escalation off. The
 * routing key is never part of it: it is a secret, kept per origin in SecretStorage.
 */
export const EscalationUrl = z.string().trim()
  .refine((v) => v === '' || httpUrl(v) !== undefined, 'must be an http(s) URL such as https://events.pagerduty.com/v2/enqueue (PagerDuty\'s Events API v2), or empty to turn escalation off')
  .refine((v) => {
    const url = httpUrl(v);
    return !url || (!url.username && !url.password);
  }, 'must not contain a user name or password: the routing key is set with "Incident: Set Escalation Routing Key" and kept in SecretStorage');
