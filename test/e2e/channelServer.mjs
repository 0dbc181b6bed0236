// The channel server of this repo's build (dist/server.js) for the workbench tests: a real process on a free
// loopback port, its data in a temp folder, removed afterwards.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverNodeFlags } from '../../scripts/serverNodeFlags.mjs';
import { REPO_ROOT } from './codeServer.mjs';

/** The channel server from this repo's build, on a free port, with its data in a temp folder. */
export async function startChannelServer() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-e2e-server-'));
  const serverJs = path.join(REPO_ROOT, 'dist', 'server.js');
  const child = spawn(process.execPath, [...serverNodeFlags(serverJs), serverJs, '--host', '127.0.0.1', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`channel server did not start: ${out}`)), 15e3);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => reject(new Error(`channel server exited ${code}: ${out}`)));
  });
  // If the runner gives up on this test (its timeout) and exits, the finally below never runs: never leave the
  // server behind.
  const onExit = () => { child.kill('SIGKILL'); fs.rmSync(data, { recursive: true, force: true }); };
  process.once('exit', onExit);
  return {
    url,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

