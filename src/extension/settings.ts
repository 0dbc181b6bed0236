import * as vscode from 'vscode';
import type { Settings } from './settingsSchema';
import { SEVERITIES, type Severity } from '../protocol/vocabulary';
import { DEFAULT_SEVERITY_MAPPING, type SeverityMapping } from '../core/signals';
import { DEFAULT_CADENCE, type CadencePolicy } from '../core/severityPolicy';
import { DEFAULT_RECHECK_MINUTES } from '../core/assessmentPolicy';
import { validateDeploySettings, type ValidatedDeploySettings } from '../git/deploySettings';
import type { RollbackSettings } from '../git/rollbackPlan';
import { UserFacingError } from './errors';
import { compileRedactPatterns, patternProblemsText } from '../core/redact';

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

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);

/**
 * `incidentRoom.signals.severityLabel` and `incidentRoom.signals.severityMap`, checked: a label name Prometheus
 * accepts, and a map of label values to SEV1–SEV4. Throws an error naming the setting when they do not fit.
 */
export function readSeverityMapping(): SeverityMapping {
  const c = vscode.workspace.getConfiguration(SECTION);
  const label = c.get<unknown>('signals.severityLabel', DEFAULT_SEVERITY_MAPPING.label);
  if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
    throw new Error(`${SECTION}.signals.severityLabel must be a label name like "severity" (letters, digits, _), not ${JSON.stringify(label)}`);
  }
  const raw = c.get<unknown>('signals.severityMap', DEFAULT_SEVERITY_MAPPING.map);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${SECTION}.signals.severityMap must be an object of label value → severity, e.g. { "critical": "SEV1" }`);
  }
  const map: Record<string, Severity> = {};
  for (const [value, severity] of Object.entries(raw)) {
    if (!isSeverity(severity)) throw new Error(`${SECTION}.signals.severityMap: "${value}" maps to ${JSON.stringify(severity)}; expected one of ${SEVERITIES.join(', ')}`);
    map[value] = severity;
  }
  return { label, map };
}

/** Fires when any Incident Room setting changes. */
export function onDidChangeSettings(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SECTION)) listener(e);
  });
}

export const SETTING_SECTION = SECTION;

// Every other setting the extension reads or writes, read here so the keys, their scopes and their defaults are
// in one place. What the channel needs is validated above; the deploy and rollback settings are validated by the
// pure validators in src/git/ (which name the setting and say what is wrong), the rest are plain strings.

/** incidentRoom.updates.webhookUrl: the value in effect, and the user's own (User settings) value. */
export function webhookUrlSetting(): { readonly value: string; readonly userValue: string | undefined } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return { value: c.get<string>('updates.webhookUrl', '').trim(), userValue: c.inspect<string>('updates.webhookUrl')?.globalValue?.trim() || undefined };
}

/** The default of incidentRoom.escalation.url (package.json): PagerDuty's Events API v2. */
export const DEFAULT_ESCALATION_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * incidentRoom.escalation.url, validated: the URL, or undefined when it is set empty (escalation off). A bad value
 * throws a message naming the setting, with an Open Settings action.
 */
export function escalationUrlSetting(): string | undefined {
  const raw: unknown = vscode.workspace.getConfiguration(SECTION).get('escalation.url', DEFAULT_ESCALATION_URL);
  // The schema (and zod) load with the first escalation, never at activation.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EscalationUrl } = require('./settingsSchema') as typeof import('./settingsSchema');
  const parsed = EscalationUrl.safeParse(raw);
  if (!parsed.success) {
    throw new UserFacingError(`setting ${SECTION}.escalation.url is invalid: it ${parsed.error.issues[0]?.message ?? 'is not a URL'}`, undefined,
      { title: 'Open Settings', command: 'workbench.action.openSettings', args: [`${SECTION}.escalation.url`] });
  }
  return parsed.data || undefined;
}

/** incidentRoom.lens.*: whether the deploy-window lens is on, and how many deploys its window holds (1–20). */
export function lensSettings(): { readonly enabled: boolean; readonly deploys: number } {
  const c = vscode.workspace.getConfiguration(`${SECTION}.lens`);
  const n = c.get<number>('deploys', 3);
  return { enabled: c.get<boolean>('enabled', true), deploys: Number.isInteger(n) ? Math.min(20, Math.max(1, n)) : 3 };
}

/** Turn the deploy-window lens on or off, for this user (the palette's and the sidebar's toggle). */
export function setLensEnabled(enabled: boolean): Thenable<void> {
  return vscode.workspace.getConfiguration(`${SECTION}.lens`).update('enabled', enabled, vscode.ConfigurationTarget.Global);
}

/**
 * incidentRoom.roles.rotateAfterMinutes: how long a role may be held on a SEV1/SEV2 incident before its holder is
 * reminded to hand off; null when off (0 or null). A value that is not a number reads as the default (120).
 */
export function rotateAfterMinutesSetting(): number | null {
  const v: unknown = vscode.workspace.getConfiguration(SECTION).get('roles.rotateAfterMinutes', 120);
  if (v === null || v === 0) return null;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(v, 1440) : 120;
}

/** incidentRoom.mitigations.recheckMinutes: how long "too early to tell" waits before "did it help?" is asked again (1–120, default 5). */
export function recheckMinutesSetting(): number {
  const n = vscode.workspace.getConfiguration(SECTION).get<number>('mitigations.recheckMinutes', DEFAULT_RECHECK_MINUTES);
  return Number.isFinite(n) ? Math.min(120, Math.max(1, Math.round(n))) : DEFAULT_RECHECK_MINUTES;
}

/** incidentRoom.postmortem.folder: where Generate Postmortem writes (empty: an untitled editor). */
export function postmortemFolderSetting(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('postmortem.folder', '').trim();
}

/** incidentRoom.deploys.*, validated (problems name the setting), and how many deploys to list (1–500). */
export function readDeploySettings(): ValidatedDeploySettings & { readonly limit: number } {
  const c = vscode.workspace.getConfiguration(`${SECTION}.deploys`);
  const settings = validateDeploySettings({ sources: c.get('sources'), tagPatterns: c.get('tagPatterns'), deployBranch: c.get('branch') });
  return { ...settings, limit: Math.max(1, Math.min(500, c.get<number>('limit', 50))) };
}

/**
 * incidentRoom.rollback.* and incidentRoom.deploys.branch as they apply to the repository at `root` (a folder's
 * own settings win), raw: rollback validates them with git/rollbackPlan's validateRollbackSettings.
 */
export function rollbackSettingsFor(root: string): { readonly raw: Partial<Record<keyof RollbackSettings, unknown>>; readonly deployBranch: string | undefined } {
  const c = vscode.workspace.getConfiguration(SECTION, vscode.Uri.file(root));
  return {
    raw: { strategy: c.get('rollback.strategy'), push: c.get('rollback.push'), remote: c.get('rollback.remote'), environmentBranch: c.get('rollback.environmentBranch'), command: c.get('rollback.command') },
    deployBranch: c.get<string>('deploys.branch') || undefined,
  };
}

/**
 * incidentRoom.terminal.redact compiled (core/redact.ts). A pattern that does not compile throws a message naming the
 * setting and the pattern, with Open Settings: terminal capture refuses to start (or stops) rather than record without
 * a pattern the user asked for.
 */
export function terminalRedactPatterns(): readonly RegExp[] {
  const { patterns, problems } = compileRedactPatterns(vscode.workspace.getConfiguration(SECTION).get<unknown>('terminal.redact', []));
  if (problems.length === 0) return patterns;
  throw new UserFacingError(`${patternProblemsText(`${SECTION}.terminal.redact`, problems)}. Nothing is captured until it is fixed.`, undefined,
    { title: 'Open Settings', command: 'workbench.action.openSettings', args: [`${SECTION}.terminal.redact`] });
}

/** Set your identity on incidents, in User settings (every workspace). */
export async function writeIdentity(id: string, name: string): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  await c.update('user.id', id, vscode.ConfigurationTarget.Global);
  await c.update('user.name', name, vscode.ConfigurationTarget.Global);
}
