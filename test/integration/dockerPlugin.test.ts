import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DockerConnection } from '../../src/core/docker/connection';
import { runTestContainer, stopContainer, removeContainer, listContainers, containersByVolume } from '../../src/core/docker/containers';
import { DockerError } from '../../src/core/docker/dockerErrors';
import { engineInfo } from '../../src/core/docker/engine';
import { loadHostSnapshot } from '../../src/core/docker/hostSnapshot';
import {
  disablePlugin,
  enablePlugin,
  inspectPlugin,
  installPlugin,
  pluginPrivileges,
  removePlugin,
  upgradePlugin,
} from '../../src/core/docker/plugin';
import { createVolume, listVolumes, listPluginVolumes, removeVolume } from '../../src/core/docker/volumes';
import { DockerHostConfig } from '../../src/core/config';
import { DockerLab, DockerSshd, ensureVib, labDocker, readDockerLab, startDockerSshd, tcpHost, unixHost } from '../fixtures/dockerLab';

/** Our own alias: the lab daemon is shared, other suites use `vsphere`. */
const ALIAS = 'docker6-vsphere';
const NAME = `${ALIAS}:latest`;
/**
 * Created (and used) by its full vol@datastore name, the name vDVS lists. When another vDVS plugin serves
 * the same datastore (the lab's `vsphere`, left by an earlier suite), both List it, and a name Docker has
 * not created itself is bound to whichever plugin answers the first inspect; a name created through our
 * alias is bound to it, so listing by our driver finds it whatever else is installed.
 */
let VOLUME: string;

let lab: DockerLab;
let sshd: DockerSshd;

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as DockerError).code;
  }
};

before(async () => {
  lab = await readDockerLab();
  VOLUME = `docker6-vol-${Date.now().toString(36)}@${lab.vsphere.datastore}`;
  ensureVib(lab);
  sshd = await startDockerSshd(lab);
  // leftovers of an interrupted run
  try {
    labDocker(lab, ['plugin', 'rm', '-f', NAME]);
  } catch {
    /* not there */
  }
});

after(async () => {
  if (lab) {
    const quiet = (args: string[]) => {
      try {
        labDocker(lab, args);
      } catch {
        /* already gone */
      }
    };
    for (const id of labDocker(lab, ['ps', '-aq', '--filter', `volume=${VOLUME}`])
      .split('\n')
      .filter(Boolean))
      quiet(['rm', '-f', id]);
    quiet(['volume', 'rm', '-f', VOLUME]);
    quiet(['plugin', 'rm', '-f', NAME]);
  }
  await sshd?.stop();
});

async function withConn<T>(host: DockerHostConfig, work: (c: DockerConnection) => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const conn = await DockerConnection.open(host, { timeoutMs });
  try {
    return await work(conn);
  } finally {
    conn.close();
  }
}

describe('plugin lifecycle on the lab dockerd (unix socket)', () => {
  it('installs the stand-in plugin after its privileges, with env, and enables it', async () => {
    await withConn(unixHost(lab), async (conn) => {
      const privileges = await pluginPrivileges(conn, lab.plugin.ref);
      assert.ok(
        privileges.some((p) => p.Name === 'capabilities' && p.Value.includes('CAP_SYS_ADMIN')),
        JSON.stringify(privileges),
      );
      const progress: string[] = [];
      const started = Date.now();
      const status = await installPlugin(conn, {
        reference: lab.plugin.ref,
        alias: ALIAS,
        acceptedPrivileges: privileges,
        env: ['VDVS_LOG_LEVEL=debug'],
        onProgress: (p) => progress.push(p.message),
      });
      console.log(`install: ${Date.now() - started} ms, ${progress.length} progress messages`);
      assert.equal(status.installed && status.enabled, true);
      assert.equal(status.installed && status.name, NAME);
      assert.equal(status.installed && status.version, lab.plugin.versions.latest);
      assert.ok(status.installed && status.env.includes('VDVS_LOG_LEVEL=debug'));
      assert.ok(progress.length > 0);
      // a second install is refused: upgrade is the way
      assert.equal(
        await code(installPlugin(conn, { reference: lab.plugin.ref, alias: ALIAS, acceptedPrivileges: privileges })),
        'PLUGIN_EXISTS',
      );
    });
  });

  it('refuses privileges other than the accepted ones, and a missing image', async () => {
    await withConn(unixHost(lab), async (conn) => {
      assert.equal(
        await code(installPlugin(conn, { reference: lab.plugin.ref, alias: 'docker6-other', acceptedPrivileges: [] })),
        'PRIVILEGES_REFUSED',
      );
      const missing = `${lab.plugin.ref.replace(/:latest$/, '')}-nope:latest`;
      const privileges = await pluginPrivileges(conn, missing).catch(() => []);
      assert.equal(
        await code(installPlugin(conn, { reference: missing, alias: 'docker6-missing', acceptedPrivileges: privileges })),
        'PLUGIN_IMAGE_NOT_FOUND',
      );
      assert.equal((await inspectPlugin(conn, 'docker6-missing:latest')).installed, false);
    });
  });

  it('creates a vsphere volume, runs the test container, lists both', async () => {
    await withConn(unixHost(lab), async (conn) => {
      await createVolume(conn, { name: VOLUME, driver: NAME, options: { size: '10mb' } }, { timeoutMs: 60_000 });
      const container = await runTestContainer(conn, VOLUME, lab.docker.image, { timeoutMs: 60_000 });
      assert.equal(container.state, 'running');
      const { plugin, volumes } = await listPluginVolumes(conn, { alias: ALIAS });
      assert.equal(plugin.name, NAME);
      const mine = volumes.find((v) => v.name === VOLUME);
      assert.ok(mine, `volume listed: ${volumes.map((v) => v.name).join(', ')}`);
      assert.equal(mine.driver, NAME);
      assert.equal(mine.status?.status, 'attached');
      const users = containersByVolume(await listContainers(conn)).get(VOLUME) ?? [];
      assert.deepEqual(
        users.map((c) => c.id),
        [container.id],
      );
      const snapshot = await loadHostSnapshot(conn, { alias: ALIAS, allDrivers: true });
      assert.ok(snapshot.vsphereVolumes?.some((v) => v.name === VOLUME));
      assert.ok(!snapshot.otherVolumes?.some((v) => v.name === VOLUME));
    });
  });

  it('says the plugin is in use when disabling without force, and refuses removal with volumes', async () => {
    await withConn(unixHost(lab), async (conn) => {
      assert.equal(await code(disablePlugin(conn, NAME, false)), 'PLUGIN_IN_USE');
      assert.equal(await code(removePlugin(conn, NAME)), 'PLUGIN_HAS_VOLUMES');
      assert.equal((await inspectPlugin(conn, NAME)).installed, true);
    });
  });

  it('upgrades the vDVS way (disable -f, upgrade, enable) and keeps the volume', async () => {
    await withConn(unixHost(lab), async (conn) => {
      const privileges = await pluginPrivileges(conn, lab.plugin.upgradeRef);
      const started = Date.now();
      const status = await upgradePlugin(conn, NAME, { reference: lab.plugin.upgradeRef, acceptedPrivileges: privileges });
      console.log(`upgrade: ${Date.now() - started} ms`);
      assert.equal(status.installed && status.enabled, true);
      assert.equal(status.installed && status.reference, lab.plugin.upgradeRef);
      assert.equal(status.installed && status.version, lab.plugin.versions['0.21.3']);
      const volumes = await listVolumes(conn, { driver: NAME });
      assert.ok(volumes.some((v) => v.name === VOLUME));
    });
  });

  it('disables and enables; a disabled plugin fails fast on volume listing', async () => {
    await withConn(unixHost(lab), async (conn) => {
      for (const c of await listContainers(conn, { volume: VOLUME })) {
        await stopContainer(conn, c.id, 1);
        await removeContainer(conn, c.id);
      }
      // Docker counts every volume it created through the plugin as a use, mounted or not: only -f disables.
      assert.equal(await code(disablePlugin(conn, NAME, false)), 'PLUGIN_IN_USE');
      await disablePlugin(conn, NAME, true);
      const started = Date.now();
      assert.equal(await code(listPluginVolumes(conn, { alias: ALIAS })), 'PLUGIN_DISABLED');
      assert.ok(Date.now() - started < 2000, `fast: ${Date.now() - started} ms`);
      const snapshot = await loadHostSnapshot(conn, { alias: ALIAS, allDrivers: true });
      console.log(`snapshot of a host with a disabled plugin: ${Date.now() - started} ms`);
      assert.equal(snapshot.plugin.installed && snapshot.plugin.enabled, false);
      assert.equal(snapshot.vsphereVolumes, undefined);
      await enablePlugin(conn, NAME);
      assert.equal((await inspectPlugin(conn, NAME)).installed, true);
    });
  });

  it('removes the plugin once its volume is gone', async () => {
    await withConn(unixHost(lab), async (conn) => {
      await removeVolume(conn, VOLUME, false, { timeoutMs: 60_000 });
      const others = (await listVolumes(conn, { driver: NAME })).map((v) => v.name);
      if (others.length) {
        // Other suites' volumes share the lab datastore, which every vDVS plugin lists: still refused.
        assert.equal(await code(removePlugin(conn, NAME)), 'PLUGIN_HAS_VOLUMES');
        labDocker(lab, ['plugin', 'rm', '-f', NAME]);
      } else {
        await removePlugin(conn, NAME);
      }
      assert.equal((await inspectPlugin(conn, NAME)).installed, false);
    });
  });
});

describe('routes to the lab dockerd', () => {
  it('answers over unix, tcp+TLS and ssh:// with the same engine', async () => {
    const versions: string[] = [];
    for (const host of [unixHost(lab), tcpHost(lab), sshd.host()]) {
      versions.push(
        await withConn(host, async (conn) => {
          const t0 = Date.now();
          const info = await engineInfo(conn);
          const t1 = Date.now();
          await engineInfo(conn);
          console.log(`${host.name}: first engine info ${t1 - t0} ms, second ${Date.now() - t1} ms`);
          return info.version;
        }),
      );
    }
    assert.equal(new Set(versions).size, 1, versions.join(' '));
  });

  it('lists volumes and containers over tcp+TLS and ssh://', async () => {
    for (const host of [tcpHost(lab), sshd.host()]) {
      await withConn(host, async (conn) => {
        const snapshot = await loadHostSnapshot(conn, { allDrivers: true });
        assert.equal(snapshot.volumesError, undefined);
        assert.ok(Array.isArray(snapshot.otherVolumes));
      });
    }
  });
});

describe('connection failures, each with its own code', () => {
  it('unreachable daemon: missing socket and closed port', async () => {
    assert.equal(
      await code(withConn({ id: 'x', name: 'gone', endpoint: 'unix:///tmp/vdvs-lab/docker6-nope.sock' }, engineInfo)),
      'DAEMON_UNREACHABLE',
    );
    assert.equal(await code(withConn({ id: 'x', name: 'closed', endpoint: 'tcp://127.0.0.1:1' }, engineInfo)), 'DAEMON_UNREACHABLE');
  });

  it('TLS: no client certificate folder, and plain http to the TLS port', async () => {
    assert.equal(await code(withConn({ ...tcpHost(lab), tlsCertPath: '/tmp/vdvs-lab/docker6-no-certs' }, engineInfo)), 'TLS_FILES');
    const plain = await code(withConn({ id: 'x', name: 'plain', endpoint: lab.docker.tcp.host }, engineInfo, 3000));
    assert.ok(plain === 'DOCKER_API' || plain === 'DAEMON_UNREACHABLE' || plain === 'TIMEOUT', String(plain));
  });

  it('ssh: unknown and changed host keys, refused login', async () => {
    const unknown = await withConn(sshd.host({ sshHostKeyFingerprint: undefined }), engineInfo).catch((e: unknown) => e);
    assert.equal((unknown as DockerError).code, 'HOST_KEY_UNKNOWN');
    assert.equal((unknown as { fingerprint?: string }).fingerprint, sshd.hostKeyFingerprint);
    assert.equal(
      await code(withConn(sshd.host({ sshHostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), engineInfo)),
      'HOST_KEY_CHANGED',
    );
    assert.equal(await code(withConn(sshd.host({ sshKeyPath: lab.ssh.keyPath }), engineInfo)), 'SSH_AUTH');
  });

  it('permission denied on the socket, for a user outside the docker group', async () => {
    // As root the kernel skips the socket's permission check, so the call runs in a child process as nobody.
    const { execFileSync } = await import('node:child_process');
    const script = `require(${JSON.stringify(require.resolve('../../src/core/docker/connection'))}).DockerConnection.open({id:'x',name:'lab',endpoint:${JSON.stringify(lab.docker.host)}},{timeoutMs:5000}).then((c)=>require(${JSON.stringify(require.resolve('../../src/core/docker/engine'))}).engineInfo(c)).then(()=>console.log('OK'),(e)=>console.log(e.code+' '+e.message))`;
    const out = execFileSync(process.execPath, ['-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    }).trim();
    assert.match(out, /^SOCKET_PERMISSION Permission denied on the Docker socket/);
  });
});
