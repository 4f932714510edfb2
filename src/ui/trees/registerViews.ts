import { Services } from '../services';
import { createDockerHostsView } from './dockerHostsView';
import { createEsxiHostsView } from './esxiHostsView';
import { createVolumesView } from './volumesView';

/** Creates the three views of the `vdvs` container. */
export function registerViews(services: Services): void {
  for (const create of [createEsxiHostsView, createDockerHostsView, createVolumesView]) {
    services.context.subscriptions.push(create(services));
  }
}
