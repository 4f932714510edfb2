import { comingSoon } from './comingSoon';
import { CommandTable } from './commandTable';

/** The volume commands. */
export const VOLUME_COMMANDS: CommandTable = {
  'vdvs.volume.create': comingSoon('Creating volumes'),
  'vdvs.volumes.refresh': comingSoon('The Volumes view'),
};
