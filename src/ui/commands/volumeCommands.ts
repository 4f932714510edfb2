import { volumesTree } from '../trees/volumesView';
import { CommandTable } from './commandTable';
import { copyCliLine } from './volume/copyCliLine';
import { createVolume } from './volume/createVolume';
import { inspectVolume } from './volume/inspectVolume';
import { removeVolume } from './volume/removeVolume';
import { revealVmdk } from './volume/revealVmdk';
import { setVolumeOptions } from './volume/setVolumeOptions';

/** The volume commands and the Volumes view's own. */
export const VOLUME_COMMANDS: CommandTable = {
  'vdvs.volume.create': createVolume,
  'vdvs.volume.inspect': inspectVolume,
  'vdvs.volume.remove': removeVolume,
  'vdvs.volume.copyCliLine': copyCliLine,
  'vdvs.volume.revealVmdk': revealVmdk,
  'vdvs.volume.setOptions': setVolumeOptions,
  'vdvs.volumes.refresh': ({ services }) => volumesTree(services).refresher.refresh(),
  'vdvs.volumes.groupByHost': ({ services }) => volumesTree(services).setGroupBy('host'),
  'vdvs.volumes.groupByDatastore': ({ services }) => volumesTree(services).setGroupBy('datastore'),
};
