import { DockerHostConfig } from '../../core/config';
import { errorMessage } from '../../core/errors';
import { listVsphereVolumes } from '../../core/vdvs/inventory';
import { volumeFacts } from '../../core/vdvs/status';
import { withDocker } from '../connections';
import { Services } from '../services';

/** What a ready-made snapshot task needs: the volume disks VM snapshots include, where the VM runs. */
export interface SnapshotTaskTarget {
  volumes: string[];
  vm: string;
  esxiHost: string;
}

/**
 * The vDVS walkthrough's "backup job with the Docker host as source, exclude other disks": the
 * host's vsphere volumes that are attached as `persistent` to its VM right now (a VM snapshot
 * includes only those), the VM they are attached to, and the ESXi host or vCenter running it (the
 * one linked to the Docker host, or the only one configured). Undefined when any is unknown: the
 * task would only be refused.
 */
export async function snapshotTaskTarget(services: Services, host: DockerHostConfig): Promise<SnapshotTaskTarget | undefined> {
  const esxiHosts = services.hosts.list('esxi');
  const esxi = host.esxiHostId ? esxiHosts.find((h) => h.id === host.esxiHostId) : esxiHosts.length === 1 ? esxiHosts[0] : undefined;
  if (!esxi) return undefined;
  let entries;
  try {
    entries = (await withDocker(services, host, (conn) => listVsphereVolumes(conn))).entries;
  } catch (err) {
    services.log.debug(`backup tasks: ${host.name}: no snapshot task (${errorMessage(err)})`);
    return undefined;
  }
  const attached = entries
    .map((e) => ({ name: e.name, facts: volumeFacts(e.status) }))
    .filter((v) => v.facts.attachAs === 'persistent' && v.facts.attachedToVm && (!host.vmName || v.facts.attachedToVm === host.vmName));
  const vm = host.vmName ?? attached[0]?.facts.attachedToVm;
  const volumes = attached.filter((v) => v.facts.attachedToVm === vm).map((v) => v.name);
  return vm && volumes.length ? { volumes, vm, esxiHost: esxi.name } : undefined;
}
