import * as vscode from 'vscode';
import type { CommandId } from '../protocol/commands';
import { statusPageUrl } from '../status/statusPaths';
import { serverUrls } from '../sync/serverUrls';
import { UserFacingError, type CommandHandlers } from './commandRunner';
import type { IncidentService } from './incidentService';
import type { Settings } from './settingsSchema';

type StakeholderCommandId = Extract<CommandId, 'incidentRoom.openStakeholderPage'>;

/** Why local mode has no stakeholder page: said by the command and by the external update's draft. */
export const LOCAL_MODE_NO_PAGE = 'there is no stakeholder page in local mode: incidents live only on this machine. Set incidentRoom.server.url to a shared channel server; it publishes each channel\'s page at /v1/channels/CHANNEL/status';

/**
 * The stakeholder page of the current channel (PROTOCOL.md "Status page"), or null in local mode. With several
 * replicas in `incidentRoom.server.url`, the first: they serve the same page.
 */
export function stakeholderPageUrl(settings: Pick<Settings, 'serverUrl' | 'channel'>): string | null {
  const [first] = serverUrls(settings.serverUrl);
  return first ? statusPageUrl(first, settings.channel) : null;
}

/** Incident: Open Stakeholder Page — the channel's live, read-only page for stakeholders, in the browser. */
export function stakeholderCommands(service: IncidentService): CommandHandlers<StakeholderCommandId> {
  return {
    'incidentRoom.openStakeholderPage': { run: async () => {
      let url: string | null;
      try {
        url = stakeholderPageUrl(service.currentSettings());
      } catch (e) {
        throw new UserFacingError(`incidentRoom.server.url is not a channel server URL (${(e as Error).message})`, undefined, { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['incidentRoom.server.url'] });
      }
      if (!url) throw new UserFacingError(LOCAL_MODE_NO_PAGE, undefined, { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['incidentRoom.server.url'] });
      if (!(await vscode.env.openExternal(vscode.Uri.parse(url)))) throw new UserFacingError(`the browser did not open ${url}; open it yourself`);
      return url;
    } },
  };
}
