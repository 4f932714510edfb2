import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type Dockerode from 'dockerode';
import { explainDockerError, explainPluginMessage } from '../../src/core/docker/dockerErrors';
import { readJsonLines } from '../../src/core/docker/jsonStream';
import { findVspherePlugin, pluginName, toPluginStatus, validatePluginEnv } from '../../src/core/docker/plugin';
import { containersByVolume, testContainerName } from '../../src/core/docker/containers';

const plugin = (Name: string, PluginReference: string, Enabled = true, Env: string[] = [], version?: string) =>
  ({
    Id: 'abc',
    Name,
    PluginReference,
    Enabled,
    Settings: { Env, Mounts: [], Args: [], Devices: [] },
    Config: { Env: version ? [{ Name: 'VDVS_VERSION', Value: version }] : [] },
  }) as unknown as Dockerode.PluginInfo;

describe('plugin status', () => {
  it('names plugins like the daemon', () => {
    assert.equal(pluginName('vsphere'), 'vsphere:latest');
    assert.equal(pluginName('vsphere:0.21'), 'vsphere:0.21');
    assert.equal(pluginName('127.0.0.1:5000/x'), '127.0.0.1:5000/x:latest');
  });
  it('finds the plugin by alias, else by reference', () => {
    const other = plugin('sshfs:latest', 'vieux/sshfs:latest');
    const byAlias = plugin('vsphere:latest', 'vmware/vsphere-storage-for-docker:latest');
    const byRef = plugin('vdvs:latest', '127.0.0.1:5000/vmware/vsphere-storage-for-docker:0.21.3');
    assert.equal(findVspherePlugin([other, byRef, byAlias]), byAlias);
    assert.equal(findVspherePlugin([other, byRef]), byRef);
    assert.equal(findVspherePlugin([other]), undefined);
  });
  it("reports the image's VDVS_VERSION (not the kept settings), else the tag", () => {
    assert.deepEqual(toPluginStatus(plugin('vsphere:latest', '127.0.0.1:5000/vmware/vsphere-storage-for-docker:0.21.3', false)), {
      installed: true,
      name: 'vsphere:latest',
      id: 'abc',
      enabled: false,
      reference: '127.0.0.1:5000/vmware/vsphere-storage-for-docker:0.21.3',
      version: '0.21.3',
      env: [],
    });
    const s = toPluginStatus(plugin('vsphere:latest', 'r:latest', true, ['VDVS_VERSION=0.21.2', 'VDVS_LOG_LEVEL=info'], '0.21.3'));
    assert.equal(s.installed && s.version, '0.21.3');
    assert.deepEqual(s.installed && s.env, ['VDVS_VERSION=0.21.2', 'VDVS_LOG_LEVEL=info']);
    assert.deepEqual(toPluginStatus(undefined), { installed: false });
  });
  it('accepts only KEY=value env', () => {
    assert.deepEqual(validatePluginEnv(['VDVS_LOG_LEVEL=debug', 'X=']), ['VDVS_LOG_LEVEL=debug', 'X=']);
    assert.throws(() => validatePluginEnv(['VDVS_LOG_LEVEL debug', '=x']), /KEY=value.*"VDVS_LOG_LEVEL debug", "=x"/);
  });
});

describe('docker errors', () => {
  const code = (err: unknown) => (explainDockerError(err, 'vm01', 'Listing') as { code?: string }).code;
  it('tells unreachable, permission, TLS and SSH apart', () => {
    assert.equal(code(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 'DAEMON_UNREACHABLE');
    assert.equal(code(Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' })), 'DAEMON_UNREACHABLE');
    assert.equal(code(Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' })), 'SOCKET_PERMISSION');
    assert.equal(code(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })), 'TLS_FAILED');
    assert.equal(
      code(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' })),
      'SSH_AUTH',
    );
  });
  it('keeps the daemon message of API errors and explains vDVS ones', () => {
    const api = (message: string, statusCode = 500) =>
      Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message} `), { statusCode, json: { message } });
    const e = explainDockerError(api('plugin "vsphere:latest" is in use'), 'vm01', 'Disabling the plugin') as {
      code?: string;
      message: string;
    };
    assert.equal(e.code, 'PLUGIN_IN_USE');
    assert.equal(code(api('VolumeDriver.Create: Failed to add disk: errno=104, connection reset by peer')), 'VIB_MISSING');
    assert.equal(code(api('no such volume', 404)), 'NOT_FOUND');
    assert.equal(code(api('remove v: volume is in use - [abc]', 409)), 'DOCKER_API');
    // a streamed call has no json: the modem's prefix is dropped
    const streamed = Object.assign(new Error('(HTTP code 500) unexpected - Get "http://r/v2/": refused '), { statusCode: 500 });
    assert.equal(explainDockerError(streamed, 'vm01', 'Pulling').message, 'Pulling failed on vm01: Get "http://r/v2/": refused');
    assert.equal(explainPluginMessage('all good', 'x'), undefined);
  });
});

describe('readJsonLines', () => {
  it('parses split lines and fails on an error message', async () => {
    const s = new PassThrough();
    const seen: unknown[] = [];
    const done = readJsonLines<{ status?: string; error?: string }>(
      s,
      (m) => {
        if (m.error) throw new Error(m.error);
        seen.push(m.status);
      },
      { idleMs: 1000, what: 'pull' },
    );
    s.write('{"status":"Down');
    s.write('loading"}\r\n{"status":"Done"}\n');
    s.end('{"error":"manifest unknown"}');
    await assert.rejects(done, /manifest unknown/);
    assert.deepEqual(seen, ['Downloading', 'Done']);
  });
  it('gives up on a stalled stream and honours cancellation', async () => {
    await assert.rejects(
      readJsonLines(new PassThrough(), () => undefined, { idleMs: 50, what: 'Installing' }),
      /Installing made no progress/,
    );
    const ac = new AbortController();
    const p = readJsonLines(new PassThrough(), () => undefined, { idleMs: 0, what: 'events', signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { name: 'CancelledError' });
  });
});

describe('containers and keys', () => {
  it('groups containers by mounted volume', () => {
    const c = (id: string, vols: string[]) => ({
      id,
      name: id,
      image: 'alpine',
      state: 'running',
      status: '',
      labels: {},
      mounts: vols.map((v) => ({ volume: v, target: '/vmdk', readOnly: false })),
    });
    const map = containersByVolume([c('a', ['v1']), c('b', ['v1', 'v2']), c('c', [])]);
    assert.deepEqual([...map.keys()].sort(), ['v1', 'v2']);
    assert.deepEqual(
      map.get('v1')!.map((x) => x.id),
      ['a', 'b'],
    );
  });
  it('makes container names docker accepts', () => {
    assert.match(testContainerName('dockerVol@datastore1'), /^vdvs-test-dockerVol-datastore1-[a-z0-9]+$/);
    assert.match(testContainerName('@@'), /^vdvs-test-volume-/);
  });
});
