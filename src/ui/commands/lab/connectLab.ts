import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DockerHostConfig, EsxiHostConfig } from '../../../core/config';
import { UserError } from '../../../core/errors';
import { CommandContext, CommandInput } from '../../commandContext';
import { Services } from '../../services';

/** Set while a local lab (lab/lab.mjs) is running: "Connect the Local Lab" shows only then. */
export const LAB_CONTEXT = 'vdvs.labRunning';

/** What this command reads of the lab's lab.json (lab/README.md). */
interface LabInfo {
  vsphere: { url: string; user: string; password: string; thumbprint: string };
  vcenter: { url: string; user: string; password: string; thumbprint: string };
  ssh: { host: string; port: number; user: string; keyPath: string; hostKeyFingerprint: string };
  docker: { host: string };
  plugin: { ref: string };
}

/** The fixed ids of the lab's hosts: connecting again replaces them instead of adding twins. */
const IDS = { esxi: 'lab-esxi', vcenter: 'lab-vcenter', docker: 'lab-docker' } as const;
const NAMES = { esxi: 'lab ESXi', vcenter: 'lab vCenter', docker: 'lab Docker' } as const;
const BACKUP_TASK_LABEL = 'Back up the lab volumes';

function labFile(): string {
  return join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json');
}

/** lab.json exists while the lab runs (`lab.mjs stop` removes it). */
export async function updateLabContext(): Promise<boolean> {
  const running = existsSync(labFile());
  await vscode.commands.executeCommand('setContext', LAB_CONTEXT, running);
  return running;
}

/**
 * Follows a lab that starts or stops while the editor runs (lab.json appears, goes: one stat every 5 s),
 * so "Connect the Local Lab" shows exactly while a lab runs, not only as it was when the features loaded.
 */
export function watchLabContext(): vscode.Disposable {
  const file = labFile();
  const onChange = () => void updateLabContext();
  watchFile(file, { interval: 5_000, persistent: false }, onChange);
  return { dispose: () => unwatchFile(file, onChange) };
}

/**
 * "Connect the Local Lab": the running lab's ESXi host and vCenter with their certificate thumbprints
 * pinned (from lab.json, which the lab wrote when it made them), SSH to its ESXi shell with the lab key and
 * pinned host key, its Docker host, vdvs.plugin.reference = its registry, and a backup task in the workspace.
 * Passwords go to SecretStorage only. Connecting again replaces the lab's entries (fixed ids).
 */
export async function connectLab({ services, ui }: CommandContext<CommandInput>): Promise<string[]> {
  const added = await wireLab(services);
  void ui.notify('info', `Connected the local lab: ${added.join(', ')}.`);
  return added;
}

/** What connectLab does without telling: also `npm run try` at start (VDVS_LAB_CONNECT=1). Returns what it set up. */
export async function wireLab(services: Services): Promise<string[]> {
  if (!(await updateLabContext()))
    throw new UserError(`No local lab is running (${labFile()} is missing).`, 'Start it with npm run lab.', 'NO_LAB');
  const lab = JSON.parse(readFileSync(labFile(), 'utf8')) as LabInfo;
  const esxi: EsxiHostConfig = {
    id: IDS.esxi,
    name: NAMES.esxi,
    url: lab.vsphere.url,
    user: lab.vsphere.user,
    thumbprint: lab.vsphere.thumbprint,
    ssh: {
      host: lab.ssh.host,
      port: lab.ssh.port,
      user: lab.ssh.user,
      auth: 'key',
      keyPath: lab.ssh.keyPath,
      hostKeyFingerprint: lab.ssh.hostKeyFingerprint,
    },
  };
  const vcenter: EsxiHostConfig = {
    id: IDS.vcenter,
    name: NAMES.vcenter,
    url: lab.vcenter.url,
    user: lab.vcenter.user,
    thumbprint: lab.vcenter.thumbprint,
  };
  const docker: DockerHostConfig = { id: IDS.docker, name: NAMES.docker, endpoint: lab.docker.host };
  // secrets first: a view that reloads on the host list change finds the password there
  await services.hosts.setSecret('esxi', esxi.id, 'password', lab.vsphere.password);
  await services.hosts.setSecret('esxi', vcenter.id, 'password', lab.vcenter.password);
  await services.hosts.save('esxi', esxi);
  await services.hosts.save('esxi', vcenter);
  await services.hosts.save('docker', docker);
  await vscode.workspace.getConfiguration('vdvs').update('plugin.reference', lab.plugin.ref, vscode.ConfigurationTarget.Global);
  const added = [esxi.name, vcenter.name, docker.name, `plugin ${lab.plugin.ref}`];
  if (await addBackupTask()) added.push(`task "${BACKUP_TASK_LABEL}"`);
  services.log.info(`Local lab connected (${labFile()}): ${added.join(', ')}`);
  return added;
}

/** A backup task of every lab volume into <workspace>/backups, in the first folder's tasks.json (once). */
async function addBackupTask(): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return false;
  const config = vscode.workspace.getConfiguration('tasks', folder.uri);
  const tasks = config.get<{ label?: string }[]>('tasks', []);
  if (tasks.some((t) => t.label === BACKUP_TASK_LABEL)) return true;
  const task = {
    type: 'vdvs-backup',
    label: BACKUP_TASK_LABEL,
    dockerHost: NAMES.docker,
    volumes: 'all',
    mode: 'archive',
    destination: '${workspaceFolder}/backups',
  };
  await config.update('version', '2.0.0', vscode.ConfigurationTarget.WorkspaceFolder);
  await config.update('tasks', [...tasks, task], vscode.ConfigurationTarget.WorkspaceFolder);
  return true;
}
