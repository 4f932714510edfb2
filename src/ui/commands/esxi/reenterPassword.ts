import { esxiSessions } from '../../connections';
import { CommandContext, CommandInput } from '../../commandContext';
import { esxiHostsTree } from '../../trees/esxiHostsView';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { resolveHost } from './hostArg';
import { passwordCheck } from './hostForm';

/**
 * Stores a new password for a host (after "wrong password") and reloads it: a typed one is tried first,
 * a wrong one told in the box. `password` is for automation (stored as given).
 */
export async function reenterPassword(ctx: CommandContext<CommandInput & { password?: string }>, node?: EsxiNode): Promise<void> {
  const { services, ui, input } = ctx;
  const host = await resolveHost(ctx, node, 'Host whose password to re-enter');
  const password =
    input.password ??
    (await ui.input({
      id: 'password',
      title: `Password for ${host.user}`,
      step: 1,
      totalSteps: 1,
      prompt: `Password of ${host.user} on ${host.name} (kept in VS Code secret storage)`,
      value: '',
      password: true,
      validate: () => undefined,
      check: passwordCheck(host),
    }));
  if (typeof password !== 'string') return;
  await services.hosts.setSecret('esxi', host.id, 'password', password);
  await esxiSessions(services).drop(host.id);
  esxiHostsTree(services).refreshHost(host.id);
}
