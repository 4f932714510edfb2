// Entry point of the in-editor suites: VS Code's extension host requires this file (the
// extensionTestsPath) and calls run(); its promise settling decides the exit code (resolved = 0).
// Works the same under code-server (scripts/run-vscode-tests.mjs) and @vscode/test-electron.
//
// The extension host's own stdout is not reliably visible to whoever started the editor
// (code-server keeps it), so every reporter line also goes to the file named by VDVS_TEST_LOG
// when set; the runner streams that file. VDVS_TEST_GREP filters tests like mocha's --grep.
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export function run(): Promise<void> {
  const logFile = process.env.VDVS_TEST_LOG;
  const Base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void; useColors: boolean };
  Base.useColors = false;
  const original = Base.consoleLog;
  Base.consoleLog = (...args: unknown[]) => {
    original(...args);
    if (logFile) appendFileSync(logFile, format(...args) + '\n');
  };
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    reporter: 'spec',
    timeout: Number(process.env.VDVS_TEST_TIMEOUT_MS) || 20_000,
    grep: process.env.VDVS_TEST_GREP || undefined,
  });
  const files = (readdirSync(__dirname, { recursive: true }) as string[]).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(join(__dirname, f));
  if (logFile) appendFileSync(logFile, `# vscode suites: ${files.join(', ')} (VS Code ${vscode.version})\n`);

  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (logFile) appendFileSync(logFile, `# done: ${failures} failure(s)\n`);
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      if (logFile) appendFileSync(logFile, `# mocha could not run: ${err instanceof Error ? err.stack : String(err)}\n`);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
