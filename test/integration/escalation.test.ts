// Incident: Escalate inside a real VS Code: the page goes to a local receiver playing PagerDuty's Events API v2, with
// the routing key kept for the receiver's origin, and the timeline gets escalation.requested with who and why and
// the page's delivery state. A refused routing key leaves the page queued until the key is set again.
import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { Container } from '../../src/extension/container';
import { COMMANDS } from '../../src/protocol/commands';
import { escalationKeyName } from '../../src/sync/escalationDelivery';
import { until } from '../support/until';
import { activateOnline } from './extensionUnderTest';

interface Page { readonly path: string; readonly body: Record<string, unknown> & { routing_key: string; dedup_key: string; payload: Record<string, unknown> } }
interface EventsApi { url: string; origin: string; received: Page[]; close(): void }

/** A real receiver on port 0 answering as PagerDuty does: 202 success, or 400 invalid event for the key `refused-key`. */
async function eventsApi(): Promise<EventsApi> {
  const received: Page[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as Page['body'];
      received.push({ path: req.url ?? '', body });
      if (body.routing_key === 'refused-key') {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] }));
      } else {
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v2/enqueue`, origin: `http://127.0.0.1:${port}`, received, close: () => { server.closeAllConnections(); server.close(); } };
}

suite('Escalate (page more help)', () => {
  let c: Container;
  let api: EventsApi;
  let incidentId: string;
  const config = () => vscode.workspace.getConfiguration('incidentRoom');
  const setUrl = async (url: string | undefined) => {
    await config().update('escalation.url', url, vscode.ConfigurationTarget.Global);
    await until('the setting applied', () => config().get<string>('escalation.url') === (url ?? 'https://events.pagerduty.com/v2/enqueue'));
  };
  const timelineEntry = (eventId: string) => c.view.snapshot().incident?.timeline.find((e) => e.key === eventId);

  suiteSetup(async function () {
    this.timeout(60_000);
    c = await activateOnline();
    api = await eventsApi();
    await setUrl(api.url);
    incidentId = (await vscode.commands.executeCommand<string>('incidentRoom.declare', { title: 'Card tokenizer timeouts', severity: 'SEV1', symptom: 'payments time out' })) as string;
    await until('incident focused', () => c.service.focusedIncident?.id === incidentId);
  });

  suiteTeardown(async () => {
    await c.context.secrets.delete(escalationKeyName(api.origin));
    await setUrl(undefined);
    api.close();
  });

  test('the escalation.url setting defaults to PagerDuty and a bad value is refused with the setting named', async () => {
    assert.equal(config().inspect<string>('escalation.url')?.defaultValue, 'https://events.pagerduty.com/v2/enqueue');
    await config().update('escalation.url', 'ftp://pager.example.com', vscode.ConfigurationTarget.Global);
    try {
      await until('the bad setting applied', () => config().get<string>('escalation.url') === 'ftp://pager.example.com');
      assert.throws(() => c.delivery.escalation(), /setting incidentRoom\.escalation\.url is invalid: it must be an http\(s\) URL/);
    } finally {
      await setUrl(api.url);
    }
  });

  test('Escalate posts the Events API v2 trigger to the receiver and the timeline gets escalation.requested with who and why', async () => {
    await vscode.commands.executeCommand('incidentRoom.setEscalationKey', { routingKey: 'receiver-key-1' });
    assert.equal(await c.context.secrets.get(escalationKeyName(api.origin)), 'receiver-key-1');
    const eventId = await vscode.commands.executeCommand<string>('incidentRoom.escalate', { reason: 'Nobody here owns the card tokenizer' });
    assert.ok(eventId, 'the command returned the event id');
    await until('the receiver got the page', () => api.received.length === 1);
    const s = c.service.requireIncident();
    const [page] = api.received;
    assert.ok(page);
    assert.equal(page.path, '/v2/enqueue');
    assert.equal(page.body.routing_key, 'receiver-key-1');
    assert.equal(page.body.event_action, 'trigger');
    assert.equal(page.body.dedup_key, `${c.service.currentSettings().channel}/${incidentId}/${s.declaredAt}`);
    assert.equal(page.body.client, 'Incident Room');
    const payload = page.body.payload as { summary: string; severity: string; source: string; custom_details: Record<string, unknown> };
    assert.equal(payload.summary, `[SEV1] ${incidentId}: Card tokenizer timeouts (investigating)`);
    assert.equal(payload.severity, 'critical');
    assert.match(payload.source, new RegExp(`/${c.service.currentSettings().channel}$`));
    assert.equal(payload.custom_details.reason, 'Nobody here owns the card tokenizer');
    assert.equal(payload.custom_details.incident, incidentId);

    const escalation = await until('escalation.requested on the timeline', () => c.service.focusedIncident?.timeline.find((e) => e.id === eventId));
    assert.equal(escalation.kind, 'escalation.requested');
    assert.deepEqual(escalation.actor, c.service.me);
    assert.deepEqual(escalation.data, { reason: 'Nobody here owns the card tokenizer', summary: payload.summary, severity: 'critical', dedupKey: page.body.dedup_key });
    const entry = await until('the delivery on the timeline', () => (timelineEntry(eventId)?.delivery ? timelineEntry(eventId) : undefined));
    assert.equal(entry.delivery, `paged through ${new URL(api.url).host}`);
    assert.match(entry.text, /Escalated \(paged more help\): Nobody here owns the card tokenizer/);
  });

  test('a routing key the receiver refuses (400): recorded, not delivered, and sent once the key is set again', async () => {
    await vscode.commands.executeCommand('incidentRoom.setEscalationKey', { routingKey: 'refused-key' });
    const before = api.received.length;
    // The command reports the refusal (an error with Set Routing Key) and returns nothing.
    assert.equal(await vscode.commands.executeCommand('incidentRoom.escalate', { reason: 'still no owner', summary: 'Tokenizer needs its on-call' }), undefined);
    await until('the refused page', () => api.received.length === before + 1);
    const escalation = await until('the second escalation on the timeline', () => c.service.focusedIncident?.timeline.filter((e) => e.kind === 'escalation.requested')[1]);
    assert.equal(escalation.data.summary, 'Tokenizer needs its on-call');
    const failed = await until('the failure on the timeline', () => (timelineEntry(escalation.id)?.delivery?.includes('failed') ? timelineEntry(escalation.id) : undefined));
    assert.match(failed.delivery ?? '', /^page through 127\.0\.0\.1:\d+ failed: the escalation endpoint at 127\.0\.0\.1:\d+ refused the page \(400: invalid event; Event object is invalid; Invalid routing key\)/);
    assert.equal(c.delivery.escalationStateOf(escalation.id)?.state, 'failed');

    // Setting the key again sends what waited for it: the same page, with the new key and the same dedup key.
    const retried = await vscode.commands.executeCommand<{ delivered: number }>('incidentRoom.setEscalationKey', { routingKey: 'receiver-key-2' });
    assert.equal(retried?.delivered, 1);
    const again = api.received[api.received.length - 1];
    assert.equal(again?.body.routing_key, 'receiver-key-2');
    assert.equal(again?.body.dedup_key, api.received[0]?.body.dedup_key, 'the same incident: PagerDuty adds it to the open alert');
    await until('delivered on the timeline', () => timelineEntry(escalation.id)?.delivery?.startsWith('paged through'));
  });

  test('the queue file holds the pages but never the routing key', async () => {
    const fs = await import('node:fs/promises');
    const text = await fs.readFile(vscode.Uri.joinPath(c.context.globalStorageUri, 'escalation-queue.json').fsPath, 'utf8');
    assert.match(text, /"dedup_key"/);
    assert.doesNotMatch(text, /receiver-key|refused-key/);
  });

  test('in Restricted Mode Escalate is offered nowhere, and its table entry has the wrapper refuse it before anything runs', () => {
    assert.deepEqual(COMMANDS['incidentRoom.escalate'].needs, {
      trust: 'Escalate', trustReason: 'it pages people and sends the incident\'s details to incidentRoom.escalation.url', incident: true,
    });
    const manifest = c.context.extension.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
    const menus = Object.values(manifest.contributes.menus).flat().filter((m) => m.command === 'incidentRoom.escalate');
    assert.ok(menus.length >= 2, 'the palette and the sidebar\'s menu');
    assert.deepEqual(menus.filter((m) => !/(^|&& )isWorkspaceTrusted( &&|$)/.test(m.when ?? '')), [], 'shown in an untrusted workspace');
  });

  test('resolving the incident resolves the alert its escalations opened: one Events API v2 resolve, same dedup key, the key of its origin', async () => {
    const before = api.received.length;
    const triggers = api.received.filter((p) => p.body.event_action === 'trigger');
    await vscode.commands.executeCommand('incidentRoom.setStatus', { status: 'resolved', note: 'tokenizer owner found and fixed it', checklist: { impactStopped: true } });
    const resolve = await until('the resolve reached the receiver', () => api.received.slice(before).find((p) => p.body.event_action === 'resolve'));
    assert.deepEqual(resolve.body, { routing_key: 'receiver-key-2', event_action: 'resolve', dedup_key: triggers[0]?.body.dedup_key });
    assert.equal(api.received.slice(before).length, 1, 'one resolve for the incident\'s one alert (both escalations added to it)');
    const queued = await until('delivered in the queue', () => {
      const q = c.delivery.escalationStateOf(`${c.service.focusedIncident?.timeline.filter((e) => e.kind === 'status.changed').at(-1)?.id}/resolve/0`);
      return q?.state === 'delivered' ? q : undefined;
    });
    assert.equal(queued.incidentId, incidentId);
  });
});
