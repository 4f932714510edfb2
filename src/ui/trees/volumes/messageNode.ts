import * as vscode from 'vscode';

/** An error or a note, with the action that helps (never a spinning tree). */
export class MessageNode {
  readonly kind = 'message';
  constructor(readonly id: string, readonly text: string, readonly detail: string, readonly severity: 'error' | 'info', readonly action?: vscode.Command) {}

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.tooltip = this.detail;
    item.description = this.action?.title;
    item.contextValue = `vdvs.volumes.message.${this.severity}`;
    item.iconPath = new vscode.ThemeIcon(this.severity === 'error' ? 'error' : 'info', new vscode.ThemeColor(this.severity === 'error' ? 'errorForeground' : 'foreground'));
    item.command = this.action;
    return item;
  }
}
