import assert from 'node:assert/strict';
import { createLogger } from '../../../src/server/logger';

describe('server/logger', () => {
  const capture = (isTTY: boolean) => {
    const lines: string[] = [];
    return { lines, stream: { isTTY, write: (s: string) => lines.push(s) } };
  };

  it('writes one JSON object per line when not on a terminal', () => {
    const { lines, stream } = capture(false);
    createLogger({ stream }).warn('auth refused', { status: 401, channel: 'ops', error: new Error('boom') });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n') && !lines[0]!.slice(0, -1).includes('\n'));
    const v = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual([v.level, v.event, v.status, v.channel, (v.error as { message: string }).message], ['warn', 'auth refused', 401, 'ops', 'boom']);
    assert.ok(!Number.isNaN(Date.parse(v.time as string)));
  });

  it('writes a readable line on a terminal', () => {
    const { lines, stream } = capture(true);
    createLogger({ stream }).info('start', { url: 'ws://127.0.0.1:7077', auth: 'none (loopback only)' });
    assert.match(lines[0]!, /^\S+Z INFO  start url=ws:\/\/127\.0\.0\.1:7077 auth="none \(loopback only\)"\n$/);
  });
});
