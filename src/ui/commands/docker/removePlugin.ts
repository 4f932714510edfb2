import { CLI } from '../../../core/docker/cliLine';
import { removePlugin as remove } from '../../../core/docker/plugin';
import { CommandContext } from '../../commandContext';
import { pluginTarget } from './pluginTarget';
import { DockerTargetNode, logCli, refreshHost, withCancellableProgress } from './target';

const REMOVE = 'Remove Plugin';

/** "Remove vSphere Plugin": confirmed, and refused by the core while Docker lists volumes of it. */
export async function removePlugin(ctx: CommandContext, node?: DockerTargetNode): Promise<void> {
  const { services } = ctx;
  const target = await pluginTarget(ctx, node);
  if (!target) return;
  const { host, conn, plugin } = target;
  const answer = await ctx.ui.confirm(
    `Remove ${plugin.name} from ${host.name}?`,
    'To change its version use Upgrade instead: removing and installing again loses the volumes (vDVS #1972, #2061).',
    [REMOVE],
  );
  if (answer !== REMOVE) return;
  logCli(services, host, CLI.pluginRemove(plugin.name));
  try {
    await withCancellableProgress(`Removing ${plugin.name} from ${host.name}`, (_r, signal) => remove(conn, plugin.name, { signal }));
  } finally {
    await refreshHost(services, host);
  }
}
