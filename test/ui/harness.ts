// A real VS Code (code-server 4.100.3 from the cache, see scripts/provision-code-server.mjs) with
// this extension loaded from the working tree, driven by Debian's chromium through playwright-core.
// Used by the UI tests (test/ui/*.test.ts) and by scripts/run-vscode-tests.mjs, which runs the
// in-editor suites (test/vscode) through the same payload URL with an extensionTestsPath.
//
//   const server = await CodeServer.start();
//   const wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT });
//   await wb.openViewContainer('vSphere Docker Volumes');
//   await wb.screenshot('container');
//   await wb.close(); await server.stop();
//
// Every process started here is recorded by PID and killed by PID (code-server and chromium each
// run as the leader of their own process group, so their helpers go with them).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';

/** The repository root (this file runs from out/test/ui/). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'screenshots');
export const CHROMIUM = process.env.VDVS_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** User settings that keep the workbench quiet and deterministic for tests. */
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'window.commandCenter': false,
};

/** Runs the (idempotent) provisioning script and returns code-server's entry point. */
export function provisionCodeServer(): string {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'provision-code-server.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const entry = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !existsSync(entry)) throw new Error(`provisioning code-server failed (exit ${r.status})`);
  return entry;
}

/** Process groups started here and not yet stopped: killed when this process exits, however it exits. */
const live = new Set<number>();
/** Temp dirs of those processes, removed with them. */
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const pid of live) killGroup(pid, 'SIGKILL');
  if (!process.env.VDVS_KEEP_TMP) for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

export interface CodeServerOptions {
  /** The folder the workbench opens (default: an empty temp dir). */
  workspace?: string;
  /** Extra environment for code-server and so for the extension host (on top of process.env). */
  env?: Record<string, string>;
  /** User settings merged over the quiet defaults. */
  settings?: Record<string, unknown>;
  /**
   * Extension folders to install as ordinary (user) extensions, copied into the extensions dir as
   * `<publisher>.<name>-<version>` before start. (The payload URL loads only one
   * extensionDevelopmentPath: when it names several, the last wins.)
   */
  installExtensions?: string[];
  /** Echo code-server's own output to stderr as it comes (default: VDVS_CODE_SERVER_VERBOSE=1). */
  verbose?: boolean;
}

/** code-server on 127.0.0.1 with a private user-data dir, extensions dir, HOME and XDG dirs. */
export class CodeServer {
  private output = '';
  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
    readonly tmp: string,
    readonly workspace: string,
  ) {}

  static async start(opts: CodeServerOptions = {}): Promise<CodeServer> {
    const entry = provisionCodeServer();
    const tmp = mkdtempSync(join(tmpdir(), 'vdvs-code-server-'));
    liveDirs.add(tmp);
    const home = join(tmp, 'home');
    const userData = join(tmp, 'user-data');
    const workspace = opts.workspace ?? join(tmp, 'workspace');
    for (const d of [home, join(userData, 'User'), join(tmp, 'extensions'), workspace]) mkdirSync(d, { recursive: true });
    for (const dir of opts.installExtensions ?? []) {
      const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      cpSync(dir, join(tmp, 'extensions', `${m.publisher}.${m.name}-${m.version}`), { recursive: true });
    }
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...opts.settings }, null, 2));
    // The extension host of code-server is a remote one: machine-scoped settings (backup destination, CA
    // bundle) are read from the Remote settings there, as a user of a remote window sets them.
    mkdirSync(join(userData, 'Machine'), { recursive: true });
    writeFileSync(join(userData, 'Machine', 'settings.json'), JSON.stringify(opts.settings ?? {}, null, 2));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_STATE_HOME: join(home, '.local', 'state'),
      XDG_RUNTIME_DIR: join(tmp, 'run'),
      VDVS_REPO_ROOT: REPO_ROOT,
      ...opts.env,
    };
    delete env.VSCODE_IPC_HOOK_CLI; // when started from a VS Code terminal
    mkdirSync(env.XDG_RUNTIME_DIR!, { recursive: true, mode: 0o700 });
    const proc = spawn(
      process.execPath,
      [
        entry,
        '--bind-addr',
        '127.0.0.1:0',
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--user-data-dir',
        userData,
        '--extensions-dir',
        join(tmp, 'extensions'),
        workspace,
      ],
      {
        cwd: tmp,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const verbose = opts.verbose ?? process.env.VDVS_CODE_SERVER_VERBOSE === '1';
    let resolvePort: (p: number) => void;
    const portP = new Promise<number>((r) => (resolvePort = r));
    let server: CodeServer | undefined;
    let early = '';
    const onData = (d: Buffer) => {
      const s = d.toString();
      if (server) server.output += s;
      else early += s;
      if (verbose) process.stderr.write(`[code-server] ${s}`);
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(early);
      if (m) resolvePort(Number(m[1]));
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    const exited = new Promise<never>((_, rej) =>
      proc.on('exit', (c) => rej(new Error(`code-server exited (${c}) before listening:\n${early}`))),
    );
    const timeout = new Promise<never>((_, rej) =>
      setTimeout(() => rej(new Error(`code-server did not listen within 30 s:\n${early}`)), 30_000).unref(),
    );
    let port: number;
    try {
      port = await Promise.race([portP, exited, timeout]);
    } catch (e) {
      killGroup(proc.pid, 'SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    exited.catch(() => undefined);
    if (proc.pid) live.add(proc.pid);
    server = new CodeServer(proc, port, tmp, workspace);
    server.output = early;
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** A path on the server as the workbench names it. */
  remoteUri(absPath: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${resolve(absPath)}`;
  }
  /** The workbench URL, loading extensionDevelopmentPath (and running extensionTestsPath if given). */
  url(opts: { extensionDevelopmentPath?: string; extensionTestsPath?: string; folder?: string } = {}): string {
    const payload: [string, string][] = [];
    if (opts.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', this.remoteUri(opts.extensionDevelopmentPath)]);
    if (opts.extensionTestsPath) payload.push(['extensionTestsPath', this.remoteUri(opts.extensionTestsPath)]);
    const q = `folder=${encodeURIComponent(opts.folder ?? this.workspace)}`;
    return `${this.origin}/?${q}${payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
  }
  /** code-server's stdout and stderr so far. */
  get log(): string {
    return this.output;
  }
  /** The newest log files of the user-data dir (extension host, remote agent …), name → text. */
  logFiles(filter = /exthost|remoteagent|server/i): Record<string, string> {
    const root = join(this.tmp, 'user-data', 'logs');
    const out: Record<string, string> = {};
    if (!existsSync(root)) return out;
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (e.endsWith('.log') && filter.test(p)) out[p.slice(root.length + 1)] = readFileSync(p, 'utf8');
      }
    };
    walk(root);
    return out;
  }

  async stop(): Promise<void> {
    const pid = this.proc.pid;
    if (pid && alive(pid)) {
      killGroup(pid, 'SIGTERM');
      if (!(await waitGone(pid, 3000))) killGroup(pid, 'SIGKILL');
    }
    // the extension host and pty host are in the same process group; make sure none outlives us
    killGroup(pid, 'SIGKILL');
    if (pid) live.delete(pid);
    if (!process.env.VDVS_KEEP_TMP) rmSync(this.tmp, { recursive: true, force: true });
    liveDirs.delete(this.tmp);
  }
}

export interface WorkbenchOptions {
  /** The extension folder to load (see CodeServerOptions.installExtensions for more). */
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  /** Called when the workbench calls window.codeAutomationExit(code) (the end of extension tests). */
  onExit?: (code: number) => void;
  /** Forwarded browser console lines (default: errors and extension-host output only). */
  onConsole?: (type: string, text: string) => void;
  viewport?: { width: number; height: number };
  /** Open in a new page of this browser instead of launching one. */
  browser?: Chromium;
  /** Wait for the workbench to render (default true). */
  waitReady?: boolean;
}

/** Debian's chromium with a private profile (playwright-core persistent context), killed by PID on close. */
export class Chromium {
  private constructor(
    readonly context: BrowserContext,
    readonly pids: number[],
    private readonly profile: string,
  ) {}

  static async launch(viewport = { width: 1400, height: 1000 }): Promise<Chromium> {
    const profile = mkdtempSync(join(tmpdir(), 'vdvs-chromium-'));
    liveDirs.add(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      timeout: 30_000,
    });
    const pids = childPidsWithArg(`--user-data-dir=${profile}`);
    for (const pid of pids) live.add(pid);
    return new Chromium(context, pids, profile);
  }

  async close(): Promise<void> {
    await Promise.race([this.context.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    for (const pid of this.pids) {
      if (alive(pid)) killGroup(pid, 'SIGKILL');
      live.delete(pid);
    }
    rmSync(this.profile, { recursive: true, force: true });
    liveDirs.delete(this.profile);
  }
}

/** The workbench page in Debian's chromium, with helpers to drive it like a user. */
export class Workbench {
  readonly pageErrors: string[] = [];
  private constructor(
    readonly server: CodeServer,
    readonly browser: Chromium,
    readonly page: Page,
    /** Whether close() also closes the browser (it was launched for this workbench). */
    private readonly ownsBrowser: boolean,
  ) {}

  get context(): BrowserContext {
    return this.browser.context;
  }
  get browserPids(): number[] {
    return this.browser.pids;
  }

  /**
   * Opens the workbench in a new chromium, or in a new page of `opts.browser` (a new window, so a
   * new extension host; the browser's cache makes it quicker than a fresh chromium).
   */
  static async open(server: CodeServer, opts: WorkbenchOptions = {}): Promise<Workbench> {
    const browser = opts.browser ?? (await Chromium.launch(opts.viewport));
    let page: Page;
    try {
      page = opts.browser ? await browser.context.newPage() : (browser.context.pages()[0] ?? (await browser.context.newPage()));
    } catch (e) {
      if (!opts.browser) await browser.close();
      throw e;
    }
    const wb = new Workbench(server, browser, page, !opts.browser);
    try {
      page.on('pageerror', (e) => wb.pageErrors.push(e.message));
      if (opts.onConsole) page.on('console', (m) => opts.onConsole!(m.type(), m.text()));
      if (opts.onExit) {
        const onExit = opts.onExit;
        await page.exposeFunction('codeAutomationExit', (code: number) => {
          onExit(Number(code));
        });
      }
      // the workbench loads megabytes of script: on a busy 2-core CI machine that outlasts playwright's 30 s default
      await page.goto(
        server.url({ extensionDevelopmentPath: opts.extensionDevelopmentPath, extensionTestsPath: opts.extensionTestsPath }),
        { timeout: 120_000 },
      );
      if (opts.waitReady ?? true) await wb.waitReady();
    } catch (e) {
      await wb.close();
      throw e;
    }
    return wb;
  }

  /** Until the workbench has rendered its activity bar and the extension host is up. */
  async waitReady(timeout = 60_000): Promise<void> {
    await this.page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout });
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout });
  }

  /** Runs a command by its title through the command palette (e.g. 'vDVS: Add Docker Host…'). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible' });
    await this.page.keyboard.press('Enter');
  }

  /** Answers the open quick input: an input box gets `answer` typed, a pick list picks the row with that label. */
  async answerQuickInput(answer: string, opts: { timeout?: number } = {}): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    await widget.waitFor({ state: 'visible', timeout: opts.timeout ?? 10_000 });
    const input = widget.locator('.quick-input-box input');
    const list = widget.locator('.quick-input-list .monaco-list-row');
    if ((await list.count()) > 0) {
      await input.fill(answer);
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: answer }).first().waitFor({ state: 'visible' });
    } else {
      await input.fill(answer);
    }
    await this.page.keyboard.press('Enter');
  }

  /** The open quick input's title/prompt text (to assert which step a wizard is on). */
  async quickInputText(): Promise<string> {
    return (await this.page.locator('.quick-input-widget').innerText()).trim();
  }

  /** Opens an activity-bar view container by clicking its icon (looked up by its title). */
  async openViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    const checked = (await item.getAttribute('aria-selected')) ?? (await item.getAttribute('aria-checked'));
    if (checked !== 'true') await item.click();
    await this.page
      .locator('.part.sidebar .composite.title', { hasText: title })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 })
      .catch(() => this.page.locator(`.part.sidebar`).waitFor({ state: 'visible' }));
  }
  activityBarItem(title: string): Locator {
    return this.page
      .locator(`.part.activitybar .action-item a[aria-label^="${title}"], .part.activitybar .action-item[aria-label^="${title}"]`)
      .first();
  }

  /** The pane (header + body) of a view in the side bar, by its name. */
  viewPane(name: string): Locator {
    return this.page.locator('.part.sidebar .pane', { has: this.page.locator('.pane-header', { hasText: name }) }).first();
  }
  /** Expands a collapsed view pane. */
  async expandView(name: string): Promise<Locator> {
    const pane = this.viewPane(name);
    const header = pane.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    return pane;
  }
  /** The welcome content of a view: its text and its buttons' labels. */
  async welcome(name: string): Promise<{ text: string; buttons: string[] }> {
    const pane = await this.expandView(name);
    const welcome = pane.locator('.welcome-view-content');
    await welcome.waitFor({ state: 'visible', timeout: 15_000 });
    return {
      text: (await welcome.innerText()).replace(/\s+/g, ' ').trim(),
      buttons: (await welcome.locator('.monaco-button').allInnerTexts()).map((t) => t.trim()),
    };
  }
  /** Clicks a tree item by its label (in a view when given); expands it when `expand`. */
  async clickTreeItem(label: string, opts: { view?: string; expand?: boolean; timeout?: number } = {}): Promise<Locator> {
    const scope = opts.view ? this.viewPane(opts.view) : this.page.locator('.part.sidebar');
    const row = scope.locator('.monaco-list-row', { has: this.page.locator('.label-name', { hasText: label }) }).first();
    await row.waitFor({ state: 'visible', timeout: opts.timeout ?? 15_000 });
    await row.click();
    if (opts.expand && (await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
    return row;
  }
  /** Texts of the notifications currently shown (toasts). */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
  }

  /** Until no progress bar runs in the side bar (views loading, extension activating). */
  async waitSidebarIdle(timeout = 20_000): Promise<void> {
    await this.page.waitForFunction(
      "!document.querySelector('.part.sidebar .monaco-progress-container.active, .part.activitybar .badge .codicon-loading')",
      undefined,
      { timeout, polling: 200 },
    );
  }

  /**
   * A PNG under screenshots/ (git-ignored); returns its path. The whole window, or one element.
   * The mouse is parked first so that no hover or tooltip ends up in the picture.
   */
  async screenshot(name: string, element?: Locator): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    const size = this.page.viewportSize();
    await this.page.mouse.move((size?.width ?? 1400) - 5, Math.round((size?.height ?? 900) / 2));
    await this.page.waitForTimeout(300); // hovers fade
    if (element) await element.screenshot({ path: file });
    else await this.page.screenshot({ path: file });
    return file;
  }

  /** Closes the page, and the browser when it was launched for this workbench. */
  async close(): Promise<void> {
    if (this.ownsBrowser) await this.browser.close();
    else await Promise.race([this.page.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  }
}

/** PIDs of this process's children whose command line holds `arg` (the chromium we launched). */
function childPidsWithArg(arg: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(arg)) pids.push(Number(e));
    } catch {
      /* process gone */
    }
  }
  return pids;
}
