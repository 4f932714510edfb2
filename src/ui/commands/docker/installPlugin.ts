import { CLI } from '../../../core/docker/cliLine';
import { installPlugin as install, PluginStatus, pluginPrivileges } from '../../../core/docker/plugin';
import { Services } from '../../services';
import { confirmPrivileges } from './privileges';
import { pluginAlias, pluginEnv, pluginReference } from '../../settings';
import { connect, logCli, nodeOf, prompterOf, refreshHost, seamOf, targetHost, withCancellableProgress } from './target';

/**
 * "Install vSphere Plugin…": reads the privileges of vdvs.plugin.reference, shows them in a modal,
 * and only on accept pulls it under the alias `vsphere` with vdvs.plugin.env, progress from the pull
 * stream, then enables it. Resolves with the plugin status (for automation).
 */
export async function installPlugin(services: Services, ...args: unknown[]): Promise<PluginStatus | undefined> {
  const seam = seamOf(args);
  const host = await targetHost(services, nodeOf(args), seam);
  if (!host) return undefined;
  const reference = pluginReference();
  const env = pluginEnv();
  const alias = pluginAlias();
  const conn = await connect(services, host);
  const privileges = await pluginPrivileges(conn, reference);
  await confirmPrivileges(prompterOf(seam), reference, privileges);
  logCli(services, host, CLI.pluginInstall(reference, alias, env));
  const status = await withCancellableProgress(`Installing ${reference} on ${host.name}`, (report, signal) =>
    install(conn, { reference, alias, acceptedPrivileges: privileges, env, signal, onProgress: (p) => report(p.message) }),
  );
  services.log.info(`vsphere plugin installed on ${host.name}: ${status.installed ? `${status.name} ${status.version}` : '?'}`);
  await refreshHost(services, host);
  return status;
}
