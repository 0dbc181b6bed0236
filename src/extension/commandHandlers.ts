import type { CommandId } from '../protocol/commands';
import type { CommandHandlers } from './commandRunner';
import type { Container } from './container';
import { anchoredActionCommands } from './anchoredActionCommands';
import { assessmentCommands } from './assessmentCommands';
import { deployCommands, type DeployTarget } from './deployCommands';
import { escalationCommands, resolveEscalations } from './escalationCommands';
import { followUpCommands } from './followUpCommands';
import { incidentCommands } from './incidentCommands';
import { lensCommands } from './deployLens';
import { mitigationCommands } from './mitigationCommands';
import { resolveCommands } from './resolveCommands';
import { rollbackCommand } from './rollbackCommand';
import { scribeCommands } from './scribeCapture';
import { signalCommands } from './signalCommands';
import { stakeholderCommands } from './stakeholderCommands';
import { terminalCaptureCommands } from './terminalCapture';
import { triageCommands } from './triageCommands';
import { workstreamCommands } from './workstreamCommands';

/**
 * Every command of the table (protocol/commands.ts) with its handler: typed Record<CommandId, …>, so a command
 * without a handler does not compile. Built on the first command (the container loads this module then), so
 * activation loads none of the handlers, prompts, postmortem renderer or rollback planner.
 */
export function commandHandlers(c: Container, version: string): CommandHandlers<CommandId, DeployTarget> {
  return {
    'incidentRoom.showLog': { run: () => c.log.show() },
    ...incidentCommands(c.service, (s, statusEventId) => resolveEscalations(c.delivery, s, statusEventId)),
    ...scribeCommands(c.service, () => c.service.currentSettings().selectionMaxChars, c.git),
    ...resolveCommands(c.service, c.delivery, version, c.git),
    ...anchoredActionCommands(c.service, () => c.service.currentSettings().selectionMaxChars, c.git),
    ...followUpCommands(c.service, c.git),
    ...deployCommands(c.deploys, c.service),
    ...rollbackCommand(c.deploys, c.service, c.log),
    ...mitigationCommands(c.catalogs, c.service, c.log),
    ...stakeholderCommands(c.service),
    ...lensCommands(c.lens),
    ...triageCommands(c.service),
    ...signalCommands(c.service),
    ...escalationCommands(c.service, c.delivery),
    ...assessmentCommands(c.service),
    ...workstreamCommands(c.service),
    ...terminalCaptureCommands(c.terminalCapture),
  };
}
