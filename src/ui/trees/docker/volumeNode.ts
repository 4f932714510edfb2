import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { DockerContainer } from '../../../core/docker/containers';
import { DockerVolume } from '../../../core/docker/volumes';
import { ContainerNode } from './containerNode';
import { DockerMessageNode, DockerNode } from './dockerNode';

/** A volume (vsphere or, with the toggle, another driver) → the containers using it. */
export class VolumeNode implements DockerNode {
  readonly id: string;
  constructor(
    readonly parent: DockerNode,
    readonly volume: DockerVolume,
    private readonly containers: DockerContainer[],
    readonly vsphere: boolean,
  ) {
    this.id = `${parent.id}/v/${volume.name}`;
  }

  get host(): DockerHostConfig {
    return this.parent.host;
  }

  getTreeItem(): vscode.TreeItem {
    const v = this.volume;
    const s = v.status ?? {};
    const capacity = (s.capacity as { size?: string } | undefined)?.size;
    const parts = [
      capacity,
      s['attach-as'] as string | undefined,
      s.status as string | undefined,
      this.containers.length ? `${this.containers.length} container${this.containers.length === 1 ? '' : 's'}` : undefined,
    ];
    const item = new vscode.TreeItem(
      v.name,
      this.containers.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.description = this.vsphere ? parts.filter(Boolean).join(' · ') : v.driver;
    const statusLines = Object.entries(s).map(([k, val]) => `- ${k}: ${typeof val === 'string' ? val : JSON.stringify(val)}`);
    item.tooltip = new vscode.MarkdownString(
      [`**${v.name}** (driver \`${v.driver}\`)`, statusLines.join('\n')].filter(Boolean).join('\n\n'),
    );
    item.iconPath = new vscode.ThemeIcon(this.vsphere ? 'database' : 'archive');
    item.contextValue = this.vsphere ? 'vdvs.docker.volume.vsphere' : 'vdvs.docker.volume.other';
    return item;
  }

  async getChildren(): Promise<DockerNode[]> {
    if (!this.containers.length)
      return [new DockerMessageNode(this, `${this.id}/none`, 'No container uses this volume', { icon: 'circle-slash' })];
    return this.containers.map((c) => new ContainerNode(this, c, this.volume.name));
  }
}
