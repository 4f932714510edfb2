import { CommandTable } from './commandTable';
import { configureSsh } from './vib/configureSsh';
import { installVibCommand } from './vib/installVib';
import { removeVibCommand } from './vib/removeVib';
import { restartHostdCommand } from './vib/restartHostd';
import { showVibStatusCommand } from './vib/showVibStatus';
import { upgradeVibCommand } from './vib/upgradeVib';

/** The vDVS VIB commands: SSH setup, install/upgrade/remove over SSH, hostd restart, status. */
export const VIB_COMMANDS: CommandTable = {
  'vdvs.esxi.configureSsh': configureSsh,
  'vdvs.vib.install': installVibCommand,
  'vdvs.vib.upgrade': upgradeVibCommand,
  'vdvs.vib.remove': removeVibCommand,
  'vdvs.vib.restartHostd': restartHostdCommand,
  'vdvs.vib.showStatus': showVibStatusCommand,
};
