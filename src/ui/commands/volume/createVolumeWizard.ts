import { errorMessage } from '../../../core/errors';
import { backupEligibility } from '../../../core/vdvs/backupEligibility';
import { createVolumeCommandLine } from '../../../core/vdvs/cliLine';
import { DatastoreChoice } from '../../../core/vdvs/datastoreChoices';
import { fullVolumeName, validateVolumeName } from '../../../core/vdvs/names';
import { ACCESS, DEFAULT_FSTYPE, DEFAULT_SIZE, DISK_FORMATS, VdvsOptions } from '../../../core/vdvs/options';
import { validateCreate, validateOption, zeroSizeMessage } from '../../../core/vdvs/validate';
import { describeSpace } from '../../trees/volumes/format';
import { Answer, BACK, PickItem, Questions, Step } from '../../prompter';
import type { VsanPolicy } from '../../../core/vdvs/adminPolicies';

/** The datastores offered for a Docker host's new volume, from the ESXi side. */
export interface DatastoreOffer {
  datastores: DatastoreChoice[];
  /** The Docker host VM's own datastore (where a short name goes), when the VM is known. */
  vmDatastore?: string;
  /** Why the list is empty or partial (no ESXi host configured, one did not answer); shown in the step. */
  note?: string;
}

export interface WizardInput {
  hosts: Array<{ id: string; name: string; endpoint: string }>;
  /** Datastores known from the ESXi side for a Docker host; asked once per host, as soon as it is known. */
  datastores: (hostId: string) => Promise<DatastoreOffer>;
  /** Existing vsphere volume names on a host, for clone-from. */
  volumesOf: (hostId: string) => string[];
  /** Preselected host (the command was run on a host's node). */
  hostId?: string;
  /**
   * The vSAN policies of `vmdkops_admin.py policy ls` for a Docker host's ESXi host, when one has SSH
   * set up; undefined without one (or when it cannot be read): the policy name is typed.
   */
  vsanPolicies?: (hostId: string) => Promise<VsanPolicy[] | undefined>;
}

export interface WizardResult {
  hostId: string;
  name: string;
  options: VdvsOptions;
  commandLine: string;
}

interface State {
  hostId?: string;
  volume: string;
  /** '' = the Docker host VM's own datastore (a short name). */
  datastore: string;
  cloneFrom?: string;
  size: string;
  diskformat: string;
  attachAs: string;
  access: string;
  fstype: string;
  vsanPolicy: string;
  /** The datastore step's list, kept for the vSAN question and the final check. */
  offer?: DatastoreOffer;
}

const FSTYPES = ['ext4', 'ext3', 'ext2', 'xfs'];
const TITLE = 'Create vSphere Volume';

function options(s: State): VdvsOptions {
  const o: VdvsOptions = {};
  if (s.cloneFrom === undefined) o.size = s.size;
  if (s.vsanPolicy) o['vsan-policy-name'] = s.vsanPolicy;
  o.diskformat = s.diskformat;
  o['attach-as'] = s.attachAs;
  o.access = s.access;
  if (s.cloneFrom === undefined) o.fstype = s.fstype;
  else o['clone-from'] = s.cloneFrom;
  return o;
}

function fullName(s: State): string {
  return s.datastore ? fullVolumeName(s.volume, s.datastore) : s.volume;
}

type StepDef = {
  id: string;
  applies: (s: State, input: WizardInput) => boolean;
  ask: (s: State, step: Step, input: WizardInput, p: Questions) => Promise<Answer<Partial<State> & { invalid?: string }>>;
};

/**
 * The steps in order. Each returns the part of the state it sets; `applies` hides steps that make no
 * sense (size and fstype for a clone, the vSAN policy off vSAN). The vDVS rules check each answer.
 */
const STEPS: StepDef[] = [
  {
    // not asked when the command ran on a host's node, or when there is only one host
    id: 'host',
    applies: (_s, i) => !i.hostId && i.hosts.length > 1,
    ask: async (s, step, i, p) =>
      wrap(
        await p.pick({
          ...step,
          placeholder: 'Docker host that will use the volume',
          items: i.hosts.map((h) => ({ label: h.name, description: h.endpoint, value: h.id, picked: h.id === s.hostId })),
        }),
        (hostId) => ({ hostId }),
      ),
  },
  {
    id: 'name',
    applies: () => true,
    ask: async (s, step, _i, p) =>
      wrap(
        await p.input({
          ...step,
          prompt: 'Volume name (without @datastore: the datastore is the next step)',
          value: s.volume,
          placeholder: 'e.g. pgdata',
          validate: (v) =>
            v.trim() === ''
              ? 'Enter a name.'
              : v.includes('@')
                ? 'Pick the datastore in the next step instead of typing @.'
                : validateVolumeName(v),
        }),
        (volume) => ({ volume }),
      ),
  },
  {
    id: 'datastore',
    applies: () => true,
    ask: async (s, step, i, p) => {
      const offer = await i.datastores(s.hostId!);
      const answer = await p.pick({ ...step, ...datastoreStep(offer, s.datastore) });
      return wrap(
        answer,
        (datastore) => ({ datastore, offer }),
        (datastore) => checkDatastore(s.volume, datastore),
      );
    },
  },
  {
    id: 'source',
    applies: () => true,
    ask: async (s, step, i, p) => {
      const existing = i.volumesOf(s.hostId!).filter((v) => v !== fullName(s));
      const items: PickItem<string | null>[] = [
        { label: 'New empty volume', value: null, picked: s.cloneFrom === undefined },
        ...existing.map((v) => ({
          label: `Clone of ${v}`,
          description: 'clone-from: keeps its size and file system',
          value: v,
          picked: s.cloneFrom === v,
        })),
      ];
      return wrap(await p.pick({ ...step, placeholder: 'Start empty, or copy an existing volume (clone-from)', items }), (v) => ({
        cloneFrom: v ?? undefined,
      }));
    },
  },
  {
    id: 'size',
    applies: (s) => s.cloneFrom === undefined,
    ask: async (s, step, _i, p) =>
      wrap(
        await p.input({
          ...step,
          prompt: `Size: an integer followed by mb, gb or tb (vDVS default ${DEFAULT_SIZE})`,
          value: s.size,
          validate: (v) => validateOption('size', v, {}) ?? zeroSizeMessage(v),
        }),
        (size) => ({ size }),
      ),
  },
  {
    id: 'diskformat',
    applies: () => true,
    ask: async (s, step, _i, p) =>
      wrap(
        await p.pick({
          ...step,
          placeholder: 'Disk format',
          items: DISK_FORMATS.map((f) => ({
            label: f,
            description:
              f === 'thin'
                ? 'vDVS default: allocates as data is written'
                : f === 'zeroedthick'
                  ? 'allocated now, zeroed on first write'
                  : 'allocated and zeroed now: slowest to create',
            value: f,
            picked: f === s.diskformat,
          })),
        }),
        (diskformat) => ({ diskformat }),
      ),
  },
  {
    id: 'attach-as',
    applies: () => true,
    ask: async (s, step, _i, p) =>
      wrap(
        await p.pick({
          ...step,
          placeholder: 'Disk mode when attached to the Docker host VM',
          items: [
            {
              label: 'persistent',
              description: 'recommended',
              detail: backupEligibility('persistent').summary + ': the disk takes part in snapshots of the Docker host VM.',
              value: 'persistent',
              picked: s.attachAs === 'persistent',
            },
            {
              label: 'independent_persistent',
              description: 'vDVS default',
              detail: `${backupEligibility('independent_persistent').summary}: independent disks are left out of VM snapshots (vDVS #636, #2052).`,
              value: 'independent_persistent',
              picked: s.attachAs === 'independent_persistent',
            },
          ],
        }),
        (attachAs) => ({ attachAs }),
      ),
  },
  {
    id: 'access',
    applies: () => true,
    ask: async (s, step, _i, p) =>
      wrap(
        await p.pick({ ...step, placeholder: 'Access', items: ACCESS.map((a) => ({ label: a, value: a, picked: a === s.access })) }),
        (access) => ({ access }),
      ),
  },
  {
    id: 'fstype',
    applies: (s) => s.cloneFrom === undefined,
    ask: async (s, step, _i, p) =>
      wrap(
        await p.pick({
          ...step,
          placeholder: 'File system (made by the plugin on the Docker host)',
          items: FSTYPES.map((f) => ({
            label: f,
            description: f === DEFAULT_FSTYPE ? 'vDVS default' : undefined,
            value: f,
            picked: f === s.fstype,
          })),
        }),
        (fstype) => ({ fstype }),
      ),
  },
  {
    id: 'vsan-policy-name',
    applies: (s) => !!chosenDatastore(s)?.vsan,
    ask: async (s, step, i, p) => {
      const policies = i.vsanPolicies && s.hostId ? await i.vsanPolicies(s.hostId) : undefined;
      if (!policies)
        return wrap(
          await p.input({
            ...step,
            prompt: 'vSAN policy name (empty: the datastore default policy)',
            value: s.vsanPolicy,
            validate: () => undefined,
          }),
          (vsanPolicy) => ({ vsanPolicy: vsanPolicy.trim() }),
        );
      // vmdkops_admin.py policy ls: the policies made with "policy create"; a name typed is taken too
      const items: PickItem<string>[] = [
        { label: '[VSAN default]', description: "the datastore's default policy", value: '', picked: !s.vsanPolicy },
        ...policies.map((pol) => ({
          label: pol.name,
          description: pol.active,
          detail: pol.content,
          value: pol.name,
          picked: pol.name === s.vsanPolicy,
        })),
      ];
      return wrap(
        await p.pick({
          ...step,
          placeholder: 'vSAN policy (vmdkops_admin.py policy ls)',
          items,
          typed: (text) => (text.trim() ? { label: text.trim(), description: 'policy typed by name', value: text.trim() } : undefined),
        }),
        (vsanPolicy) => ({ vsanPolicy }),
      );
    },
  },
];

/** "vSAN · 40 GB free of 100 GB" */
function describeDatastore(d: DatastoreChoice): string {
  return `${d.vsan ? 'vSAN' : d.type || 'datastore'} · ${describeSpace(d.capacityBytes, d.freeBytes)}`;
}

/**
 * The datastore question: the Docker host VM's own datastore (a short name), then every datastore
 * the ESXi side offers with its type and free space; a typed name not in the list is accepted too
 * (an ESXi host that is not configured, or a datastore added since).
 */
export function datastoreStep(
  offer: DatastoreOffer,
  current: string,
): { placeholder: string; items: PickItem<string>[]; typed: (text: string) => PickItem<string> | undefined } {
  const own = offer.vmDatastore ? offer.datastores.find((d) => d.name === offer.vmDatastore) : undefined;
  const items: PickItem<string>[] = [
    {
      label: "Docker host VM's datastore",
      description: ['short name', offer.vmDatastore, own && describeDatastore(own)].filter(Boolean).join(' · '),
      detail: 'vDVS puts the VMDK on the datastore of the Docker host VM.',
      value: '',
      picked: current === '',
    },
  ];
  for (const d of offer.datastores)
    items.push({ label: d.name, description: describeDatastore(d), value: d.name, picked: current === d.name });
  const placeholder =
    offer.note ??
    (offer.datastores.length
      ? 'Datastore for the VMDK (or type a datastore name)'
      : "Type the datastore name, or pick the Docker host VM's own");
  return {
    placeholder,
    items,
    typed: (text) => {
      const name = text.trim();
      if (!name) return undefined;
      // vmdk_ops.py parse_vol_name matches the datastore ignoring case and uses the host's spelling
      const matching = offer.datastores.filter((d) => d.name.toLowerCase() === name.toLowerCase());
      if (matching.length === 1) {
        return matching[0].name === name
          ? undefined
          : {
              label: matching[0].name,
              description: `typed as ${name}`,
              detail: 'vDVS matches the datastore ignoring case and uses its own spelling.',
              value: matching[0].name,
            };
      }
      return {
        label: name,
        description: 'datastore typed by name',
        detail: matching.length
          ? `Found multiple datastores with same name (ignoring case difference): ${matching.map((d) => d.name).join(', ')}: vDVS refuses it.`
          : "Not in the ESXi side's list: vDVS refuses a datastore the host does not have.",
        value: name,
      };
    },
  };
}

/** A datastore name the vDVS name rules accept after `vol@` (the last @ separates, so none inside). */
function checkDatastore(volume: string, datastore: string): string | undefined {
  if (datastore.includes('@')) return `A datastore name with @ cannot be used: vDVS splits vol@datastore at the last @.`;
  return validateVolumeName(fullVolumeName(volume, datastore || 'x'));
}

/** The datastore the volume goes on, as the ESXi side described it (the VM's own for a short name). */
function chosenDatastore(s: State): DatastoreChoice | undefined {
  const name = s.datastore || s.offer?.vmDatastore;
  return s.offer?.datastores.find((d) => d.name === name);
}

/** Asks for each host's datastores once, and turns a failure into a note, so the step can still be typed. */
function offersOnce(datastores: WizardInput['datastores']): WizardInput['datastores'] {
  const asked = new Map<string, Promise<DatastoreOffer>>();
  return (hostId) => {
    let offer = asked.get(hostId);
    if (!offer) {
      offer = datastores(hostId).catch((err) => ({
        datastores: [],
        note: `Datastores could not be read (${errorMessage(err)}): type the name, or pick the Docker host VM's own`,
      }));
      asked.set(hostId, offer);
    }
    return offer;
  };
}

/** Maps an answer to state; a failed `check` comes back as `invalid` so the step is asked again. */
function wrap<T>(
  a: Answer<T>,
  toState: (v: T) => Partial<State>,
  check?: (v: T) => string | undefined,
): Answer<Partial<State> & { invalid?: string }> {
  if (a === undefined || a === BACK) return a as undefined | typeof BACK;
  const invalid = check?.(a);
  return invalid ? { ...toState(a), invalid } : toState(a);
}

/**
 * Walks the steps with back navigation, then shows the exact command line and asks to create.
 * Resolves undefined when cancelled (or when the user only copied the command).
 */
export async function runCreateVolumeWizard(
  wizardInput: WizardInput,
  prompter: Questions,
  onCopy: (line: string) => Promise<void>,
): Promise<WizardResult | undefined> {
  const input: WizardInput = { ...wizardInput, datastores: offersOnce(wizardInput.datastores) };
  const state: State = {
    hostId: input.hostId ?? (input.hosts.length === 1 ? input.hosts[0].id : undefined),
    volume: '',
    datastore: '',
    size: DEFAULT_SIZE,
    diskformat: 'thin',
    attachAs: 'persistent',
    access: 'read-write',
    fstype: DEFAULT_FSTYPE,
    vsanPolicy: '',
  };
  const visited: number[] = [];
  let i = 0;
  while (i < STEPS.length) {
    const def = STEPS[i];
    // start reading the datastores while the name is typed
    if (state.hostId) void input.datastores(state.hostId);
    if (!def.applies(state, input)) {
      i++;
      continue;
    }
    const applicable = STEPS.filter((d) => d.applies(state, input));
    const step: Step = { id: def.id, title: TITLE, step: applicable.indexOf(def) + 1, totalSteps: applicable.length + 1 };
    const answer = await def.ask(state, step, input, prompter);
    if (answer === undefined) return undefined;
    if (answer === BACK) {
      if (visited.length) i = visited.pop()!;
      continue;
    }
    const { invalid, ...rest } = answer;
    Object.assign(state, rest);
    if (invalid) {
      await prompter.confirm(invalid, 'Pick another value.', []);
      continue;
    }
    visited.push(i);
    i++;
  }
  const host = input.hosts.find((h) => h.id === state.hostId)!;
  const name = fullName(state);
  const opts = options(state);
  const chosen = chosenDatastore(state);
  const problem = validateCreate({ name, options: opts }, chosen ? { datastoreIsVsan: chosen.vsan } : {});
  const commandLine = createVolumeCommandLine(name, opts, { endpoint: host.endpoint });
  if (problem) {
    await prompter.confirm(`vDVS would refuse this volume: ${problem}`, commandLine, []);
    return undefined;
  }
  for (;;) {
    const choice = await prompter.confirm(
      `Create ${name} on ${host.name}?`,
      `${commandLine}\n\n${backupEligibility(state.attachAs).summary}.`,
      ['Create', 'Copy Command'],
    );
    if (choice === 'Copy Command') {
      await onCopy(commandLine);
      continue;
    }
    return choice === 'Create' ? { hostId: host.id, name, options: opts, commandLine } : undefined;
  }
}
