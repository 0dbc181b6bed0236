// The errors the extension's own code throws for a user to read. Light: everything may use them, the activation
// path included (failure.ts, which maps every typed error to a message, loads only on a failure).
import { brand, hasBrand } from '../core/brand';

/** A button on an error message that runs a command (e.g. Manage Workspace Trust). */
export interface ErrorAction {
  readonly title: string;
  readonly command: string;
  readonly args?: readonly unknown[];
}

/** An error whose message is already fit to show a user, optionally with the action that fixes it. */
export class UserFacingError extends Error {
  /** By brand (core/brand.ts): the lazy chunks carry copies of this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'UserFacingError');
  }

  constructor(message: string, readonly detail?: string, readonly action?: ErrorAction) {
    super(message);
    brand(this, 'UserFacingError');
    this.name = 'UserFacingError';
  }
}

/** One line for a user from any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Thrown when the user dismisses a prompt: the command ends, nothing is recorded, and the command wrapper writes
 * one info line naming the prompt (`Set Status: cancelled at "New status"`), so a dropped action is never silent.
 */
export class Cancelled extends Error {
  /** By brand (core/brand.ts): the lazy chunks carry copies of this class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'Cancelled');
  }

  constructor(readonly at = 'a prompt') {
    super(`cancelled at "${at}"`);
    brand(this, 'Cancelled');
    this.name = 'Cancelled';
  }
}
