import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseInstallResult, parseVibList, vibInstallArgv, vibRemoveArgv, vmdkProcesses } from '../../src/core/esx/esxcli';
import { explainEsxcliFailure } from '../../src/core/esx/explainEsxcli';
import { shellCommand, shellQuote } from '../../src/core/shellQuote';
import { sshFingerprint } from '../../src/core/ssh/hostKey';
import { matchSshConfig } from '../../src/core/ssh/sshConfig';

const HOSTILE = [
  `vdvs it's "quoted"; rm -rf / $(touch /tmp/pwned) \`id\` *.vib`,
  "a'b''c",
  'new\nline',
  '$HOME ~ & | > < ( ) { } [ ] ! # \\',
  '',
  '-n',
];

describe('shellQuote', () => {
  it('hands every hostile string to the program as one literal argument (checked with a real sh)', () => {
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellCommand(HOSTILE)}`]);
    assert.deepEqual(out.toString('utf8').split('\0').slice(0, -1), HOSTILE);
  });
  it('leaves plain words alone and refuses NUL', () => {
    assert.equal(shellQuote('/tmp/vmware-esx-vmdkops-0.21.vib'), '/tmp/vmware-esx-vmdkops-0.21.vib');
    assert.equal(shellQuote('a b'), `'a b'`);
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  });
});

describe('esxcli command lines', () => {
  it('adds --no-sig-check and --force only when asked, -d for bundles', () => {
    assert.deepEqual(vibInstallArgv('/tmp/x.vib', 'vib', {}), ['esxcli', 'software', 'vib', 'install', '-v', '/tmp/x.vib']);
    assert.deepEqual(vibInstallArgv('/tmp/x.zip', 'bundle', { noSigCheck: true, force: true }), [
      'esxcli',
      'software',
      'vib',
      'install',
      '-d',
      '/tmp/x.zip',
      '--no-sig-check',
      '--force',
    ]);
    assert.deepEqual(vibRemoveArgv('esx-vmdkops-service', true), [
      'esxcli',
      'software',
      'vib',
      'remove',
      '-n',
      'esx-vmdkops-service',
      '--maintenance-mode',
    ]);
  });
});

describe('esxcli output', () => {
  it('parses the vib list table by its dash columns', () => {
    const out = [
      'Name                           Version                      Vendor  Acceptance Level  Install Date',
      '-----------------------------  ---------------------------  ------  ----------------  ------------',
      'esx-vmdkops-service            0.21.ddbf56b-0.0.1           VMWare  VMwareAccepted    2024-05-01',
      'ata-libata-92                  3.00.9.2-16vmw.650.0.0.4564  VMW     VMwareCertified   2023-11-02',
      '',
    ].join('\n');
    const rows = parseVibList(out);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      name: 'esx-vmdkops-service',
      version: '0.21.ddbf56b-0.0.1',
      vendor: 'VMWare',
      acceptanceLevel: 'VMwareAccepted',
      installDate: '2024-05-01',
    });
    assert.deepEqual(parseVibList('nothing here'), []);
  });
  it('parses an installation result', () => {
    const r = parseInstallResult(
      'Installation Result\n   Message: Operation finished successfully.\n   Reboot Required: false\n   VIBs Installed: VMWare_bootbank_esx-vmdkops-service_0.21-0.0.1\n   VIBs Removed:\n   VIBs Skipped:\n',
    )!;
    assert.equal(r.message, 'Operation finished successfully.');
    assert.equal(r.rebootRequired, false);
    assert.deepEqual(r.installed, ['VMWare_bootbank_esx-vmdkops-service_0.21-0.0.1']);
    assert.deepEqual(r.removed, []);
    assert.deepEqual(r.skipped, []);
    assert.equal(parseInstallResult('no result'), undefined);
  });
  it('finds the vDVS service in ps -c output', () => {
    const ps =
      '1000 1000 vmdk-opsd  /bin/python /usr/lib/vmware/vmdkops/bin/vmdk_ops.py\n2000 2000 hostd hostd\n3000 3000 grep grep vmdk\n';
    assert.deepEqual(vmdkProcesses(ps), ['1000 1000 vmdk-opsd  /bin/python /usr/lib/vmware/vmdkops/bin/vmdk_ops.py']);
  });
});

describe('explainEsxcliFailure', () => {
  it('explains the acceptance-level DependencyError of vDVS #764', () => {
    const e = explainEsxcliFailure(
      'install',
      " [DependencyError]\n VIB VMware_bootbank_photon-controller-agent_v1.0.0-c8a0db0's acceptance level is community, which is not compliant with the ImageProfile acceptance level partner\n To change the host acceptance level, use the 'esxcli software acceptance set' command.\n Please refer to the log file for more details.",
      1,
    );
    assert.equal(e.code, 'ACCEPTANCE');
    assert.match(e.message, /level "community" does not fit the host's level "partner"/);
    assert.match(e.hint!, /esxcli software acceptance set/);
    assert.match(e.hint!, /--force/);
  });
  it('explains the ESXi version DependencyError of vDVS #674', () => {
    const e = explainEsxcliFailure(
      'install',
      ' [DependencyError]\n VIB VMWare_bootbank_esx-vmdkops-service_0.7.a8d00fc-0.0.1 requires esx-version >= 6.0.0, but the requirement cannot be satisfied within the ImageProfile.\n Please refer to the log file for more details.',
      1,
    );
    assert.equal(e.code, 'ESX_VERSION');
    assert.match(e.message, /requires ESXi >= 6\.0\.0/);
    assert.match(e.hint!, /upgrade the host/);
  });
  it('explains LiveInstallationError on remove (vDVS #511) with the maintenance-mode next step', () => {
    const e = explainEsxcliFailure(
      'remove',
      ' [LiveInstallationError]\n Error in running rm /tardisks/vmdkops.v00:\n Return code: 1\n It is not safe to continue. Please reboot the host immediately to discard the unfinished update.\n Please refer to the log file for more details.',
      1,
    );
    assert.equal(e.code, 'MAINTENANCE_MODE');
    assert.match(e.hint!, /maintenance mode/);
  });
  it('explains format and signature errors, and falls back to the first real line', () => {
    assert.equal(explainEsxcliFailure('install', ' [VibFormatError]\n Bad VIB archive header\n', 1).code, 'NOT_A_VIB');
    assert.equal(explainEsxcliFailure('install', ' [VibSigMissingError]\n Signature missing\n', 1).code, 'SIGNATURE');
    assert.equal(
      explainEsxcliFailure('remove', ' [NoMatchError]\n No VIB matching VIB search specification esx-vmdkops-service.\n', 1).code,
      'NOT_INSTALLED',
    );
    const other = explainEsxcliFailure(
      'install',
      ' [InstallationError]\n There was an error checking file system on altbootbank\n Please refer to the log file for more details.',
      1,
    );
    assert.equal(other.code, 'ESXCLI_FAILED');
    assert.match(other.message, /InstallationError \(exit 1\): There was an error checking file system on altbootbank/);
  });
});

describe('host key fingerprint and ssh config', () => {
  it('computes the OpenSSH SHA256 fingerprint (unpadded base64)', () => {
    assert.equal(sshFingerprint(Buffer.from('abc')), 'SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
  it('matches ~/.ssh/config Host blocks and never runs Match exec', async () => {
    const text =
      'Match exec "touch /tmp/vdvs-should-not-exist"\n  User evil\nHost esx1 esx1.lab\n  HostName 127.0.0.1\n  Port 12222\n  User root\n  IdentityFile ~/.ssh/id_esx\nHost *\n  User nobody\n';
    const m = await matchSshConfig(text, 'esx1');
    assert.equal(m.hostName, '127.0.0.1');
    assert.equal(m.port, 12222);
    assert.equal(m.user, 'root');
    assert.match(m.identityFile!, /\/\.ssh\/id_esx$/);
    assert.doesNotMatch(m.identityFile!, /^~/);
    assert.deepEqual(await matchSshConfig(text, 'other'), {
      hostName: undefined,
      port: undefined,
      user: 'nobody',
      identityFile: undefined,
      identityAgent: undefined,
    });
  });
});
