// The stakeholder status page (#17) in a real browser (Debian Chromium, headless) against the real channel server
// (dist/server.js, as `npm start` runs it) on port 0 with a file store in a temp dir and a tokens file with a write
// token, a read token and a public channel. No workbench. Screenshots go to test-output/screenshots/status-page-*.png.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { serverNodeFlags } from '../../scripts/serverNodeFlags.mjs';
import { CHROMIUM_ARGS } from './sidebarPage.mjs';

export const workbench = false;
export const timeout = 120_000;

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const SHOTS = path.join(REPO, 'test-output', 'screenshots');

const WRITE = 'tok-payments-team-4f1c9a';
const READ = 'tok-stakeholders-0b7e2d';
// As an operator writes it: a write token, a read-only token, and a channel whose page anyone may read.
const TOKENS = JSON.parse(`[
  { "name": "payments-team", "token": "${WRITE}", "channels": ["payments-*", "search-oncall"] },
  { "name": "stakeholders", "token": "${READ}", "channels": ["payments-*"], "access": "read" },
  { "name": "status-public", "public": true, "channels": ["search-oncall"] }
]`);

const HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">Checkout <b>down</b>';
const HOSTILE_UPDATE = 'Card payments fail for some customers.\n<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3">';
const SECRETS = ['SECRET internal note', 'SECRET guess about pool size', 'Alice Example', 'alice@example.com', 'SECRET internal update', 'src/pay/pool.ts'];

// ---- the real server, as a child process ----

/** A server on a fresh folder (removed when it stops), or on `dir` of an earlier one (whose stop() keeps it). */
async function startServer({ dir, port = 0 } = {}) {
  const ownsDir = dir === undefined;
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'ir-status-'));
  for (const f of ['server.js', 'status-page.js', 'status-page.css']) {
    assert.ok(fs.existsSync(path.join(REPO, 'dist', f)), `dist/${f} is missing: run npm run build first`);
  }
  const tokensFile = path.join(dir, 'tokens.json');
  fs.writeFileSync(tokensFile, JSON.stringify(TOKENS));
  const serverJs = path.join(REPO, 'dist', 'server.js');
  const proc = spawn(process.execPath, [...serverNodeFlags(serverJs), serverJs, '--host', '127.0.0.1', '--port', String(port), '--data', path.join(dir, 'data'), '--tokens', tokensFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const actualPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /listening on ws:\/\/[^:]+:(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return {
    dir, port: actualPort, stderr: () => stderr,
    page: (channel = 'payments-oncall') => `http://127.0.0.1:${actualPort}/v1/channels/${channel}/status`,
    ws: (channel = 'payments-oncall') => `ws://127.0.0.1:${actualPort}/v1/channels/${channel}`,
    async stop({ keepDir = false } = {}) {
      proc.kill('SIGTERM');
      await exited;
      if (ownsDir && !keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A responder's client over a real socket (what the extension sends). */
async function responder(url, token = WRITE) {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  const messages = [];
  const waiters = new Set();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.delete(w); w.resolve(m); }
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const next = (pred) => new Promise((resolve, reject) => {
    const found = messages.find(pred);
    if (found) return resolve(found);
    const w = { pred, resolve };
    waiters.add(w);
    setTimeout(() => { waiters.delete(w); reject(new Error(`no reply; last: ${JSON.stringify(messages.slice(-2))}`)); }, 5000);
  });
  const request = async (msg) => {
    const requestId = randomUUID();
    const reply = next((m) => m.requestId === requestId);
    ws.send(JSON.stringify({ ...msg, requestId }));
    return reply;
  };
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: randomUUID(), user: { id: 'alice@example.com', name: 'Alice Example' } }));
  await next((m) => m.type === 'welcome');
  const at = (minutesAgo = 0) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return {
    at,
    async declare(data, minutesAgo = 0) {
      const r = await request({ type: 'declare', event: { id: randomUUID(), at: at(minutesAgo), data } });
      assert.equal(r.type, 'declared', JSON.stringify(r));
      return r.incidentId;
    },
    async append(incidentId, kind, data, minutesAgo = 0) {
      const r = await request({ type: 'append', incidentId, event: { id: randomUUID(), kind, at: at(minutesAgo), data } });
      assert.equal(r.type, 'ack', JSON.stringify(r));
      return r;
    },
    request,
    close: () => ws.close(),
  };
}

async function withBrowser(fn) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/** A page that records CSP violations and page errors (none may happen). */
async function openPage(browser, options = {}) {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1000, height: options.height ?? 900 }, locale: 'en-GB', timezoneId: 'UTC', colorScheme: options.colorScheme ?? 'light' });
  const problems = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { page, problems };
}


export const tests = {
  async 'a read token: asked for once, the declared incident shows, an external update appears within a second, no internal note, hostile text stays text'() {
    const server = await startServer();
    const team = await responder(server.ws());
    try {
      const id = await team.declare({ title: HOSTILE_TITLE, severity: 'SEV2', symptom: 'SECRET internal note', scope: 'EU' }, 20);
      await team.append(id, 'note.added', { text: 'SECRET internal note', tag: 'fact' });
      await team.append(id, 'note.added', { text: 'SECRET guess about pool size', tag: 'guess', source: { path: 'src/pay/pool.ts', startLine: 1, endLine: 1, snippet: 'POOL=5' } });
      await team.append(id, 'update.posted', { audience: 'internal', text: 'SECRET internal update' });
      await team.append(id, 'update.posted', { audience: 'external', text: HOSTILE_UPDATE, nextUpdateBy: team.at(-30) });
      await withBrowser(async (browser) => {
        const { page, problems } = await openPage(browser);
        const response = await page.goto(server.page());
        assert.equal(response.status(), 200);
        // No token yet: the page asks for one, and says why.
        await page.getByTestId('token-form').waitFor();
        assert.match(await page.getByTestId('token-reason').textContent(), /Ask the incident team for a read-only token for payments-oncall/);
        await page.getByLabel('Access token').fill('tok-not-a-real-one');
        await page.getByRole('button', { name: 'Show status' }).click();
        await page.getByText('That token was not accepted').waitFor();
        await page.getByLabel('Access token').fill(READ);
        await page.getByRole('button', { name: 'Show status' }).click();
        const card = page.locator(`[data-incident="${id}"]`);
        await card.waitFor();
        await page.locator('#connection.live').waitFor();
        // Hostile strings are shown as the text they are: no element made of them, no script ran.
        assert.equal(await card.getByTestId('title').textContent(), HOSTILE_TITLE);
        assert.equal(await card.getByTestId('update-text').textContent(), HOSTILE_UPDATE);
        assert.equal(await page.locator('main img, main b, main script').count(), 0);
        assert.equal(await page.evaluate(() => window.__pwned), undefined);
        assert.match(await card.textContent(), /SEV2 · Significant/);
        assert.match(await card.textContent(), /SEV2 means: Partial outage or degraded service/);
        const body = await page.locator('body').textContent();
        for (const s of SECRETS) assert.ok(!body.includes(s), `the page shows "${s}"`);
        // The token is in this tab's sessionStorage, not in the URL.
        assert.equal(await page.evaluate(() => sessionStorage.getItem('incident-room.status-token.payments-oncall')), READ);
        assert.ok(!page.url().includes(READ) && !page.url().includes('?'), page.url());

        // Live: an external update shows within a second; an internal note sent before it never does.
        await team.append(id, 'note.added', { text: 'SECRET second internal note', tag: 'note' });
        const t0 = Date.now();
        await team.append(id, 'update.posted', { audience: 'external', text: 'A fix is being rolled out now.', nextUpdateBy: team.at(-15), eta: team.at(-45) });
        await card.getByTestId('update-text').filter({ hasText: 'A fix is being rolled out now.' }).waitFor({ timeout: 1000 });
        const ms = Date.now() - t0;
        console.log(`      external update → on the page: ${ms} ms`);
        assert.ok(ms < 1000, `${ms} ms`);
        assert.ok(!(await page.locator('body').textContent()).includes('SECRET second internal note'));
        // Its ETA, as an estimate.
        assert.match(await card.getByTestId('update-eta').textContent(), /^Expected resolution: .+ \(estimate; it may change with the next update\)\.$/);
        await card.locator('summary', { hasText: 'Earlier updates (1)' }).click();
        assert.equal(await card.locator('.history .update-text').textContent(), HOSTILE_UPDATE);

        // A reload asks for nothing: the token is kept for the tab.
        await page.reload();
        await card.getByTestId('update-text').filter({ hasText: 'A fix is being rolled out now.' }).waitFor();
        assert.equal(await page.getByTestId('token-form').count(), 0);
        assert.deepEqual(problems, [], 'no CSP violation, no page error');
        await page.close();
      });
    } finally {
      team.close();
      await server.stop();
    }
  },

  async 'a public channel needs no token; a channel that is not public still asks for one'() {
    const server = await startServer();
    const team = await responder(server.ws('search-oncall'));
    try {
      const id = await team.declare({ title: 'Search results are slow', severity: 'SEV3', symptom: 'p99 8 s' }, 5);
      await withBrowser(async (browser) => {
        const { page, problems } = await openPage(browser);
        await page.goto(server.page('search-oncall'));
        await page.locator(`[data-incident="${id}"]`).waitFor();
        await page.locator('#connection.live').waitFor();
        assert.equal(await page.getByTestId('token-form').count(), 0);
        assert.match(await page.locator(`[data-incident="${id}"]`).textContent(), /No public update has been posted yet/);
        await page.goto(server.page('payments-oncall'));
        await page.getByTestId('token-form').waitFor();
        assert.deepEqual(problems, []);
      });
    } finally {
      team.close();
      await server.stop();
    }
  },

  async 'says it is reconnecting when the server goes away, and catches up when it is back'() {
    const first = await startServer();
    let server = first;
    const team = await responder(first.ws('search-oncall'));
    const id = await team.declare({ title: 'Search results are slow', severity: 'SEV3', symptom: 'p99 8 s' });
    team.close();
    try {
      await withBrowser(async (browser) => {
        const { page } = await openPage(browser);
        await page.goto(first.page('search-oncall'));
        await page.locator('#connection.live').waitFor();
        await first.stop({ keepDir: true });
        const banner = page.locator('#connection.reconnecting');
        await banner.waitFor();
        assert.match(await banner.textContent(), /^Reconnecting( in \d+ s|…) — the live connection was lost\. Showing the status as of /);
        assert.ok(await page.locator(`[data-incident="${id}"]`).isVisible(), 'the last known status stays on the page');
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'status-page-reconnecting.png') });
        server = await startServer({ dir: first.dir, port: first.port });
        const again = await responder(server.ws('search-oncall'));
        await again.append(id, 'update.posted', { audience: 'external', text: 'Back to normal speed for most searches.' });
        again.close();
        await page.locator('#connection.live').waitFor({ timeout: 40_000 });
        await page.getByText('Back to normal speed for most searches.').waitFor();
      });
    } finally {
      await server.stop();
      fs.rmSync(first.dir, { recursive: true, force: true });
    }
  },

  async 'the server refuses every write from a read token, even from the page\'s own origin; CSP blocks inline script'() {
    const server = await startServer();
    const team = await responder(server.ws());
    try {
      const id = await team.declare({ title: 'Checkout errors', severity: 'SEV2', symptom: 'x' });
      await withBrowser(async (browser) => {
        const { page } = await openPage(browser);
        const res = await page.goto(server.page());
        const h = res.headers();
        assert.match(h['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'/);
        assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
        assert.equal(h['x-content-type-options'], 'nosniff');
        assert.equal(h['referrer-policy'], 'no-referrer');
        assert.equal(h['x-frame-options'], 'DENY');
        for (const file of ['status.js', 'status.css']) {
          const r = await page.request.get(server.page().replace(/status$/, file));
          assert.equal(r.status(), 200, file);
          assert.equal(r.headers()['x-content-type-options'], 'nosniff');
        }
        // From the page, with the read token, as the page would send it: every write kind is refused by the server.
        const replies = await page.evaluate(async ({ token, incidentId }) => {
          const b64 = btoa(token).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
          const ws = new WebSocket(location.href.replace(/^http/, 'ws').replace(/\/status$/, ''), ['incident-room.v1', `incident-room.bearer.${b64}`]);
          const got = [];
          await new Promise((resolve) => { ws.onopen = resolve; });
          ws.onmessage = (e) => got.push(JSON.parse(e.data));
          ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: 'x1', user: { id: 'status-page', name: 'Status page' } }));
          const mid = crypto.randomUUID();
          const at = new Date().toISOString();
          const writes = {
            'incident.updated': { title: 'changed' }, 'severity.changed': { severity: 'SEV1' }, 'status.changed': { status: 'resolved' },
            'role.assigned': { role: 'scribe', user: { id: 'm@x', name: 'M' } }, 'note.added': { text: 'n', tag: 'note' },
            'note.retagged': { noteId: crypto.randomUUID(), tag: 'fact' }, 'deploy.flagged': { ref: 'v1', sha: 'abcdef1' },
            'mitigation.started': { mitigationId: mid, action: 'restart', description: 'd' }, 'mitigation.finished': { mitigationId: mid, result: 'failed' },
            'update.posted': { audience: 'external', text: 'all fine!' }, 'action.added': { title: 't' }, 'action.updated': { actionId: crypto.randomUUID(), done: true },
          };
          ws.send(JSON.stringify({ type: 'declare', requestId: 'declare', event: { id: crypto.randomUUID(), at, data: { title: 't', severity: 'SEV4', symptom: '' } } }));
          for (const [kind, data] of Object.entries(writes)) ws.send(JSON.stringify({ type: 'append', requestId: kind, incidentId, event: { id: crypto.randomUUID(), kind, at, data } }));
          const want = 1 + Object.keys(writes).length;
          while (got.filter((m) => m.type === 'error' || m.type === 'ack' || m.type === 'declared').length < want) await new Promise((r) => setTimeout(r, 20));
          ws.close();
          return got.filter((m) => m.requestId).map((m) => [m.requestId, m.type, m.code]);
        }, { token: READ, incidentId: id });
        assert.equal(replies.length, 13);
        for (const [requestId, type, code] of replies) assert.deepEqual([type, code], ['error', 'forbidden'], requestId);
        const list = await team.request({ type: 'list' });
        assert.deepEqual(list.items.map((i) => [i.id, i.title, i.headSeq]), [[id, 'Checkout errors', 1]], 'nothing was written');
        // The CSP holds in the browser: an injected inline script does not run. (eval is refused by the same policy,
        // which has no 'unsafe-eval'; Playwright's evaluate is exempt from it, so it is checked in the header above.)
        const inline = await page.evaluate(() => {
          const s = document.createElement('script');
          s.textContent = 'window.__inline = 1';
          document.body.append(s);
          return window.__inline;
        });
        assert.equal(inline, undefined);
        assert.doesNotMatch(h['content-security-policy'], /unsafe-(inline|eval)/);
      });
    } finally {
      team.close();
      await server.stop();
    }
  },

  async 'a realistic incident reads well at 400 and 1200 px: nothing overflows (screenshots)'() {
    const server = await startServer();
    const team = await responder(server.ws());
    try {
      const pay = await team.declare({ title: 'Card payments failing for some customers in Europe', severity: 'SEV2', symptom: 'x', scope: 'EU' }, 48);
      await team.append(pay, 'incident.updated', { impactStartedAt: team.at(52) }, 47);
      await team.append(pay, 'update.posted', { audience: 'external', text: 'We are investigating reports that some card payments in Europe fail at checkout. Other payment methods are not affected.', nextUpdateBy: team.at(18) }, 45);
      await team.append(pay, 'status.changed', { status: 'identified' }, 30);
      await team.append(pay, 'update.posted', { audience: 'external', text: 'We have found the cause: a change to our payment service released this morning. We are preparing to undo it.', nextUpdateBy: team.at(0) }, 28);
      await team.append(pay, 'status.changed', { status: 'mitigating' }, 12);
      await team.append(pay, 'update.posted', { audience: 'external', text: 'We are rolling back the change now. Payments are starting to succeed again for most customers.\n\nIf a payment failed, it was not charged: please try again.', nextUpdateBy: team.at(-18), eta: team.at(-40) }, 10);
      const search = await team.declare({ title: 'Search results load slowly', severity: 'SEV3', symptom: 'x' }, 15);
      await team.append(search, 'update.posted', { audience: 'external', text: 'Search is slower than usual. Results are correct; we are adding capacity.', nextUpdateBy: team.at(-45) }, 14);
      const login = await team.declare({ title: 'Sign-in emails delayed', severity: 'SEV3', symptom: 'x' }, 190);
      await team.append(login, 'update.posted', { audience: 'external', text: 'Sign-in emails are arriving up to 20 minutes late.', nextUpdateBy: team.at(130) }, 185);
      await team.append(login, 'status.changed', { status: 'resolved' }, 120);
      await team.append(login, 'update.posted', { audience: 'external', text: 'Sign-in emails are on time again. Thank you for your patience.' }, 119);
      fs.mkdirSync(SHOTS, { recursive: true });
      await withBrowser(async (browser) => {
        for (const [width, colorScheme] of [[400, 'light'], [1200, 'light'], [400, 'dark']]) {
          const { page, problems } = await openPage(browser, { width, height: 1300, colorScheme });
          // A stakeholder who typed the read token once in this tab.
          await page.addInitScript((token) => sessionStorage.setItem('incident-room.status-token.payments-oncall', token), READ);
          await page.goto(server.page());
          await page.locator(`[data-incident="${pay}"]`).waitFor();
          await page.locator('#connection.live').waitFor();
          await page.locator(`[data-incident="${pay}"] summary`).click();
          const m = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth, vw: document.documentElement.clientWidth,
            order: [...document.querySelectorAll('[data-testid="incident"]')].map((e) => e.dataset.incident),
          }));
          assert.equal(m.scrollWidth, m.vw, `${width} px: the page scrolls sideways`);
          assert.deepEqual(m.order, [pay, search, login], 'most severe first, then the resolved');
          await page.screenshot({ path: path.join(SHOTS, `status-page-${width}${colorScheme === 'dark' ? '-dark' : ''}.png`), fullPage: true });
          assert.deepEqual(problems, []);
          await page.close();
        }
      });
    } finally {
      team.close();
      await server.stop();
    }
  },
};
