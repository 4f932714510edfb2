import { UserError } from '../errors';
import { RunOptions, SshSession } from '../ssh/shellSession';

/** Where the vDVS VIB installs its admin CLI (esx_service/Makefile: ESX_LOC/bin, ESX_LOC = /usr/lib/vmware/vmdkops). */
export const VMDKOPS_ADMIN = '/usr/lib/vmware/vmdkops/bin/vmdkops_admin.py';

/**
 * Runs `vmdkops_admin.py <args>` in the ESXi shell and returns what it printed. vDVS's CLI fails with
 * a text on stderr (sys.exit(message): exit 1) or its usage (exit 3, CLI_ERR_ARGS_PARSE); that text
 * is the error's message. Without the VIB the shell says the file is not found (exit 127).
 */
export async function runVmdkopsAdmin(session: SshSession, args: readonly string[], options: RunOptions): Promise<string> {
  const r = await session.run([VMDKOPS_ADMIN, ...args], options);
  if (r.code === 0) return r.stdout;
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join('\n');
  if (r.code === 127) {
    throw new UserError(
      `vmdkops_admin.py is not on ${session.target.host}: ${text}`,
      'Install the vDVS VIB on the ESXi host (Install VIB…).',
      'VMDKOPS_ADMIN',
    );
  }
  throw new UserError(`vmdkops_admin.py on ${session.target.host} failed (exit ${r.code}): ${text}`, undefined, 'VMDKOPS_ADMIN');
}
