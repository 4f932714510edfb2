import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/abort';
import { UserError } from '../../src/core/errors';
import { vibInstallArgv } from '../../src/core/esx/esxcli';
import { explainEsxcliFailure } from '../../src/core/esx/explainEsxcli';
import { HostKeyError } from '../../src/core/ssh/hostKey';
import { SshSession, SshTarget } from '../../src/core/ssh/shellSession';
import { UploadFailedError } from '../../src/core/ssh/sftpUpload';
import { readVibFile, VDVS_VIB_NAME } from '../../src/core/esx/vibFile';
import { FlowContext, installVib, readVibStatus, removeVib, upgradeVib } from '../../src/core/esx/vibFlow';
import { EsxLab, inChroot, passwordTarget, readEsxLab } from '../fixtures/esxLab';

const TIMEOUT = 15_000;
const code = (c: string) => (e: unknown) => e instanceof UserError && e.code === c;

describe('VIB over SSH against the lab ESXi shell', () => {
  let lab: EsxLab;
  let session: SshSession;
  let initiallyInstalled: string | undefined;
  const lines: string[] = [];
  const local = mkdtempSync(join(tmpdir(), 'vdvs-vib-it-'));
  const ctx = (extra: Partial<FlowContext> = {}): FlowContext => ({
    session,
    timeoutMs: TIMEOUT,
    reopen: () => open(),
    ...extra,
  });
  const open = (target = passwordTarget(lab)) =>
    SshSession.open(target, { timeoutMs: TIMEOUT, log: (line, stream) => lines.push(`${stream}: ${line}`) });
  const yes = async () => true;
  const no = async () => false;

  before(async () => {
    lab = await readEsxLab();
    session = await open();
    initiallyInstalled = (await readVibStatus(ctx())).installed?.version;
    if (initiallyInstalled) await removeVib(ctx(), { confirmHostdRestart: no });
  });

  after(async () => {
    // The lab is shared: leave the host as we found it.
    rmSync(lab.ssh.state.maintenanceRequired, { force: true });
    if (session.closed) session = await open();
    const now = (await readVibStatus(ctx())).installed;
    if (now && now.version !== initiallyInstalled) await removeVib(ctx(), { confirmHostdRestart: no });
    if (initiallyInstalled && now?.version !== initiallyInstalled) {
      await installVib(ctx(), { file: await readVibFile(lab.vib.path), flags: {}, confirmHostdRestart: yes });
    }
    session.close();
    rmSync(local, { recursive: true, force: true });
  });

  it('returns the host key fingerprint on first contact and logs in once it is pinned', async () => {
    await assert.rejects(SshSession.open(passwordTarget(lab, { hostKeyFingerprint: undefined }), { timeoutMs: TIMEOUT }), (e: unknown) => {
      assert.ok(e instanceof HostKeyError && e.code === 'HOST_KEY_UNKNOWN');
      assert.equal(e.fingerprint, lab.ssh.hostKeyFingerprint);
      return true;
    });
    assert.equal(session.hostKeyFingerprint, lab.ssh.hostKeyFingerprint);
  });

  it('refuses a changed host key, naming both fingerprints, before sending the password', async () => {
    const pinned = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    await assert.rejects(SshSession.open(passwordTarget(lab, { hostKeyFingerprint: pinned }), { timeoutMs: TIMEOUT }), (e: unknown) => {
      assert.ok(code('HOST_KEY_CHANGED')(e));
      assert.ok((e as Error).message.includes(pinned) && (e as Error).message.includes(lab.ssh.hostKeyFingerprint));
      return true;
    });
  });

  it('explains a wrong password, and logs in with the key file', async () => {
    await assert.rejects(SshSession.open(passwordTarget(lab, { secret: 'wrong-password' }), { timeoutMs: TIMEOUT }), (e: unknown) => {
      assert.ok(code('AUTH_FAILED')(e));
      assert.doesNotMatch((e as Error).message, /wrong-password/);
      return true;
    });
    const keyTarget: SshTarget = { ...passwordTarget(lab), auth: 'key', keyPath: lab.ssh.keyPath, secret: undefined };
    const viaKey = await SshSession.open(keyTarget, { timeoutMs: TIMEOUT });
    assert.equal((await viaKey.run(['esxcli', 'system', 'version', 'get'], { timeoutMs: TIMEOUT })).code, 0);
    viaKey.close();
    await assert.rejects(SshSession.open({ ...keyTarget, port: 1 }, { timeoutMs: TIMEOUT }), code('SSH_REFUSED'));
  });

  it('passes hostile text to a remote program as one literal argument', async () => {
    const hostile = `it's "q"; touch /tmp/pwned1 $(touch /tmp/pwned2) \`touch /tmp/pwned3\` & | > * ~ \\ $HOME`;
    const run = await session.run(['printf', '[%s]\\n', hostile, 'second'], { timeoutMs: TIMEOUT });
    assert.equal(run.stdout, `[${hostile}]\n[second]\n`);
    for (const f of ['pwned1', 'pwned2', 'pwned3']) assert.equal(existsSync(inChroot(lab, `/tmp/${f}`)), false);
  });

  it('installs the test VIB: upload, esxcli, hostd restart, verify, uploaded file removed', async () => {
    const steps: string[] = [];
    const progress: number[] = [];
    const file = await readVibFile(lab.vib.path);
    const outcome = await installVib(ctx({ step: (s) => steps.push(s) }), {
      file,
      flags: {},
      confirmHostdRestart: yes,
      onProgress: (p) => progress.push(p.bytes),
    });
    assert.equal(outcome.status.installed?.version, lab.vib.version);
    assert.equal(outcome.hostdRestarted, true);
    assert.ok(outcome.status.processes.length > 0, 'vmdk_ops runs after the hostd restart');
    assert.deepEqual(outcome.result?.installed, [`VMWare_bootbank_${VDVS_VIB_NAME}_${lab.vib.version}`]);
    assert.equal(progress.at(-1), file.sizeBytes);
    assert.ok(steps.includes('Waiting for hostd to come back'));
    assert.equal(existsSync(inChroot(lab, `/tmp/${file.fileName}`)), false);
    assert.match(readFileSync(lab.ssh.state.vmdkopsState, 'utf8'), /vib=installed/);
    assert.ok(
      lines.some((l) => l.startsWith('stdout: ') && /Operation finished successfully/.test(l)),
      'remote output reaches the log',
    );
  });

  it('reports a second install of the same version as skipped, and upgrades to the next one', async () => {
    await assert.rejects(
      installVib(ctx(), { file: await readVibFile(lab.vib.path), flags: {}, confirmHostdRestart: no }),
      code('ALREADY_INSTALLED'),
    );
    const outcome = await upgradeVib(ctx(), {
      file: await readVibFile(lab.vib.variants.upgrade.path),
      flags: {},
      confirmHostdRestart: yes,
    });
    assert.equal(outcome.replaced, lab.vib.version);
    assert.equal(outcome.status.installed?.version, lab.vib.variants.upgrade.version);
  });

  it('explains LiveInstallationError on remove, then removes with --maintenance-mode', async () => {
    writeFileSync(lab.ssh.state.maintenanceRequired, '');
    await assert.rejects(removeVib(ctx(), { confirmHostdRestart: no }), code('MAINTENANCE_MODE'));
    rmSync(lab.ssh.state.maintenanceRequired);
    const removed = await removeVib(ctx(), { maintenanceMode: true, confirmHostdRestart: no });
    assert.equal(removed.status.installed, undefined);
    assert.ok(lines.some((l) => l.includes('--maintenance-mode')));
    await assert.rejects(removeVib(ctx(), { confirmHostdRestart: no }), code('NOT_INSTALLED'));
  });

  it('explains the acceptance-level error (#764) and installs with --force when asked', async () => {
    const file = await readVibFile(lab.vib.variants.community.path);
    assert.equal(file.descriptor.acceptanceLevel, 'CommunitySupported');
    await assert.rejects(installVib(ctx(), { file, flags: { noSigCheck: true }, confirmHostdRestart: no }), code('ACCEPTANCE'));
    assert.equal(existsSync(inChroot(lab, `/tmp/${file.fileName}`)), false, 'the upload is removed after a failure too');
    const forced = await installVib(ctx(), { file, flags: { force: true }, confirmHostdRestart: no });
    assert.equal(forced.status.installed?.acceptanceLevel, 'CommunitySupported');
    await removeVib(ctx(), { confirmHostdRestart: no });
  });

  it('explains the ESXi version requirement (#674)', async () => {
    const file = await readVibFile(lab.vib.variants.esx8.path);
    assert.equal(file.descriptor.requiredEsxVersion, '>= 8.0.0');
    await assert.rejects(
      installVib(ctx(), { file, flags: {}, confirmHostdRestart: no }),
      (e: unknown) => code('ESX_VERSION')(e) && /8\.0\.0/.test((e as Error).message),
    );
  });

  it('refuses files that are not VIBs, locally and as esxcli reports them', async () => {
    for (const variant of ['noDescriptor', 'notAVib'] as const) {
      await assert.rejects(readVibFile(lab.vib.variants[variant].path), code('NOT_A_VIB'));
      const remote = `/tmp/vdvs-it-${variant}.vib`;
      await session.upload(lab.vib.variants[variant].path, remote, { stallMs: TIMEOUT });
      const run = await session.run(vibInstallArgv(remote, 'vib', {}), { timeoutMs: TIMEOUT });
      await session.removeFile(remote, TIMEOUT);
      assert.notEqual(run.code, 0);
      assert.equal(explainEsxcliFailure('install', run.stdout + run.stderr, run.code).code, 'NOT_A_VIB');
    }
  });

  it('installs an offline bundle with -d', async () => {
    const file = await readVibFile(lab.vib.variants.bundle.path);
    assert.equal(file.kind, 'bundle');
    const outcome = await installVib(ctx(), { file, flags: {}, confirmHostdRestart: no });
    assert.equal(outcome.status.installed?.version, file.descriptor.version);
    assert.ok(lines.some((l) => l.includes('vib install -d /tmp/')));
    await removeVib(ctx(), { confirmHostdRestart: no });
  });

  it('installs a VIB whose file name has spaces, quotes, ;, $() and backticks', async () => {
    const name = `vdvs it's "q"; touch pwned4 $(touch pwned5) \`touch pwned6\` *.vib`;
    copyFileSync(lab.vib.path, join(local, name));
    const outcome = await installVib(ctx(), { file: await readVibFile(join(local, name)), flags: {}, confirmHostdRestart: no });
    assert.equal(outcome.status.installed?.version, lab.vib.version);
    for (const f of ['/pwned4', '/pwned5', '/pwned6', '/tmp/pwned4', '/tmp/pwned5', '/tmp/pwned6'])
      assert.equal(existsSync(inChroot(lab, f)), false, f);
    assert.equal(existsSync(inChroot(lab, `/tmp/${name}`)), false);
    await removeVib(ctx(), { confirmHostdRestart: no });
  });

  it('a cancelled upload leaves no partial file', async () => {
    const big = join(local, 'big.vib');
    writeFileSync(big, randomBytes(48 * 1024 * 1024));
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      session.upload(big, '/tmp/vdvs-it-cancel.vib', {
        stallMs: TIMEOUT,
        signal: controller.signal,
        // Cancel at the first acknowledged write: a later point is not certain to come before
        // the end on a fast machine (progress is throttled).
        onProgress: (p) => {
          seen = p.bytes;
          controller.abort();
        },
      }),
      CancelledError,
    );
    assert.ok(seen > 0 && seen < 48 * 1024 * 1024);
    assert.equal(await session.exists('/tmp/vdvs-it-cancel.vib', TIMEOUT), false);
    assert.equal(existsSync(inChroot(lab, '/tmp/vdvs-it-cancel.vib')), false);
  });

  it('an upload cut off by a dropped connection is removed over a new session', async () => {
    const big = join(local, 'cut.vib');
    copyFileSync(join(local, 'big.vib'), big);
    const file = { ...(await readVibFile(lab.vib.path)), path: big, fileName: 'cut.vib' };
    const doomed = await open();
    await assert.rejects(
      installVib(ctx({ session: doomed }), {
        file,
        flags: {},
        confirmHostdRestart: no,
        onProgress: (p) => p.bytes > p.total / 3 && doomed.close(),
      }),
      (e: unknown) => {
        assert.ok(e instanceof UploadFailedError, String(e));
        assert.equal(e.partialRemoved, true);
        assert.match(e.message, /cut off after \d+ of \d+ bytes/);
        return true;
      },
    );
    assert.equal(existsSync(inChroot(lab, '/tmp/cut.vib')), false);
  });
});
