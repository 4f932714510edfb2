import { CLI } from '../../../core/docker/cliLine';
import { PluginStatus, pluginPrivileges, upgradePlugin as upgrade } from '../../../core/docker/plugin';
import { CommandContext } from '../../commandContext';
import { pluginTarget } from './pluginTarget';
import { pluginReference } from '../../settings';
import { confirmPrivileges } from './privileges';
import { DockerTargetNode, logCli, refreshHost, withCancellableProgress } from './target';

/**
 * "Upgrade vSphere Plugin…": the vDVS way — disable -f, `plugin upgrade`, enable — never remove +
 * install (vDVS #1972, #2061). Asks for the new reference and shows its privileges first.
 */
export async function upgradePlugin(ctx: CommandContext, node?: DockerTargetNode): Promise<PluginStatus | undefined> {
  const { services } = ctx;
  const prompter = ctx.ui;
  const target = await pluginTarget(ctx, node);
  if (!target) return undefined;
  const { host, conn, plugin } = target;
  const reference = await prompter.input({
    id: 'upgradeReference',
    title: `Upgrade ${plugin.name} (now ${plugin.reference})`,
    step: 1,
    totalSteps: 1,
    prompt: 'Plugin image to upgrade to (repository:tag)',
    value: pluginReference(),
    validate: (v) => (/^\S+$/.test(v.trim()) ? undefined : 'Enter an image reference such as vmware/vsphere-storage-for-docker:0.21.2'),
  });
  if (typeof reference !== 'string') return undefined;
  const privileges = await pluginPrivileges(conn, reference.trim());
  await confirmPrivileges(prompter, reference.trim(), privileges, 'Accept and Upgrade');
  logCli(services, host, CLI.pluginUpgrade(plugin.name, reference.trim()));
  try {
    return await withCancellableProgress(`Upgrading ${plugin.name} on ${host.name}`, (report, signal) =>
      upgrade(conn, plugin.name, {
        reference: reference.trim(),
        acceptedPrivileges: privileges,
        signal,
        onProgress: (p) => report(p.message),
      }),
    );
  } finally {
    await refreshHost(services, host);
  }
}
