#!/usr/bin/env node
// Runs the in-editor suites (out/test/vscode, compiled from test/vscode) inside a real VS Code:
// code-server 4.100.3 from the cache (provisioned on first use), the extension loaded from this
// working tree through the payload URL (extensionDevelopmentPath + extensionTestsPath), opened in
// Debian's chromium by playwright-core. The exit code is the one the workbench hands to
// window.codeAutomationExit when the suites' run() settles.
//
//   npm run build && npx tsc -p tsconfig.test.json && node scripts/run-vscode-tests.mjs
//
// Environment: VDVS_TEST_GREP (mocha --grep), VDVS_VSCODE_TEST_TIMEOUT (s, default 240),
// VDVS_CODE_SERVER_VERBOSE=1 (echo code-server's output), VDVS_KEEP_TMP=1 (keep the temp dirs);
// everything else (e.g. VDVS_LAB_DIR) reaches the extension host unchanged.
// Mocha's output reaches us through a file (VDVS_TEST_LOG, see test/vscode/index.ts) that is
// streamed to stdout as it grows; on failure the extension host's log follows.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (msg) => console.log(`run-vscode-tests: ${msg}`);

for (const f of ['dist/extension.js', 'out/test/vscode/index.js', 'out/test/ui/harness.js']) {
  if (!existsSync(join(root, f))) {
    console.error(`run-vscode-tests: ${f} is missing: run \`npm run build && npx tsc -p tsconfig.test.json\` first`);
    process.exit(2);
  }
}
const { CodeServer, Workbench, REPO_ROOT } = await import('../out/test/ui/harness.js');

const timeoutS = Number(process.env.VDVS_VSCODE_TEST_TIMEOUT) || 240;
const scratch = mkdtempSync(join(tmpdir(), 'vdvs-vscode-tests-'));
const testLog = join(scratch, 'mocha.log');
writeFileSync(testLog, '');

let server;
let wb;
let opening; // Workbench.open in flight: wait for it so its chromium is closed too
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    clearInterval(tail);
    pump();
    if (opening) await Promise.race([opening.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    if (wb) await wb.close().catch((e) => say(`closing chromium: ${e.message}`));
    if (server) await server.stop().catch((e) => say(`stopping code-server: ${e.message}`));
    if (!process.env.VDVS_KEEP_TMP) rmSync(scratch, { recursive: true, force: true });
  })();
  return cleaning;
}
async function finish(code, why) {
  if (why) say(why);
  if (code !== 0 && server) dumpLogs();
  await cleanup();
  say(`${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${secs()}`);
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void finish(130, `interrupted (${sig})`));

// stream the mocha log as it grows
let offset = 0;
function pump() {
  try {
    if (statSync(testLog).size <= offset) return;
    const buf = readFileSync(testLog);
    process.stdout.write(buf.subarray(offset));
    offset = buf.length;
  } catch {
    /* not there (yet) */
  }
}
const tail = setInterval(pump, 200);

function dumpLogs() {
  if (offset === 0) say('the suites wrote no output: the extension host never ran test/vscode/index.js (the logs below say how far it got)');
  for (const [name, text] of Object.entries(server.logFiles(/remoteexthost\.log$|remoteagent\.log$/))) {
    const lines = text.trimEnd().split('\n');
    if (!text.trim()) continue;
    console.log(`\n----- ${name} (last ${Math.min(lines.length, 60)} lines)`);
    console.log(lines.slice(-60).join('\n'));
  }
  console.log(`\n----- code-server output (last 20 lines)\n${server.log.trimEnd().split('\n').slice(-20).join('\n')}`);
  if (wb?.pageErrors.length) console.log(`\n----- page errors\n${wb.pageErrors.slice(-20).join('\n')}`);
}

const hardTimeout = setTimeout(() => void finish(124, `hard timeout: no result after ${timeoutS} s`), timeoutS * 1000);
hardTimeout.unref?.();

try {
  server = await CodeServer.start({ env: { VDVS_TEST_LOG: testLog } });
  say(`code-server ${server.origin} (pid ${server.proc.pid}) up at ${secs()}`);
  const exitCode = new Promise((resolve) => {
    opening = Workbench.open(server, {
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: join(REPO_ROOT, 'out', 'test', 'vscode', 'index.js'),
      onExit: resolve,
      waitReady: false,
      onConsole: (type, text) => {
        // the workbench echoes extension-host errors; mocha's own output comes through the log file
        // (known offline noise dropped: the extension gallery and vsda are unreachable here)
        const first = text.split('\n')[0];
        if (type === 'error' && !/Failed to load resource|favicon|ENOTFOUND|open-vsx|vsda/.test(first)) console.log(`[workbench ${type}] ${first}`);
      },
    });
    opening.then((w) => {
      wb = w;
      say(`workbench opened at ${secs()} (chromium pid ${w.browserPids.join(',') || '?'})`);
    }, (e) => resolve(Promise.reject(e)));
  });
  const code = await exitCode;
  await new Promise((r) => setTimeout(r, 300)); // let the last lines land
  pump();
  await finish(code === 0 ? 0 : code || 1, `codeAutomationExit(${code})`);
} catch (e) {
  await finish(1, `error: ${e?.stack ?? e}`);
}
