import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { ErrorCode, errorMessage, UserError } from '../../../core/errors';
import { VDVS_VIB_NAME } from '../../../core/esx/vibFile';
import { readVibStatus, VibStatus } from '../../../core/esx/vibFlow';
import { requestTimeoutMs, Services } from '../../services';
import { openEsxiShell } from '../../connections';
import { reachState } from '../../walkthroughState';
import { EsxiNode, EsxiMessageNode } from './esxiNode';
import { HostScope } from './scope';

/**
 * The "vDVS VIB" child of a standalone ESXi host. Without SSH it says how to set it up; with SSH it
 * reads `esxcli software vib list` and `ps -c` on expansion and shows the installed version (or "not
 * installed") and whether the vmdk_ops service runs, with install/upgrade/remove in the context menu.
 */
/** The id of a host's "vDVS VIB" node (with or without SSH: the same row). */
export function vibNodeId(hostNodeId: string): string {
  return `${hostNodeId}/vib`;
}

export function createVibNode(services: Services, host: EsxiHostConfig, parent: EsxiNode): EsxiNode {
  if (!host.ssh) {
    return new EsxiMessageNode(vibNodeId(parent.id), 'vDVS VIB', {
      parent,
      icon: 'package',
      description: 'SSH not set up',
      tooltip: 'The VIB status is read over SSH. Set up SSH to this host to see and install the vDVS VIB.',
      contextValue: 'vdvs.vib.noSsh',
      command: { title: 'Configure SSH…', command: 'vdvs.esxi.configureSsh', arguments: [{ hostId: host.id }] },
    });
  }
  return new VibNode(services, host, parent);
}

class VibNode implements EsxiNode {
  readonly id: string;
  readonly scope?: HostScope;

  constructor(
    private readonly services: Services,
    private readonly host: EsxiHostConfig,
    readonly parent: EsxiNode,
  ) {
    this.id = vibNodeId(parent.id);
    this.scope = parent.scope;
  }

  getTreeItem(): vscode.TreeItem {
    const ssh = this.host.ssh!;
    const item = new vscode.TreeItem('vDVS VIB', vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('package');
    item.description = `ssh ${ssh.user}@${ssh.host}:${ssh.port}`;
    item.tooltip = `${VDVS_VIB_NAME} on ${this.host.name}, read over SSH (${ssh.auth}; host key ${ssh.hostKeyFingerprint ?? 'not pinned'}).`;
    item.contextValue = 'vdvs.vib';
    return item;
  }

  async getChildren(): Promise<EsxiNode[]> {
    try {
      return vibStatusNodes(this, this.host, await readHostVibStatus(this.services, this.host));
    } catch (err) {
      this.services.log.error(`ESXi view: ${this.host.name}: VIB status: ${errorMessage(err)}`);
      return [vibErrorNode(this, this.host, err)];
    }
  }
}

/** The installed row carries the host's scope so context-menu commands know the host. */
class VibStatusNode extends EsxiMessageNode {
  constructor(
    id: string,
    label: string,
    options: ConstructorParameters<typeof EsxiMessageNode>[2],
    readonly scope?: HostScope,
  ) {
    super(id, label, options);
  }
}

/** Reads the status over a short-lived session (quiet: its lines go to the debug log). */
export async function readHostVibStatus(services: Services, host: EsxiHostConfig): Promise<VibStatus> {
  const session = await openEsxiShell(services, host, undefined, true);
  try {
    return await readVibStatus({ session, timeoutMs: requestTimeoutMs() });
  } finally {
    session.close();
  }
}

export function vibStatusNodes(parent: EsxiNode, host: EsxiHostConfig, status: VibStatus): EsxiNode[] {
  const hostId = host.id;
  const vib = status.installed;
  if (vib) reachState('vibInstalled');
  const versionNode = vib
    ? new VibStatusNode(
        `${parent.id}/installed`,
        `${vib.name} ${vib.version}`,
        {
          parent,
          icon: 'pass',
          description: `${vib.acceptanceLevel} · installed ${vib.installDate}`,
          tooltip: `${vib.name} ${vib.version} by ${vib.vendor}, ${vib.acceptanceLevel}, installed ${vib.installDate}. Upgrade or remove it from the context menu.`,
          contextValue: 'vdvs.vib.installed',
        },
        parent.scope,
      )
    : new VibStatusNode(
        `${parent.id}/absent`,
        'not installed',
        {
          parent,
          icon: 'circle-slash',
          description: 'Install vDVS VIB…',
          tooltip: `${VDVS_VIB_NAME} is not installed: Docker volumes of VMs on this host fail with errno=104 (vDVS #602). Click to install it.`,
          contextValue: 'vdvs.vib.absent',
          command: { title: 'Install vDVS VIB…', command: 'vdvs.vib.install', arguments: [{ hostId }] },
        },
        parent.scope,
      );
  if (!vib) return [versionNode];
  const running = status.processes.length > 0;
  const serviceNode = new VibStatusNode(
    `${parent.id}/service`,
    running ? 'vmdk_ops service running' : 'vmdk_ops service not running',
    {
      parent,
      icon: running ? 'play-circle' : 'warning',
      description: running ? `${status.processes.length} process(es)` : 'Restart hostd',
      tooltip: running ? status.processes.join('\n') : 'The vDVS service starts with hostd. Click to restart hostd on this host.',
      contextValue: running ? 'vdvs.vib.service' : 'vdvs.vib.service.stopped',
      command: running ? undefined : { title: 'Restart hostd', command: 'vdvs.vib.restartHostd', arguments: [{ hostId }] },
    },
    parent.scope,
  );
  return [versionNode, serviceNode];
}

const SSH_SETUP_CODES = new Set<ErrorCode>([
  'HOST_KEY_CHANGED',
  'HOST_KEY_UNKNOWN',
  'AUTH_FAILED',
  'AUTH_MISSING',
  'KEY_FILE',
  'KEY_PASSPHRASE',
  'NO_SSH',
]);

function vibErrorNode(parent: VibNode, host: EsxiHostConfig, err: unknown): EsxiNode {
  const code = err instanceof UserError ? err.code : undefined;
  const fix = code && SSH_SETUP_CODES.has(code);
  const action: vscode.Command = fix
    ? { title: 'Configure SSH…', command: 'vdvs.esxi.configureSsh', arguments: [{ hostId: host.id }] }
    : { title: 'Retry', command: 'vdvs.esxi.refresh', arguments: [parent] };
  return new VibStatusNode(
    `${parent.id}/error`,
    err instanceof UserError ? err.message : errorMessage(err),
    {
      parent,
      icon: 'error',
      description: `— ${action.title}`,
      tooltip: `${errorMessage(err)}\n\nClick: ${action.title}`,
      contextValue: 'vdvs.vib.error',
      command: action,
    },
    parent.scope,
  );
}
