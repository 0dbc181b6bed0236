import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type ParsedAlerts, PayloadError, parseAlertPayload } from '../../../src/server/alertPayload';
import type { BodyBytes } from '../../../src/server/alertsJson';
import { nextSlice } from '../../../src/server/slices';
import { alertmanagerBody, ALERTMANAGER_V4, AM_EXTERNAL_URL, fingerprintOf, GRAFANA, stormAlert } from './alertPayloads';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'alertmanager');
/** What Alertmanager 0.25.0 really posted: two firing alerts, then the same two resolved. */
const FIRING = readFileSync(path.join(FIXTURES, 'firing.json'), 'utf8');
const RESOLVED = readFileSync(path.join(FIXTURES, 'resolved.json'), 'utf8');

type Body = Record<string, unknown> & { alerts: Record<string, unknown>[] };

/** `text` with its payload edited as an object (the way monitoring other than Alertmanager may build one). */
function edit(text: string, change: (body: Body) => void): string {
  const body = JSON.parse(text) as Body;
  change(body);
  return JSON.stringify(body);
}

/** The error a body is refused with. */
async function refusal(body: BodyBytes): Promise<PayloadError> {
  try {
    await parseAlertPayload(body);
  } catch (e) {
    assert.ok(e instanceof PayloadError, String(e));
    return e;
  }
  throw new Error('the body was taken');
}

/** `text`'s UTF-8 bytes cut into chunks of the given sizes in turn, as a request body arrives. */
function chunked(text: string, sizes: readonly number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length]!;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Parse `body` while other background work (waiting for its slices as the parser does, first come first served)
 * runs: how many turns the other work got before the parse was done.
 */
async function parsedBesideOtherWork(body: BodyBytes): Promise<{ parsed: ParsedAlerts; otherTurns: number }> {
  let done = false;
  let otherTurns = 0;
  const parsing = parseAlertPayload(body).finally(() => {
    done = true;
  });
  const other = (async () => {
    while (!done) {
      await nextSlice();
      if (!done) otherTurns++;
    }
  })();
  const parsed = await parsing;
  await other;
  return { parsed, otherTurns };
}

/** A body the byte scanner cannot split (`alerts` named twice: JSON.parse takes the last), read the slow way. */
const namedTwice = (body: string): string => `{"alerts":[],${body.trimStart().slice(1)}`;

/** Spreadsheet-style names, as Grafana names its queries: A, B, … Z, AA, AB, … */
const queryName = (i: number): string => (i < 26 ? '' : String.fromCharCode(65 + Math.floor(i / 26) - 1)) + String.fromCharCode(65 + (i % 26));

describe('server/alertPayload: what a signal is made of', () => {
  // On-call reads a signal's times as Alertmanager meant them: no end while firing, the real end once resolved,
  // and never the year 1 from Go's zero time.
  describe('times', () => {
    it('takes Alertmanager\'s captured notifications alert by alert: firing with no end, resolved with its own end', async () => {
      const firing = (await parseAlertPayload(FIRING)).alerts;
      const resolved = (await parseAlertPayload(RESOLVED)).alerts;
      assert.deepEqual(firing.map((a) => [a.fingerprint, a.status, a.labels['instance'], a.startsAt, a.endsAt]), [
        ['c6fd86708fca2138', 'firing', 'checkout-api-7d9f8-abcde:8080', '2026-12-02T17:15:58.428Z', null],
        [firing[1]!.fingerprint, 'firing', 'checkout-api-7d9f8-fghij:8080', firing[1]!.startsAt, null],
      ]);
      assert.deepEqual(resolved.map((a) => [a.fingerprint, a.status, a.endsAt]), [
        ['c6fd86708fca2138', 'resolved', '2026-12-02T17:15:59.499Z'],
        [firing[1]!.fingerprint, 'resolved', (JSON.parse(RESOLVED) as Body).alerts[1]!['endsAt']],
      ]);
      for (const a of [...firing, ...resolved]) {
        assert.deepEqual(a.annotations, {
          description: 'checkout-api answers 5xx to 7.3% of requests in eu-west-1 (threshold 5%).',
          runbook_url: 'https://runbooks.example.com/checkout/high-error-rate', summary: 'Checkout 5xx above 5% for 5 minutes',
        });
        assert.match(String(a.generatorURL), /^http:\/\/prometheus\.example\.com:9090\/graph\?g0\.expr=/);
        assert.equal(a.receiver, 'incident-room');
      }
    });

    it('a resolved alert whose end is Go\'s zero time, before 1971 or missing ends when it arrived; an end from 1971 on is kept', async () => {
      const resolvedEndingAt = async (endsAt: string | undefined): Promise<{ endsAt: string | null; before: number; after: number }> => {
        const body = edit(RESOLVED, (b) => {
          if (endsAt === undefined) delete b.alerts[0]!['endsAt'];
          else b.alerts[0]!['endsAt'] = endsAt;
        });
        const before = Date.now();
        const [a] = (await parseAlertPayload(body)).alerts;
        return { endsAt: a!.endsAt, before, after: Date.now() };
      };
      for (const endsAt of ['0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1970-12-31T23:59:59.999Z', undefined]) {
        const r = await resolvedEndingAt(endsAt);
        const at = Date.parse(String(r.endsAt));
        assert.ok(at >= r.before && at <= r.after, `${String(endsAt)} ended at ${String(r.endsAt)}, not when it arrived`);
      }
      assert.equal((await resolvedEndingAt('1971-01-01T00:00:00Z')).endsAt, '1971-01-01T00:00:00.000Z');
      assert.equal((await resolvedEndingAt('2026-12-02T18:15:59.499+01:00')).endsAt, '2026-12-02T17:15:59.499Z');
    });
  });

  // A signal holds what the protocol allows (64 labels, names of 1 to 256 characters, values up to 4,096); monitoring
  // has no such limits, and Alertmanager does not retry a refusal: the alert is bounded rather than lost.
  describe('labels, annotations and values bounded', () => {
    it('drops a label with an empty name or one over 256 characters, keeps names of 1 and 256; cuts a value only over 4,096 characters', async () => {
      const labels = {
        alertname: 'HighErrorRate', x: 'one character', ['n'.repeat(256)]: 'the longest name', '': 'no name',
        ['m'.repeat(257)]: 'a name too long', severity: 'critical',
      };
      const annotations = { description: 'd'.repeat(4096), summary: 's'.repeat(4097) };
      const [a] = (await parseAlertPayload(alertmanagerBody([stormAlert(0, { labels, annotations })]))).alerts;
      assert.deepEqual(a!.labels, { alertname: 'HighErrorRate', x: 'one character', ['n'.repeat(256)]: 'the longest name', severity: 'critical' });
      assert.equal(a!.annotations['description'], 'd'.repeat(4096), 'a value of 4,096 characters is kept whole');
      assert.equal(a!.annotations['summary'], `${'s'.repeat(4095)}…`);
    });

    it('of more than 64 labels keeps the well-known names first (alertname even when 75 names sort before it), then the rest by name, however they are sent', async () => {
      // An alert carrying 75 cloud tags as labels: AWS-style capitalised names, which sort before every lowercase one.
      const wellKnown: Record<string, string> = { alertname: 'HighErrorRate', instance: '10.0.0.7:8080', runbook_url: 'https://runbooks.example.com/x', service: 'checkout', severity: 'critical' };
      const tags = Array.from({ length: 75 }, (_, i) => `Tag_${String(i).padStart(2, '0')}`);
      const names = [...Object.keys(wellKnown), ...tags];
      const expected = [...Object.keys(wellKnown), ...tags.slice(0, 59)].sort();
      const orders: [string, string[]][] = [
        ['by name, as Alertmanager sends them', [...names].sort()],
        ['in reverse', [...names].sort().reverse()],
        ['shuffled', names.map((_, i) => names[(i * 37) % names.length]!)],
        ['well-known names last', [...tags, ...Object.keys(wellKnown)]],
      ];
      for (const [how, order] of orders) {
        const labels = Object.fromEntries(order.map((n) => [n, wellKnown[n] ?? `value of ${n}`]));
        const [a] = (await parseAlertPayload(alertmanagerBody([stormAlert(0, { labels })]))).alerts;
        assert.deepEqual(Object.keys(a!.labels).sort(), expected, how);
        assert.equal(a!.labels['alertname'], 'HighErrorRate', how);
        assert.equal(a!.labels['Tag_58'], 'value of Tag_58', how);
      }
    });

    it('keeps the first 64 of Grafana\'s query values, in order, a value that is not a number as null', async () => {
      const values: Record<string, number | null> = {};
      for (let i = 0; i < 100; i++) values[queryName(i)] = i === 1 ? null : i / 10;
      const [a] = (await parseAlertPayload(edit(GRAFANA, (b) => {
        b.alerts[0]!['values'] = values;
      }))).alerts;
      assert.deepEqual(Object.entries(a!.values ?? {}), Object.entries(values).slice(0, 64));
      assert.equal(a!.values?.['B'], null);
      assert.equal('CL' in (a!.values ?? {}), false);
    });
  });

  // Clients render these as links: only http(s) ones are kept, and each alert says where it came from.
  describe('links and source', () => {
    it('drops a Grafana link that is not http(s) or empty, keeps the others; an empty externalURL or receiver is left out', async () => {
      const body = edit(GRAFANA, (b) => {
        b['externalURL'] = '';
        b['receiver'] = '';
        Object.assign(b.alerts[0]!, { silenceURL: 'javascript:fetch("//evil")', dashboardURL: '', panelURL: 'ftp://grafana.example.com/d/4', generatorURL: '' });
      });
      const [a] = (await parseAlertPayload(body)).alerts;
      assert.deepEqual(
        ['silenceURL', 'dashboardURL', 'panelURL', 'externalURL', 'receiver'].filter((k) => k in a!), [],
      );
      assert.equal(a!.generatorURL, null);
      const [kept] = (await parseAlertPayload(GRAFANA)).alerts;
      assert.deepEqual([kept!.silenceURL, kept!.panelURL, kept!.externalURL, kept!.receiver], [
        'https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DCheckout+latency&orgId=1',
        'https://grafana.example.com/d/checkout-red?orgId=1&viewPanel=4', 'https://grafana.example.com/', 'incident-room',
      ]);
    });
  });

  // Monitoring shows the answer to a refused notification in its own log: the field named is the one to fix.
  describe('refusals', () => {
    it('takes version "1" only with Grafana\'s orgId, and names `version` otherwise', async () => {
      const refused: [string, string][] = [
        [edit(ALERTMANAGER_V4, (b) => void (b['version'] = '1')), '"1"'],
        [edit(GRAFANA, (b) => void delete b['orgId']), '"1"'],
        [edit(GRAFANA, (b) => void (b['version'] = '2')), '"2"'],
        [edit(GRAFANA, (b) => void (b['version'] = '')), '""'],
      ];
      for (const [body, got] of refused) {
        const e = await refusal(body);
        assert.equal(e.field, 'version');
        assert.equal(String(e), `PayloadError: version: expected "4" (Alertmanager) or "1" with orgId (Grafana), got ${got}`);
      }
      // Alertmanager's version 4 is taken with or without an orgId.
      const withOrg = await parseAlertPayload(edit(GRAFANA, (b) => void (b['version'] = '4')));
      assert.deepEqual([withOrg.envelope.version, withOrg.envelope.orgId, withOrg.alerts.length], ['4', 1, 1]);
    });

    it('names the field of a Grafana alert or of the envelope that is wrong', async () => {
      const cases: [string, string, string][] = [
        [edit(GRAFANA, (b) => void (b.alerts[0]!['values'] = { A: '2.37' })), 'alerts[0].values.A', 'expected number, got string'],
        [edit(GRAFANA, (b) => void (b.alerts[0]!['panelURL'] = 7)), 'alerts[0].panelURL', 'expected string, got number'],
        [edit(GRAFANA, (b) => void (b['orgId'] = 1.5)), 'orgId', 'expected int, got number'],
        [edit(FIRING, (b) => void (b['truncatedAlerts'] = -1)), 'truncatedAlerts', 'must be at least 0'],
        [edit(FIRING, (b) => void (b.alerts[1]!['endsAt'] = 'never')), 'alerts[1].endsAt', 'expected an ISO-8601 time with a zone, like 2026-11-22T14:04:00.000Z'],
      ];
      for (const [body, field, problem] of cases) {
        const e = await refusal(body);
        assert.deepEqual([e.field, e.message], [field, `${field}: ${problem}`]);
      }
    });
  });

  // A body the fast byte scanner cannot take apart (here `alerts` named twice, which JSON.parse reads as the last
  // one) is read the slow way, and must mean exactly what it means to JSON.parse.
  describe('bodies read whole', () => {
    it('takes alerts named twice as JSON.parse does: the last array counts', async () => {
      const { envelope, alerts } = await parseAlertPayload(namedTwice(FIRING));
      assert.deepEqual({ envelope, alerts }, await parseAlertPayload(FIRING));
      assert.equal(alerts.length, 2);
      assert.equal((await parseAlertPayload(`${FIRING.trimEnd().slice(0, -1)},"alerts":[]}`)).alerts.length, 0, 'the last, empty, array counts');
    });

    it('refuses a body that is not an object with alerts, naming `alerts`: null, a number, a string, an array, alerts that is an object', async () => {
      for (const body of ['null', '42', '"alerts"', '[{"alerts":[]}]']) {
        const e = await refusal(body);
        assert.deepEqual([e.field, e.message], ['alerts', 'alerts: required (expected array)'], body);
      }
      const notArray = (value: (b: Body) => unknown) => edit(FIRING, (b) => void ((b as Record<string, unknown>)['alerts'] = value(b)));
      for (const body of [notArray((b) => ({ 0: b.alerts[0] })), notArray(() => 'none')]) {
        const e = await refusal(body);
        assert.deepEqual([e.field, e.message], ['alerts', 'alerts: expected array']);
      }
    });
  });

  // A storm is taken in slices so the channel's live events go on; a small notification is not made to wait for
  // turns it does not need; and no alert is lost or moved, however the body arrived.
  describe('slices', () => {
    it('lets other work take turns while a 3,000-alert body read whole is checked, losing and reordering no alert', async function () {
      this.timeout(20_000);
      const storm = Array.from({ length: 3000 }, (_, i) => stormAlert(i));
      const { parsed, otherTurns } = await parsedBesideOtherWork(namedTwice(alertmanagerBody(storm)));
      assert.ok(otherTurns >= 1, `other work got ${otherTurns} turns while the alerts were checked`);
      assert.deepEqual(parsed.alerts.map((a) => a.fingerprint), storm.map((_, i) => fingerprintOf(i)));
      assert.equal(parsed.alerts[2999]!.labels['pod'], (storm[2999]!['labels'] as Record<string, string>)['pod']);
    });

    it('takes a 3,000-alert storm arriving in chunks cut anywhere (inside characters too) whole and in order, letting other work take turns', async function () {
      this.timeout(20_000);
      const storm = Array.from({ length: 3000 }, (_, i) => stormAlert(i, { annotations: { summary: `Störung №${i} — caf\u00e9 😱`, description: `Alert ${i}` } }));
      const body = alertmanagerBody(storm);
      const { parsed, otherTurns } = await parsedBesideOtherWork(chunked(body, [1, 7, 4093, 65_536, 333]));
      assert.ok(otherTurns >= 1, `other work got ${otherTurns} turns`);
      assert.equal(parsed.alerts.length, 3000);
      parsed.alerts.forEach((a, i) => {
        assert.equal(a.fingerprint, fingerprintOf(i));
        assert.deepEqual(a.annotations, { summary: `Störung №${i} — caf\u00e9 😱`, description: `Alert ${i}` });
        assert.equal(a.externalURL, AM_EXTERNAL_URL);
      });
    });
  });
});
