import { CLI } from '../../../core/docker/cliLine';
import { removePlugin as remove } from '../../../core/docker/plugin';
import { Services } from '../../services';
import { pluginTarget } from './pluginTarget';
import { logCli, nodeOf, prompterOf, refreshHost, seamOf, withCancellableProgress } from './target';

const REMOVE = 'Remove Plugin';

/** "Remove vSphere Plugin": confirmed, and refused by the core while Docker lists volumes of it. */
export async function removePlugin(services: Services, ...args: unknown[]): Promise<void> {
  const seam = seamOf(args);
  const target = await pluginTarget(services, nodeOf(args), seam);
  if (!target) return;
  const { host, conn, plugin } = target;
  const answer = await prompterOf(seam).confirm(
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
