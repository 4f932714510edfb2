import { CommandTable } from './commandTable';
import { connectLab } from './lab/connectLab';

/** The commands of the local lab (shown only while one runs). */
export const LAB_COMMANDS: CommandTable = {
  'vdvs.lab.connect': connectLab,
};
