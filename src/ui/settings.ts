import * as vscode from 'vscode';
import { DEFAULT_PLUGIN_ALIAS, DEFAULT_PLUGIN_REFERENCE } from '../core/docker/plugin';

// Readers of the vdvs.* settings that views, commands and tasks share.

/** vdvs.plugin.reference: the image `docker plugin install` pulls. */
export function pluginReference(): string {
  return vscode.workspace.getConfiguration('vdvs').get<string>('plugin.reference')?.trim() || DEFAULT_PLUGIN_REFERENCE;
}

/** vdvs.plugin.alias: the name Docker knows the plugin by (`vsphere` → driver `vsphere:latest`). */
export function pluginAlias(): string {
  return vscode.workspace.getConfiguration('vdvs').get<string>('plugin.alias')?.trim() || DEFAULT_PLUGIN_ALIAS;
}

/** vdvs.plugin.env: `KEY=value` settings applied at install (e.g. VDVS_LOG_LEVEL=debug). */
export function pluginEnv(): string[] {
  return vscode.workspace.getConfiguration('vdvs').get<string[]>('plugin.env', []);
}

/** vdvs.testContainer.image */
export function testContainerImage(): string {
  return vscode.workspace.getConfiguration('vdvs').get<string>('testContainer.image')?.trim() || 'alpine';
}
