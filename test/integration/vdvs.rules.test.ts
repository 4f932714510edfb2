/**
 * Holds the lab's stand-in vDVS plugin to the vDVS rules: every row of the rules table is created
 * through the real docker CLI against the lab dockerd (plugin installed, VIB installed, as
 * lab/README.md describes), and the server's error text is compared with our validator's and with
 * the text from the vDVS sources. Rows our validator accepts must be created, read back, removed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { driverMessage } from '../../src/core/vdvs/serverErrors';
import { validateCreate } from '../../src/core/vdvs/validate';
import { RULE_ROWS, rowName, rowOptions, rowText } from '../fixtures/vdvsRules';
import { ensureVolumeLab, labDocker, sizeInMb } from '../fixtures/volumeLab';

const PREFIX = `t7-rules${process.pid}`;
/** For the rows whose whole name must stay short (xfs labels: 12 bytes). */
const SHORT = `s${process.pid}`;

/**
 * vDVS lists the disk formats from a dict, in hash-seed order on ESXi's Python 3.5 (see
 * validate.ts): only for that message, the list is compared as a set.
 */
function sameListOrder(message: string | undefined): string | undefined {
  return message?.replace(
    /^(Disk Allocation Format .* Valid options are: )\[(.*)\]\.$/s,
    (_m, head: string, list: string) => `${head}[${list.split(', ').sort().join(', ')}].`,
  );
}

describe('lab plugin vs vDVS rules', () => {
  const created: string[] = [];
  let docker: (...args: string[]) => Promise<string>;
  let datastore = '';
  let datastoreUrl = '';

  before(async () => {
    const lab = await ensureVolumeLab();
    docker = labDocker(lab);
    datastore = lab.vsphere.datastore;
    datastoreUrl = lab.vsphere.datastorePath;
  });

  after(async () => {
    // Docker lists vDVS volumes by the plugin's names (vol@datastore); a short name may be gone by now
    const failed: string[] = [];
    for (const name of created) {
      await docker('volume', 'rm', name.includes('@') ? name : `${name}@${datastore}`).catch((e: { stderr?: string }) =>
        failed.push(`${name}: ${e.stderr}`),
      );
    }
    assert.deepEqual(failed, [], 'cleanup left volumes behind');
  });

  for (const row of RULE_ROWS.filter((r) => !r.unitOnly && !r.ctx?.supportedFstypes)) {
    it(row.title, async () => {
      const name = rowName(row, PREFIX, SHORT);
      const options = rowOptions(row, PREFIX, SHORT);
      // the lab datastore's URL as vcsim reports it (info.url) is the directory backing it
      const ctx = row.ctx?.datastoreUrl ? { ...row.ctx, datastoreUrl: datastoreUrl } : row.ctx;
      const ours = validateCreate({ name, options }, ctx);
      const expected = row.expected === undefined ? undefined : rowText(row.expected, PREFIX, SHORT).replace('DSURL', datastoreUrl);
      assert.equal(ours, expected, 'our validator and the vDVS text disagree');
      const args = [
        'volume',
        'create',
        '--driver=vsphere',
        `--name=${name}`,
        ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
      ];
      let server: string | undefined;
      try {
        await docker(...args);
        created.push(name);
      } catch (err) {
        server = driverMessage(String((err as { stderr?: string }).stderr ?? err));
      }
      if (row.server) assert.match(server ?? '(accepted)', row.server, `lab plugin: docker ${args.join(' ')}`);
      else assert.equal(sameListOrder(server), sameListOrder(ours), `lab plugin and our validator disagree for: docker ${args.join(' ')}`);
      if (server === undefined) {
        const stdout = await docker('volume', 'inspect', name);
        const [vol] = JSON.parse(stdout) as Array<{ Status?: Record<string, unknown> }>;
        for (const [k, v] of Object.entries(options)) {
          if (k === 'size') assert.equal(sizeInMb(String((vol.Status?.capacity as { size?: string })?.size)), sizeInMb(v), 'capacity.size');
          else assert.equal(vol.Status?.[k], v, k);
        }
      }
    });
  }

  it('reports a missing mkfs like the plugin', async () => {
    const args = ['volume', 'create', '--driver=vsphere', `--name=${PREFIX}-nofs`, '-o', 'fstype=xfs_ext'];
    const err = await docker(...args).then(
      () => undefined,
      (e: { stderr?: string }) => driverMessage(String(e.stderr)),
    );
    assert.ok(err, 'created with an unknown fstype');
    const [first, second] = err.split('\n');
    assert.equal(first, 'Not found mkfs for xfs_ext');
    const listed = second.replace('Supported filesystems found: ', '').split(', ').sort();
    assert.equal(
      validateCreate({ name: `${PREFIX}-nofs`, options: { fstype: 'xfs_ext' } }, { supportedFstypes: listed }),
      err.replace(second, `Supported filesystems found: ${listed.join(', ')}`),
    );
  });
});
