import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { resolveHost } from './hostArg';
import { hostForm } from './hostForm';

/** Edits URL, user, name (and password, kept when unchanged); re-checks and re-pins the certificate. */
export async function editHost(ctx: CommandContext, node?: EsxiNode): Promise<void> {
  const host = await resolveHost(ctx, node, 'Host to edit');
  await hostForm(ctx.services, ctx.ui, host);
}
