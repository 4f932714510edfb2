import { CLI } from '../../../core/docker/cliLine';
import { enablePlugin as enable } from '../../../core/docker/plugin';
import { CommandContext } from '../../commandContext';
import { pluginTarget } from './pluginTarget';
import { DockerTargetNode, logCli, refreshHost, withCancellableProgress } from './target';

/** "Enable vSphere Plugin". */
export async function enablePlugin(ctx: CommandContext, node?: DockerTargetNode): Promise<void> {
  const { services } = ctx;
  const target = await pluginTarget(ctx, node);
  if (!target) return;
  logCli(services, target.host, CLI.pluginEnable(target.plugin.name));
  await withCancellableProgress(`Enabling ${target.plugin.name} on ${target.host.name}`, (_r, signal) =>
    enable(target.conn, target.plugin.name, { signal }),
  );
  await refreshHost(services, target.host);
}
