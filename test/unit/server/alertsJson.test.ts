import assert from 'node:assert/strict';
import { splitAlerts } from '../../../src/server/alertsJson';
import { alertmanagerBody, ALERTMANAGER_V4, GRAFANA, stormAlert } from './alertPayloads';

/** What the split means: the envelope with the elements put back, parsed; or the error JSON.parse gives. */
async function viaSplit(text: string): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const split = await splitAlerts(text);
  if (!split) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false };
    }
  }
  try {
    const envelope = JSON.parse(split.envelope) as Record<string, unknown>;
    envelope['alerts'] = split.elements.map((e) => JSON.parse(e) as unknown);
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
    // The storm (1.1 MB) is scanned over several turns of the event loop.
    for (const body of [ALERTMANAGER_V4, GRAFANA, alertmanagerBody(Array.from({ length: 1000 }, (_, i) => stormAlert(i)))]) {
      const split = await splitAlerts(body);
      assert.ok(split, 'found the alerts array');
      assert.equal(split.elements.length, (JSON.parse(body) as { alerts: unknown[] }).alerts.length);
      assert.deepEqual(await viaSplit(body), direct(body));
      assert.equal((JSON.parse(split.envelope) as { alerts: unknown[] }).alerts.length, 0);
    }
  });

  it('finds only the top-level alerts array, whatever strings, escapes and nesting surround it', async () => {
    const tricky = `{"a":"\\"alerts\\": [1,2]","nested":{"alerts":[9]},"x":[{"alerts":[8]}], "alerts" :\t[ {"s":"]},{\\\\"} , {"t":[1,{"u":"\\\\"}]} ] ,"z":"}"}`;
    const split = await splitAlerts(tricky);
    assert.ok(split);
    assert.equal(split.elements.length, 2);
    assert.deepEqual(await viaSplit(tricky), direct(tricky));
    assert.deepEqual((await splitAlerts('{"alerts":[]}'))?.elements, []);
    assert.deepEqual((await splitAlerts('{"alerts":[ ]}'))?.elements, []);
  });

  it('leaves to JSON.parse what it cannot split exactly: no alerts, two of them, an escaped key, a top-level array, trailing text', async () => {
    for (const text of ['{"version":"4"}', '{"alerts":[1],"alerts":[2]}', '{"\\u0061lerts":[1]}', '[{"alerts":[1]}]', '{"alerts":[1]} x', '{"alerts":[1]}{}', '{"alerts":"[1]"}', '{"alerts":[1', '"text"', '']) {
      assert.equal(await splitAlerts(text), null, text);
    }
  });

  it('agrees with JSON.parse on thousands of bodies, valid and broken one byte at a time', async () => {
    const next = rng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const atoms = ['1', '-2.5e3', 'true', 'null', '"s"', '"a\\"b"', '"\\\\"', '"]"', '"}"', '"{"', '","', '[]', '{}'];
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
        const at = Math.floor(next() * body.length);
        body = next() < 0.5 ? body.slice(0, at) + pick(junk) + body.slice(at) : body.slice(0, at) + body.slice(at + 1);
      }
      if (await splitAlerts(body)) splitCount++;
      assert.deepEqual(await viaSplit(body), direct(body), body);
    }
    assert.ok(splitCount > 1000, `only ${splitCount} bodies were split`);
  });
});
