import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * package.json's guard against a new setting that a workspace could use to redirect data or trust:
 * each one is machine- or application-scoped (VS Code ignores its workspace value), restricted in
 * untrusted workspaces, or one of the view settings that only change what is shown and when.
 * test/vscode/settingsScope.test.ts shows VS Code honouring the scopes.
 */
const VIEW_ONLY = ['vdvs.requestTimeoutSeconds', 'vdvs.docker.showAllVolumeDrivers', 'vdvs.docker.pollSeconds'];

describe('settings a workspace cannot decide', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  const sections = [pkg.contributes.configuration].flat() as Array<{ properties: Record<string, { scope?: string }> }>;
  const settings = Object.assign({}, ...sections.map((s) => s.properties)) as Record<string, { scope?: string }>;
  const untrusted = pkg.capabilities?.untrustedWorkspaces;

  it('declares limited support for untrusted workspaces, restricting only settings that exist', () => {
    assert.equal(untrusted?.supported, 'limited');
    for (const key of untrusted.restrictedConfigurations) assert.ok(settings[key], `${key} is restricted but not a setting`);
  });

  it('every setting is user-only (machine/application), restricted, or view-only', () => {
    const open = Object.entries(settings)
      .filter(
        ([key, s]) =>
          !['machine', 'application'].includes(s.scope ?? '') &&
          !untrusted.restrictedConfigurations.includes(key) &&
          !VIEW_ONLY.includes(key),
      )
      .map(([key]) => key);
    assert.deepEqual(open, []);
  });
});
