import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { errorMessage, UserError } from '../../../core/errors';
import { HostSnapshot } from '../../../core/docker/hostSnapshot';
import { DockerMessageNode, DockerNode } from './dockerNode';
import { OtherVolumesNode } from './otherVolumesNode';
import { PluginNode } from './pluginNode';

/** What the tree knows of a host: still loading, loaded, or failed. */
export type HostLoad = { state: 'loading' } | { state: 'ready'; snapshot: HostSnapshot } | { state: 'failed'; error: unknown };

/** A Docker host: engine version and OS, or why it is not reachable → the vsphere plugin. */
export class HostNode implements DockerNode {
  readonly id: string;
  constructor(
    readonly host: DockerHostConfig,
    /** The current load, read when the item is drawn. */
    private readonly current: () => HostLoad,
  ) {
    this.id = `docker/${host.id}`;
  }

  get load(): HostLoad {
    return this.current();
  }

  getTreeItem(): vscode.TreeItem {
    const load = this.current();
    const item = new vscode.TreeItem(this.host.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    const lines = [
      `**${this.host.name}**`,
      `Endpoint: \`${this.host.endpoint}\``,
      this.host.contextName ? `Docker context: ${this.host.contextName}` : '',
    ];
    if (load.state === 'loading') {
      item.description = 'connecting…';
      item.iconPath = new vscode.ThemeIcon('loading~spin');
    } else if (load.state === 'ready') {
      const e = load.snapshot.engine;
      item.description = `Docker ${e.version} · ${e.operatingSystem}`;
      item.iconPath = new vscode.ThemeIcon('server-environment');
      lines.push(
        `Docker ${e.version} (API ${e.apiVersion}), ${e.platform}`,
        `${e.operatingSystem}, kernel ${e.kernelVersion}`,
        `Host name: ${e.name}`,
        `Containers: ${e.containersRunning} running of ${e.containers}`,
      );
    } else {
      item.description = `unreachable: ${load.error instanceof UserError ? (load.error.code ?? '') : ''}`.replace(/: $/, '');
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      lines.push(`⚠ ${errorMessage(load.error)}`);
    }
    item.tooltip = new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'));
    item.contextValue = `vdvs.docker.host.${load.state}`;
    return item;
  }

  /**
   * Never waits for a load in flight: the row says "connecting…" meanwhile and the tree fires a
   * change when it settles. (Waiting here let a second request for the same children overlap the
   * first, and VS Code then refused the duplicates: "Element with id … is already registered".)
   */
  async getChildren(): Promise<DockerNode[]> {
    const load = this.current();
    if (load.state === 'failed') {
      const err = load.error;
      return [
        new DockerMessageNode(this, `${this.id}/error`, err instanceof UserError ? err.message : errorMessage(err), {
          icon: 'error',
          tooltip: errorMessage(err),
          command: { title: 'Retry', command: 'vdvs.docker.refresh', arguments: [this] },
        }),
      ];
    }
    if (load.state !== 'ready') return [];
    const children: DockerNode[] = [new PluginNode(this, load.snapshot)];
    if (load.snapshot.otherVolumes) children.push(new OtherVolumesNode(this, load.snapshot));
    return children;
  }
}
