import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLI, cliLine, cliLines, shellQuote } from '../../src/core/docker/cliLine';
import { DockerHostConfig } from '../../src/core/config';

const host = (endpoint: string, extra: Partial<DockerHostConfig> = {}): DockerHostConfig => ({ id: 'h', name: 'h', endpoint, ...extra });

describe('CLI lines', () => {
  it('uses plain docker for the default socket and -H for others', () => {
    assert.equal(cliLine(host('unix:///var/run/docker.sock'), ['plugin', 'ls']), 'docker plugin ls');
    assert.equal(cliLine(host('/tmp/lab/docker.sock'), ['plugin', 'ls']), 'docker -H unix:///tmp/lab/docker.sock plugin ls');
    assert.equal(cliLine(host('ssh://docker@vm01:2222'), ['version']), 'docker -H ssh://docker@vm01:2222 version');
  });
  it('adds the TLS flags and the default port for tcp with certificates', () => {
    assert.equal(
      cliLine(host('tcp://10.0.0.5', { tlsCertPath: '/certs/vm 01' }), ['version']),
      "docker --tlsverify --tlscacert '/certs/vm 01/ca.pem' --tlscert '/certs/vm 01/cert.pem' --tlskey '/certs/vm 01/key.pem' -H tcp://10.0.0.5:2376 version",
    );
    assert.equal(cliLine(host('tcp://10.0.0.5'), ['version']), 'docker -H tcp://10.0.0.5:2375 version');
  });
  it('uses --context for imported contexts', () => {
    assert.equal(cliLine(host('ssh://x', { contextName: 'vm01' }), ['plugin', 'ls']), 'docker --context vm01 plugin ls');
  });
  it('writes the walkthrough commands', () => {
    const local = host('unix:///var/run/docker.sock');
    assert.equal(
      cliLines(local, CLI.pluginInstall('vmware/vsphere-storage-for-docker:latest', 'vsphere', ['VDVS_LOG_LEVEL=debug'])),
      'docker plugin install --grant-all-permissions --alias vsphere vmware/vsphere-storage-for-docker:latest VDVS_LOG_LEVEL=debug',
    );
    assert.equal(
      cliLines(local, CLI.runTestContainer('dockerVolPersistent', 'alpine', 'devtest')),
      'docker run -d --name devtest --network none --label vdvs.testContainer=dockerVolPersistent --mount source=dockerVolPersistent,target=/vmdk alpine sleep 1d',
    );
    assert.equal(
      cliLines(local, CLI.volumeCreate('dockerVol', 'vsphere', { size: '1gb', 'attach-as': 'persistent' })),
      'docker volume create --driver=vsphere --name=dockerVol -o size=1gb -o attach-as=persistent',
    );
  });
  it('upgrades the vDVS way: disable -f, upgrade, enable', () => {
    assert.equal(
      cliLines(host('/var/run/docker.sock'), CLI.pluginUpgrade('vsphere:latest', 'vmware/vsphere-storage-for-docker:0.21.3')),
      'docker plugin disable -f vsphere:latest && docker plugin upgrade --grant-all-permissions vsphere:latest vmware/vsphere-storage-for-docker:0.21.3 && docker plugin enable vsphere:latest',
    );
    assert.equal(
      cliLines(host('/var/run/docker.sock'), CLI.pluginDisable('vsphere:latest', false)),
      'docker plugin disable vsphere:latest',
    );
  });
  it('quotes for a POSIX shell only when needed', () => {
    assert.equal(shellQuote('vol@datastore1'), 'vol@datastore1');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('a b;rm -rf /'), "'a b;rm -rf /'");
    assert.equal(shellQuote(''), "''");
  });
});
