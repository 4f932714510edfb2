import { Services } from '../../services';
import { HostArg, resolveHost } from './hostArg';
import { hostForm } from './hostForm';

/** Edits URL, user, name (and password, kept when unchanged); re-checks and re-pins the certificate. */
export async function editHost(services: Services, arg?: HostArg): Promise<void> {
  const host = await resolveHost(services, arg, 'Host to edit');
  await hostForm(services, host);
}
