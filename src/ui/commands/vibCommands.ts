import { comingSoon } from './comingSoon';
import { CommandTable } from './commandTable';

/** The vib commands. */
export const VIB_COMMANDS: CommandTable = {
  'vdvs.vib.install': comingSoon('Installing the vDVS VIB'),
};
