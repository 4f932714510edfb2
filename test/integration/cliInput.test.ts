import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkJob } from '../../src/core/backup/job';
import { MANIFEST_FILE } from '../../src/core/backup/manifest';
import { ensureVolumeLab, labDocker, readVolumeLab, VolumeLab } from '../fixtures/volumeLab';
import { runCli } from './backupLab';

/**
 * What `vdvs` (dist/cli.js, as cron runs it) makes of the files it is given: the secrets file's
 * permissions and syntax, unknown keys in the config, an empty or foreign destination for `ls`,
 * and what `--quiet` leaves on stderr.
 */
const HOST = 'cli-input-host';
const tag = `ci9-${process.pid.toString(36)}`;

describe('the vdvs CLI: secrets file, config keys, ls, --quiet', { timeout: 300_000 }, () => {
  let dir: string;
  let lab: VolumeLab;
  const vdvs = (args: string[]) => runCli(lab, args);
  const config = (extra: Record<string, unknown> = {}) => ({
    dockerHosts: [{ name: HOST, endpoint: 'unix:///nonexistent/docker.sock' }],
    esxiHosts: [{ name: 'esx', url: 'https://127.0.0.1:1/sdk', user: 'root' }],
    jobs: [{ name: 'nightly', dockerHost: HOST, destination: '/nonexistent' }],
    ...extra,
  });
  async function writeJson(name: string, value: unknown, mode = 0o600): Promise<string> {
    const file = join(dir, name);
    await fs.writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
    await fs.chmod(file, mode);
    return file;
  }

  before(async () => {
    lab = readVolumeLab();
    dir = await fs.mkdtemp(join(tmpdir(), 'vdvs-cli-input-'));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses a secrets file that group or others can read, naming the file and the chmod to run; accepts it after chmod 600', async () => {
    const configFile = await writeJson('vdvs.json', config());
    for (const mode of [0o644, 0o640, 0o604]) {
      const secrets = await writeJson(`secrets-${mode.toString(8)}.json`, { esxiHosts: { esx: { password: 'Hunter2-Secret' } } }, mode);
      const r = await vdvs(['backup', '--config', configFile, '--secrets', secrets, '--job', 'nope']);
      assert.equal(r.code, 1, `mode ${mode.toString(8)}: ${r.err}`);
      assert.ok(r.err.includes(secrets), `the message names the file: ${r.err}`);
      assert.ok(r.err.includes(`chmod 600 ${secrets}`), `the message gives the chmod: ${r.err}`);
      assert.doesNotMatch(r.err, /Hunter2/);
    }
    const ok = await writeJson('secrets-ok.json', { esxiHosts: { esx: { password: 'Hunter2-Secret' } } }, 0o600);
    const r = await vdvs(['backup', '--config', configFile, '--secrets', ok, '--job', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /No job named nope in the config/, 'past the secrets file: the job lookup answers');
  });

  it('reports a malformed secrets file by name without echoing any of its content', async () => {
    const configFile = await writeJson('vdvs.json', config());
    const secrets = await writeJson('secrets-bad.json', '{"esxiHosts": {"esx": {"password": Hunter2-Secret}}}\n');
    const r = await vdvs(['backup', '--config', configFile, '--secrets', secrets]);
    assert.equal(r.code, 1, r.err);
    assert.ok(r.err.includes(secrets), r.err);
    assert.match(r.err, /not valid JSON/);
    for (const piece of ['Hunter2', 'Secret', 'assword', 'esxiHosts', '"esx"'])
      assert.ok(!r.err.includes(piece), `"${piece}" of the file is in the message: ${r.err}`);
  });

  it('refuses an unknown key at every level of the config (top, dockerHosts, esxiHosts, jobs) and in a task definition, naming it', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['retian', config({ retian: 3 })],
      ['tlsCertPaht', config({ dockerHosts: [{ name: HOST, endpoint: 'unix:///x.sock', tlsCertPaht: '/etc/certs' }] })],
      ['thumbprnt', config({ esxiHosts: [{ name: 'esx', url: 'https://127.0.0.1:1/sdk', user: 'root', thumbprnt: 'AB' }] })],
      ['stopContainer', config({ jobs: [{ name: 'nightly', dockerHost: HOST, destination: '/x', stopContainer: true }] })],
    ];
    for (const [key, value] of cases) {
      const file = await writeJson(`unknown-${key}.json`, value);
      const r = await vdvs(['ls', '--config', file]);
      assert.equal(r.code, 1, `${key}: exit ${r.code}, ${r.out}${r.err}`);
      assert.ok(r.err.includes(file) && r.err.includes(key), `${key}: ${r.err}`);
    }
    assert.throws(
      () => checkJob({ type: 'vdvs-backup', label: 'x', dockerHost: HOST, destination: '/x', stopContainer: true }, 'tasks.json'),
      /tasks\.json: unknown setting\(s\) stopContainer\./,
    );
  });

  it('ls says "no backups in" an empty destination, lists folders the tool did not write as ignored (not as leftovers), and a damaged backup of its own as damaged', async () => {
    const dest = await fs.mkdtemp(join(dir, 'dest-'));
    let r = await vdvs(['ls', '--destination', dest]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `no backups in ${dest}\n`);

    const foreign = join(dest, 'somehost', 'somevol', '2024-05-01T00-00-00-000Z');
    await fs.mkdir(foreign, { recursive: true });
    await fs.writeFile(join(foreign, 'notes.txt'), 'mine');
    await fs.mkdir(join(dest, 'somehost', 'somevol', 'photos'));
    const damaged = join(dest, 'somehost', 'somevol', '2024-05-02T00-00-00-000Z');
    await fs.mkdir(damaged);
    await fs.writeFile(join(damaged, MANIFEST_FILE), '{"format":1');
    r = await vdvs(['ls', '--destination', dest]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /leftover/);
    assert.match(r.out, new RegExp(`^  ignored  ${foreign}: not a vdvs backup \\(no ${MANIFEST_FILE}\\)$`, 'm'));
    assert.match(r.out, new RegExp(`^  damaged  ${damaged}: no valid ${MANIFEST_FILE}: .*not valid JSON`, 'm'));
    assert.doesNotMatch(r.out, /photos/, 'a folder not named like a backup is not listed');
    assert.match(r.out, new RegExp(`^no backups in ${dest}$`, 'm'));
  });

  describe('on the lab', () => {
    let docker: (...args: string[]) => Promise<string>;
    const vol = `${tag}-quiet`;

    before(async () => {
      lab = await ensureVolumeLab();
      docker = labDocker(lab);
      await docker('volume', 'create', '--driver', 'vsphere', '--name', vol, '-o', 'size=64mb');
    });
    after(async () => {
      await docker?.('volume', 'rm', '-f', vol).catch(() => undefined);
    });

    it('--quiet prints the summary on stdout and nothing but warnings and errors on stderr', async () => {
      const dest = await fs.mkdtemp(join(dir, 'quiet-'));
      const file = await writeJson('quiet.json', {
        dockerHosts: [{ name: HOST, endpoint: lab.docker.host }],
        jobs: [{ name: 'q', dockerHost: HOST, volumes: [vol], destination: dest, retain: 1 }],
      });
      const loud = await vdvs(['backup', '--config', file]);
      assert.equal(loud.code, 0, loud.err);
      assert.match(loud.err, /^vdvs: Job q$/m, 'without --quiet the steps are printed');
      const r = await vdvs(['backup', '--config', file, '--quiet']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Backup finished: 1 of 1 volume\(s\)/m);
      const noise = r.err.split('\n').filter((l) => l && !/^vdvs: (warning|error): /.test(l));
      assert.deepEqual(noise, [], 'stderr holds only warnings and errors');
    });
  });
});
