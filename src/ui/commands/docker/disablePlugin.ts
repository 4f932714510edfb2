import { CLI } from '../../../core/docker/cliLine';
import { DockerError } from '../../../core/docker/dockerErrors';
import { disablePlugin as disable } from '../../../core/docker/plugin';
import { CommandContext } from '../../commandContext';
import { pluginTarget } from './pluginTarget';
import { DockerTargetNode, logCli, refreshHost, withCancellableProgress } from './target';

const FORCE = 'Disable with Force';

/** "Disable vSphere Plugin": plain first; when Docker says it is in use, offers force (with the risk spelled out). */
export async function disablePlugin(ctx: CommandContext, node?: DockerTargetNode): Promise<void> {
  const { services } = ctx;
  const target = await pluginTarget(ctx, node);
  if (!target) return;
  const { host, conn, plugin } = target;
  try {
    logCli(services, host, CLI.pluginDisable(plugin.name, false));
    await withCancellableProgress(`Disabling ${plugin.name} on ${host.name}`, (_r, signal) =>
      disable(conn, plugin.name, false, { signal }),
    );
  } catch (err) {
    if (!(err instanceof DockerError && err.code === 'PLUGIN_IN_USE')) throw err;
    const answer = await ctx.ui.confirm(
      `${plugin.name} is in use on ${host.name}.`,
      'Containers are using its volumes. Disabling with force leaves them without their storage until the plugin is enabled again.',
      [FORCE],
    );
    if (answer !== FORCE) return;
    logCli(services, host, CLI.pluginDisable(plugin.name, true));
    await withCancellableProgress(`Disabling ${plugin.name} on ${host.name} (force)`, (_r, signal) =>
      disable(conn, plugin.name, true, { signal }),
    );
  } finally {
    await refreshHost(services, host);
  }
}
