import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { createVsphereVolume } from '../../../core/vdvs/inventory';
import { CommandContext } from '../../commandContext';
import { volumesTree } from '../../trees/volumesView';
import { runCreateVolumeWizard } from './createVolumeWizard';
import { withDocker } from '../../connections';
import { datastoreOffer, vsanPolicies } from './wizardDatastores';

/**
 * "Create Volume…": the wizard, then the create with progress, then the new node selected.
 * The questions go through the seam (`ui`). Resolves with the name created.
 */
export async function createVolume({ services, ui }: CommandContext): Promise<string | undefined> {
  const hosts = services.hosts.list('docker');
  if (!hosts.length)
    throw new UserError('No Docker host is configured.', 'Add the Docker host VM first (Docker Hosts view, Add Docker Host…).', 'NO_HOST');
  const tree = volumesTree(services);
  const snapshot = tree?.current ?? (await tree?.refresh());
  // the datastore reads stop when the wizard ends
  const reads = new AbortController();
  const result = await runCreateVolumeWizard(
    {
      hosts: hosts.map((h) => ({ id: h.id, name: h.name, endpoint: h.endpoint })),
      datastores: (hostId) => datastoreOffer(services, hostId, reads.signal),
      vsanPolicies: (hostId) =>
        vsanPolicies(services, hostId).catch((err: unknown) => {
          services.log.warn(`Create volume: vSAN policies: ${(err as Error).message}`);
          return undefined;
        }),
      volumesOf: (hostId) =>
        (snapshot?.rows ?? [])
          .filter((r) => r.docker.some((d) => d.hostId === hostId))
          .map((r) => r.docker.find((d) => d.hostId === hostId)!.name),
    },
    ui,
    async (line) => {
      await vscode.env.clipboard.writeText(line);
    },
  ).finally(() => reads.abort());
  if (!result) return undefined;
  services.log.info(`create volume: ${result.commandLine}`);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Creating ${result.name}…`, cancellable: true },
    async (_p, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      await withDocker(services, result.hostId, (conn) =>
        createVsphereVolume(conn, result.name, result.options, {}, { signal: abort.signal }),
      );
    },
  );
  if (tree) {
    await tree.refresh();
    await tree.reveal(result.name);
  }
  return result.name;
}
