import { comingSoon } from './comingSoon';
import { CommandTable } from './commandTable';

/** The docker commands. */
export const DOCKER_COMMANDS: CommandTable = {
  'vdvs.docker.addHost': comingSoon('Adding Docker hosts'),
  'vdvs.docker.importContexts': comingSoon('Importing Docker contexts'),
  'vdvs.docker.refresh': comingSoon('The Docker Hosts view'),
  'vdvs.plugin.install': comingSoon('Installing the vSphere plugin'),
};
