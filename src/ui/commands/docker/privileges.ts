import { PluginPrivilege, privilegesRefused } from '../../../core/docker/plugin';
import { Prompter } from '../../prompter';

export const ACCEPT_PRIVILEGES = 'Accept and Install';

/**
 * Shows what the plugin asks for in a modal and returns only on an explicit accept; refusing ends
 * the command with PRIVILEGES_REFUSED (nothing is pulled).
 */
export async function confirmPrivileges(
  prompter: Prompter,
  reference: string,
  privileges: PluginPrivilege[],
  action = ACCEPT_PRIVILEGES,
): Promise<void> {
  const lines = privileges.length
    ? privileges.map((p) => `• ${p.Name}: ${p.Value.join(', ') || '(any)'}${p.Description ? ` — ${p.Description}` : ''}`)
    : ['(none)'];
  const answer = await prompter.confirm(
    `The plugin ${reference} asks for these privileges on the Docker host:`,
    `${lines.join('\n')}\n\nvDVS needs them to attach VMDKs to the Docker VM and mount them.`,
    [action],
  );
  if (answer !== action) throw privilegesRefused(reference);
}
