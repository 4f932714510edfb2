import * as vscode from 'vscode';

/** What every node of the three views is: the tree asks the node for its item, children and parent. */
export interface TreeNode<N> {
  /** Stable across refreshes, so VS Code keeps the expansion state. */
  readonly id: string;
  readonly parent?: N;
  getTreeItem(): vscode.TreeItem;
  /** Absent for leaves. */
  getChildren?(): Promise<N[]> | N[];
}

/**
 * The part of a view's TreeDataProvider that every view shares: items, children and parents come
 * from the nodes; a view only says what its roots are and fires `changed` when its refresh owner
 * (refreshManager.ts) has reloaded something.
 */
export abstract class NodeTree<N extends TreeNode<N>> implements vscode.TreeDataProvider<N>, vscode.Disposable {
  protected readonly changed = new vscode.EventEmitter<N | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  getTreeItem(node: N): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: N): Promise<N[]> {
    if (!node) return this.roots();
    return node.getChildren ? await node.getChildren() : [];
  }

  getParent(node: N): N | undefined {
    return node.parent;
  }

  dispose(): void {
    this.changed.dispose();
  }

  protected abstract roots(): Promise<N[]>;
}

export interface MessageOptions<P> {
  parent?: P;
  /** A codicon; `error` is drawn in the error colour. */
  icon?: string;
  /** Shown after the label. */
  description?: string;
  tooltip?: string;
  contextValue?: string;
  command?: vscode.Command;
}

/** A leaf that says something — an empty level, a failure with the action that helps, a next step — so a view never spins. */
export class MessageNode<P = unknown> {
  constructor(
    readonly id: string,
    readonly label: string,
    protected readonly options: MessageOptions<P> = {},
  ) {}

  get parent(): P | undefined {
    return this.options.parent;
  }

  getTreeItem(): vscode.TreeItem {
    const { icon = 'info', description, tooltip, contextValue = 'vdvs.message', command } = this.options;
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(icon, icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
    item.description = description;
    item.tooltip = tooltip;
    item.contextValue = contextValue;
    item.command = command;
    return item;
  }
}
