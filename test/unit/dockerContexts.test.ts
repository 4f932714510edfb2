import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { contextId, dockerConfigDir, scanDockerContexts } from '../../src/core/docker/contexts';

const root = mkdtempSync(join(tmpdir(), 'vdvs-contexts-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes a context the way `docker context create` lays it out. */
function context(configDir: string, name: string, meta: unknown, tls = false) {
  const dir = join(configDir, 'contexts', 'meta', contextId(name));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), typeof meta === 'string' ? meta : JSON.stringify(meta));
  if (tls) {
    const tlsDir = join(configDir, 'contexts', 'tls', contextId(name), 'docker');
    mkdirSync(tlsDir, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(tlsDir, f), 'x');
  }
}

describe('scanDockerContexts', () => {
  it('uses the docker CLI folder id: sha256 of the name', () => {
    // echo -n default | sha256sum
    assert.equal(contextId('default'), '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
  });
  it('imports ssh, tcp+TLS and unix contexts, marks the current one, keeps TLS verification', async () => {
    const dir = join(root, 'ok');
    context(dir, 'vm01', {
      Name: 'vm01',
      Metadata: { Description: 'Docker VM 01' },
      Endpoints: { docker: { Host: 'ssh://docker@10.0.0.5', SkipTLSVerify: false } },
    });
    context(dir, 'tls', { Name: 'tls', Metadata: {}, Endpoints: { docker: { Host: 'tcp://10.0.0.6:2376', SkipTLSVerify: true } } }, true);
    context(dir, 'local', { Name: 'local', Endpoints: { docker: { Host: 'unix:///run/user/1000/docker.sock' } } });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: 'vm01' }));
    const scan = await scanDockerContexts(dir);
    const byName = Object.fromEntries(scan.contexts.map((c) => [c.name, c]));
    assert.deepEqual(Object.keys(byName).sort(), ['local', 'tls', 'vm01']);
    assert.deepEqual(byName.vm01, {
      name: 'vm01',
      description: 'Docker VM 01',
      endpoint: 'ssh://docker@10.0.0.5',
      skipTlsVerify: false,
      current: true,
    });
    assert.equal(byName.tls.tlsCertPath, join(dir, 'contexts', 'tls', contextId('tls'), 'docker'));
    assert.equal(byName.tls.skipTlsVerify, true);
    assert.equal(byName.local.endpoint, 'unix:///run/user/1000/docker.sock');
    assert.deepEqual(scan.skipped, []);
  });
  it('skips broken and unusable contexts with the reason', async () => {
    const dir = join(root, 'bad');
    context(dir, 'broken', '{ not json');
    context(dir, 'k8s', { Name: 'k8s', Endpoints: { kubernetes: { Host: 'https://k8s:6443' } } });
    context(dir, 'win', { Name: 'win', Endpoints: { docker: { Host: 'npipe:////./pipe/docker_engine' } } });
    const scan = await scanDockerContexts(dir);
    assert.deepEqual(scan.contexts, []);
    const reasons = Object.fromEntries(scan.skipped.map((s) => [s.name, s.reason]));
    assert.match(reasons[contextId('broken')], /cannot read .*meta\.json/);
    assert.match(reasons.k8s, /no docker endpoint/);
    assert.match(reasons.win, /named pipes/);
  });
  it('finds nothing (no error) without a contexts folder', async () => {
    assert.deepEqual((await scanDockerContexts(join(root, 'none'))).contexts, []);
  });
  it('honours DOCKER_CONFIG', () => {
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/etc/dc' }, '/home/u'), '/etc/dc');
    assert.equal(dockerConfigDir({}, '/home/u'), '/home/u/.docker');
  });
});
