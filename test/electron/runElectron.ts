// The in-editor suites (test/vscode) in desktop VS Code through @vscode/test-electron:
//   npm run test:electron
// It downloads VS Code (VDVS_VSCODE_VERSION, default 1.100.3, the version code-server 4.100.3 is
// built from) once into ${VDVS_CACHE:-~/.cache/vdvs}/vscode-test, which needs VS Code's download
// site. Where that is unreachable it stops at once with an explanation instead of hanging in
// retries; VSCODE_EXECUTABLE=/path/to/code skips the download. Without a display on Linux, run it
// under `xvfb-run -a`. `npm run test:vscode` runs the same suites in code-server, offline.
import { download, runTests } from '@vscode/test-electron';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const VERSION = process.env.VDVS_VSCODE_VERSION || '1.100.3';
const CACHE = join(process.env.VDVS_CACHE || join(homedir(), '.cache', 'vdvs'), 'vscode-test');
const SITE = 'https://update.code.visualstudio.com';
const PROBE_TIMEOUT_MS = 10_000;
const DOWNLOAD_TIMEOUT_MS = Number(process.env.VDVS_VSCODE_DOWNLOAD_TIMEOUT_MS) || 10 * 60_000;

function fail(msg: string): never {
  console.error(`test:electron: ${msg}`);
  process.exit(1);
}

/** Resolves when VS Code's update service answers; otherwise explains why it cannot. */
async function probeDownloadSite(): Promise<void> {
  try {
    const r = await fetch(`${SITE}/api/releases/stable`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    fail(
      `VS Code's download site (${SITE}) is unreachable from this machine (${why}).\n` +
        `@vscode/test-electron needs it once to download VS Code ${VERSION} into ${CACHE}.\n` +
        `Run this where the site is reachable, or point VSCODE_EXECUTABLE at an installed VS Code ${VERSION}\n` +
        `binary; offline, \`npm run test:vscode\` runs the same suites (test/vscode) in code-server.`,
    );
  }
}

function alreadyDownloaded(): boolean {
  return existsSync(CACHE) && readdirSync(CACHE).some((d) => d.includes(VERSION) && existsSync(join(CACHE, d, 'is-complete')));
}

async function main(): Promise<void> {
  const extensionTestsPath = join(ROOT, 'out', 'test', 'vscode', 'index.js');
  if (!existsSync(extensionTestsPath)) fail(`${extensionTestsPath} is missing: run \`npm run compile-tests\` first`);
  if (!existsSync(join(ROOT, 'dist', 'extension.js'))) fail('dist/extension.js is missing: run `npm run build` first');

  let vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
  if (vscodeExecutablePath && !existsSync(vscodeExecutablePath)) fail(`VSCODE_EXECUTABLE=${vscodeExecutablePath} does not exist`);
  if (!vscodeExecutablePath) {
    if (!alreadyDownloaded()) await probeDownloadSite();
    let timer: NodeJS.Timeout | undefined;
    vscodeExecutablePath = await Promise.race([
      download({ version: VERSION, cachePath: CACHE, timeout: 30_000 }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no VS Code after ${DOWNLOAD_TIMEOUT_MS / 1000} s`)), DOWNLOAD_TIMEOUT_MS);
      }),
    ])
      .catch((e) => fail(`downloading VS Code ${VERSION} failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => clearTimeout(timer));
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.warn('test:electron: no DISPLAY: if VS Code cannot start, run `xvfb-run -a npm run test:electron` (apt-get install xvfb)');
  }

  const tmp = mkdtempSync(join(tmpdir(), 'vdvs-electron-'));
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  try {
    const code = await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath,
      extensionTestsEnv: { VDVS_REPO_ROOT: ROOT },
      launchArgs: [
        workspace,
        '--user-data-dir',
        join(tmp, 'user-data'),
        '--extensions-dir',
        join(tmp, 'extensions'),
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ],
    });
    process.exitCode = code;
  } catch (e) {
    console.error(`test:electron: the suites failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
