import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { EscalationTrigger } from '../../../src/core/escalationTrigger';
import {
  deliverEscalation, EscalationError, escalationFix, isPagerDutyOrigin, routingKeyProblem, type EscalationFix,
} from '../../../src/sync/escalationDelivery';
import { httpReceiver } from '../../support/httpReceiver';

// What an escalation failure tells the responder (the message, and `fix`: which action button the extension offers),
// and which routing keys are accepted for which receiver, checked against a real Events API stand-in on loopback.

type Reply = (res: ServerResponse, n: number) => void;

/** The Events API v2, played by a real HTTP server (test/support/httpReceiver): `reply` answers the n-th request. */
const eventsApi = (reply: Reply) => httpReceiver((_, res, n) => reply(res, n), { path: '/v2/enqueue' });

const reply = (status: number, body: string | object = ''): Reply => (res) => {
  res.writeHead(status, typeof body === 'string' ? {} : { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const KEY = 'R0123456789abcdef0123456789ABCDE';
const fast = { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 };

/** A trigger as it comes back from the queue file: parsed JSON. */
function trigger(): EscalationTrigger {
  return JSON.parse(JSON.stringify({
    event_action: 'trigger',
    dedup_key: 'payments-oncall/INC-7/2026-11-22T14:00:00.000Z',
    payload: {
      summary: '[SEV2] INC-7: Checkout 5xx for EU cards (investigating)', source: 'incidents.example.com/payments-oncall', severity: 'error',
      timestamp: '2026-11-22T14:25:00.000Z', class: 'escalation', custom_details: { incident: 'INC-7' },
    },
    client: 'Incident Room',
  })) as EscalationTrigger;
}

async function refusal(p: Promise<unknown>): Promise<EscalationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EscalationError, `expected an EscalationError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected the escalation to fail');
}

const routingKeyAdvice = (host: string) => `the routing key set for http://${host} is probably wrong. Set it again with "Incident: Set Escalation Routing Key"; the page waits in the queue until it is retried`;

describe('sync/escalationDelivery: what a failed escalation tells the responder', () => {
  const servers: { close(): Promise<void> }[] = [];
  const serve = async (handler: Reply) => {
    const s = await eventsApi(handler);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('the fix offered for a failure', () => {
    const cases: [string | undefined, number | undefined, EscalationFix][] = [
      ['no_key', undefined, 'routing_key'],
      ['http', 400, 'routing_key'],
      ['http', 401, 'routing_key'],
      ['http', 403, 'routing_key'],
      ['bad_url', undefined, 'url'],
      ['http', 404, 'url'],
      ['http', 405, 'url'],
      ['http', 300, 'url'],
      ['http', 302, 'url'],
      ['http', 308, 'url'],
      ['http', 410, undefined],
      ['http', 429, undefined],
      ['http', 500, undefined],
      ['http', 503, undefined],
      ['network', undefined, undefined],
      ['timeout', undefined, undefined],
      [undefined, undefined, undefined],
    ];
    it('a missing or refused key: set the key; a wrong address or a redirect: fix the URL; anything else: wait', () => {
      const got = cases.map(([code, status]) => [code, status, escalationFix(code, status)]);
      assert.deepEqual(got, cases);
    });

    it('a 401 with an empty reply: the key, and nothing after the status', async () => {
      const api = await serve(reply(401));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.equal(err.fix, 'routing_key');
      assert.equal(err.message, `the escalation endpoint at ${api.host} refused the page (401): ${routingKeyAdvice(api.host)}`);
      assert.equal(String(err).split(':')[0], 'EscalationError', 'the log names what failed');
      assert.equal(err.name, 'EscalationError');
    });

    it('a 403 with a plain-text reply: the key, and the reply as it came', async () => {
      const api = await serve(reply(403, 'Forbidden: this integration is disabled'));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.equal(err.fix, 'routing_key');
      assert.equal(err.message, `the escalation endpoint at ${api.host} refused the page (403: Forbidden: this integration is disabled): ${routingKeyAdvice(api.host)}`);
    });

    it('a JSON reply says its words only: no empty ones, nothing that is not text', async () => {
      const api = await serve(reply(400, { message: 'Event object is invalid', errors: ['\'routing_key\' is missing', { field: 'payload' }, 42] }));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.equal(err.message, `the escalation endpoint at ${api.host} refused the page (400: Event object is invalid; 'routing_key' is missing): ${routingKeyAdvice(api.host)}`);
    });

    it('a JSON reply without any words of text is shown as it came', async () => {
      const body = { status: 400, message: { routing_key: ['is invalid'] } };
      const api = await serve(reply(400, body));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.equal(err.message, `the escalation endpoint at ${api.host} refused the page (400: ${JSON.stringify(body)}): ${routingKeyAdvice(api.host)}`);
    });

    it('a 405: the URL, with the address that would work', async () => {
      const api = await serve(reply(405, 'Method Not Allowed'));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.equal(err.fix, 'url');
      assert.equal(err.message, `the escalation endpoint at ${api.host} answered 405: Method Not Allowed: incidentRoom.escalation.url is probably not an Events API v2 address (PagerDuty's is https://events.pagerduty.com/v2/enqueue)`);
      assert.equal(api.received.length, 1);
    });

    it('a 500 every time: the delivery\'s own words, with no advice about the key or the URL', async () => {
      const api = await serve(reply(500, 'Internal Server Error'));
      const err = await refusal(deliverEscalation(api.url, KEY, trigger(), fast));
      assert.deepEqual([err.fix, err.retryable, err.attempts], [undefined, true, 2]);
      assert.equal(err.message, `escalation endpoint at ${api.host} answered 500 Internal Server Error: Internal Server Error`);
    });

    it('a URL that is not http(s): the URL, with the setting\'s own complaint', async () => {
      const err = await refusal(deliverEscalation('ftp://events.example.com/v2/enqueue', KEY, trigger(), fast));
      assert.deepEqual([err.code, err.fix, err.retryable, err.status], ['bad_url', 'url', false, undefined]);
      assert.equal(err.message, 'Webhook URL must start with https:// or http:// (this one starts with ftp:).');
    });
  });

  describe('which receivers are PagerDuty, and the keys they take', () => {
    it('pagerduty.com and its subdomains are PagerDuty; a look-alike host or something that is not an origin is not', () => {
      assert.equal(isPagerDutyOrigin('https://events.pagerduty.com'), true);
      assert.equal(isPagerDutyOrigin('https://events.EU.PagerDuty.com'), true);
      assert.equal(isPagerDutyOrigin('https://pagerduty.com'), true);
      assert.equal(isPagerDutyOrigin('https://events.pagerduty.com.hooks.example.net'), false);
      assert.equal(isPagerDutyOrigin('https://notpagerduty.com'), false);
      assert.equal(isPagerDutyOrigin('events.pagerduty.com'), false, 'not an origin: no scheme');
    });

    it('a look-alike host is held to no PagerDuty key shape; PagerDuty itself is', () => {
      assert.equal(routingKeyProblem('team-key-7', 'https://events.pagerduty.com.hooks.example.net'), undefined);
      assert.match(routingKeyProblem('team-key-7', 'https://pagerduty.com') ?? '', /32 letters and digits \(this one has 10 characters\)/);
    });

    it('PagerDuty\'s keys are exactly 32 letters and digits: 33 is one too many', () => {
      assert.match(routingKeyProblem(`${KEY}F`, 'https://events.pagerduty.com') ?? '', /32 letters and digits \(this one has 33 characters\)/);
      assert.match(routingKeyProblem(`-${KEY}`, 'https://events.pagerduty.com') ?? '', /this one has 33 characters/);
    });

    it('another receiver\'s key may be up to 1024 characters', () => {
      const origin = 'https://alerts.example.com';
      assert.equal(routingKeyProblem('k'.repeat(1024), origin), undefined);
      assert.equal(routingKeyProblem('k'.repeat(1025), origin), 'At most 1024 characters');
    });
  });
});
