import { CLI } from '../../../core/docker/cliLine';
import { enablePlugin as enable } from '../../../core/docker/plugin';
import { Services } from '../../services';
import { pluginTarget } from './pluginTarget';
import { logCli, nodeOf, refreshHost, seamOf, withCancellableProgress } from './target';

/** "Enable vSphere Plugin". */
export async function enablePlugin(services: Services, ...args: unknown[]): Promise<void> {
  const target = await pluginTarget(services, nodeOf(args), seamOf(args));
  if (!target) return;
  logCli(services, target.host, CLI.pluginEnable(target.plugin.name));
  await withCancellableProgress(`Enabling ${target.plugin.name} on ${target.host.name}`, (_r, signal) =>
    enable(target.conn, target.plugin.name, { signal }),
  );
  await refreshHost(services, target.host);
}
