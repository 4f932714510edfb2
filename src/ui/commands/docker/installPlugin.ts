import { CLI } from '../../../core/docker/cliLine';
import { installPlugin as install, PluginStatus, pluginPrivileges } from '../../../core/docker/plugin';
import { CommandContext } from '../../commandContext';
import { confirmPrivileges } from './privileges';
import { pluginAlias, pluginEnv, pluginReference } from '../../settings';
import { connect, DockerTargetNode, logCli, refreshHost, targetHost, withCancellableProgress } from './target';

/**
 * "Install vSphere Plugin…": reads the privileges of vdvs.plugin.reference, shows them in a modal,
 * and only on accept pulls it under the alias `vsphere` with vdvs.plugin.env, progress from the pull
 * stream, then enables it. Resolves with the plugin status (for automation).
 */
export async function installPlugin(ctx: CommandContext, node?: DockerTargetNode): Promise<PluginStatus | undefined> {
  const { services } = ctx;
  const host = await targetHost(ctx, node);
  if (!host) return undefined;
  const reference = pluginReference();
  const env = pluginEnv();
  const alias = pluginAlias();
  const conn = await connect(services, host);
  const privileges = await pluginPrivileges(conn, reference);
  await confirmPrivileges(ctx.ui, reference, privileges);
  logCli(services, host, CLI.pluginInstall(reference, alias, env));
  const status = await withCancellableProgress(`Installing ${reference} on ${host.name}`, (report, signal) =>
    install(conn, { reference, alias, acceptedPrivileges: privileges, env, signal, onProgress: (p) => report(p.message) }),
  );
  services.log.info(`vsphere plugin installed on ${host.name}: ${status.installed ? `${status.name} ${status.version}` : '?'}`);
  await refreshHost(services, host);
  return status;
}
