import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { inspectVolume as inspectApi } from '../../../core/docker/volumes';
import { CommandContext } from '../../commandContext';
import { withDocker } from '../../connections';
import { volumeTarget } from './volumeTarget';

const SCHEME = 'vdvs-volume';
const documents = new Map<string, string>();
let registered = false;

/** Inspect: `docker volume inspect` of the volume, vDVS Status fields included, as a read-only JSON document. */
export async function inspectVolume(ctx: CommandContext, node?: unknown): Promise<vscode.TextDocument | undefined> {
  const { services } = ctx;
  const row = await volumeTarget(ctx, node, 'Volume to inspect', (r) => r.docker.length > 0);
  if (!row) return undefined;
  const entry = row.docker[0];
  if (!entry)
    throw new UserError(`${row.key} is an orphan VMDK: no Docker host lists it, so there is nothing to inspect.`, undefined, 'ORPHAN');
  const data = await withDocker(services, entry.hostId, (conn) => inspectApi(conn, entry.name));
  if (!registered) {
    registered = true;
    services.context.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
        provideTextDocumentContent: (uri) => documents.get(uri.toString()) ?? '',
      }),
    );
  }
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${entry.hostName}/${row.key}.json` });
  documents.set(uri.toString(), JSON.stringify(data, null, 2));
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}
