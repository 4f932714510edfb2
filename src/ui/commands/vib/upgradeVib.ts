import { InstallOutcome } from '../../../core/esx/vibFlow';
import { Services } from '../../services';
import { installOrUpgrade } from './installVib';

/** "Upgrade VIB": remove esx-vmdkops-service, then install the picked VIB (vDVS's documented upgrade). */
export function upgradeVibCommand(services: Services, arg?: unknown): Promise<InstallOutcome | undefined> {
  return installOrUpgrade(services, arg, 'upgrade');
}
