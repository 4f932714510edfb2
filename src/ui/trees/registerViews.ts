import * as vscode from 'vscode';
import { Services } from '../services';
import { createDockerHostsView } from './dockerHostsView';
import { createEsxiHostsView } from './esxiHostsView';
import { createVolumesView } from './volumesView';

export const VIEW_IDS = ['vdvs.esxiHosts', 'vdvs.dockerHosts', 'vdvs.volumes'] as const;
export type ViewId = (typeof VIEW_IDS)[number];
/** The TreeViews the activation shell created, by view id. */
export type Views = Record<ViewId, vscode.TreeView<unknown>>;
export type ViewProviders = Record<ViewId, vscode.TreeDataProvider<unknown>>;

/** Fills the three views of the `vdvs` container; returns their data providers for the shell to delegate to. */
export function registerViews(services: Services, views: Views): ViewProviders {
  return {
    'vdvs.esxiHosts': createEsxiHostsView(services, views['vdvs.esxiHosts']),
    'vdvs.dockerHosts': createDockerHostsView(services, views['vdvs.dockerHosts']),
    'vdvs.volumes': createVolumesView(services, views['vdvs.volumes']),
  };
}
