import assert from 'node:assert/strict';
import { type SplitAlerts, splitAlerts } from '../../../src/server/alertsJson';
import { alertmanagerBody, ALERTMANAGER_V4, GRAFANA, stormAlert } from './alertPayloads';

/** Every element's text (null for one that is not UTF-8). */
function elementsOf(split: SplitAlerts): (string | null)[] {
  return Array.from({ length: split.count }, (_, i) => split.element(i));
}

/** `text`'s UTF-8 bytes cut into chunks of `size` bytes (or at the given offsets), as a request body arrives. */
function chunked(text: string | Buffer, size: number): Buffer[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/**
 * What the split means: the envelope with the elements put back, parsed; or the error JSON.parse gives. The body is
 * split as it arrives, in chunks of `chunkSize` bytes (the whole body in one by default).
 */
async function viaSplit(text: string, chunkSize = Infinity): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const split = await splitAlerts(chunkSize === Infinity ? text : chunked(text, chunkSize));
  if (!split) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false };
    }
  }
  try {
    const envelope = JSON.parse(split.envelope ?? 'not UTF-8') as Record<string, unknown>;
    envelope['alerts'] = elementsOf(split).map((e) => JSON.parse(e ?? 'not UTF-8') as unknown);
    return { ok: true, value: envelope };
  } catch {
    return { ok: false };
  }
}

function direct(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** A tiny deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('server/alertsJson', () => {
  it('splits real payloads into the envelope and each alert, meaning exactly what JSON.parse means', async () => {
    // The storm (1.1 MB) is scanned a few milliseconds per turn of the event loop.
    for (const body of [ALERTMANAGER_V4, GRAFANA, alertmanagerBody(Array.from({ length: 1000 }, (_, i) => stormAlert(i)))]) {
      const split = await splitAlerts(body);
      assert.ok(split, 'found the alerts array');
      assert.equal(split.count, (JSON.parse(body) as { alerts: unknown[] }).alerts.length);
      assert.deepEqual(await viaSplit(body), direct(body));
      // As a request body arrives: in the socket's 64 KiB chunks, and in pieces that cut keys, strings and characters.
      assert.deepEqual(await viaSplit(body, 65536), direct(body));
      assert.deepEqual(await viaSplit(body, 7), direct(body));
      assert.equal((JSON.parse(split.envelope ?? '') as { alerts: unknown[] }).alerts.length, 0);
    }
  });

  it('finds only the top-level alerts array, whatever strings, escapes and nesting surround it', async () => {
    const tricky = `{"a":"\\"alerts\\": [1,2]","nested":{"alerts":[9]},"x":[{"alerts":[8]}], "alerts" :\t[ {"s":"]},{\\\\"} , {"t":[1,{"u":"\\\\"}]} ] ,"z":"}"}`;
    const split = await splitAlerts(tricky);
    assert.ok(split);
    assert.equal(split.count, 2);
    assert.deepEqual(await viaSplit(tricky), direct(tricky));
    for (let size = 1; size <= 12; size++) assert.deepEqual(await viaSplit(tricky, size), direct(tricky), `in chunks of ${size} bytes`);
    assert.equal((await splitAlerts('{"alerts":[]}'))?.count, 0);
    assert.equal((await splitAlerts('{"alerts":[ ]}'))?.count, 0);
    assert.deepEqual(elementsOf((await splitAlerts('{"alerts":[1,]}'))!), ['1', ''], 'an empty last element, which JSON.parse refuses');
  });

  it('reads text in any language, whichever chunk each byte of a character arrives in; a byte order mark is ignored', async () => {
    const body = JSON.stringify({ version: '4', 'clé': 'façade ☕', alerts: [{ summary: 'Zahlungen schlagen fehl — 決済が失敗 🔥' }, { s: 'ü' }] });
    for (let size = 1; size <= 5; size++) {
      const split = await splitAlerts(chunked(body, size));
      assert.ok(split, `in chunks of ${size} bytes`);
      assert.deepEqual(elementsOf(split).map((e) => JSON.parse(e!) as unknown), [{ summary: 'Zahlungen schlagen fehl — 決済が失敗 🔥' }, { s: 'ü' }]);
      assert.deepEqual(JSON.parse(split.envelope!), { version: '4', 'clé': 'façade ☕', alerts: [] });
    }
    const withBom = await splitAlerts(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]));
    assert.equal(withBom?.count, 2);
  });

  it('says which part is not UTF-8: an element, or the envelope; a byte that is not UTF-8 never becomes text', async () => {
    const good = Buffer.from('{"version":"4","alerts":[{"a":"ok"},{"a":"X"}],"receiver":"Y"}');
    const badElement = Buffer.from(good);
    badElement[good.indexOf('X')] = 0xff;
    const split = await splitAlerts(chunked(badElement, 5));
    assert.ok(split);
    assert.deepEqual(elementsOf(split), ['{"a":"ok"}', null]);
    assert.deepEqual(JSON.parse(split.envelope!), { version: '4', alerts: [], receiver: 'Y' });
    const badEnvelope = Buffer.from(good);
    badEnvelope[good.indexOf('Y')] = 0xc3; // the first byte of a two-byte character, then a quote
    const envelopeSplit = await splitAlerts(badEnvelope);
    assert.equal(envelopeSplit?.envelope, null);
    assert.deepEqual(elementsOf(envelopeSplit!), ['{"a":"ok"}', '{"a":"X"}']);
  });

  it('leaves to JSON.parse what it cannot split exactly: no alerts, two of them, an escaped key, a top-level array, trailing text', async () => {
    for (const text of ['{"version":"4"}', '{"alerts":[1],"alerts":[2]}', '{"\\u0061lerts":[1]}', '[{"alerts":[1]}]', '{"alerts":[1]} x', '{"alerts":[1]}{}', '{"alerts":"[1]"}', '{"alerts":[1', '"text"', '']) {
      assert.equal(await splitAlerts(text), null, text);
    }
  });

  it('agrees with JSON.parse on thousands of bodies, valid and broken one byte at a time', async () => {
    const next = rng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const atoms = ['1', '-2.5e3', 'true', 'null', '"s"', '"a\\"b"', '"\\\\"', '"]"', '"}"', '"{"', '","', '[]', '{}', '"é,€"', '"🔥]"'];
    const value = (depth: number): string => {
      if (depth > 2 || next() < 0.4) return pick(atoms);
      if (next() < 0.5) return `[${Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1)).join(',')}]`;
      return `{${Array.from({ length: Math.floor(next() * 3) }, (_, i) => `"k${i}":${value(depth + 1)}`).join(',')}}`;
    };
    const junk = [',', ']', '[', '{', '}', '"', '\\', ':', ' ', 'x', '1'];
    let splitCount = 0;
    for (let n = 0; n < 3000; n++) {
      const alerts = Array.from({ length: Math.floor(next() * 4) }, () => value(0)).join(pick([',', ' , ', ',\n']));
      let body = `{"version":"4",${next() < 0.3 ? `"x":${value(0)},` : ''}"alerts":[${alerts}]${next() < 0.3 ? `,"y":${value(0)}` : ''}}`;
      if (next() < 0.6) {
        // One character added or taken away (a whole character: a request body is bytes of whole characters).
        const chars = Array.from(body);
        const at = Math.floor(next() * chars.length);
        if (next() < 0.5) chars.splice(at, 0, pick(junk));
        else chars.splice(at, 1);
        body = chars.join('');
      }
      if (await splitAlerts(body)) splitCount++;
      assert.deepEqual(await viaSplit(body), direct(body), body);
      // And as it might arrive: cut anywhere, even inside a character.
      const size = 1 + Math.floor(next() * 9);
      assert.deepEqual(await viaSplit(body, size), direct(body), `${body} in chunks of ${size} bytes`);
    }
    assert.ok(splitCount > 1000, `only ${splitCount} bodies were split`);
  });
});
