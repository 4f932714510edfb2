import * as vscode from 'vscode';

/**
 * One node of the ESXi Hosts view. Each node kind is its own class in this folder; `contextValue`
 * (set on the tree item) drives the `view/item/context` menus of package.json.
 */
export interface EsxiNode {
  /** Stable within the tree, so VS Code keeps expansion state across refreshes. */
  readonly id: string;
  readonly parent?: EsxiNode;
  getTreeItem(): vscode.TreeItem;
  /** Absent for leaves. */
  getChildren?(): Promise<EsxiNode[]>;
}

/** A leaf that says something (an empty level, a failure, a next step), optionally with an action. */
export class MessageNode implements EsxiNode {
  constructor(
    readonly id: string,
    private readonly label: string,
    private readonly options: {
      icon?: string;
      description?: string;
      tooltip?: string;
      contextValue?: string;
      command?: vscode.Command;
      parent?: EsxiNode;
    } = {},
  ) {}

  get parent(): EsxiNode | undefined {
    return this.options.parent;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.options.icon ?? 'info');
    item.description = this.options.description;
    item.tooltip = this.options.tooltip;
    item.contextValue = this.options.contextValue ?? 'vdvs.message';
    item.command = this.options.command;
    return item;
  }
}
