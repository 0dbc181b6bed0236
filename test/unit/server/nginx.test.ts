import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import {
  httpsGet, makeCertificate, newToken, NGINX_TEMPLATE, renderSiteConf, REPO_ROOT, siteConfBody, type Replica, type RunningNginx, sessionsOn, startNginx, startReplica,
  startWssClient, tempDir, type WssClient,
} from '../../support/nginx';
import { usePostgres } from '../../support/postgres';
import { until } from '../../support/until';

interface StoredEvent { seq: number; id: string; kind: string; data: { text?: string } }

/** Every event of an incident as the service stores it, read over wss:// through nginx by a client of its own. */
async function storedEvents(port: number, caFile: string, token: string, incidentId: string): Promise<StoredEvent[]> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/v1/channels/payments-oncall`, { ca: readFileSync(caFile), headers: { Authorization: `Bearer ${token}` } });
  try {
    const events = new Map<number, StoredEvent>();
    let head = -1;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; incidentId?: string; headSeq?: number; event?: StoredEvent; events?: StoredEvent[] };
      if (m.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', incidentId, afterSeq: 0 }));
      if (m.incidentId !== incidentId) return;
      if (m.type === 'events') head = Math.max(head, m.headSeq ?? 0);
      for (const e of m.type === 'event' ? [m.event!] : m.type === 'events' ? m.events! : []) events.set(e.seq, e);
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'reader@example.com', name: 'Reader' } })));
    ws.on('error', () => undefined);
    await until('the reader holds the incident up to its head', () => (head > 0 && events.size >= head) || undefined, 30_000);
    return [...events.values()].sort((a, b) => a.seq - b.seq);
  } finally {
    ws.close();
  }
}

describe('deploy/nginx/incident-room.conf: two replicas on PostgreSQL behind nginx with TLS (issue #13)', function () {
  // The first run may apt-get install nginx and PostgreSQL; a loaded 2-core machine is slow to start processes.
  this.timeout(180_000);
  const pg = usePostgres('nginx');
  const tmp = tempDir('ir-nginx-');
  const token = newToken();
  let caFile = '';
  let replicas: Replica[] = [];
  let nginx: RunningNginx | undefined;
  const clients: WssClient[] = [];

  before(async function () {
    this.timeout(900_000);
    const cert = makeCertificate(tmp.dir);
    caFile = cert.caFile;
    const tokensFile = path.join(tmp.dir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify([{ name: 'payments-team', token, channels: ['payments-*'] }]), { mode: 0o600 });
    replicas = [await startReplica('A', pg.url(), tokensFile), await startReplica('B', pg.url(), tokensFile)];
    const template = readFileSync(NGINX_TEMPLATE, 'utf8');
    nginx = await startNginx(tmp.dir, (listenPort) => renderSiteConf(template, { listenPort, replicaPorts: [replicas[0]!.port, replicas[1]!.port], cert }), caFile);
  });

  after(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await nginx?.stop();
    for (const r of replicas) {
      r.kill('SIGTERM');
      await r.exited;
    }
    tmp.remove();
  });

  it('README.md quotes deploy/nginx/incident-room.conf as it is: the config the deployment guide shows is the one tested', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const body = siteConfBody(readFileSync(NGINX_TEMPLATE, 'utf8'));
    assert.ok(body.includes('proxy_pass http://incident_room;'), 'the body is the config, not only its comment');
    assert.ok(readme.includes(`\`\`\`nginx\n${body}\`\`\``), 'README.md "nginx: TLS and the WebSocket upgrade" differs from deploy/nginx/incident-room.conf');
  });

  it('serves /healthz through nginx from both replicas, over TLS the test CA signed, and keeps /metrics private', async () => {
    const upstreams = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const h = await httpsGet(nginx!.port, '/healthz', caFile);
      assert.equal(h.status, 200, h.body);
      assert.deepEqual(JSON.parse(h.body), { ok: true, status: 'ok' });
    }
    await until('nginx logged the probes', () => {
      const lines = readFileSync(nginx!.accessLog, 'utf8').split('\n').filter((l) => l.includes('GET /healthz'));
      for (const l of lines) upstreams.add(/upstream=(\S+)/.exec(l)![1]!);
      return lines.length >= 4 || undefined;
    });
    assert.deepEqual([...upstreams].sort(), replicas.map((r) => `127.0.0.1:${r.port}`).sort(), 'nginx spreads requests over both replicas');
    const metrics = await httpsGet(nginx!.port, '/metrics', caFile);
    assert.equal(metrics.status, 404, 'nginx does not serve /metrics');
    // A client that does not trust the CA is refused by its own TLS check, not let through.
    await assert.rejects(fetch(`https://127.0.0.1:${nginx!.port}/healthz`), 'the certificate is the test CA\'s, not a public one');
  });

  it('a replica killed with SIGKILL: the client reconnects through nginx, resumes by seq, its outbox resends, nothing acked is lost', async () => {
    const client = startWssClient({ serverUrl: `wss://127.0.0.1:${nginx!.port}`, token, caFile, outboxDir: path.join(tmp.dir, 'outbox') });
    clients.push(client);
    await until('the client is online through nginx', () => client.connections.some((c) => c.status === 'online') || undefined, 30_000);
    const incidentId = await client.declare('Checkout 5xx behind nginx');
    // A responder writing a note every 20 ms: when the replica dies some are on the wire and some wait in the outbox.
    await client.write(20, 'n');
    await until('notes acked and folded before the kill', async () => (await client.snapshot()).notes.length >= 30 || undefined, 30_000);

    const victim = await until('the replica holding the client\'s session', async () => {
      const counts = await Promise.all(replicas.map(sessionsOn));
      return counts[0]! + counts[1]! === 1 ? replicas[counts[0] === 1 ? 0 : 1] : undefined;
    });
    const survivor = replicas.find((r) => r !== victim)!;
    const before = await client.snapshot();
    const killedAt = Date.now();
    victim!.kill('SIGKILL');
    await victim!.exited;
    const lostAt = (await until('the client lost its link', () => client.connections.find((c) => c.at >= killedAt && c.status !== 'online'), 30_000)).at;
    const onlineAt = (await until('the client is online again', () => client.connections.find((c) => c.at >= lostAt && c.status === 'online'), 30_000)).at;
    assert.equal(await sessionsOn(survivor), 1, 'the session is on the surviving replica now');
    // Resumed: a note written after the link was lost went out of the outbox, was acked and came back as an event.
    const resumedAt = await until('a note written after the kill is on the timeline', async () => {
      const s = await client.snapshot();
      const after = Object.values(s.times).filter((t) => t.appendedAt >= lostAt && t.foldedAt !== undefined).map((t) => t.foldedAt!);
      return after.length > 0 ? Math.min(...after) : undefined;
    }, 30_000);
    await until('a few more notes on the other replica', async () => (await client.snapshot()).notes.length >= before.notes.length + 60 || undefined, 30_000);
    const written = await client.stopWriting();
    const s = await until('the outbox is empty and every note folded', async () => {
      const x = await client.snapshot();
      return x.queued === 0 && x.notes.length === written ? x : undefined;
    }, 60_000);
    const queuedWhileDown = Object.values(s.times).filter((t) => t.appendedAt >= killedAt && t.appendedAt <= onlineAt).length;
    console.log(`      through nginx, SIGKILL of replica ${victim!.name}: link lost after ${lostAt - killedAt} ms, online on ${survivor.name} after `
      + `${onlineAt - killedAt} ms, resumed (a note written after the kill acked and on the timeline) after ${resumedAt - killedAt} ms; `
      + `${queuedWhileDown} notes queued while offline, ${written} in all`);

    const expected = Array.from({ length: written }, (_, i) => `n${i}`);
    assert.deepEqual(s.notes, expected, 'the client holds every note once, in the order written');
    assert.deepEqual(s.seqs, Array.from({ length: written + 1 }, (_, i) => i + 1), 'its timeline is seqs 1… with no gap and no duplicate');
    assert.ok(queuedWhileDown > 0, 'some notes were written while the client was offline: the outbox resend was exercised');
    // What the service stores, read by someone else: everything acked before the kill, and the rest, once each.
    const stored = await storedEvents(nginx!.port, caFile, token, incidentId);
    assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: written + 1 }, (_, i) => i + 1));
    assert.deepEqual(stored.slice(1).map((e) => e.data.text), expected);
    for (const text of before.notes) assert.ok(stored.some((e) => e.data.text === text), `${text}, acked before the kill, is stored`);
    // And the load balancer's probe still sees a healthy service.
    const h = await httpsGet(nginx!.port, '/healthz', caFile);
    assert.equal(h.status, 200, h.body);
    // The time a user waits: on a quiet machine about one reconnect backoff (0.5–1.5 s); bounded loosely for a busy one.
    assert.ok(resumedAt - killedAt <= 10_000, `resumed ${resumedAt - killedAt} ms after the kill`);
  });
});
