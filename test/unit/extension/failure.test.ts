import assert from 'node:assert/strict';
import { failureOf, gitCodeActions, UserFacingError, Cancelled } from '../../../src/extension/failure';
import { GitError } from '../../../src/git/gitError';
import { CommandArgsError } from '../../../src/protocol/commands';
import { EscalationError } from '../../../src/sync/escalationDelivery';
import { ChannelError } from '../../../src/sync/transport';
import { WebhookError } from '../../../src/sync/webhookDelivery';

const commands = (f: ReturnType<typeof failureOf>) => f.actions.map((a) => a.command);

describe('extension/failure: one message and the right actions for every typed error', () => {
  it('a dismissed prompt or a cancelled git call is no error: an info line only', () => {
    assert.equal(failureOf(new Cancelled('New status')).cancelled, true);
    assert.equal(failureOf(new Cancelled('New status')).message, 'cancelled at "New status"');
    assert.equal(failureOf(new GitError('Cancelled', 'Cancelled.')).cancelled, true);
    // matched by type, not by name: an Error that merely calls itself Cancelled is an error
    const impostor = Object.assign(new Error('boom'), { name: 'Cancelled' });
    assert.equal(failureOf(impostor).cancelled, undefined);
  });

  it('a UserFacingError keeps its message, its action, and its detail for the log', () => {
    const f = failureOf(new UserFacingError('no deploys', 'looked in /repo', { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' }));
    assert.equal(f.message, 'no deploys');
    assert.equal(f.detail, 'looked in /repo');
    assert.deepEqual(commands(f), ['workbench.trust.manage']);
  });

  it('a dirty work tree offers Source Control, and the log gets the git command and its stderr', () => {
    const f = failureOf(new GitError('DirtyWorkTree', 'Your local changes would be overwritten.', { args: ['revert', '--no-edit', 'abc'], stderr: 'error: Your local changes to checkout.ts\n' }));
    assert.deepEqual(commands(f), ['workbench.view.scm']);
    assert.match(f.message, /Commit or stash your changes first; nothing was changed/);
    assert.match(f.detail ?? '', /^git revert --no-edit abc\nerror: Your local changes to checkout\.ts$/);
  });

  it('git not found offers its setting, a missing ref offers Refresh Deploys', () => {
    assert.deepEqual(failureOf(new GitError('GitNotFound', 'git could not be started.')).actions, [{ title: 'Open Settings', command: 'workbench.action.openSettings', args: ['git.path'] }]);
    assert.deepEqual(commands(failureOf(new GitError('RefNotFound', 'release-9 is gone.'))), ['incidentRoom.refreshDeploys']);
  });

  it('a refused channel token offers Set Channel Token; an unreachable server its setting', () => {
    assert.deepEqual(commands(failureOf(new ChannelError({ kind: 'unauthorized', message: 'the channel server refused the token (HTTP 401)' }))), ['incidentRoom.setToken']);
    assert.deepEqual(commands(failureOf(new ChannelError({ kind: 'forbidden', message: 'not granted' }))), ['incidentRoom.setToken']);
    assert.deepEqual(failureOf(new ChannelError({ kind: 'unreachable', message: 'cannot reach' })).actions[0]?.args, ['incidentRoom.server.url']);
  });

  it('a refused webhook token offers Set Webhook Token; a bad webhook URL its setting', () => {
    assert.deepEqual(commands(failureOf(new WebhookError('the webhook answered 401', 'http', false, 401))), ['incidentRoom.setWebhookToken']);
    assert.deepEqual(commands(failureOf(new WebhookError('the webhook token cannot be sent: it holds a line break', 'bad_token', false))), ['incidentRoom.setWebhookToken']);
    assert.deepEqual(failureOf(new WebhookError('not an https URL', 'bad_url', false)).actions[0]?.args, ['incidentRoom.updates.webhookUrl']);
    assert.deepEqual(failureOf(new WebhookError('timed out', 'timeout', true)).actions, []);
  });

  it('an escalation refused for its routing key offers Set Routing Key; for its URL, the setting; one not delivered yet, Retry', () => {
    assert.deepEqual(commands(failureOf(new EscalationError('PagerDuty said 400', 'http', false, 400))), ['incidentRoom.setEscalationKey']);
    assert.deepEqual(commands(failureOf(new EscalationError('no routing key is set', 'no_key', false))), ['incidentRoom.setEscalationKey']);
    assert.deepEqual(failureOf(new EscalationError('answered 404', 'http', false, 404)).actions[0]?.args, ['incidentRoom.escalation.url']);
    assert.deepEqual(commands(failureOf(new EscalationError('could not reach', 'network', true))), ['incidentRoom.retryUpdateDelivery']);
    // a 401 from an escalation endpoint is about its routing key, never the status-update webhook's token
    assert.deepEqual(commands(failureOf(new EscalationError('answered 401', 'http', false, 401))), ['incidentRoom.setEscalationKey']);
  });

  it('a bad argument object and anything else: their message, no action', () => {
    assert.equal(failureOf(new CommandArgsError('incidentRoom.addNote', 'text', 'Too small')).message, 'incidentRoom.addNote: argument text: Too small');
    assert.equal(failureOf(new Error('disk full')).message, 'disk full');
    assert.equal(failureOf('a string').message, 'a string');
  });

  it('a rollback refused for a dirty work tree offers Source Control; for its settings, the settings', () => {
    assert.deepEqual(gitCodeActions('DirtyWorkTree').map((a) => a.command), ['workbench.view.scm']);
    assert.deepEqual(gitCodeActions('NotConfigured')[0]?.args, ['incidentRoom.rollback']);
    assert.deepEqual(gitCodeActions('TooManyCommits'), []);
  });
});
