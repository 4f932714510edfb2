import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointFromEnv, formatEndpoint, parseEndpoint, tcpPort } from '../../src/core/docker/endpoint';
import { UserError } from '../../src/core/errors';

function rejects(text: string, why: RegExp) {
  assert.throws(
    () => parseEndpoint(text),
    (err: unknown) => err instanceof UserError && err.code === 'BAD_ENDPOINT' && why.test(err.message),
  );
}

describe('parseEndpoint', () => {
  it('reads unix sockets with and without the scheme', () => {
    assert.deepEqual(parseEndpoint('unix:///var/run/docker.sock'), { kind: 'unix', socketPath: '/var/run/docker.sock' });
    assert.deepEqual(parseEndpoint('  /tmp/vdvs-lab/docker.sock '), { kind: 'unix', socketPath: '/tmp/vdvs-lab/docker.sock' });
  });
  it('reads tcp with and without port and scheme, and IPv6', () => {
    assert.deepEqual(parseEndpoint('tcp://10.0.0.5:2376'), { kind: 'tcp', host: '10.0.0.5', port: 2376 });
    assert.deepEqual(parseEndpoint('tcp://docker-01'), { kind: 'tcp', host: 'docker-01' });
    assert.deepEqual(parseEndpoint('127.0.0.1:12376'), { kind: 'tcp', host: '127.0.0.1', port: 12376 });
    assert.deepEqual(parseEndpoint('tcp://[::1]:2376'), { kind: 'tcp', host: '::1', port: 2376 });
  });
  it('reads ssh with user and port, defaulting to 22', () => {
    assert.deepEqual(parseEndpoint('ssh://docker@10.0.0.5'), { kind: 'ssh', host: '10.0.0.5', port: 22, user: 'docker' });
    assert.deepEqual(parseEndpoint('ssh://vm01:2222'), { kind: 'ssh', host: 'vm01', port: 2222 });
  });
  it('says what is wrong with bad endpoints', () => {
    rejects('', /empty/);
    rejects('npipe:////./pipe/docker_engine', /named pipes/);
    rejects('https://10.0.0.5:2376', /use tcp:\/\/10\.0\.0\.5:2376/);
    rejects('ssh://docker@host/var/run/docker.sock', /no path/);
    rejects('ssh://docker:secret@host', /no password/);
    rejects('unix://run/docker.sock', /absolute/);
    rejects('ftp://host', /"ftp:\/\/" is not one of/);
    rejects('tcp://user@host:2376', /no user name/);
  });
  it('formats back to the canonical form', () => {
    for (const text of ['unix:///var/run/docker.sock', 'tcp://10.0.0.5:2376', 'tcp://[::1]:2375', 'ssh://docker@vm01', 'ssh://vm01:2222']) {
      assert.equal(formatEndpoint(parseEndpoint(text)), text);
    }
    assert.equal(formatEndpoint(parseEndpoint('/run/docker.sock')), 'unix:///run/docker.sock');
  });
  it('defaults the tcp port like the docker CLI', () => {
    assert.equal(tcpPort({}, true), 2376);
    assert.equal(tcpPort({}, false), 2375);
    assert.equal(tcpPort({ port: 12376 }, false), 12376);
  });
});

describe('endpointFromEnv', () => {
  it('is undefined without DOCKER_HOST', () => {
    assert.equal(endpointFromEnv({}, '/home/u'), undefined);
  });
  it('takes DOCKER_CERT_PATH for tcp, or ~/.docker with DOCKER_TLS_VERIFY=1', () => {
    assert.deepEqual(endpointFromEnv({ DOCKER_HOST: 'tcp://h:2376', DOCKER_CERT_PATH: '/certs' }, '/home/u'), {
      endpoint: 'tcp://h:2376',
      tlsCertPath: '/certs',
    });
    assert.deepEqual(endpointFromEnv({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' }, '/home/u'), {
      endpoint: 'tcp://h:2376',
      tlsCertPath: '/home/u/.docker',
    });
    assert.deepEqual(endpointFromEnv({ DOCKER_HOST: 'tcp://h:2375' }, '/home/u'), { endpoint: 'tcp://h:2375' });
  });
  it('ignores cert paths for ssh and unix, and rejects a malformed DOCKER_HOST', () => {
    assert.deepEqual(endpointFromEnv({ DOCKER_HOST: 'ssh://me@h', DOCKER_CERT_PATH: '/certs' }, '/home/u'), { endpoint: 'ssh://me@h' });
    assert.throws(() => endpointFromEnv({ DOCKER_HOST: 'npipe:////./pipe/x' }, '/h'), /named pipes/);
  });
});
