import assert from 'node:assert/strict';
import { SIDEBAR_COMMANDS, WebviewToHost } from '../../../src/protocol/webviewMessages';

// Built from JSON, as messages arrive from the webview.
const command = (json: string) => WebviewToHost.safeParse(JSON.parse(json));

describe('protocol/webviewMessages: what the sidebar may ask the host', () => {
  it('passes exactly the arguments the sidebar\'s own buttons send', () => {
    for (const json of [
      '{"type":"command","command":"incidentRoom.takeRole","args":{"role":"scribe"}}',
      '{"type":"command","command":"incidentRoom.handOffRole","args":{"role":"commander"}}',
      '{"type":"command","command":"incidentRoom.switchIncident","args":{"incidentId":"INC-7"}}',
      '{"type":"command","command":"incidentRoom.retagNote","args":{"noteId":"5b0b1c2e-0000-4000-8000-000000000001","tag":"refuted"}}',
      '{"type":"command","command":"incidentRoom.completeActionItem","args":{"actionId":"a1","done":false}}',
      '{"type":"command","command":"incidentRoom.declare"}',
      '{"type":"command","command":"workbench.trust.manage"}',
    ]) assert.ok(command(json).success, json);
  });

  it('refuses arguments that would skip a dialog, a draft or a confirm', () => {
    for (const [json, why] of [
      ['{"type":"command","command":"incidentRoom.takeRole","args":{"role":"scribe","confirmed":true}}', /Unrecognized key: "confirmed"/],
      ['{"type":"command","command":"incidentRoom.exportIncident","args":{"path":"/home/u/.bashrc"}}', /passes no arguments to incidentRoom.exportIncident/],
      ['{"type":"command","command":"incidentRoom.generatePostmortem","args":{"folder":"/anywhere"}}', /passes no arguments/],
      ['{"type":"command","command":"incidentRoom.postUpdate","args":{"audience":"external","text":"all fine"}}', /passes no arguments/],
      ['{"type":"command","command":"incidentRoom.setIdentity","args":{"id":"ceo@example.com","name":"CEO"}}', /passes no arguments/],
      ['{"type":"command","command":"incidentRoom.retagNote","args":{"noteId":"n","tag":"decision"}}', /expected one of "fact"\|"refuted"/],
      ['{"type":"command","command":"incidentRoom.takeRole","args":{"__proto__":{"confirmed":true},"role":"scribe"}}', /Unrecognized key/],
    ] as const) {
      const r = command(json);
      assert.ok(!r.success, json);
      assert.match(r.error.issues.map((i) => i.message).join(' | '), why, json);
    }
  });

  it('runs no command outside its list', () => {
    assert.ok(!command('{"type":"command","command":"workbench.action.terminal.new"}').success);
    assert.ok(!command('{"type":"command","command":"incidentRoom.rollbackNow"}').success);
    assert.ok(SIDEBAR_COMMANDS.every((c) => c.startsWith('incidentRoom.') || c === 'workbench.trust.manage'));
  });
});
