import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatastoreChoice } from '../../src/core/vdvs/datastoreChoices';
import { DatastoreOffer, datastoreStep, runCreateVolumeWizard, WizardInput } from '../../src/ui/commands/volume/createVolumeWizard';
import { BACK, PickItem, Questions } from '../../src/ui/prompter';

const GB = 1024 ** 3;
const vmfs: DatastoreChoice = { name: 'datastore1', type: 'VMFS', capacityBytes: 100 * GB, freeBytes: 40 * GB, vsan: false };
const vsan: DatastoreChoice = { name: 'vsanDatastore', type: 'vsan', capacityBytes: 2048 * GB, freeBytes: -1, vsan: true };
const offer: DatastoreOffer = { datastores: [vmfs, vsan], vmDatastore: 'datastore1' };
const input: WizardInput = {
  hosts: [
    { id: 'a', name: 'docker-a', endpoint: 'unix:///a.sock' },
    { id: 'b', name: 'docker-b', endpoint: 'ssh://root@b' },
  ],
  datastores: async () => offer,
  volumesOf: (id) => (id === 'b' ? ['src1'] : []),
};

/** Answers by step id from a script; records what was asked. */
function scripted(answers: Record<string, unknown[]>, asked: string[]): Questions {
  const next = (id: string, fallback: unknown) => (answers[id]?.length ? answers[id].shift() : fallback);
  return {
    pick: async (s) => (
      asked.push(`${s.id} ${s.step}/${s.totalSteps}`),
      next(s.id, (s.items.find((i) => i.picked) ?? s.items[0]).value) as never
    ),
    input: async (s) => (asked.push(`${s.id} ${s.step}/${s.totalSteps}`), next(s.id, s.value) as never),
    confirm: async (_m, _d, actions) => (actions.includes('Create') ? 'Create' : undefined),
  };
}

describe('create volume wizard', () => {
  it('clone-from skips size and fstype; vSAN datastore adds the policy step; back returns to the previous step', async () => {
    const asked: string[] = [];
    const r = await runCreateVolumeWizard(
      input,
      scripted(
        {
          host: ['b'],
          name: ['v2'],
          datastore: ['vsanDatastore'],
          source: ['src1'],
          access: [BACK, 'read-only'],
          'vsan-policy-name': ['gold'],
        },
        asked,
      ),
      async () => undefined,
    );
    // the total follows the answers: the vSAN datastore adds a step, the clone removes size and fstype
    assert.deepEqual(asked, [
      'host 1/10',
      'name 2/10',
      'datastore 3/10',
      'source 4/11',
      'diskformat 5/9',
      'attach-as 6/9',
      'access 7/9',
      'attach-as 6/9',
      'access 7/9',
      'vsan-policy-name 8/9',
    ]);
    assert.deepEqual(r, {
      hostId: 'b',
      name: 'v2@vsanDatastore',
      options: { 'vsan-policy-name': 'gold', diskformat: 'thin', 'attach-as': 'persistent', access: 'read-only', 'clone-from': 'src1' },
      commandLine:
        'docker -H ssh://root@b volume create --driver=vsphere --name=v2@vsanDatastore -o vsan-policy-name=gold -o diskformat=thin -o attach-as=persistent -o access=read-only -o clone-from=src1',
    });
  });
  it("offers vmdkops_admin.py policy ls's policies for a vSAN datastore when an ESXi host has SSH", async () => {
    let step: { items: PickItem<unknown>[]; typed?: (t: string) => PickItem<unknown> | undefined } | undefined;
    const questions = scripted({ host: ['a'], name: ['v3'], datastore: ['vsanDatastore'] }, []);
    const pick0 = questions.pick;
    questions.pick = async (s) => {
      if (s.id === 'vsan-policy-name') {
        step = s;
        return 'silver' as never;
      }
      return pick0(s);
    };
    const policies = [
      { name: 'gold', content: '(("proportionalCapacity" i50))', active: 'Unused' },
      { name: 'silver', content: '(("hostFailuresToTolerate" i1))', active: 'In use by 2 volumes' },
    ];
    const r = await runCreateVolumeWizard(
      { ...input, vsanPolicies: async (id) => (id === 'a' ? policies : undefined) },
      questions,
      async () => undefined,
    );
    assert.deepEqual(
      step?.items.map((i) => [i.label, i.description, i.value, !!i.picked]),
      [
        ['[VSAN default]', "the datastore's default policy", '', true],
        ['gold', 'Unused', 'gold', false],
        ['silver', 'In use by 2 volumes', 'silver', false],
      ],
    );
    assert.equal(step?.typed?.(' bronze ')?.value, 'bronze');
    assert.equal(r?.options['vsan-policy-name'], 'silver');
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
  it("offers the ESXi side's datastores with type and free space, the VM's own first", () => {
    const step = datastoreStep(offer, 'vsanDatastore');
    assert.deepEqual(
      step.items.map((i) => [i.label, i.description, i.value, !!i.picked]),
      [
        ["Docker host VM's datastore", 'short name · datastore1 · VMFS · 40 GB free of 100 GB', '', false],
        ['datastore1', 'VMFS · 40 GB free of 100 GB', 'datastore1', false],
        ['vsanDatastore', 'vSAN · 2.0 TB, free space not reported', 'vsanDatastore', true],
      ],
    );
    assert.equal(step.placeholder, 'Datastore for the VMDK (or type a datastore name)');
    // a typed name not in the list becomes the first item; a listed one or blanks do not
    assert.equal(step.typed('  nfs-02 ')?.value, 'nfs-02');
    assert.equal(step.typed('datastore1'), undefined);
    assert.equal(step.typed('  '), undefined);
  });
  it('takes a typed datastore in another case as the listed one (vmdk_ops.py parse_vol_name)', () => {
    const step = datastoreStep(offer, '');
    const typed = step.typed('DATASTORE1');
    assert.equal(typed?.value, 'datastore1');
    assert.doesNotMatch(typed?.detail ?? '', /refuses/);
    const twice = datastoreStep({ ...offer, datastores: [...offer.datastores, { ...offer.datastores[0], name: 'DataStore1' }] }, '');
    assert.match(twice.typed('datastore1')!.detail!, /^Found multiple datastores with same name \(ignoring case difference\)/);
  });
  it('without an ESXi host the step says so and still takes a typed name', async () => {
    const note = 'No ESXi host is configured: type the datastore name';
    let seen: { placeholder: string; items: PickItem<unknown>[]; typed?: (t: string) => PickItem<unknown> | undefined } | undefined;
    const prompter = scripted({ host: ['a'], name: ['v1'] }, []);
    prompter.pick = async (s) => {
      if (s.id === 'datastore') {
        seen = s;
        return s.typed!('nfs-02')!.value;
      }
      return (s.items.find((i) => i.picked) ?? s.items[0]).value;
    };
    const r = await runCreateVolumeWizard(
      { ...input, datastores: async () => ({ datastores: [], note }) },
      prompter,
      async () => undefined,
    );
    assert.equal(seen?.placeholder, note);
    assert.deepEqual(
      seen?.items.map((i) => i.description),
      ['short name'],
    );
    assert.equal(r?.name, 'v1@nfs-02');
  });
  it("vsan-policy-name only for a vSAN datastore, also when it is the VM's own; a datastore with @ is asked again", async () => {
    const walk = async (datastores: unknown[], own?: string) => {
      const asked: string[] = [];
      const r = await runCreateVolumeWizard(
        { ...input, datastores: async () => ({ ...offer, vmDatastore: own ?? offer.vmDatastore }) },
        scripted({ host: ['a'], name: ['v'], datastore: datastores, 'vsan-policy-name': ['gold'] }, asked),
        async () => undefined,
      );
      return { steps: asked.map((a) => a.split(' ')[0]), r };
    };
    const plain = await walk(['datastore1']);
    assert.ok(!plain.steps.includes('vsan-policy-name'));
    assert.equal(plain.r?.options['vsan-policy-name'], undefined);
    assert.equal((await walk(['vsanDatastore'])).r?.options['vsan-policy-name'], 'gold');
    const short = await walk([''], 'vsanDatastore');
    assert.equal(short.r?.name, 'v');
    assert.equal(short.r?.options['vsan-policy-name'], 'gold');
    const at = await walk(['a@b', 'datastore1']);
    assert.deepEqual(
      at.steps.filter((s) => s === 'datastore'),
      ['datastore', 'datastore'],
    );
    assert.equal(at.r?.name, 'v@datastore1');
  });
  it("reads a host's datastores once, and a failed read becomes a note", async () => {
    let reads = 0;
    const prompter = scripted({ host: ['a', 'a'], name: ['v'], datastore: [BACK] }, []);
    let placeholders: string[] = [];
    const pick0 = prompter.pick;
    prompter.pick = async (s) => {
      if (s.id === 'datastore') placeholders.push(s.placeholder);
      return pick0(s);
    };
    await runCreateVolumeWizard(
      { ...input, datastores: async () => (reads++, Promise.reject(new Error('InvalidLogin'))) },
      prompter,
      async () => undefined,
    );
    assert.equal(reads, 1);
    assert.equal(placeholders.length, 2);
    assert.match(placeholders[0], /^Datastores could not be read \(InvalidLogin\): type the name/);
    placeholders = [];
  });
  it('cancel returns undefined', async () => {
    assert.equal(
      await runCreateVolumeWizard(
        input,
        { pick: async () => undefined, input: async () => undefined, confirm: async () => undefined },
        async () => undefined,
      ),
      undefined,
    );
  });
});
