import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { DockerContainer, TEST_CONTAINER_LABEL } from '../../../core/docker/containers';
import { parseVolumeName } from '../../../core/vdvs/names';
import { DockerNode } from './dockerNode';

/** A container that mounts the parent volume: `vdvs.docker.container.running|stopped`. */
export class ContainerNode implements DockerNode {
  readonly id: string;
  constructor(
    readonly parent: DockerNode,
    readonly container: DockerContainer,
    private readonly volume: string,
  ) {
    this.id = `${parent.id}/c/${container.id}`;
  }

  get host(): DockerHostConfig {
    return this.parent.host;
  }

  getTreeItem(): vscode.TreeItem {
    const c = this.container;
    const running = c.state === 'running';
    // the container may name the volume by its short name (vol for vol@datastore)
    const mount = c.mounts.find((m) => m.volume === this.volume) ?? c.mounts.find((m) => m.volume === parseVolumeName(this.volume).volume);
    const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = `${c.state} · ${c.image}${mount ? ` · ${mount.target}${mount.readOnly ? ' (ro)' : ''}` : ''}`;
    item.tooltip = new vscode.MarkdownString(
      [
        `**${c.name}** (${c.id.slice(0, 12)})`,
        `Image: ${c.image}`,
        `Status: ${c.status}`,
        mount ? `Mounts \`${this.volume}\` at \`${mount.target}\`${mount.readOnly ? ' read-only' : ''}` : '',
        c.labels[TEST_CONTAINER_LABEL] ? 'Test container started by vSphere Docker Volumes' : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    item.iconPath = new vscode.ThemeIcon(
      running ? 'vm-running' : 'vm-outline',
      running ? new vscode.ThemeColor('testing.iconPassed') : undefined,
    );
    item.contextValue = `vdvs.docker.container.${running ? 'running' : 'stopped'}`;
    return item;
  }
}
