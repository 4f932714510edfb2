import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import type { EsxiHostConfig } from '../../src/core/config';
import { downloadDatastoreFile } from '../../src/core/vsphere/datastoreFiles';
import { VsphereSession } from '../../src/core/vsphere/session';
import { downloadDatastoreFileTo, RANGED_MIN_BYTES } from '../../src/core/vsphere/rangedDownload';
import type { TestApi } from '../../src/ui/testApi';
import { readDockerLab, startDockerSshd, DockerSshd } from '../fixtures/dockerLab';
import { activateTestApi } from './extensionApi';
import { readVsphereLab } from '../fixtures/vsphereLab';
import { isPartFrontier } from '../integration/backupLab';

/**
 * Hosts that VS Code's proxy support does not treat as local. @vscode/proxy-agent (http.proxySupport
 * "override") replaces the `agent` of every http(s) request whose host is not localhost/127.0.0.1, so
 * loopback tests never saw our own agents dropped. The IPv4-mapped IPv6 literal reaches the lab but
 * is not "local" to it: the pinned self-signed ESXi and the ssh:// Docker host must still work.
 */
const P = `h8-${process.pid}`;
const MAPPED = '[::ffff:127.0.0.1]';

type Node = object;

describe('Hosts that VS Code does not treat as local keep our own TLS pin and SSH agents', () => {
  let api: TestApi;
  let sshd: DockerSshd | undefined;
  let esxi: EsxiHostConfig | undefined;
  const config = () => vscode.workspace.getConfiguration('vdvs');
  const labels = async (tree: vscode.TreeDataProvider<Node>, n?: Node) => {
    const kids = (await tree.getChildren(n)) ?? [];
    return Promise.all(kids.map(async (k) => ({ node: k, item: await tree.getTreeItem(k) })));
  };
  const text = (i: vscode.TreeItem) => `${String(typeof i.label === 'object' ? i.label?.label : i.label)} [${String(i.description ?? '')}]`;

  before(async function () {
    this.timeout(120_000);
    api = await activateTestApi();
  });

  after(async function () {
    this.timeout(60_000);
    if (esxi) await api.removeHost('esxi', esxi.id);
    for (const key of ['dockerHosts', 'requestTimeoutSeconds']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await sshd?.stop();
  });

  it('lists the datastores of a pinned self-signed ESXi at https://[::ffff:127.0.0.1]', async function () {
    this.timeout(90_000);
    const lab = { vsphere: (await readVsphereLab()).esx };
    const url = new URL(lab.vsphere.url);
    url.hostname = MAPPED;
    esxi = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.addHost', {
      url: url.toString(),
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      name: `${P}-esx`,
      trustThumbprint: lab.vsphere.thumbprint,
    });
    assert.ok(esxi, 'the command returned no host (see the log for its error)');
    const tree = api.esxiHostsTree as vscode.TreeDataProvider<Node>;
    const host = (await labels(tree)).find((k) => k.item.label === `${P}-esx`);
    assert.ok(host, 'the host is not in the view');
    const datastores = (await labels(tree, host.node)).find((k) => k.item.label === 'Datastores');
    assert.ok(datastores, `no Datastores under the host: ${(await labels(tree, host.node)).map((k) => text(k.item)).join(', ')}`);
    const found = (await labels(tree, datastores.node)).map((k) => text(k.item));
    assert.ok(
      found.some((l) => l.startsWith(`${lab.vsphere.datastore} `)),
      `no ${lab.vsphere.datastore}: ${found.join(', ')}`,
    );
  });

  it('downloads a datastore file over /folder from the same pinned host', async function () {
    this.timeout(90_000);
    const lab = (await readVsphereLab()).esx;
    const url = new URL(lab.url);
    url.hostname = MAPPED;
    const session = await VsphereSession.open({
      url: url.toString(),
      user: lab.user,
      password: lab.password,
      thumbprint: lab.thumbprint,
      timeoutMs: 60_000,
      keepAliveMs: 0,
    });
    try {
      const chunks: Buffer[] = [];
      const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk), done()) });
      const path = `${lab.vm}/${lab.vm}.vmx`;
      await downloadDatastoreFile(session, lab.datacenter, { datastore: lab.datastore, path }, sink);
      assert.equal(Buffer.concat(chunks).toString('utf8'), readFileSync(join(lab.datastorePath, path), 'utf8'));
    } finally {
      await session.close();
    }
  });

  it('downloads a large datastore file in parallel ranges from worker threads of the extension host, pinned the same way', async function () {
    this.timeout(180_000);
    const lab = (await readVsphereLab()).esx;
    const url = new URL(lab.url);
    url.hostname = MAPPED;
    const dir = join(lab.datastorePath, `${P}-ranged`);
    const data = randomBytes(RANGED_MIN_BYTES + 3 * 1024 * 1024 + 1);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'disk-flat.vmdk'), data);
    const target = join(mkdtempSync(join(tmpdir(), 'vdvs-ranged-editor-')), 'disk-flat.vmdk');
    const session = await VsphereSession.open({
      url: url.toString(),
      user: lab.user,
      password: lab.password,
      thumbprint: lab.thumbprint,
      timeoutMs: 60_000,
      keepAliveMs: 0,
    });
    try {
      const written: number[] = [];
      const size = await downloadDatastoreFileTo(
        session,
        lab.datacenter,
        { datastore: lab.datastore, path: `${P}-ranged/disk-flat.vmdk` },
        target,
        { size: data.length, onWritten: (n) => written.push(n) },
      );
      assert.equal(size, data.length);
      assert.ok(
        isPartFrontier(written, data.length),
        `complete up to whole parts (a single stream would report every write): ${written.join(', ')}`,
      );
      assert.equal(createHash('sha256').update(readFileSync(target)).digest('hex'), createHash('sha256').update(data).digest('hex'));
    } finally {
      await session.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(dirname(target), { recursive: true, force: true });
    }
  });

  it('lists the plugin and volumes of an ssh:// Docker host at ssh://root@[::ffff:127.0.0.1]', async function () {
    this.timeout(90_000);
    sshd = await startDockerSshd(await readDockerLab());
    const host = sshd.host({ id: `${P}-ssh`, name: `${P}-ssh`, endpoint: `ssh://root@${MAPPED}:${sshd.port}` });
    // the first read opens the SSH connection too: 10 s is short on a loaded 2-core test machine
    await config().update('requestTimeoutSeconds', 60, vscode.ConfigurationTarget.Global);
    await config().update('dockerHosts', [host], vscode.ConfigurationTarget.Global);
    const tree = api.dockerHostsTree as vscode.TreeDataProvider<Node>;
    // the row says "connecting…" until the host's first read settles; the tree fires a change then
    const settled = async () => {
      const node = (await labels(tree)).find((k) => k.item.label === `${P}-ssh`);
      assert.ok(node, 'the host is not in the view');
      return node.item.description === 'connecting…' ? undefined : node;
    };
    const nextChange = () =>
      new Promise<void>((resolve) => {
        const sub = tree.onDidChangeTreeData!(() => (sub.dispose(), resolve()));
      });
    // subscribed before each read, so a change during the read is not missed
    let change = nextChange();
    let node: Awaited<ReturnType<typeof settled>>;
    while (!(node = await settled())) {
      await change;
      change = nextChange();
    }
    const found = (await labels(tree, node.node)).map((k) => text(k.item));
    assert.match(String(node.item.description), /^Docker \S+ · /, `the host row: ${text(node.item)}; its children: ${found.join(', ')}`);
    assert.ok(
      found.some((l) => /plugin/i.test(l)),
      `no plugin row under the host: ${found.join(', ')}`,
    );
  });
});
