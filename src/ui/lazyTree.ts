import * as vscode from 'vscode';

/**
 * A view's data provider until its real one is loaded: the first getChildren loads it (the view's
 * first paint) and from then on every call and change event passes through. Imports nothing of the
 * extension so that the activation shell stays small.
 */
export class LazyTree implements vscode.TreeDataProvider<unknown>, vscode.Disposable {
  private real: vscode.TreeDataProvider<unknown> | undefined;
  private forwarding: vscode.Disposable | undefined;
  private readonly changed = new vscode.EventEmitter<unknown>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly load: () => vscode.TreeDataProvider<unknown>) {}

  private provider(): vscode.TreeDataProvider<unknown> {
    if (!this.real) {
      this.real = this.load();
      this.forwarding = this.real.onDidChangeTreeData?.((e) => this.changed.fire(e));
    }
    return this.real;
  }

  getChildren(element?: unknown): vscode.ProviderResult<unknown[]> {
    return this.provider().getChildren(element);
  }

  // elements only ever come from the real provider, so it is loaded by the time these are asked
  getTreeItem(element: unknown): vscode.TreeItem | Thenable<vscode.TreeItem> {
    return this.provider().getTreeItem(element);
  }

  getParent(element: unknown): vscode.ProviderResult<unknown> {
    return this.provider().getParent?.(element);
  }

  dispose(): void {
    this.forwarding?.dispose();
    this.changed.dispose();
  }
}
