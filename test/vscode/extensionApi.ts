import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TestApiHandle } from '../../src/extension';
import type { TestApi } from '../../src/ui/testApi';

export const EXTENSION_ID = 'vdvs-tools.vsphere-docker-volumes';

/** Activates the extension under test and returns the API it hands out in ExtensionMode.Test. */
export async function activateTestApi(): Promise<TestApi> {
  const ext = vscode.extensions.getExtension<TestApiHandle | undefined>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  const api = (await ext.activate())?.testApi();
  assert.ok(api, 'activate() returned no test API: the extension does not run in ExtensionMode.Test');
  return api;
}

/** A tree item's label as text (a label may be a string or a TreeItemLabel with highlights). */
export function labelText(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}
