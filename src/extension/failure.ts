import { isGitError } from '../git/gitError';
import { CommandArgsError } from '../protocol/commands';
import { EscalationError } from '../sync/escalationDelivery';
import { ChannelError } from '../sync/transport';
import { WebhookError } from '../sync/webhookDelivery';
import { Cancelled, errorMessage, UserFacingError, type ErrorAction } from './errors';

// What a command's failure says and offers, chosen from the typed errors the code throws. No vscode here, so plain
// mocha tests it (test/unit/extension/failure.test.ts); commandRunner.ts shows it. Loaded on the first failure.

export { Cancelled, errorMessage, UserFacingError, type ErrorAction } from './errors';

export interface Failure {
  readonly message: string;
  /** For the log only: the git command and its stderr, a UserFacingError's detail. */
  readonly detail?: string;
  readonly actions: readonly ErrorAction[];
  /** The user dismissed a prompt or cancelled: an info line, no message. */
  readonly cancelled?: boolean;
}

const OPEN_SCM: ErrorAction = { title: 'Open Source Control', command: 'workbench.view.scm' };
const SET_CHANNEL_TOKEN: ErrorAction = { title: 'Set Channel Token', command: 'incidentRoom.setToken' };
const SET_WEBHOOK_TOKEN: ErrorAction = { title: 'Set Webhook Token', command: 'incidentRoom.setWebhookToken' };
const SET_ESCALATION_KEY: ErrorAction = { title: 'Set Routing Key', command: 'incidentRoom.setEscalationKey' };
const RETRY_DELIVERY: ErrorAction = { title: 'Retry Delivery', command: 'incidentRoom.retryUpdateDelivery' };
const REFRESH_DEPLOYS: ErrorAction = { title: 'Refresh Deploys', command: 'incidentRoom.refreshDeploys' };
const openSetting = (key: string): ErrorAction => ({ title: 'Open Settings', command: 'workbench.action.openSettings', args: [key] });

/** What fixes a git failure (or a rollback refused for that reason), by its code. */
export function gitCodeActions(code: string): ErrorAction[] {
  switch (code) {
    case 'DirtyWorkTree':
    case 'MergeConflict': return [OPEN_SCM];
    case 'GitNotFound': return [openSetting('git.path')];
    case 'RefNotFound': return [REFRESH_DEPLOYS];
    case 'NotConfigured': return [openSetting('incidentRoom.rollback')];
    default: return [];
  }
}

/** The message and actions for anything a command throws, chosen by the error's type and code. */
export function failureOf(error: unknown): Failure {
  if (error instanceof Cancelled) return { message: error.message, actions: [], cancelled: true };
  if (error instanceof UserFacingError) return { message: error.message, ...(error.detail ? { detail: error.detail } : {}), actions: error.action ? [error.action] : [] };
  if (error instanceof CommandArgsError) return { message: error.message, actions: [] };
  if (isGitError(error)) {
    if (error.code === 'Cancelled') return { message: 'cancelled while git ran', actions: [], cancelled: true };
    const detail = [error.command, error.detail.stderr?.trim()].filter(Boolean).join('\n') || undefined;
    const more = error.code === 'DirtyWorkTree' ? ' Commit or stash your changes first; nothing was changed.'
      : error.code === 'GitNotFound' ? ' Install git, or set "git.path" if it is installed somewhere else.' : '';
    return { message: `${error.message}${more}`, ...(detail ? { detail } : {}), actions: gitCodeActions(error.code) };
  }
  if (error instanceof ChannelError) {
    switch (error.failure.kind) {
      case 'unauthorized':
      case 'forbidden': return { message: error.message, actions: [SET_CHANNEL_TOKEN] };
      case 'unreachable': return { message: error.message, actions: [openSetting('incidentRoom.server.url')] };
      default: return { message: error.message, actions: [] };
    }
  }
  // An escalation's (a WebhookError too): the routing key, the URL, or a retry once the endpoint is back.
  if (error instanceof EscalationError) {
    if (error.fix === 'routing_key') return { message: error.message, actions: [SET_ESCALATION_KEY] };
    if (error.fix === 'url') return { message: error.message, actions: [openSetting('incidentRoom.escalation.url')] };
    return { message: error.message, actions: error.retryable ? [RETRY_DELIVERY] : [] };
  }
  if (error instanceof WebhookError) {
    if (error.code === 'bad_url') return { message: error.message, actions: [openSetting('incidentRoom.updates.webhookUrl')] };
    if (error.code === 'bad_token' || error.status === 401 || error.status === 403) return { message: error.message, actions: [SET_WEBHOOK_TOKEN] };
    return { message: error.message, actions: [] };
  }
  return { message: errorMessage(error), actions: [] };
}
