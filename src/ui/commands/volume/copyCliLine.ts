import * as vscode from 'vscode';
import { createVolumeCommandLine } from '../../../core/vdvs/cliLine';
import { VdvsOptions } from '../../../core/vdvs/options';
import { CommandContext } from '../../commandContext';
import { volumeTarget } from './volumeTarget';

/** Copy CLI line: the `docker volume create --driver=vsphere …` that recreates this volume as it is. */
export async function copyCliLine(ctx: CommandContext, node?: unknown): Promise<string | undefined> {
  const { services, ui } = ctx;
  const row = await volumeTarget(ctx, node, 'Volume whose create command to copy');
  if (!row) return undefined;
  const f = row.facts;
  const opts: VdvsOptions = {};
  if (f.cloneFrom) opts['clone-from'] = f.cloneFrom;
  else if (f.size) opts.size = f.size.toLowerCase();
  if (f.vsanPolicy) opts['vsan-policy-name'] = f.vsanPolicy;
  opts.diskformat = f.diskformat;
  opts['attach-as'] = f.attachAs;
  opts.access = f.access;
  if (f.fstype && !f.cloneFrom) opts.fstype = f.fstype;
  const host = row.docker[0] && services.hosts.get('docker', row.docker[0].hostId);
  const line = createVolumeCommandLine(row.key, opts, { endpoint: host?.endpoint });
  await vscode.env.clipboard.writeText(line);
  void ui.notify('info', `Copied: ${line}`);
  return line;
}
