import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { HostSnapshot } from '../../../core/docker/hostSnapshot';
import { DockerMessageNode, DockerNode } from './dockerNode';
import { VolumeNode } from './volumeNode';

/** Volumes of the other drivers (local, …), shown when the "all volume drivers" toggle is on. */
export class OtherVolumesNode implements DockerNode {
  readonly id: string;
  constructor(
    readonly parent: DockerNode,
    private readonly snapshot: HostSnapshot,
  ) {
    this.id = `${parent.id}/other`;
  }

  get host(): DockerHostConfig {
    return this.parent.host;
  }

  getTreeItem(): vscode.TreeItem {
    const count = this.snapshot.otherVolumes?.length ?? 0;
    const item = new vscode.TreeItem('Other volume drivers', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = `${count} volume${count === 1 ? '' : 's'}`;
    item.iconPath = new vscode.ThemeIcon('archive');
    item.contextValue = 'vdvs.docker.otherVolumes';
    return item;
  }

  async getChildren(): Promise<DockerNode[]> {
    const volumes = this.snapshot.otherVolumes ?? [];
    if (!volumes.length) return [new DockerMessageNode(this, `${this.id}/empty`, 'No volumes of other drivers', { icon: 'circle-slash' })];
    return volumes.map((v) => new VolumeNode(this, v, this.snapshot.containers.get(v.name) ?? [], false));
  }
}
