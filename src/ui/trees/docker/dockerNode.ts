import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';

/**
 * One node of the Docker Hosts view; each kind is a class in this folder. `contextValue` drives the
 * `view/item/context` menus in package.json; commands get the node and read `host` (and the rest) from it.
 */
export interface DockerNode {
  /** Stable across refreshes so VS Code keeps the expansion state. */
  readonly id: string;
  readonly host: DockerHostConfig;
  readonly parent?: DockerNode;
  getTreeItem(): vscode.TreeItem;
  getChildren?(): Promise<DockerNode[]>;
}

/** A leaf that says something: an empty level, a failure with the action that helps, a next step. */
export class DockerMessageNode implements DockerNode {
  constructor(
    readonly parent: DockerNode,
    readonly id: string,
    private readonly label: string,
    private readonly options: { icon?: string; tooltip?: string; command?: vscode.Command; contextValue?: string } = {},
  ) {}

  get host(): DockerHostConfig {
    return this.parent.host;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.options.icon ?? 'info', this.options.icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
    item.tooltip = this.options.tooltip;
    item.description = this.options.command?.title;
    item.command = this.options.command;
    item.contextValue = this.options.contextValue ?? 'vdvs.docker.message';
    return item;
  }
}
