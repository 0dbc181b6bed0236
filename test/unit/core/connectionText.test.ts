import assert from 'node:assert/strict';
import { connectionText } from '../../../src/core/connectionText';

describe('core/connectionText', () => {
  const target = 'ws://incidents.example.com:7077/v1/channels/payments-oncall';
  it('names the channel and host when shared, and the machine when local', () => {
    assert.equal(connectionText('shared', 'online', 0, target), 'online · payments-oncall @ incidents.example.com:7077');
    assert.equal(connectionText('local', 'online', 0, ''), 'online · local — this machine only');
    assert.equal(connectionText('shared', 'connecting', 2, target), 'connecting · payments-oncall @ incidents.example.com:7077 · 2 queued');
  });
  it('says why it is not online: the queue, the refusal and its reason', () => {
    assert.equal(connectionText('shared', 'offline', 3, target, 'connect ECONNREFUSED 127.0.0.1:7077'), 'offline · 3 queued · connect ECONNREFUSED 127.0.0.1:7077');
    assert.equal(connectionText('shared', 'unauthorized', 0, target), 'token refused · payments-oncall @ incidents.example.com:7077');
    assert.equal(
      connectionText('shared', 'forbidden', 1, target, 'user.id: the token "alice-laptop" may not speak for "mallory@example.com"'),
      'no access to this channel · 1 queued · user.id: the token "alice-laptop" may not speak for "mallory@example.com"',
    );
    assert.equal(connectionText('local', 'stopped', 0, '', 'setting incidentRoom.channel is invalid'), 'not started: setting incidentRoom.channel is invalid');
  });

  it('says only what it knows: no reason, no queue', () => {
    assert.equal(connectionText('shared', 'forbidden', 0, target), 'no access to this channel');
    assert.equal(connectionText('shared', 'stopped', 0, ''), 'not started');
    assert.equal(connectionText('shared', 'offline', 0, target), 'offline');
    assert.equal(connectionText('shared', 'offline', 2, target), 'offline · 2 queued');
  });

  it('names the channel behind a path prefix, and shows a server address that names no channel without its scheme', () => {
    assert.equal(connectionText('shared', 'online', 0, 'wss://ops.example.com/incident-room/v1/channels/payments'), 'online · payments @ ops.example.com');
    assert.equal(connectionText('shared', 'connecting', 0, 'ws://127.0.0.1:7077'), 'connecting · 127.0.0.1:7077');
  });
});
