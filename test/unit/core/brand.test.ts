import assert from 'node:assert/strict';
import { brand } from '../../../src/core/brand';
import { Cancelled, UserFacingError } from '../../../src/extension/errors';
import { GitError } from '../../../src/git/gitError';
import { ChannelError, linkFailureOf } from '../../../src/sync/transport';
import { WebhookError } from '../../../src/sync/webhookDelivery';

/** An error as another bundle's copy of the class makes it: another prototype, the same brand. */
function fromAnotherCopy(className: string, fields: object): Error {
  const e = Object.assign(new Error('from a lazy chunk'), fields);
  brand(e, className);
  return e;
}

describe('core/brand: errors recognised across lazy chunks', () => {
  it('an error made by another copy of the class is an instance of this copy', () => {
    assert.ok(fromAnotherCopy('GitError', { code: 'DirtyWorkTree' }) instanceof GitError);
    assert.ok(fromAnotherCopy('UserFacingError', {}) instanceof UserFacingError);
    assert.ok(fromAnotherCopy('Cancelled', {}) instanceof Cancelled);
    assert.ok(fromAnotherCopy('WebhookError', {}) instanceof WebhookError);
    const failure = { kind: 'unauthorized', message: 'token refused' } as const;
    assert.deepEqual(linkFailureOf(fromAnotherCopy('ChannelError', { failure })), failure);
  });

  it('an error that only has the same name is not one, and brands do not mix', () => {
    const impostor = Object.assign(new Error('x'), { name: 'GitError', code: 'DirtyWorkTree' });
    assert.equal(impostor instanceof GitError, false);
    assert.equal(fromAnotherCopy('GitError', {}) instanceof UserFacingError, false);
    assert.equal(new UserFacingError('m') instanceof Cancelled, false);
    assert.deepEqual(linkFailureOf(impostor), { kind: 'unreachable', message: String(impostor) });
  });

  it('this copy\'s own instances still are instances, and still Errors', () => {
    const e = new GitError('RefNotFound', 'gone');
    assert.ok(e instanceof GitError && e instanceof Error);
    assert.ok(new ChannelError({ kind: 'forbidden', message: 'no' }) instanceof ChannelError);
    assert.ok(new WebhookError('w', 'http', false, 401) instanceof WebhookError);
    const notObjects: unknown[] = ['x', null, undefined, 7];
    for (const v of notObjects) assert.equal(v instanceof GitError || v instanceof UserFacingError, false);
  });
});
