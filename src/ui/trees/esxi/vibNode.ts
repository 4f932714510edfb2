import { EsxiHostConfig } from '../../../core/config';
import { Services } from '../../services';
import { EsxiNode, MessageNode } from './esxiNode';

/**
 * The "vDVS VIB" child of a host node. Until SSH to the host is configured it only says how to set
 * it up; the VIB feature owns this file and replaces it with the real status.
 */
export function createVibNode(_services: Services, host: EsxiHostConfig, parent: EsxiNode): EsxiNode {
  return new MessageNode(`${parent.id}/vib`, 'vDVS VIB', {
    parent,
    icon: 'package',
    description: 'SSH not set up',
    tooltip: 'The VIB status is read over SSH. Set up SSH to this host to see and install the vDVS VIB.',
    contextValue: 'vdvs.vib.noSsh',
    command: { title: 'Configure SSH…', command: 'vdvs.esxi.configureSsh', arguments: [{ hostId: host.id }] },
  });
}
