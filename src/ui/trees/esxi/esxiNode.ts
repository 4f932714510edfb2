import * as vscode from 'vscode';
import { errorMessage, UserError } from '../../../core/errors';
import { GovcTarget } from '../../../core/vsphere/govc';
import { MessageNode } from '../treeBase';
import type { HostScope } from './scope';

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
  /** For "Copy Datastore Path": `[ds] path`. */
  readonly datastorePath?: string;
  /** For "Show Details": what the node stands for, as plain data. */
  details?(): unknown;
  /** For "Copy govc Command": the host and the object. */
  readonly scope?: HostScope;
  readonly govc?: GovcTarget;
}

/** A message row of the ESXi Hosts view. */
export class EsxiMessageNode extends MessageNode<EsxiNode> implements EsxiNode {}

/**
 * Loads a node's children; a failure becomes one error node with the action that fixes it (re-enter
 * the password, edit the host, retry), so the tree never spins. The full error goes to the log.
 */
export async function childrenOrError(
  parent: EsxiNode & { scope: HostScope },
  load: () => Promise<EsxiNode[]>,
  empty?: string,
): Promise<EsxiNode[]> {
  try {
    const children = await load();
    return children.length || !empty ? children : [new EsxiMessageNode(`${parent.id}/empty`, empty, { parent, icon: 'circle-slash' })];
  } catch (err) {
    const { services, host } = parent.scope;
    services.log.error(
      `ESXi view: ${host.name}: ${err instanceof Error && !(err instanceof UserError) ? (err.stack ?? err.message) : errorMessage(err)}`,
    );
    return [errorNode(parent, err)];
  }
}

function errorNode(parent: EsxiNode & { scope: HostScope }, err: unknown): EsxiMessageNode {
  const code = err instanceof UserError ? err.code : undefined;
  const hostId = parent.scope.host.id;
  const action: vscode.Command =
    code === 'INVALID_LOGIN' || code === 'NO_PASSWORD'
      ? { title: 'Re-enter Password…', command: 'vdvs.esxi.reenterPassword', arguments: [{ hostId }] }
      : code === 'CERT_CHANGED' || code === 'CERT_UNKNOWN' || code === 'BAD_URL'
        ? { title: 'Edit Host…', command: 'vdvs.esxi.editHost', arguments: [{ hostId }] }
        : { title: 'Retry', command: 'vdvs.esxi.refresh', arguments: [parent] };
  const message = err instanceof UserError ? err.message : errorMessage(err);
  return new EsxiMessageNode(`${parent.id}/error`, message, {
    parent,
    icon: 'error',
    description: `— ${action.title}`,
    tooltip: `${errorMessage(err)}\n\nClick: ${action.title}`,
    contextValue: code === 'INVALID_LOGIN' || code === 'NO_PASSWORD' ? 'vdvs.esxi.error.login' : 'vdvs.esxi.error',
    command: action,
  });
}
