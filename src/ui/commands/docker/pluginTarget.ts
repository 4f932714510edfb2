import { DockerHostConfig } from '../../../core/config';
import { DockerConnection } from '../../../core/docker/connection';
import { DockerError } from '../../../core/docker/dockerErrors';
import { PluginStatus, pluginStatus } from '../../../core/docker/plugin';
import { pluginAlias } from '../../settings';
import { Services } from '../../services';
import { connect, DockerSeam, targetHost } from './target';

export type InstalledPlugin = Extract<PluginStatus, { installed: true }>;

/** The host, its connection and its installed vsphere plugin, for enable/disable/upgrade/remove. */
export async function pluginTarget(
  services: Services,
  node: { host?: DockerHostConfig } | undefined,
  seam: DockerSeam,
): Promise<{ host: DockerHostConfig; conn: DockerConnection; plugin: InstalledPlugin } | undefined> {
  const host = await targetHost(services, node, seam);
  if (!host) return undefined;
  const conn = await connect(services, host);
  const plugin = await pluginStatus(conn, pluginAlias());
  if (!plugin.installed)
    throw new DockerError(
      `The vsphere plugin is not installed on ${host.name}.`,
      'Install it first (vDVS: Install vSphere Plugin…).',
      'PLUGIN_NOT_INSTALLED',
    );
  return { host, conn, plugin };
}
