import * as path from 'node:path';
import type * as vscode from 'vscode';
import { Container } from './container';

/**
 * Build every service once (see container.ts) and hand them to VS Code to dispose. Activation registers what the
 * user can see and run (views, status bar, commands); the channel connects right after it returns, so VS Code's
 * startup never waits for the channel client, its schemas or the local channel host to load.
 */
export function activate(context: vscode.ExtensionContext): Container {
  const started = performance.now();
  const container = new Container(context);
  context.subscriptions.push(container);
  container.log.info(`activated in ${(performance.now() - started).toFixed(1)} ms; lazy chunks loaded: ${loadedChunks().join(', ') || 'none'}`);
  setImmediate(() => container.start());
  return container;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

/** The lazy chunks (dist/<name>.js beside this bundle, scripts/lazyChunks.mjs) loaded so far. */
function loadedChunks(): string[] {
  const here = typeof __filename === 'string' ? path.dirname(__filename) : '';
  return Object.keys(require.cache).filter((f) => path.dirname(f) === here && f !== __filename && f.endsWith('.js')).map((f) => path.basename(f, '.js'));
}
