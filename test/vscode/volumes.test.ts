import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';

/**
 * Walks the "Create Volume…" wizard in a real VS Code by answering its questions through the
 * Prompter seam (the command's second argument), against the lab's dockerd with the vsphere plugin.
 */
const BACK = Symbol.for('vdvs.prompter.back');
type Step = { id: string; step: number; totalSteps: number };
type PickStep = Step & { items: Array<{ label: string; value: unknown; picked?: boolean }> };
type InputStep = Step & { value: string; validate: (v: string) => string | undefined };

describe('Create Volume wizard', () => {
  const name = `t7-wizard${process.pid}`;
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;

  before(async function () {
    this.timeout(120_000);
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    await vscode.workspace.getConfiguration('vdvs').update('dockerHosts', [{ id: 'wizlab', name: 'lab-docker', endpoint: lab.docker.host }], vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    // Docker lists vDVS volumes as vol@datastore (the plugin's names): the short name may be gone
    await docker('volume', 'rm', `${name}@${lab.vsphere.datastore}`).catch(() => docker('volume', 'rm', name)).catch(() => undefined);
    await vscode.workspace.getConfiguration('vdvs').update('dockerHosts', undefined, vscode.ConfigurationTarget.Global);
  });

  it('asks every step with back navigation and vDVS validation, shows the command line, creates', async function () {
    this.timeout(120_000);
    const asked: string[] = [];
    const messages: string[] = [];
    let wentBack = false;
    let confirmDetail = '';
    const prompter = {
      async pick(s: PickStep) {
        asked.push(`${s.id} ${s.step}/${s.totalSteps}`);
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
        assert.match(message, new RegExp(`Create ${name} on lab-docker`));
        return actions.includes('Create') ? 'Create' : undefined;
      },
    };
    const created = await vscode.commands.executeCommand<string | undefined>('vdvs.volume.create', undefined, { prompter });
    assert.equal(created, name);
    assert.deepEqual(asked, ['name 1/9', 'datastore 2/9', 'source 3/9', 'size 4/9', 'diskformat 5/9', 'attach-as 6/9', 'access 7/9', 'attach-as 6/9', 'access 7/9', 'fstype 8/9']);
    assert.deepEqual(messages, [
      `"Volume names ending with '-NNNNNN' (where N is a digit) are not supported"`,
      `"Volume name a/b contains illegal characters: ['/', '\\\\\\\\']"`,
      'Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is aninteger. Default = 100mb',
    ]);
    assert.match(confirmDetail, new RegExp(`docker -H \\S+ volume create --driver=vsphere --name=${name} -o size=200mb -o diskformat=zeroedthick -o attach-as=persistent -o access=read-write -o fstype=ext4`));
    const [vol] = JSON.parse(await docker('volume', 'inspect', `${name}@${lab.vsphere.datastore}`));
    assert.equal(vol.Status['attach-as'], 'persistent');
    assert.equal(vol.Status.diskformat, 'zeroedthick');
  });

  it('cancelling at any step creates nothing', async () => {
    const prompter = { pick: async () => undefined, input: async () => undefined, confirm: async () => undefined };
    assert.equal(await vscode.commands.executeCommand('vdvs.volume.create', undefined, { prompter }), undefined);
  });
});
