import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EsxiHostConfig } from '../../src/core/config';
import type { TestApi } from '../../src/ui/testApi';
import { activateTestApi, labelText } from './extensionApi';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';

/**
 * The volume commands in a real VS Code against the lab's dockerd with the vsphere plugin and its
 * ESXi host (vcsim) configured: the "Create Volume…" wizard walked by answering its questions
 * through the Prompter seam (the command's second argument), picking a datastore the ESXi side
 * offers; then "Reveal VMDK" and "Run Test Container" on a node of the Volumes view.
 */
const BACK = Symbol.for('vdvs.prompter.back');
type Step = { id: string; step: number; totalSteps: number };
type PickStep = Step & { placeholder: string; items: Array<{ label: string; description?: string; value: unknown; picked?: boolean }> };
type InputStep = Step & { value: string; validate: (v: string) => string | undefined };
type Tree = vscode.TreeDataProvider<object>;

describe('Volume commands on the lab, its ESXi host configured', () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let api: TestApi;
  let esxiHost: EsxiHostConfig | undefined;

  before(async function () {
    this.timeout(180_000);
    api = await activateTestApi();
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    // the Docker host names its VM, so the wizard offers the datastores that VM's ESXi host mounts
    await vscode.workspace
      .getConfiguration('vdvs')
      .update(
        'dockerHosts',
        [{ id: 'wizlab', name: 'lab-docker', endpoint: lab.docker.host, vmName: lab.vsphere.vm }],
        vscode.ConfigurationTarget.Global,
      );
    esxiHost = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.addHost', {
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      name: `h2-esxi${process.pid}`,
      trustThumbprint: lab.vsphere.thumbprint,
    });
    assert.ok(esxiHost, 'the lab ESXi host could not be added (see the log)');
  });
  after(async function () {
    this.timeout(60_000);
    if (esxiHost) await api.removeHost('esxi', esxiHost.id);
    await vscode.workspace.getConfiguration('vdvs').update('dockerHosts', undefined, vscode.ConfigurationTarget.Global);
  });

  /** Removes a vDVS volume the way Docker lists it (vol@datastore; the short name may be gone). */
  async function removeVolume(name: string): Promise<void> {
    await retryLabTransient(() => docker('volume', 'rm', `${name}@${lab.vsphere.datastore}`))
      .catch(() => docker('volume', 'rm', name))
      .catch(() => undefined);
  }

  describe('Create Volume wizard', () => {
    const name = `t7-wizard${process.pid}`;
    const full = () => `${name}@${lab.vsphere.datastore}`;

    after(async function () {
      this.timeout(120_000);
      await removeVolume(name);
    });

    it('asks every step with back navigation and vDVS validation, shows the command line, creates', async function () {
      this.timeout(120_000);
      const asked: string[] = [];
      const messages: string[] = [];
      let wentBack = false;
      let confirmDetail = '';
      let datastores: PickStep | undefined;
      const prompter = {
        async pick(s: PickStep) {
          asked.push(`${s.id} ${s.step}/${s.totalSteps}`);
          if (s.id === 'datastore') {
            datastores = s;
            return lab.vsphere.datastore;
          }
          if (s.id === 'attach-as') assert.equal(s.items.find((i) => i.picked)?.value, 'persistent', 'the wizard defaults to persistent');
          if (s.id === 'diskformat') return 'zeroedthick';
          if (s.id === 'access' && !wentBack) {
            wentBack = true;
            return BACK;
          }
          return (s.items.find((i) => i.picked) ?? s.items[0]).value;
        },
        async input(s: InputStep) {
          asked.push(`${s.id} ${s.step}/${s.totalSteps}`);
          if (s.id === 'name') {
            messages.push(s.validate('bad-000001') ?? '', s.validate('a/b') ?? '');
            return name;
          }
          if (s.id === 'size') {
            messages.push(s.validate('big') ?? '');
            assert.equal(s.validate('200mb'), undefined);
            return '200mb';
          }
          return s.value;
        },
        async confirm(message: string, detail: string, actions: string[]) {
          confirmDetail = detail;
          assert.match(message, new RegExp(`Create ${full()} on lab-docker`));
          return actions.includes('Create') ? 'Create' : undefined;
        },
      };
      const created = await vscode.commands.executeCommand<string | undefined>('vdvs.volume.create', undefined, { prompter });
      assert.equal(created, full());
      // offered from the ESXi side: the VM's own datastore for a short name, then each with type and space
      const offered = datastores?.items.map((i) => `${i.label}: ${i.description}`) ?? [];
      assert.match(offered[0] ?? '', new RegExp(`^Docker host VM's datastore: short name · ${lab.vsphere.datastore} · `));
      assert.ok(
        offered.some((o) => new RegExp(`^${lab.vsphere.datastore}: \\S+ · .*(free of|free space not reported)`).test(o)),
        offered.join('\n'),
      );
      assert.equal(datastores?.placeholder, 'Datastore for the VMDK (or type a datastore name)');
      assert.deepEqual(asked, [
        'name 1/9',
        'datastore 2/9',
        'source 3/9',
        'size 4/9',
        'diskformat 5/9',
        'attach-as 6/9',
        'access 7/9',
        'attach-as 6/9',
        'access 7/9',
        'fstype 8/9',
      ]);
      assert.deepEqual(messages, [
        `"Volume names ending with '-NNNNNN' (where N is a digit) are not supported"`,
        "'Volume name contains illegal characters: /'",
        'Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is an integer. Default = 100mb',
      ]);
      assert.match(
        confirmDetail,
        new RegExp(
          `docker -H \\S+ volume create --driver=vsphere --name=${full()} -o size=200mb -o diskformat=zeroedthick -o attach-as=persistent -o access=read-write -o fstype=ext4`,
        ),
      );
      const [vol] = JSON.parse(await docker('volume', 'inspect', full()));
      assert.equal(vol.Status['attach-as'], 'persistent');
      assert.equal(vol.Status.diskformat, 'zeroedthick');
    });

    it('cancelling at any step creates nothing', async () => {
      const prompter = { pick: async () => undefined, input: async () => undefined, confirm: async () => undefined };
      assert.equal(await vscode.commands.executeCommand('vdvs.volume.create', undefined, { prompter }), undefined);
    });
  });

  describe('Volumes view follows docker events while it is shown', () => {
    const name = `r14-events${process.pid}`;
    after(async function () {
      this.timeout(120_000);
      await removeVolume(name);
    });

    it('a volume created with the docker CLI shows up without Refresh', async function () {
      this.timeout(90_000);
      const tree = api.volumesTree as Tree;
      const label = (n: object) => labelText(tree.getTreeItem(n) as vscode.TreeItem);
      await vscode.commands.executeCommand('vdvs.volumes.focus');
      await vscode.commands.executeCommand('vdvs.volumes.refresh');
      const listed = async () => {
        for (const group of (await tree.getChildren()) ?? [])
          if (((await tree.getChildren(group)) ?? []).some((v) => label(v) === `${name}@${lab.vsphere.datastore}`)) return true;
        return false;
      };
      assert.equal(await listed(), false);
      await retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${name}`, '-o', 'size=64mb'));
      // no command of ours ran: only the view's events watch can bring it in (debounce 0.75 s + one reload)
      let seen = false;
      for (let i = 0; i < 60 && !seen; i++) {
        await new Promise((r) => setTimeout(r, 500));
        seen = await listed();
      }
      assert.ok(seen, `${name} did not appear in the Volumes view within 30 s of docker volume create`);
    });
  });

  describe('Volumes view: Reveal VMDK and Run Test Container on a volume node', () => {
    const name = `h2-reveal${process.pid}`;
    let container: string | undefined;
    const volumes = () => api.volumesTree as Tree;
    const label = (tree: Tree, n: object) => labelText(tree.getTreeItem(n) as vscode.TreeItem);
    /** The volume's node under its datastore, from a fresh load of the view's data. */
    const volumeNode = async (): Promise<object> => {
      const groups = (await volumes().getChildren()) ?? [];
      const group = groups.find((g) => label(volumes(), g) === lab.vsphere.datastore);
      assert.ok(group, `no ${lab.vsphere.datastore} group: ${groups.map((g) => label(volumes(), g)).join(', ')}`);
      const node = ((await volumes().getChildren(group)) ?? []).find((v) => label(volumes(), v) === `${name}@${lab.vsphere.datastore}`);
      assert.ok(node, `${name} is not in the Volumes view`);
      return node;
    };

    before(async function () {
      this.timeout(120_000);
      await retryLabTransient(() =>
        docker('volume', 'create', '--driver=vsphere', `--name=${name}`, '-o', 'size=64mb', '-o', 'attach-as=persistent'),
      );
      await vscode.commands.executeCommand('vdvs.volumes.refresh');
    });
    after(async function () {
      this.timeout(120_000);
      if (container) await docker('rm', '-f', container).catch(() => undefined);
      await removeVolume(name);
    });

    it("Reveal VMDK selects the volume's VMDK in the ESXi Hosts view", async function () {
      this.timeout(60_000);
      const node = await volumeNode();
      const vmdk = (node as { row: { vmdk?: { path: string } } }).row.vmdk;
      assert.ok(vmdk, 'the volume is not joined with its VMDK: the ESXi side was not read');
      await vscode.commands.executeCommand('vdvs.volume.revealVmdk', node);
      // the selection reaches the extension host as an event after reveal() resolved
      let selected = api.esxiHostsSelection();
      for (let i = 0; i < 50 && selected.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        selected = api.esxiHostsSelection();
      }
      assert.equal(selected.length, 1, "nothing selected in the ESXi Hosts view (see the log for the command's error)");
      const esxi = api.esxiHostsTree as Tree;
      const vmdkNode = selected[0] as { datastorePath?: string };
      assert.equal(vmdkNode.datastorePath, vmdk.path);
      assert.equal(label(esxi, vmdkNode), name);
      assert.match(String((esxi.getTreeItem(vmdkNode) as vscode.TreeItem).contextValue), /^vdvs\.esxi\.vmdk/);
    });

    it('Run Test Container on the node starts a container on the volume, and the volume shows it', async function () {
      this.timeout(120_000);
      const node = await volumeNode();
      assert.match(
        String((volumes().getTreeItem(node) as vscode.TreeItem).contextValue),
        /^vdvs\.volume\.listed\.free(\.hasVmdk)?$/,
        "the menu entry's when-clause matches this node",
      );
      const started = await vscode.commands.executeCommand<{ name: string } | undefined>('vdvs.container.runTest', node);
      assert.ok(started, "no container was started (see the log for the command's error)");
      container = started.name;
      const mounts = JSON.parse(await docker('inspect', '--format', '{{json .Mounts}}', container)) as Array<{
        Name: string;
        Destination: string;
      }>;
      assert.ok(
        mounts.some((m) => m.Name.startsWith(name) && m.Destination === '/vmdk'),
        JSON.stringify(mounts),
      );
      // the command re-read the Volumes view: the node now lists the container
      const after = await volumeNode();
      assert.match(String((volumes().getTreeItem(after) as vscode.TreeItem).contextValue), /\.inUse\b/);
      const children = (await volumes().getChildren(after)) ?? [];
      assert.ok(
        children.some((c) => label(volumes(), c) === container),
        children.map((c) => label(volumes(), c)).join(', '),
      );
    });
  });
});
