import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { requireNode } from './hostArg';

const SCHEME = 'vdvs-esxi';
const documents = new Map<string, string>();
let registered = false;

/** Opens what a node stands for as a read-only JSON document (a virtual document, not a file). */
export async function showDetails({ services }: CommandContext, node?: EsxiNode): Promise<vscode.TextDocument> {
  const n = requireNode(node, 'Show Details');
  if (!n.details) throw new UserError('This node has no details.', undefined, 'NO_DETAILS');
  if (!registered) {
    registered = true;
    services.context.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, { provideTextDocumentContent: (uri) => documents.get(uri.path) ?? '' }),
    );
  }
  const label = n.getTreeItem().label;
  const name = `${typeof label === 'string' ? label : (label?.label ?? 'details')}`.replace(/[\\/]/g, '_');
  const path = `/${n.id.replace(/[^\w.-]+/g, '_')}/${name}.json`;
  documents.set(path, JSON.stringify(n.details(), null, 2) + '\n');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: SCHEME, path }));
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}
