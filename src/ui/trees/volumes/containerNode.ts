import * as vscode from 'vscode';
import type { VolumeNode } from './volumeNode';

/** A container that mounts the volume. */
export class ContainerNode {
  readonly kind = 'container';
  constructor(
    readonly parent: VolumeNode,
    readonly hostName: string,
    readonly container: string,
  ) {}

  get id(): string {
    return `${this.parent.id}/container:${this.hostName}/${this.container}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.container, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.hostName;
    item.contextValue = 'vdvs.volumes.container';
    item.iconPath = new vscode.ThemeIcon('package');
    item.tooltip = `Container ${this.container} on ${this.hostName} mounts this volume`;
    return item;
  }
}
