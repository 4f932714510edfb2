import * as vscode from 'vscode';

/** A container that mounts the volume. */
export class ContainerNode {
  readonly kind = 'container';
  constructor(readonly parentId: string, readonly hostName: string, readonly container: string) {}

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.container, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.parentId}/container:${this.hostName}/${this.container}`;
    item.description = this.hostName;
    item.contextValue = 'vdvs.volumes.container';
    item.iconPath = new vscode.ThemeIcon('package');
    item.tooltip = `Container ${this.container} on ${this.hostName} mounts this volume`;
    return item;
  }
}
