import { DockerHostConfig } from '../../../core/config';
import { CommandContext } from '../../commandContext';
import { DockerConnection } from '../../../core/docker/connection';
import { DockerError } from '../../../core/docker/dockerErrors';
import { PluginStatus, pluginStatus } from '../../../core/docker/plugin';
import { pluginAlias } from '../../settings';
import { connect, DockerTargetNode, targetHost } from './target';

export type InstalledPlugin = Extract<PluginStatus, { installed: true }>;

/** The host, its connection and its installed vsphere plugin, for enable/disable/upgrade/remove. */
export async function pluginTarget(
  ctx: CommandContext,
  node: DockerTargetNode | undefined,
): Promise<{ host: DockerHostConfig; conn: DockerConnection; plugin: InstalledPlugin } | undefined> {
  const host = await targetHost(ctx, node);
  if (!host) return undefined;
  const conn = await connect(ctx.services, host);
  const plugin = await pluginStatus(conn, pluginAlias());
  if (!plugin.installed)
    throw new DockerError(
      `The vsphere plugin is not installed on ${host.name}.`,
      'Install it first (vDVS: Install vSphere Plugin…).',
      'PLUGIN_NOT_INSTALLED',
    );
  return { host, conn, plugin };
}
