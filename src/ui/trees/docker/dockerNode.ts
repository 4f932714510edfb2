import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { MessageNode, MessageOptions } from '../treeBase';

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

/** A message row of the Docker Hosts view, under the node it is about. */
export class DockerMessageNode extends MessageNode<DockerNode> implements DockerNode {
  constructor(parent: DockerNode, id: string, label: string, options: Omit<MessageOptions<DockerNode>, 'parent'> = {}) {
    // the action's title after the label: what clicking the row does
    super(id, label, { contextValue: 'vdvs.docker.message', description: options.command?.title, ...options, parent });
  }

  get host(): DockerHostConfig {
    return this.options.parent!.host;
  }
}
