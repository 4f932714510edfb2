import { comingSoon } from './comingSoon';
import { CommandTable } from './commandTable';

/** The esxi commands. */
export const ESXI_COMMANDS: CommandTable = {
  'vdvs.esxi.addHost': comingSoon('Adding ESXi hosts'),
  'vdvs.esxi.refresh': comingSoon('The ESXi Hosts view'),
};
