import * as vscode from 'vscode';
import { DEFAULT_PLUGIN_REFERENCE } from '../../../core/docker/plugin';

/** vdvs.plugin.reference: the image `docker plugin install` pulls. */
export function pluginReference(): string {
  return vscode.workspace.getConfiguration('vdvs').get<string>('plugin.reference')?.trim() || DEFAULT_PLUGIN_REFERENCE;
}

/** vdvs.plugin.env: `KEY=value` settings applied at install (e.g. VDVS_LOG_LEVEL=debug). */
export function pluginEnv(): string[] {
  return vscode.workspace.getConfiguration('vdvs').get<string[]>('plugin.env', []);
}

/** vdvs.testContainer.image */
export function testContainerImage(): string {
  return vscode.workspace.getConfiguration('vdvs').get<string>('testContainer.image')?.trim() || 'alpine';
}
