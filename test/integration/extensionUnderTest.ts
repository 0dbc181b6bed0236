// The extension under test, as every integration suite gets it: activated, with its local channel online.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Container } from '../../src/extension/container';
import { until } from '../support/until';

export const EXTENSION_ID = 'incident-room.incident-room';

/** Activate Incident Room (once per extension host; later calls get the same container) and wait until it is online. */
export async function activateOnline(): Promise<Container> {
  const ext = vscode.extensions.getExtension<Container>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  const c = await ext.activate();
  await until('the local channel online', () => c.service.connection.status === 'online', 30_000);
  return c;
}
