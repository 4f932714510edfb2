/**
 * Holds the lab's stand-in vDVS plugin to the vDVS rules: every row of the rules table is created
 * through the real docker CLI against the lab dockerd (plugin installed, VIB installed, as
 * lab/README.md describes), and the server's error text is compared with our validator's and with
 * the text from the vDVS sources. Rows our validator accepts must be created, read back, removed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { driverMessage } from '../../src/core/vdvs/serverErrors';
import { validateCreate } from '../../src/core/vdvs/validate';
import { RULE_ROWS } from '../fixtures/vdvsRules';

const run = promisify(execFile);
const PREFIX = `rules${process.pid}`;

/** lab.json of the running lab (lab/labInfo.mjs is ESM, which compiled CommonJS tests cannot require). */
function readLabInfo(): { docker?: { socket: string; host: string } } {
  const file = join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json');
  assert.ok(existsSync(file), `${file} is missing: the lab is not running (npm run lab)`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('lab plugin vs vDVS rules', () => {
  let host = '';
  const created: string[] = [];
  const docker = (...args: string[]) => run('/usr/bin/docker', ['-H', host, ...args], { timeout: 120_000 });

  before(async () => {
    const lab = readLabInfo();
    assert.ok(lab.docker?.host, 'lab.json has no docker section: start the lab with its docker piece (npm run lab -- --plugin-preinstalled --vib-preinstalled)');
    host = lab.docker.host;
    const { stdout } = await docker('plugin', 'inspect', '--format', '{{.Enabled}}', 'vsphere');
    assert.equal(stdout.trim(), 'true', 'the vsphere plugin must be installed and enabled (npm run lab -- --plugin-preinstalled)');
  });

  after(async () => {
    for (const name of created) await docker('volume', 'rm', name).catch(() => undefined);
  });

  for (const row of RULE_ROWS.filter((r) => !r.unitOnly && !r.ctx?.supportedFstypes)) {
    it(row.title, async () => {
      const name = row.name.replace(/NAME/g, PREFIX);
      const options = Object.fromEntries(Object.entries(row.options).map(([k, v]) => [k, v.replace(/NAME/g, PREFIX)]));
      const ours = validateCreate({ name, options }, row.ctx);
      const args = ['volume', 'create', '--driver=vsphere', `--name=${name}`, ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`])];
      let server: string | undefined;
      try {
        await docker(...args);
        created.push(name);
      } catch (err) {
        server = driverMessage(String((err as { stderr?: string }).stderr ?? err));
      }
      assert.equal(server, ours, `lab plugin and our validator disagree for: docker ${args.join(' ')}`);
      if (server === undefined) {
        const { stdout } = await docker('volume', 'inspect', name);
        const [vol] = JSON.parse(stdout) as Array<{ Status?: Record<string, unknown> }>;
        for (const [k, v] of Object.entries(options)) {
          if (k === 'size') assert.equal(String((vol.Status?.capacity as { size?: string })?.size ?? '').toLowerCase(), v.toLowerCase().replace(/^0+/, ''), 'capacity.size');
          else assert.equal(vol.Status?.[k], v, k);
        }
      }
    });
  }

  it('reports a missing mkfs like the plugin', async () => {
    const args = ['volume', 'create', '--driver=vsphere', `--name=${PREFIX}-nofs`, '-o', 'fstype=xfs_ext'];
    const err = await docker(...args).then(() => undefined, (e: { stderr?: string }) => driverMessage(String(e.stderr)));
    assert.ok(err, 'created with an unknown fstype');
    const [first, second] = err.split('\n');
    assert.equal(first, 'Not found mkfs for xfs_ext');
    const listed = second.replace('Supported filesystems found: ', '').split(', ').sort();
    assert.equal(validateCreate({ name: `${PREFIX}-nofs`, options: { fstype: 'xfs_ext' } }, { supportedFstypes: listed }), err.replace(second, `Supported filesystems found: ${listed.join(', ')}`));
  });
});
