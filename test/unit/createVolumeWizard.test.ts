import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCreateVolumeWizard, WizardInput } from '../../src/ui/commands/volume/createVolumeWizard';
import { BACK, Prompter } from '../../src/ui/commands/volume/prompter';

const input: WizardInput = {
  hosts: [{ id: 'a', name: 'docker-a', endpoint: 'unix:///a.sock' }, { id: 'b', name: 'docker-b', endpoint: 'ssh://root@b' }],
  datastores: [{ name: 'datastore1', vsan: false }, { name: 'vsanDatastore', vsan: true }],
  volumesOf: (id) => (id === 'b' ? ['src1'] : []),
};

/** Answers by step id from a script; records what was asked. */
function scripted(answers: Record<string, unknown[]>, asked: string[]): Prompter {
  const next = (id: string, fallback: unknown) => (answers[id]?.length ? answers[id].shift() : fallback);
  return {
    pick: async (s) => (asked.push(`${s.id} ${s.step}/${s.totalSteps}`), next(s.id, (s.items.find((i) => i.picked) ?? s.items[0]).value) as never),
    input: async (s) => (asked.push(`${s.id} ${s.step}/${s.totalSteps}`), next(s.id, s.value) as never),
    confirm: async (_m, _d, actions) => (actions.includes('Create') ? 'Create' : undefined),
  };
}

describe('create volume wizard', () => {
  it('clone-from skips size and fstype; vSAN datastore adds the policy step; back returns to the previous step', async () => {
    const asked: string[] = [];
    const r = await runCreateVolumeWizard(input, scripted({ host: ['b'], name: ['v2'], datastore: ['vsanDatastore'], source: ['src1'], access: [BACK, 'read-only'], 'vsan-policy-name': ['gold'] }, asked), async () => undefined);
    // the total follows the answers: the vSAN datastore adds a step, the clone removes size and fstype
    assert.deepEqual(asked, ['host 1/10', 'name 2/10', 'datastore 3/10', 'source 4/11', 'diskformat 5/9', 'attach-as 6/9', 'access 7/9', 'attach-as 6/9', 'access 7/9', 'vsan-policy-name 8/9']);
    assert.deepEqual(r, {
      hostId: 'b', name: 'v2@vsanDatastore',
      options: { 'vsan-policy-name': 'gold', diskformat: 'thin', 'attach-as': 'persistent', access: 'read-only', 'clone-from': 'src1' },
      commandLine: 'docker -H ssh://root@b volume create --driver=vsphere --name=v2@vsanDatastore -o vsan-policy-name=gold -o diskformat=thin -o attach-as=persistent -o access=read-only -o clone-from=src1',
    });
  });
  it('validates as you type with vDVS texts', async () => {
    const seen: Record<string, string | undefined> = {};
    const prompter = scripted({ host: ['a'], name: ['ok'] }, []);
    const input0 = prompter.input;
    prompter.input = async (s) => {
      if (s.id === 'name') seen.name = s.validate('x-123456');
      if (s.id === 'size') seen.size = s.validate('12');
      return input0(s);
    };
    await runCreateVolumeWizard(input, prompter, async () => undefined);
    assert.equal(seen.name, `"Volume names ending with '-NNNNNN' (where N is a digit) are not supported"`);
    assert.match(seen.size!, /^Invalid format for size/);
  });
  it('cancel returns undefined', async () => {
    assert.equal(await runCreateVolumeWizard(input, { pick: async () => undefined, input: async () => undefined, confirm: async () => undefined }, async () => undefined), undefined);
  });
});
