import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../core/errors';
import { DEFAULT_HELPER_IMAGE, DEFAULT_RETAIN } from '../../core/backup/job';

/** The backup settings (vdvs.backup.*), with paths expanded the way task definitions write them. */
export function backupDestination(): string {
  const raw = vscode.workspace.getConfiguration('vdvs').get<string>('backup.destination', '') || join(homedir(), 'vdvs-backups');
  return expandPath(raw);
}

export function helperImage(): string {
  return vscode.workspace.getConfiguration('vdvs').get<string>('backup.helperImage', DEFAULT_HELPER_IMAGE) || DEFAULT_HELPER_IMAGE;
}

export function defaultRetain(): number {
  return vscode.workspace.getConfiguration('vdvs').get<number>('backup.retain', DEFAULT_RETAIN);
}

/**
 * `~/x`, `${userHome}` and `${workspaceFolder}`: a CustomExecution task gets its definition as
 * written, without VS Code's variable substitution, so the common ones are expanded here.
 */
export function expandPath(path: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let out = path.replace(/^~(?=$|\/)/, homedir()).replace(/\$\{userHome\}/g, homedir());
  if (out.includes('${workspaceFolder}')) {
    if (!folder)
      throw new UserError(
        `The destination ${path} uses \${workspaceFolder}, but no folder is open.`,
        'Open the workspace folder or use an absolute path.',
      );
    out = out.replace(/\$\{workspaceFolder\}/g, folder);
  }
  if (!isAbsolute(out)) {
    if (!folder) throw new UserError(`The destination ${path} is relative and no folder is open.`, 'Use an absolute path.');
    out = join(folder, out);
  }
  return out;
}
