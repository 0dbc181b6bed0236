import assert from 'node:assert/strict';
import { resolutionChecklistText, terminalOutcome } from '../../../src/core/eventText';
import { describeEvent } from '../../../src/core/timelineText';
import type { EventDataOf } from '../../../src/protocol/events';
import { Script } from './eventBuilder';

/** As the wire brings it. */
const terminal = (json: string) => JSON.parse(json) as EventDataOf<'terminal.command'>;
const checklist = (json: string) => JSON.parse(json) as EventDataOf<'resolution.checked'>;

describe('core/eventText', () => {
  describe('how a captured terminal command ended', () => {
    it('the postmortem keeps the whole folder; the sidebar\'s narrow timeline names its last part', () => {
      const s = new Script('INC-4');
      const e = s.add('terminal.command', terminal('{"commandLine":"kubectl rollout undo deploy/api","exitCode":0,"durationMs":1234,"cwd":"/srv/app/api"}'));
      assert.equal(terminalOutcome(e.data), ' — exit 0 after 1.2 s in /srv/app/api');
      assert.equal(describeEvent(e), 'Ran `kubectl rollout undo deploy/api` — exit 0 after 1.2 s in …/api');
    });

    it('says when the shell reported no exit code, and leaves out a duration or folder it was not told', () => {
      assert.equal(terminalOutcome(terminal('{"commandLine":"psql -c \\"select 1\\"","exitCode":null}')), ' — exit code unknown');
      assert.equal(terminalOutcome(terminal('{"commandLine":"false","exitCode":1}'), true), ' — exit 1');
    });

    it('a tenth of a second or more is said to the tenth; ten seconds or more in whole seconds; less says nothing', () => {
      const took = (ms: number) => terminalOutcome(terminal(`{"commandLine":"curl -s https://api/health","exitCode":7,"durationMs":${ms}}`));
      assert.deepEqual([99, 100, 9_940, 10_000, 65_400].map(took), [
        ' — exit 7',
        ' — exit 7 after 0.1 s',
        ' — exit 7 after 9.9 s',
        ' — exit 7 after 10 s',
        ' — exit 7 after 65 s',
      ]);
    });
  });

  describe('the resolve checklist in one line', () => {
    it('answers each question in its own words, then the alerts still firing', () => {
      assert.equal(
        resolutionChecklistText(checklist('{"impactStopped":true,"monitored":false,"rootCauseKnown":true,"followUpFiled":false,"firingSignals":["c6fd86708fca2138","8be1c47367d5ea2f"]}')),
        'impact stopped: yes; monitored: no; root cause known: yes; follow-up filed: no; 2 linked alerts still firing',
      );
      assert.equal(
        resolutionChecklistText(checklist('{"impactStopped":false,"monitored":true,"rootCauseKnown":false,"followUpFiled":true,"firingSignals":["c6fd86708fca2138"]}')),
        'impact stopped: no; monitored: yes; root cause known: no; follow-up filed: yes; 1 linked alert still firing',
      );
    });

    it('no alert still firing says nothing of alerts; a note follows the answers', () => {
      assert.equal(
        resolutionChecklistText(checklist('{"impactStopped":true,"monitored":true,"rootCauseKnown":true,"followUpFiled":true,"firingSignals":[],"note":"review on Monday"}')),
        'impact stopped: yes; monitored: yes; root cause known: yes; follow-up filed: yes — review on Monday',
      );
      assert.equal(
        resolutionChecklistText(checklist('{"impactStopped":true,"monitored":true,"rootCauseKnown":false,"followUpFiled":false}')),
        'impact stopped: yes; monitored: yes; root cause known: no; follow-up filed: no',
      );
    });
  });
});
