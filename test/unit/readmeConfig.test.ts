import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_KEYS, parseCliConfig } from '../../src/core/backup/cliConfig';

// The README's CLI config example promises "every key the CLI accepts": it must parse, and name them all.
const README = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

function example(): string {
  const block = /```jsonc\n\/\/ \/etc\/vdvs\/vdvs\.json[^\n]*\n([\s\S]*?)```/.exec(README);
  assert.ok(block, 'the README has no ```jsonc block starting with // /etc/vdvs/vdvs.json');
  return block[1];
}

describe('the README CLI config example', () => {
  it('is a config the CLI accepts', () => {
    const config = parseCliConfig(JSON.parse(example()), 'README example');
    assert.ok(config.jobs.length >= 2);
  });
  it('shows every key of every level', () => {
    const parsed = JSON.parse(example()) as Record<string, unknown> & { dockerHosts: object[]; esxiHosts: object[]; jobs: object[] };
    const seen = {
      top: Object.keys(parsed),
      dockerHosts: parsed.dockerHosts.flatMap(Object.keys),
      esxiHosts: parsed.esxiHosts.flatMap(Object.keys),
      ssh: parsed.esxiHosts.flatMap((h) => Object.keys((h as { ssh?: object }).ssh ?? {})),
      jobs: parsed.jobs.flatMap(Object.keys),
    };
    for (const [level, keys] of Object.entries(CONFIG_KEYS)) {
      const missing = keys.filter((k) => !seen[level as keyof typeof seen].includes(k));
      assert.deepEqual(missing, [], `README example lacks ${level} key(s)`);
    }
  });
});
