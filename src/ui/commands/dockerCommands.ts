import { CommandTable } from './commandTable';
import { addHost } from './docker/addHost';
import { removeContainer, stopContainer } from './docker/containerActions';
import { copyCliLine } from './docker/copyCliLine';
import { disablePlugin } from './docker/disablePlugin';
import { enablePlugin } from './docker/enablePlugin';
import { refresh, removeHost, showAllDrivers } from './docker/hostActions';
import { importContexts } from './docker/importContexts';
import { installPlugin } from './docker/installPlugin';
import { removePlugin } from './docker/removePlugin';
import { runTestContainer } from './docker/runTestContainer';
import { upgradePlugin } from './docker/upgradePlugin';

/**
 * The commands of the Docker Hosts view. Each takes the tree node (if any) and, last, an optional
 * input ({ prompter, hostId }, see ui/commandArgs.ts) so tests and automation can answer the dialogs.
 */
export const DOCKER_COMMANDS: CommandTable = {
  'vdvs.docker.addHost': addHost,
  'vdvs.docker.importContexts': importContexts,
  'vdvs.docker.removeHost': removeHost,
  'vdvs.docker.refresh': refresh,
  'vdvs.docker.showAllVolumeDrivers': showAllDrivers(true),
  'vdvs.docker.showVsphereVolumesOnly': showAllDrivers(false),
  'vdvs.docker.copyCliLine': copyCliLine,
  'vdvs.plugin.install': installPlugin,
  'vdvs.plugin.enable': enablePlugin,
  'vdvs.plugin.disable': disablePlugin,
  'vdvs.plugin.upgrade': upgradePlugin,
  'vdvs.plugin.remove': removePlugin,
  'vdvs.container.runTest': runTestContainer,
  'vdvs.container.stop': stopContainer,
  'vdvs.container.remove': removeContainer,
};
