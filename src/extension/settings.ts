import * as vscode from 'vscode';
import type { Settings } from './settingsSchema';
import type { Severity } from '../protocol/events';
import { DEFAULT_CADENCE, type CadencePolicy } from '../core/severityPolicy';

const SECTION = 'incidentRoom';

export type { Settings } from './settingsSchema';

/** Read and validate every setting; the error names the setting and what is wrong with it. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const cadence = (sev: Severity): number | null => {
    const v = c.get<number | null>(`updates.cadenceMinutes.${sev.toLowerCase()}`);
    return v === undefined ? DEFAULT_CADENCE[sev] : v === 0 ? null : v;
  };
  const raw = {
    serverUrl: c.get<string>('server.url', ''),
    channel: c.get<string>('channel', 'default'),
    userId: c.get<string>('user.id', ''),
    userName: c.get<string>('user.name', ''),
    cadence: { SEV1: cadence('SEV1'), SEV2: cadence('SEV2'), SEV3: cadence('SEV3'), SEV4: cadence('SEV4') },
    selectionMaxChars: c.get<number>('selection.maxChars', 4000),
  };
  // The schema (and zod) load with the first read, when the channel starts after activation.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Settings } = require('./settingsSchema') as typeof import('./settingsSchema');
  const parsed = Settings.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = settingName(issue?.path ?? []);
  throw new Error(`setting ${key} is invalid: ${issue?.message ?? 'bad value'}`);
}

export function cadencePolicy(s: Settings): CadencePolicy {
  return s.cadence;
}

function settingName(path: readonly PropertyKey[]): string {
  const [first, second] = path;
  switch (first) {
    case 'serverUrl': return `${SECTION}.server.url`;
    case 'userId': return `${SECTION}.user.id`;
    case 'userName': return `${SECTION}.user.name`;
    case 'cadence': return `${SECTION}.updates.cadenceMinutes.${String(second).toLowerCase()}`;
    case 'selectionMaxChars': return `${SECTION}.selection.maxChars`;
    default: return `${SECTION}.${String(first)}`;
  }
}

/** Fires when any Incident Room setting changes. */
export function onDidChangeSettings(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SECTION)) listener(e);
  });
}

export const SETTING_SECTION = SECTION;
