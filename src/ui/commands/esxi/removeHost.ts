import { esxiSessions } from '../../connections';
import { CommandContext, CommandInput } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { resolveHost } from './hostArg';

/**
 * Removes a host and its stored secrets after a confirmation (not asked when the argument says
 * `confirmed: true`, as the VIB commands take it, for automation and tests).
 */
export async function removeHost(ctx: CommandContext<CommandInput & { confirmed?: boolean }>, node?: EsxiNode): Promise<void> {
  const { services, ui, input } = ctx;
  const host = await resolveHost(ctx, node, 'Host to remove');
  const remove = 'Remove';
  const pick =
    input.confirmed === true
      ? remove
      : await ui.confirm(
          `Remove ${host.name} (${host.url}) from the ESXi Hosts view?`,
          'Its stored password and SSH secrets are deleted too; nothing changes on the host.',
          [remove],
        );
  if (pick !== remove) return;
  await esxiSessions(services).drop(host.id);
  await services.hosts.remove('esxi', host.id);
  services.log.info(`ESXi host ${host.name} removed`);
}
