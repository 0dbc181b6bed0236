import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { PayloadError, parseAlertPayload } from '../../../src/server/alertPayload';
import { Bytes, type SplitAlerts, splitAlerts } from '../../../src/server/alertsJson';
import { ALERTMANAGER_V4, GRAFANA } from './alertPayloads';

type Outcome = { ok: true; value: unknown } | { ok: false };

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const bytesOf = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/** Strict UTF-8 decoding, a leading byte order mark dropped: how a request body's text is read. Throws on bytes that are not UTF-8. */
const decode = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** JSON.parse's error for a text it refuses. */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`JSON.parse took ${text}`);
}

/** What the body means to JSON.parse of the whole of it. */
function direct(body: Buffer): Outcome {
  try {
    return { ok: true, value: JSON.parse(decode(body)) };
  } catch {
    return { ok: false };
  }
}

/** What a split means: its envelope parsed, with its elements parsed back in as `alerts`; not ok when any part does not decode or parse. */
function meaning(split: SplitAlerts): Outcome {
  try {
    if (split.envelope === null) return { ok: false };
    const envelope = JSON.parse(split.envelope) as Record<string, unknown>;
    const alerts: unknown[] = [];
    for (let i = 0; i < split.count; i++) {
      const text = split.element(i);
      if (text === null) return { ok: false };
      alerts.push(JSON.parse(text));
    }
    envelope['alerts'] = alerts;
    return { ok: true, value: envelope };
  } catch {
    return { ok: false };
  }
}

/**
 * Every way a body may arrive that a test here tries: whole (as a string, a buffer, one chunk), cut in two at every
 * byte, one byte a chunk, and one byte a chunk with empty chunks around and between (a byte order mark too: a
 * chunked request may bring it a byte at a time).
 */
function* arrivals(body: string | Buffer): Generator<[string, string | Buffer | Buffer[]]> {
  const bytes = bytesOf(body);
  if (typeof body === 'string') yield ['as a string', body];
  yield ['as one buffer', bytes];
  yield ['in one chunk', [bytes]];
  for (let at = 0; at <= bytes.length; at++) yield [`cut at byte ${at}`, [bytes.subarray(0, at), bytes.subarray(at)]];
  const bytewise = [bytes.subarray(0, 1)];
  for (let at = 1; at < bytes.length; at++) bytewise.push(bytes.subarray(at, at + 1));
  yield ['one byte a chunk', bytewise];
  const empty = Buffer.alloc(0);
  yield ['one byte a chunk among empty ones', [empty, ...bytewise.flatMap((c) => [c, empty, empty])]];
}

const WS = [' ', '\t', '\n', '\r'];
const wsName = (w: string): string => JSON.stringify(w);

/** Well-formed bodies with one top-level `alerts` array, as monitoring sends them and as an adversary might. */
const SHAPED: (string | Buffer)[] = [
  '{"alerts":[]}',
  '{"alerts":[1]}',
  ...WS.map((w) => `{"alerts":[${w}]}`),
  ...WS.map((w) => `${w}{${w}"version"${w}:${w}"4"${w},${w}"alerts"${w}:${w}[${w}{${w}"a"${w}:${w}[${w}1${w},${w}{${w}}${w}]${w}}${w},${w}2${w}]${w},${w}"z"${w}:${w}null${w}}${w}`),
  ' \t\r\n{ \t\r\n"alerts" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n[ \t\r\n] \t\r\n] \t\r\n} \t\r\n',
  String.raw`{"a":"\"alerts\": [1,2]","alerts":["a\"b","c\\","]","}","[","{",",",":","\\\"]","\n\t\u0041\/\b\f\r"],"z":"}]\\"}`,
  String.raw`{"alerts":["\\\\","\\\"x\\","\"","\\",{"\"":"\\"}],"k\\":"\""}`,
  '{"alerts":[[1,[2,[3]]],{"a":{"b":[{"c":[]}]}},[],{},[[]],[{}]]}',
  '{"x":{"alerts":[9]},"y":[{"alerts":[8]}],"alerts":[1,2]}',
  String.raw`{"note":"\"alerts\":[7]","alerts":[1]}`,
  '{"alerts":[1,2],"receiver":"r","groupLabels":{"alerts":[]}}',
  '{"clé":"façade ☕","alerts":[{"s":"決済が失敗 🔥 é"},"ü",{"€":"𝄞"}],"t":"€"}',
  '{"alert":[1],"alertss":[2],"Alerts":[3],"alerts":[4],"alerts ":[5]}',
  '{"labels":[1],"status":[2],"alerts":[3],"abcdef":[4],"xlerts":[5]}',
  String.raw`{"\"alerts":[1],"\\alerts":[2],"al\"erts":[3],"alerts":[4]}`,
  '{"kind":"alerts","alerts":["alerts",{"alerts":"alerts"}]}',
  '{"":"","alerts":[""," ",{"":[]}]}',
  '{"alerts":[true,false,null,-1.5e+3,0,"x"]}',
  Buffer.concat([BOM, Buffer.from('{"alerts":[1,"é"]}')]),
  Buffer.concat([BOM, Buffer.from(' {"alerts":[ ]} ')]),
  ALERTMANAGER_V4,
  GRAFANA,
];

/** Bodies JSON.parse refuses though they look like an envelope around an `alerts` array. */
const BROKEN_BUT_SHAPED: (string | Buffer)[] = [
  '{"alerts":[1,]}',
  '{"alerts":[,1]}',
  '{"alerts":[1,,2]}',
  '{"alerts":[1 2]}',
  '{"alerts":[1],}',
  '{,"alerts":[1]}',
  '{"alerts":["a"b"]}',
  Buffer.from([...Buffer.from('{"alerts":[{"a":"'), 0xff, ...Buffer.from('"}]}')]),
  Buffer.from([...Buffer.from('{"r":"'), 0xc3, ...Buffer.from('","alerts":[1]}')]),
  Buffer.from([...Buffer.from('{"alerts":["'), 0xed, 0xa0, 0x80, ...Buffer.from('"]}')]),
];

/** Well-formed bodies that have no single top-level `alerts` array: left whole to JSON.parse. */
const NOT_SHAPED_VALID: string[] = [
  '{"version":"4"}', '{}', '[{"alerts":[1]}]', '"alerts"', '1', 'null', ' {"alerts":[1],"alerts":[2]} ', '{"alerts":[],"alerts":[]}',
  String.raw`{"\u0061lerts":[1]}`, '{"labels":[1]}', '{"abcdef":[1]}', '{"xlerts":[1]}', String.raw`{"\"alerts":[1]}`, String.raw`{"\\alerts":[1]}`,
  '{"alert":[1]}', '{"alertss":[1]}', '{"x":{"alerts":[1]}}', '{"alerts":{"a":[1]}}', '{"alerts":"[1]"}', '{"alerts":null}', '{"alerts":{}}',
  '{"a":"alerts","b":[1]}',
  // The last `alerts` is the one JSON.parse keeps, whatever it holds and however it is spelled.
  '{"alerts":[1],"alerts":null}', '{"alerts":[1],"alerts":{}}', String.raw`{"alerts":[1],"\u0061lerts":[]}`, '{"alerts":null,"alerts":[1]}',
  String.raw`{"\u0061lerts":null,"alerts":[1]}`, String.raw`{"alerts":[1],"x":{"y":[2]},"ale\u0072ts":3}`,
];

/** Bodies JSON.parse refuses that the split cannot stand for: garbage around the object, a wrong bracket, an `alerts` that is not a key. */
const NOT_SHAPED_BROKEN: (string | Buffer)[] = [
  '', ' \r\n\t', 'x{"alerts":[1]}', '1{"alerts":[1]}', '"x"{"alerts":[1]}', ']{{"alerts":[1]}', '}{"alerts":[1]}', '["alerts":[1]]',
  '{"alerts":[1]} x', '{"alerts":[1]}{}', '{"alerts":[1]}]', '{"alerts":[1]}}', '{"alerts":[1]}"x"', '{"alerts":[1]},', '{"alerts":[1}}', '{"alerts":[1]]}',
  '{:[1]}', '{"alerts"[1]}', '{"alerts"x[1]}', '{"alerts":x[1]}', '{"a":1,"alerts"[1]}', '{"alerts":1,:[1]}', '{"a":[]"alerts":[1]}',
  '{"a" "alerts":[1]}', '{"a":"alerts":[1]}', '{"alerts":1,{""}:[1]}', '{"a":1,{"alerts":2}:[1]}',
  '{"alerts":["ab', '{"alerts":[1]', '{"alerts":[1],"x":"ab', String.raw`{"alerts":["\"]}`,
  // Characters that begin as a byte order mark does, and bytes that are not UTF-8 where one would be.
  '\uFEFE{"alerts":[1]}', '\uFF3F{"alerts":[1]}', '\u0EFF{"alerts":[1]}', 'x¿{"alerts":[1]}', '\uFFFF{"alerts":[1]}', '\uFEFF\uFEFF{"alerts":[1]}',
  Buffer.from([0xef, 0xbb, ...Buffer.from('{"alerts":[1]}')]), Buffer.from([0xbb, 0xbf, ...Buffer.from('{"alerts":[1]}')]), Buffer.from([0xef, ...Buffer.from('{"alerts":[1]}')]),
];

const label = (body: string | Buffer): string => JSON.stringify(bytesOf(body).toString('latin1')).slice(0, 120);

/** The refusal a webhook call with this body gets (its message is the 400's `error`). */
async function refusal(body: Buffer[]): Promise<string> {
  try {
    await parseAlertPayload(body);
  } catch (e) {
    assert.ok(e instanceof PayloadError, String(e));
    return e.message;
  }
  throw new Error('the body was taken');
}

/**
 * The split is a shortcut for `JSON.parse` of the whole body (parsing a storm alert by alert between turns of the
 * event loop): users rely on it never changing what a body means, whatever bytes it holds and however the socket
 * cut it into chunks; and on a body it cannot stand for being left whole to JSON.parse, so the refusal is about the
 * body as it was sent.
 */
describe('server/alertsJson promises: a body means what JSON.parse says, however it arrives', () => {
  it('splits every well-formed body with one top-level alerts array into the alerts JSON.parse sees, cut anywhere', async () => {
    for (const body of SHAPED) {
      const expected = direct(bytesOf(body));
      assert.ok(expected.ok, `a well-formed body: ${label(body)}`);
      for (const [how, arriving] of arrivals(body)) {
        const split = await splitAlerts(arriving);
        assert.ok(split, `split ${how}: ${label(body)}`);
        assert.equal(split.count, (expected.value as { alerts: unknown[] }).alerts.length, `${how}: ${label(body)}`);
        assert.deepEqual(meaning(split), expected, `${how}: ${label(body)}`);
      }
    }
  });

  it('keeps each element\'s own text and the rest as the envelope, with every kind of JSON whitespace around them', async () => {
    for (const w of WS) {
      const split = await splitAlerts(`${w}{${w}"v"${w}:${w}"4"${w},${w}"alerts"${w}:${w}[${w}{${w}"a"${w}:${w}1${w}}${w},${w}"é"${w}]${w},${w}"z"${w}:${w}0${w}}${w}`);
      assert.ok(split, wsName(w));
      assert.deepEqual([split.count, split.element(0), split.element(1)], [2, `${w}{${w}"a"${w}:${w}1${w}}${w}`, `${w}"é"${w}`], wsName(w));
      assert.equal(split.envelope, `${w}{${w}"v"${w}:${w}"4"${w},${w}"alerts"${w}:${w}[]${w},${w}"z"${w}:${w}0${w}}${w}`, wsName(w));
      assert.equal((await splitAlerts(`{"alerts":[${w}${w}]}`))?.count, 0, `an empty array with ${wsName(w)} in it has no element`);
    }
  });

  it('refuses, as JSON.parse does, a body it splits that JSON.parse refuses: an empty element, a missing comma, bytes that are not UTF-8', async () => {
    for (const body of BROKEN_BUT_SHAPED) {
      assert.deepEqual(direct(bytesOf(body)), { ok: false }, label(body));
      for (const [how, arriving] of arrivals(body)) {
        const split = await splitAlerts(arriving);
        if (split) assert.deepEqual(meaning(split), { ok: false }, `${how}: ${label(body)}`);
      }
    }
  });

  it('leaves whole to JSON.parse every body without one top-level alerts array, or with anything but JSON around it, however it arrives', async () => {
    for (const body of [...NOT_SHAPED_VALID, ...NOT_SHAPED_BROKEN]) {
      for (const [how, arriving] of arrivals(body)) assert.equal(await splitAlerts(arriving), null, `${how}: ${label(body)}`);
    }
  });

  it('refuses a body whose last alerts is not an array, even after an array of alerts: what JSON.parse keeps counts', async () => {
    const alerts = '[{"status":"firing","labels":{"alertname":"A"}}]';
    for (const body of [`{"version":"4","alerts":${alerts},"alerts":null}`, String.raw`{"version":"4","alerts":${alerts},"\u0061lerts":"none"}`]) {
      assert.equal(await refusal([Buffer.from(body)]), (await refusal([Buffer.from('{"version":"4","alerts":null}')])), body);
    }
  });

  it('leaves whole every body cut short, wherever the cut falls: a truncated body is never split', async () => {
    for (const body of ['{"v":"4","alerts":[{"a":"x\\"]}"},[1,2]],"r":"é"}', Buffer.concat([BOM, Buffer.from('{"alerts":["🔥"]}')])]) {
      const bytes = bytesOf(body);
      for (let end = 0; end < bytes.length; end++) {
        for (const [how, arriving] of arrivals(bytes.subarray(0, end))) assert.equal(await splitAlerts(arriving), null, `${label(bytes.subarray(0, end))} ${how}`);
      }
    }
  });

  it('refuses a body JSON.parse refuses in JSON.parse\'s own words about the body as sent, not about a body it never sent', async () => {
    for (const body of NOT_SHAPED_BROKEN) {
      const bytes = bytesOf(body);
      let text: string | null;
      try {
        text = decode(bytes);
      } catch {
        text = null;
      }
      const expected = text === null ? 'the body is not valid UTF-8' : `the body is not valid JSON: ${jsonError(text)}`;
      assert.equal(await refusal([bytes]), expected, label(body));
    }
  });

  it('drops a byte order mark, even as a chunk of its own, and nothing that merely starts with the same bytes', async () => {
    const body = Buffer.from('{"alerts":[{"a":1}],"r":"ü"}');
    for (const chunks of [[Buffer.concat([BOM, body])], [BOM, body], [BOM, body.subarray(0, 1), body.subarray(1)]]) {
      const split = await splitAlerts(chunks);
      assert.ok(split);
      assert.deepEqual([split.envelope, split.count, split.element(0)], ['{"alerts":[],"r":"ü"}', 1, '{"a":1}']);
      const bytes = new Bytes(chunks);
      assert.deepEqual([bytes.length, bytes.text(0, bytes.length)], [body.length, body.toString()]);
    }
    // A body starting with another character is not a JSON text: the character stays, and JSON.parse refuses it.
    for (const first of ['\uFEFE', '\uFF3F', '\u0EFF', 'x¿', '\uFFFF']) {
      const text = `${first}{"alerts":[1]}`;
      const bytes = new Bytes(text);
      assert.deepEqual([bytes.length, bytes.text(0, bytes.length)], [Buffer.byteLength(text), text]);
    }
  });

  it('takes an empty body (nothing, empty chunks, a lone byte order mark) as JSON.parse does: refused as not JSON, no crash', async () => {
    const message = `the body is not valid JSON: ${jsonError('')}`;
    for (const body of ['', [], [Buffer.alloc(0)], [Buffer.alloc(0), Buffer.alloc(0)], BOM, [BOM], [BOM, Buffer.alloc(0)]]) {
      assert.equal(await splitAlerts(body), null);
      const bytes = new Bytes(body);
      assert.deepEqual([bytes.length, bytes.text(0, 0), bytes.slice(0, 0).length], [0, '', 0]);
      assert.equal(await refusal(Array.isArray(body) ? body : [Buffer.from(body)]), message);
    }
  });
});

/**
 * A body stays as the chunks it arrived in; what is not split is decoded from them, and every element and the
 * envelope are ranges of them: users rely on a range giving exactly the body's bytes there, wherever the chunks
 * were cut, and on bytes that are not UTF-8 never becoming text.
 */
describe('server/alertsJson promises: Bytes, a body addressed across its chunks', () => {
  const whole = Buffer.from('{"é":"☕🔥","alerts":[1]}');
  const expectedText = (a: number, b: number): string | null => {
    try {
      return decode(whole.subarray(a, b));
    } catch {
      return null;
    }
  };

  it('gives the bytes of any range, and their text only when they are UTF-8, whichever chunks they lie in', () => {
    const empty = Buffer.alloc(0);
    const chunkings: Buffer[][] = [[whole], whole.toString('latin1').split('').map((_, i) => whole.subarray(i, i + 1))];
    for (let i = 0; i <= whole.length; i++) {
      chunkings.push([whole.subarray(0, i), empty, whole.subarray(i)]);
      for (let j = i; j <= whole.length; j += 3) chunkings.push([empty, whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j), empty]);
    }
    for (const chunks of chunkings) {
      const bytes = new Bytes(chunks);
      assert.equal(bytes.length, whole.length);
      for (let a = 0; a <= whole.length; a++) {
        for (let b = a; b <= whole.length; b++) {
          const where = `[${a}, ${b}) of chunks ${chunks.map((c) => c.length).join('+')}`;
          assert.ok(bytes.slice(a, b).equals(whole.subarray(a, b)), where);
          assert.equal(bytes.text(a, b), expectedText(a, b), where);
        }
        if (a > 0) assert.equal(bytes.slice(a, a - 1).length, 0, 'a range that ends before it starts is empty');
      }
    }
  });

  it('takes a string as its UTF-8 bytes, and a Uint8Array (one, or several) as the bytes it views, not its whole buffer', () => {
    assert.equal(new Bytes('☕').length, 3);
    assert.deepEqual([new Bytes('{"a":"☕"}').text(0, 11), new Bytes('{"a":"☕"}').text(0, 8)], ['{"a":"☕"}', null]);
    const backing = new Uint8Array([0x78, ...whole, 0x79]);
    const view = backing.subarray(1, 1 + whole.length);
    for (const body of [view, [view.subarray(0, 5), view.subarray(5)]]) {
      const bytes = new Bytes(body);
      assert.deepEqual([bytes.length, bytes.text(0, bytes.length)], [whole.length, whole.toString()]);
    }
  });
});

/**
 * A storm's body is scanned a slice at a time, taking turns with the live events (server/slices.ts): users rely on
 * a big body letting other work run once its slice is over, and on a body scanned within its slice not waiting for
 * a turn it does not need (every turn waits for the others). The clock is the test's: performance.now answers as
 * told, so what happens does not depend on how fast this machine is today.
 */
describe('server/alertsJson promises: turns of the event loop', () => {
  /** 20,001 numbers: about 40 KB scanned byte by byte. */
  const NUMBERS = `{"alerts":[${'1,'.repeat(20_000)}1]}`;
  /** 40 strings of 1,000 bytes: about 40 KB, most of it inside strings. */
  const STRINGS = `{"alerts":[${Array.from({ length: 40 }, (_, i) => JSON.stringify(`${i}`.padEnd(1000, 'x'))).join(',')}]}`;

  /**
   * Whether other work (a callback queued before the split started) runs before the split is done, with a clock that
   * moves `msPerLook` each time it is read; then the clock is the real one again and the split is awaited.
   */
  async function firstDone(body: string, msPerLook: number): Promise<{ first: string; split: SplitAlerts | null }> {
    const own = Object.getOwnPropertyDescriptor(performance, 'now');
    let t = performance.now() + 10;
    const other = new Promise<string>((resolve) => setImmediate(() => resolve('other work')));
    performance.now = () => (t += msPerLook);
    let splitting: Promise<SplitAlerts | null>;
    let first: string;
    try {
      splitting = splitAlerts(body);
      first = await Promise.race([splitting.then(() => 'split'), other]);
    } finally {
      if (own) Object.defineProperty(performance, 'now', own);
      else Reflect.deleteProperty(performance, 'now');
    }
    return { first, split: await splitting };
  }

  it('splits a body in one go while its slice lasts, waiting for no turn', async () => {
    for (const body of [NUMBERS, STRINGS]) {
      const { first, split } = await firstDone(body, 0);
      assert.equal(first, 'split', body.slice(0, 40));
      assert.deepEqual(meaning(split!), direct(Buffer.from(body)));
    }
  });

  it('lets other work run once its slice is over, whether the body is mostly numbers or mostly strings, and splits it all the same', async () => {
    for (const body of [NUMBERS, STRINGS]) {
      const { first, split } = await firstDone(body, 8);
      assert.equal(first, 'other work', body.slice(0, 40));
      assert.equal(split?.count, (JSON.parse(body) as { alerts: unknown[] }).alerts.length);
      assert.deepEqual(meaning(split), direct(Buffer.from(body)));
    }
  });
});
