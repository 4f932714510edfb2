import { InstallOutcome } from '../../../core/esx/vibFlow';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { installOrUpgrade } from './installVib';
import { VibCommandInput } from './vibSession';

/** "Upgrade VIB": remove esx-vmdkops-service, then install the picked VIB (vDVS's documented upgrade). */
export function upgradeVibCommand(ctx: CommandContext<VibCommandInput>, node?: EsxiNode): Promise<InstallOutcome | undefined> {
  return installOrUpgrade(ctx, node, 'upgrade');
}
