import * as vscode from 'vscode';
import { groupByDatastore, groupByDockerHost } from '../../core/vdvs/correlate';
import { Services } from '../services';
import { BACKUP_TASK_TYPE } from '../tasks/backupTaskProvider';
import { BackupIndex, BackupNode, backupsOf, loadBackupIndex } from './volumes/backupNode';
import { ContainerNode } from './volumes/containerNode';
import { GroupNode } from './volumes/groupNode';
import { MessageNode } from './volumes/messageNode';
import { VolumesNode } from './volumes/nodes';
import { loadVolumes, VolumesSnapshot } from './volumes/volumesData';
import { VmdkNode } from './volumes/vmdkNode';
import { VolumeNode } from './volumes/volumeNode';
import { reachFromVolumeRows } from '../walkthroughState';

export type GroupBy = 'datastore' | 'host';
/** Context key of the grouping toggle: the view/title menu shows the other choice. */
export const GROUP_BY_CONTEXT = 'vdvs.volumes.groupBy';
const GROUP_BY_STATE = 'vdvs.volumes.groupBy';

/** The vdvs.volumes view: every vsphere volume of every configured Docker host, joined with its VMDK. */
export class VolumesTree implements vscode.TreeDataProvider<VolumesNode> {
  private readonly changed = new vscode.EventEmitter<VolumesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private snapshot: VolumesSnapshot | undefined;
  private loading: Promise<VolumesSnapshot> | undefined;
  private roots: VolumesNode[] = [];
  private backups: BackupIndex = new Map();
  view!: vscode.TreeView<VolumesNode>;

  constructor(private readonly services: Services) {}

  get groupBy(): GroupBy {
    return this.services.context.workspaceState.get<GroupBy>(GROUP_BY_STATE, 'datastore');
  }

  async setGroupBy(by: GroupBy): Promise<void> {
    await this.services.context.workspaceState.update(GROUP_BY_STATE, by);
    await vscode.commands.executeCommand('setContext', GROUP_BY_CONTEXT, by);
    this.roots = this.snapshot ? this.buildRoots(this.snapshot) : [];
    this.changed.fire(undefined);
  }

  /** Reloads everything; concurrent callers share one load. Resolves with the new data. */
  refresh(): Promise<VolumesSnapshot> {
    if (!this.loading) {
      this.loading = Promise.all([loadVolumes(this.services), loadBackupIndex()]).then(([s, backups]) => {
        this.snapshot = s;
        this.backups = backups;
        reachFromVolumeRows(s.rows);
        this.roots = this.buildRoots(s);
        this.changed.fire(undefined);
        for (const e of s.hostErrors) this.services.log.warn(`Volumes: ${e.host.name}: ${e.message}`);
        for (const e of s.esxiErrors) this.services.log.warn(`Volumes: ESXi ${e.name}: ${e.message}`);
        return s;
      }).finally(() => (this.loading = undefined));
    }
    return this.loading;
  }

  get current(): VolumesSnapshot | undefined {
    return this.snapshot;
  }

  getTreeItem(node: VolumesNode): vscode.TreeItem {
    return node.treeItem();
  }

  async getChildren(node?: VolumesNode): Promise<VolumesNode[]> {
    if (!node) {
      if (!this.snapshot) await this.refresh();
      return this.roots;
    }
    if (node instanceof GroupNode) return node.rows.map((r) => new VolumeNode(node.id, r, backupsOf(this.backups, r)));
    if (node instanceof VolumeNode) return node.children();
    return [];
  }

  getParent(node: VolumesNode): VolumesNode | undefined {
    if (node instanceof VolumeNode) return this.roots.find((g) => g instanceof GroupNode && g.id === node.parentId);
    if (node instanceof ContainerNode || node instanceof VmdkNode || node instanceof BackupNode) return this.volumeNodes().find((v) => v.id === node.parentId);
    return undefined;
  }

  /** Every volume node under the current grouping (a shared volume appears under each host). */
  volumeNodes(): VolumeNode[] {
    return this.roots.flatMap((g) => (g instanceof GroupNode ? g.rows.map((r) => new VolumeNode(g.id, r, backupsOf(this.backups, r))) : []));
  }

  /** Selects the node of `vol@ds` (or a short name) after a create. */
  async reveal(key: string): Promise<VolumeNode | undefined> {
    const node = this.volumeNodes().find((v) => v.row.key === key || v.row.volume === key);
    if (node) await this.view.reveal(node, { select: true, focus: true, expand: true });
    return node;
  }

  private buildRoots(s: VolumesSnapshot): VolumesNode[] {
    const by = this.groupBy;
    const groups = (by === 'datastore' ? groupByDatastore(s.rows) : groupByDockerHost(s.rows)).map((g) => new GroupNode(by, g.label, g.rows));
    const messages: VolumesNode[] = s.hostErrors.map((e) => new MessageNode(`error:${e.host.id}`, `${e.host.name}: cannot list volumes`, e.message, 'error', { command: 'vdvs.volumes.refresh', title: 'Retry' }));
    for (const e of s.esxiErrors) messages.push(new MessageNode(`esxi-error:${e.id}`, `${e.name}: cannot read dockvols`, e.message, 'error', { command: 'vdvs.volumes.refresh', title: 'Retry' }));
    for (const f of s.inspectFailures) messages.push(new MessageNode(`inspect:${f.host.id}:${f.name}`, `${f.name} on ${f.host.name}: inspect failed`, f.message, 'error', { command: 'vdvs.showLog', title: 'Show Log' }));
    if (!s.esxiJoined && !s.esxiErrors.length && s.rows.length) {
      messages.push(new MessageNode('note:esxi', 'VMDKs not joined: no ESXi host view data', 'Add the ESXi host that runs the Docker host VMs to see each volume\'s VMDK, size on disk, disk mode and orphaned VMDKs.', 'info', { command: 'vdvs.esxi.addHost', title: 'Add ESXi Host' }));
    }
    // no volumes and no errors: the welcome content explains what to do
    return [...messages, ...groups];
  }
}

let instance: VolumesTree | undefined;

/** The one Volumes tree, for the volume commands (create reveals its node, remove refreshes it). */
export function volumesTree(): VolumesTree | undefined {
  return instance;
}

/** The vdvs.volumes view. */
export function createVolumesView(services: Services): vscode.Disposable {
  const tree = new VolumesTree(services);
  const view = vscode.window.createTreeView('vdvs.volumes', { treeDataProvider: tree, showCollapseAll: true });
  tree.view = view;
  instance = tree;
  void vscode.commands.executeCommand('setContext', GROUP_BY_CONTEXT, tree.groupBy);
  const hostsChanged = services.hosts.onDidChange((kind) => kind === 'docker' && void tree.refresh());
  // a finished backup shows up under its volume
  const backupEnded = vscode.tasks.onDidEndTaskProcess((e) => e.execution.task.definition.type === BACKUP_TASK_TYPE && void tree.refresh());
  return vscode.Disposable.from(view, hostsChanged, backupEnded, { dispose: () => (instance = undefined) });
}
