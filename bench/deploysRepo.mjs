// Builds (once) and caches the benchmark repository: 100,000 commits and 2,000 deploy tags, written with
// `git fast-import` so it takes seconds, kept outside the repo under ~/.cache/incident-room-bench.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const SHAPE = { commits: 100_000, tags: 2_000, files: 2_000, version: 1 };

const BASE_TIME = 1_600_000_000;

/** Environment for every git call of the bench: no user or system config. */
export function benchGitEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toUpperCase().startsWith('GIT_')) env[k] = v;
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull, LC_ALL: 'C' };
}

function cacheRoot() {
  return process.env.INCIDENT_ROOM_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'incident-room-bench');
}

/** Path of the cached bare repository, building it first when missing. */
export async function ensureBenchRepo(log = console.log) {
  const dir = path.join(cacheRoot(), `deploys-v${SHAPE.version}-${SHAPE.commits}c-${SHAPE.tags}t.git`);
  const marker = path.join(dir, 'incident-room-bench-complete');
  if (fs.existsSync(marker)) return { dir, built: false, buildMs: 0 };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const env = benchGitEnv();
  const git = (...args) => execFileSync('git', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '--bare', '-b', 'main');
  log(`building ${SHAPE.commits} commits / ${SHAPE.tags} tags with git fast-import in ${dir} …`);
  const started = Date.now();
  await fastImport(dir, env);
  git('pack-refs', '--all');
  git('commit-graph', 'write', '--reachable');
  fs.writeFileSync(marker, JSON.stringify(SHAPE));
  const buildMs = Date.now() - started;
  log(`built in ${(buildMs / 1000).toFixed(1)} s`);
  return { dir, built: true, buildMs };
}

function fastImport(dir, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}: ${stderr}`))));
    const out = child.stdin;
    // If fast-import dies, the close handler reports its stderr; don't let the pipe error mask it.
    out.on('error', () => {});
    let buf = [];
    let size = 0;
    const flush = () =>
      new Promise((res) => {
        const chunk = buf.join('');
        buf = [];
        size = 0;
        if (out.write(chunk)) res();
        else out.once('drain', res);
      });
    const w = (s) => {
      buf.push(s);
      size += s.length;
    };
    const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
    const every = SHAPE.commits / SHAPE.tags; // a deploy every 50 commits
    (async () => {
      let mark = 0;
      let mainTip = 0;
      for (let i = 1; i <= SHAPE.commits; i++) {
        const t = BASE_TIME + i * 60;
        const author = `Dev ${i % 37} <dev${i % 37}@example.com> ${t} +0000`;
        // Every 25th commit is a merge of a one-commit side branch, like a merged pull request.
        if (i % 25 === 0 && mainTip > 0) {
          const side = ++mark;
          w(`commit refs/heads/side\nmark :${side}\nauthor ${author}\ncommitter ${author}\n${data(`side work ${i}`)}from :${mainTip}\n`);
          w(`M 100644 inline src/side/${i % SHAPE.files}.txt\n${data(`side ${i}\n`)}\n`);
          const m = ++mark;
          w(`commit refs/heads/main\nmark :${m}\nauthor ${author}\ncommitter ${author}\n${data(`Merge pull request #${i}`)}from :${mainTip}\nmerge :${side}\n\n`);
          mainTip = m;
        } else {
          const m = ++mark;
          const f1 = `src/mod${i % 40}/file${i % SHAPE.files}.txt`;
          const f2 = `src/mod${(i * 7) % 40}/file${(i * 13) % SHAPE.files}.txt`;
          w(`commit refs/heads/main\nmark :${m}\nauthor ${author}\ncommitter ${author}\n${data(`change ${i}: tweak ${f1}`)}`);
          if (mainTip > 0) w(`from :${mainTip}\n`);
          w(`M 100644 inline ${f1}\n${data(`content ${i}\nline two ${i % 7}\n`)}`);
          if (i % 3 === 0) w(`M 100644 inline ${f2}\n${data(`other ${i}\n`)}`);
          w('\n');
          mainTip = m;
        }
        if (i % every === 0) {
          const n = String(i / every).padStart(4, '0');
          const tagTime = t + 30;
          if ((i / every) % 4 === 0) w(`reset refs/tags/deploy/${n}\nfrom :${mainTip}\n\n`);
          else w(`tag deploy/${n}\nfrom :${mainTip}\ntagger Deployer <deploy@example.com> ${tagTime} +0000\n${data(`Deploy ${n}`)}`);
        }
        if (size > 1 << 20) await flush();
      }
      w('done\n');
      await flush();
      out.end();
    })().catch(reject);
  });
}
