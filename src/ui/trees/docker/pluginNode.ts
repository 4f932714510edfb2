import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { errorMessage, UserError } from '../../../core/errors';
import { HostSnapshot } from '../../../core/docker/hostSnapshot';
import { DockerMessageNode, DockerNode } from './dockerNode';
import { VolumeNode } from './volumeNode';

/** The vsphere plugin of a host: `vdvs.docker.plugin.notInstalled|disabled|enabled` → its volumes. */
export class PluginNode implements DockerNode {
  readonly id: string;
  constructor(
    readonly parent: DockerNode,
    readonly snapshot: HostSnapshot,
  ) {
    this.id = `${parent.id}/plugin`;
  }

  get host(): DockerHostConfig {
    return this.parent.host;
  }

  /** The plugin's name (`vsphere:latest`) when installed. */
  get pluginName(): string | undefined {
    return this.snapshot.plugin.installed ? this.snapshot.plugin.name : undefined;
  }

  getTreeItem(): vscode.TreeItem {
    const p = this.snapshot.plugin;
    const item = new vscode.TreeItem(
      'vsphere plugin',
      p.installed ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    if (!p.installed) {
      item.description = 'not installed';
      item.iconPath = new vscode.ThemeIcon('plug', new vscode.ThemeColor('disabledForeground'));
      item.tooltip = 'The vSphere Storage for Docker plugin is not installed on this host. Install it to create vSphere volumes.';
      item.contextValue = 'vdvs.docker.plugin.notInstalled';
      item.command = { title: 'Install vSphere Plugin…', command: 'vdvs.plugin.install', arguments: [this] };
      return item;
    }
    item.description = `${p.enabled ? 'enabled' : 'disabled'} · ${p.version} · ${p.name}`;
    item.iconPath = new vscode.ThemeIcon(
      'plug',
      p.enabled ? new vscode.ThemeColor('testing.iconPassed') : new vscode.ThemeColor('disabledForeground'),
    );
    item.tooltip = new vscode.MarkdownString(
      [
        `**${p.name}** ${p.enabled ? 'enabled' : 'disabled'}`,
        `Reference: \`${p.reference}\``,
        `Version: ${p.version}`,
        `Id: ${p.id.slice(0, 12)}`,
        p.env.length ? `Env: ${p.env.map((e) => `\`${e}\``).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    item.contextValue = `vdvs.docker.plugin.${p.enabled ? 'enabled' : 'disabled'}`;
    return item;
  }

  async getChildren(): Promise<DockerNode[]> {
    const { plugin, vsphereVolumes, volumesError, containers } = this.snapshot;
    if (!plugin.installed) return [];
    if (!plugin.enabled) {
      return [
        new DockerMessageNode(this, `${this.id}/disabled`, 'Disabled: its volumes cannot be listed', {
          icon: 'debug-pause',
          command: { title: 'Enable', command: 'vdvs.plugin.enable', arguments: [this] },
        }),
      ];
    }
    if (volumesError) {
      return [
        new DockerMessageNode(
          this,
          `${this.id}/error`,
          volumesError instanceof UserError ? volumesError.message : errorMessage(volumesError),
          {
            icon: 'error',
            tooltip: errorMessage(volumesError),
            command: { title: 'Retry', command: 'vdvs.docker.refresh', arguments: [this] },
          },
        ),
      ];
    }
    if (!vsphereVolumes?.length) {
      return [
        new DockerMessageNode(this, `${this.id}/empty`, 'No vsphere volumes yet', {
          icon: 'circle-slash',
          command: { title: 'Create Volume…', command: 'vdvs.volume.create', arguments: [] },
        }),
      ];
    }
    return vsphereVolumes.map((v) => new VolumeNode(this, v, containers.get(v.name) ?? [], true));
  }
}
