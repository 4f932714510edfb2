import { errorMessage } from '../../../core/errors';
import { runVmdkopsAdmin } from '../../../core/esx/vmdkopsAdmin';
import { parsePolicyLs, POLICY_LS_ARGS, VsanPolicy } from '../../../core/vdvs/adminPolicies';
import { EsxiDatastores, mergeDatastoreChoices, readDatastoreChoices } from '../../../core/vdvs/datastoreChoices';
import { esxiSessions, esxiShells } from '../../connections';
import { requestTimeoutMs, Services } from '../../services';
import { DatastoreOffer } from './createVolumeWizard';

/**
 * The datastores the create-volume wizard offers for a Docker host: from the ESXi host or vCenter
 * set as running its VM, else from every configured one, through the sessions the ESXi Hosts view
 * shares. With the VM's name known, only the datastores its ESXi host mounts. One that does not
 * answer is named in the step; the others still count.
 */
export async function datastoreOffer(services: Services, dockerHostId: string, signal?: AbortSignal): Promise<DatastoreOffer> {
  const docker = services.hosts.get('docker', dockerHostId);
  const all = services.hosts.list('esxi');
  const own = all.filter((e) => e.id === docker?.esxiHostId);
  const esxiHosts = own.length ? own : all;
  if (!esxiHosts.length)
    return {
      datastores: [],
      note: "Datastore: no ESXi host is configured, so type its name or pick the Docker host VM's own (add the ESXi host to choose from a list)",
    };
  const sessions = esxiSessions(services);
  const failed: string[] = [];
  const sides = await Promise.all(
    esxiHosts.map(async (e): Promise<EsxiDatastores | undefined> => {
      try {
        // the login is shared with the views: the wizard's signal stops only its own reads
        return await readDatastoreChoices(await sessions.get(e.id), docker?.vmName, signal);
      } catch (err) {
        services.log.warn(`Create volume: datastores of ${e.name}: ${errorMessage(err)}`);
        failed.push(`${e.name}: ${errorMessage(err)}`);
        return undefined;
      }
    }),
  );
  const merged = mergeDatastoreChoices(sides.filter((s): s is EsxiDatastores => !!s));
  const note = failed.length ? `Datastore for the VMDK, or type a name (not read from ${failed.join('; ')})` : undefined;
  return { datastores: merged.datastores, vmDatastore: merged.vmDatastore, note };
}

/**
 * The vSAN policies (`vmdkops_admin.py policy ls`) of the ESXi host with SSH that runs a Docker host's
 * VM (else of the first one with SSH); undefined when none has SSH, so the wizard asks for a name.
 */
export async function vsanPolicies(services: Services, dockerHostId: string): Promise<VsanPolicy[] | undefined> {
  const docker = services.hosts.get('docker', dockerHostId);
  const withSsh = services.hosts.list('esxi').filter((e) => e.ssh);
  const host = withSsh.find((e) => e.id === docker?.esxiHostId) ?? withSsh[0];
  if (!host) return undefined;
  return parsePolicyLs(await esxiShells(services).use(host, (s) => runVmdkopsAdmin(s, POLICY_LS_ARGS, { timeoutMs: requestTimeoutMs() })));
}
