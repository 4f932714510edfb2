import { EsxiHostConfig } from '../../../core/config';
import { UserError } from '../../../core/errors';
import { runVmdkopsAdmin } from '../../../core/esx/vmdkopsAdmin';
import { volumeSetArgs } from '../../../core/vdvs/adminVolumes';
import { INIT_NEEDED, parseVmgroupLs, Vmgroup, VMGROUP_LS_ARGS, vmgroupOfFolder } from '../../../core/vdvs/adminVmgroups';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { ACCESS, ATTACH_AS } from '../../../core/vdvs/options';
import { CommandContext, CommandInput } from '../../commandContext';
import { esxiShells } from '../../connections';
import { answered } from '../../prompter';
import { requestTimeoutMs, Services } from '../../services';
import { volumesTree } from '../../trees/volumesView';
import { volumeTarget } from './volumeTarget';

export interface SetVolumeOptionsInput extends CommandInput {
  access?: string;
  attachAs?: string;
}

/**
 * Set Access / Attach-as…: `vmdkops_admin.py volume set` on the ESXi host of the volume's VMDK, over
 * its SSH shell (vDVS changes these two options only on the ESXi side; they apply at the next attach).
 */
export async function setVolumeOptions(ctx: CommandContext<SetVolumeOptionsInput>, node?: unknown): Promise<boolean> {
  const { services, ui, input } = ctx;
  const row = await volumeTarget(ctx, node, 'Volume to change', (r) => !!r.datastore);
  if (!row?.datastore) return false;
  const host = sshHostOf(services, row);
  const access =
    input.access ??
    (await answered(
      ui.pick({
        id: 'access',
        title: `Access of ${row.key}`,
        step: 1,
        totalSteps: 2,
        placeholder: `Now ${row.facts.access}`,
        items: ACCESS.map((a) => ({
          label: a,
          value: a,
          picked: a === row.facts.access,
          description: a === row.facts.access ? 'current' : undefined,
        })),
      }),
    ));
  if (!access) return false;
  const attachAs =
    input.attachAs ??
    (await answered(
      ui.pick({
        id: 'attachAs',
        title: `Attach-as of ${row.key}`,
        step: 2,
        totalSteps: 2,
        placeholder: `Now ${row.facts.attachAs}`,
        items: ATTACH_AS.map((a) => ({
          label: a,
          value: a,
          picked: a === row.facts.attachAs,
          description: a === row.facts.attachAs ? 'current' : a === 'persistent' ? 'in VM snapshots' : 'skipped by VM snapshots',
        })),
      }),
    ));
  if (!attachAs) return false;
  const timeoutMs = requestTimeoutMs();
  await esxiShells(services).use(host, async (session) => {
    const vmgroup = await vmgroupOf(row, () => runVmdkopsAdmin(session, VMGROUP_LS_ARGS, { timeoutMs }));
    await runVmdkopsAdmin(session, volumeSetArgs(`${row.volume}@${row.datastore}`, vmgroup, { access, attachAs }), { timeoutMs });
  });
  void ui.notify(
    'info',
    `${row.key}: access ${access}, attach-as ${attachAs}. vDVS applies them the next time the volume is attached to a VM.`,
  );
  await volumesTree(services).refresh();
  return true;
}

/** The ESXi host with SSH that holds the volume's VMDK, else the only one with SSH. */
function sshHostOf(services: Services, row: VolumeRow): EsxiHostConfig {
  const withSsh = services.hosts.list('esxi').filter((h) => h.ssh);
  const own = withSsh.find((h) => h.id === row.vmdk?.esxiHostId);
  if (own) return own;
  if (withSsh.length === 1 && !row.vmdk) return withSsh[0];
  throw new UserError(
    `Changing ${row.key} needs SSH to the ESXi host of its datastore ${row.datastore}.`,
    'Run "Configure SSH…" on that ESXi host in the ESXi Hosts view (vDVS changes access and attach-as only with its admin CLI there).',
    'NO_SSH',
  );
}

/** The vmgroup of the volume's folder: _DEFAULT's uuid is fixed, others are looked up in `vmgroup ls`. */
async function vmgroupOf(row: VolumeRow, vmgroupLs: () => Promise<string>): Promise<string> {
  const known = vmgroupOfFolder(row.tenant, []);
  if (known) return known;
  let groups: Vmgroup[];
  try {
    groups = parseVmgroupLs(await vmgroupLs());
  } catch (err) {
    if (err instanceof UserError && err.message.endsWith(INIT_NEEDED)) groups = [];
    else throw err;
  }
  const name = vmgroupOfFolder(row.tenant, groups);
  if (!name)
    throw new UserError(
      `No vmgroup owns the folder ${row.tenant} of ${row.key}.`,
      'Its vmgroup was removed: vDVS cannot change it.',
      'NO_VOLUME',
    );
  return name;
}
