import { CommandTable } from './commandTable';
import { addHost } from './esxi/addHost';
import { copyDatastorePath } from './esxi/copyDatastorePath';
import { copyGovcCommand } from './esxi/copyGovcCommand';
import { editHost } from './esxi/editHost';
import { reenterPassword } from './esxi/reenterPassword';
import { refresh } from './esxi/refresh';
import { removeHost } from './esxi/removeHost';
import { showDetails } from './esxi/showDetails';

/** The commands of the ESXi Hosts view. */
export const ESXI_COMMANDS: CommandTable = {
  'vdvs.esxi.addHost': addHost,
  'vdvs.esxi.editHost': editHost,
  'vdvs.esxi.removeHost': removeHost,
  'vdvs.esxi.reenterPassword': reenterPassword,
  'vdvs.esxi.refresh': refresh,
  'vdvs.esxi.copyDatastorePath': copyDatastorePath,
  'vdvs.esxi.showDetails': showDetails,
  'vdvs.esxi.copyGovcCommand': copyGovcCommand,
};
