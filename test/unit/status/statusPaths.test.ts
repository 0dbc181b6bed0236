import assert from 'node:assert/strict';
import { statusPageUrl, statusRoute, statusSocketUrl } from '../../../src/status/statusPaths';

describe('status/statusPaths: where the page is and where it connects', () => {
  it('the page of a channel server URL keeps its scheme (ws → http, wss → https) and path prefix, and drops credentials', () => {
    assert.equal(statusPageUrl('ws://127.0.0.1:7077', 'payments-oncall'), 'http://127.0.0.1:7077/v1/channels/payments-oncall/status');
    assert.equal(statusPageUrl('wss://incidents.example.com/ir/', 'payments-oncall'), 'https://incidents.example.com/ir/v1/channels/payments-oncall/status');
    assert.equal(statusPageUrl('wss://u:p@incidents.example.com?x=1#y', 'a'), 'https://incidents.example.com/v1/channels/a/status');
    assert.throws(() => statusPageUrl('ftp://x', 'a'), /ws:\/\/ or wss:\/\//);
    assert.throws(() => statusPageUrl('ws://x', 'Bad_Name'), /not a channel name/);
  });

  it('the page connects to its own host and path prefix, wss when it came over https (a reverse proxy)', () => {
    assert.equal(statusSocketUrl({ protocol: 'https:', host: 'status.example.com', pathname: '/ir/v1/channels/payments-oncall/status' }), 'wss://status.example.com/ir/v1/channels/payments-oncall');
    assert.equal(statusSocketUrl({ protocol: 'http:', host: '127.0.0.1:7077', pathname: '/v1/channels/a/status' }), 'ws://127.0.0.1:7077/v1/channels/a');
  });

  it('routes only the four files of a valid channel', () => {
    assert.deepEqual(statusRoute('/v1/channels/payments-oncall/status.json'), { channel: 'payments-oncall', file: 'status.json' });
    assert.deepEqual(statusRoute('/v1/channels/a/status'), { channel: 'a', file: 'status' });
    for (const p of ['/v1/channels/Bad/status', '/v1/channels/a/status.html', '/v1/channels/a/b/status', '/v1/channels/a/status/', '/v1/channels//status']) assert.equal(statusRoute(p), null, p);
  });
});
