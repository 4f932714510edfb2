import { UserError } from '../errors';
import { isOptionKey, OPTION_KEYS, VdvsOptions } from '../vdvs/options';
import { validateCreate } from '../vdvs/validate';
import { Manifest } from './manifest';
import { Reporter } from './reporter';

/**
 * The `-o` options of the vsphere volume an archive restore creates, from the backup's manifest,
 * which anyone who can write to the backup folder could have forged (`local` with `type=none,
 * o=bind, device=/root/.ssh` mounts a host folder). Only vDVS options pass, and only values vDVS
 * accepts; any other key refuses the restore, naming it. `clone-from` is dropped: the restore fills
 * the volume itself, and a clone would copy another volume's data into it first.
 */
export function restoreOptions(manifest: Manifest, backupDir: string, volume: string, reporter: Reporter): Record<string, string> {
  const given = Object.entries(manifest.volume.options).filter(([, v]) => typeof v === 'string');
  const foreign = given.map(([k]) => k).filter((k) => !isOptionKey(k));
  if (foreign.length) {
    const [first, ...more] = foreign.map((k) => `'${k}'`);
    throw new UserError(
      `The backup in ${backupDir} asks for volume option ${first}${more.length ? ` (and ${more.join(', ')})` : ''}, which is not a vDVS option: a restore creates only vsphere volumes (options ${OPTION_KEYS.join(', ')}).`,
      "If it is a backup of another driver's volume, create the volume yourself and restore into it as an existing volume.",
      'UNSAFE_BACKUP',
    );
  }
  const options: VdvsOptions = {};
  for (const [k, v] of given) {
    if (k === 'clone-from')
      reporter.warn(`The backup's volume was a clone of ${v}; ${volume} is created empty (not cloned) and filled from the backup.`);
    else options[k] = v;
  }
  const refused = validateCreate({ name: volume, options });
  if (refused)
    throw new UserError(
      `The backup in ${backupDir} asks for volume options that vDVS refuses for ${volume}: ${refused}`,
      'Create the volume yourself and restore into it as an existing volume.',
      'BAD_OPTIONS',
    );
  return options as Record<string, string>;
}
