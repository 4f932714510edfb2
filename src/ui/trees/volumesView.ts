import * as vscode from 'vscode';
import { DockerEvent } from '../../core/docker/events';
import { groupByDatastore, groupByDockerHost } from '../../core/vdvs/correlate';
import { volumesNamedBy } from '../../core/vdvs/volumeData';
import { perExtension, Services } from '../services';
import { BackupIndex, backupsOf, loadBackupIndex } from './volumes/backupNode';
import { RefreshManager } from './refreshManager';
import { NodeTree } from './treeBase';
import { GroupNode } from './volumes/groupNode';
import { VolumesMessageNode } from './volumes/messageNode';
import { VolumesNode } from './volumes/nodes';
import { loadVolumes, updateVolumes, VolumesSnapshot } from './volumes/volumesData';
import { VolumeNode } from './volumes/volumeNode';
import { reachFromVolumeRows } from '../walkthroughState';

export type GroupBy = 'datastore' | 'host';
/** Context key of the grouping toggle: the view/title menu shows the other choice. */
export const GROUP_BY_CONTEXT = 'vdvs.volumes.groupBy';
const GROUP_BY_STATE = 'vdvs.volumes.groupBy';
/** Context key: some ESXi host has SSH set up (the admin CLI's commands show). */
export const HAS_SSH_CONTEXT = 'vdvs.esxi.hasSsh';

/** The vdvs.volumes view: every vsphere volume of every configured Docker host, joined with its VMDK. */
export class VolumesTree extends NodeTree<VolumesNode> {
  private snapshot: VolumesSnapshot | undefined;
  private loading: Promise<VolumesSnapshot> | undefined;
  private rootNodes: VolumesNode[] = [];
  private backups: BackupIndex = new Map();
  /** Its refresh owner: host lists, docker events of every Docker host, finished backup tasks. */
  readonly refresher: RefreshManager;
  view?: vscode.TreeView<VolumesNode>;

  constructor(private readonly services: Services) {
    super();
    this.refresher = new RefreshManager(
      services,
      {
        hostKinds: ['docker', 'esxi'],
        settings: ['vdvs.backup.destination', 'vdvs.backup.repositories', 'vdvs.plugin.alias'],
        dockerEvents: true,
        backupTasks: true,
      },
      (hostId, cause) => (hostId && cause?.events?.length ? this.update(hostId, cause.events) : this.refresh()),
    );
  }

  get groupBy(): GroupBy {
    return this.services.context.workspaceState.get<GroupBy>(GROUP_BY_STATE, 'datastore');
  }

  async setGroupBy(by: GroupBy): Promise<void> {
    await this.services.context.workspaceState.update(GROUP_BY_STATE, by);
    await vscode.commands.executeCommand('setContext', GROUP_BY_CONTEXT, by);
    this.rootNodes = this.snapshot ? this.buildRoots(this.snapshot) : [];
    this.changed.fire(undefined);
  }

  /** Reloads everything; concurrent callers share one load. Resolves with the new data. */
  refresh(): Promise<VolumesSnapshot> {
    if (!this.loading) {
      this.loading = Promise.all([loadVolumes(this.services), loadBackupIndex(this.services)])
        .then(([s, backups]) => {
          this.backups = backups;
          this.show(s);
          for (const e of s.hostErrors) this.services.log.warn(`Volumes: ${e.host.name}: ${e.message}`);
          for (const e of s.esxiErrors) this.services.log.warn(`Volumes: ESXi ${e.name}: ${e.message}`);
          for (const e of s.adminErrors)
            this.services.log.warn(`Volumes: ESXi ${e.name}: volume ls failed, inspecting each volume: ${e.message}`);
          this.services.log.debug(
            `Volumes: ${s.statusFrom.admin} Status(es) from vmdkops_admin.py volume ls, ${s.statusFrom.inspect} inspected`,
          );
          return s;
        })
        .finally(() => (this.loading = undefined));
    }
    return this.loading;
  }

  /**
   * After docker events on one host: only the volumes they name are asked again (and the host's
   * containers), so the update does not grow with the number of volumes. A plugin event, or no
   * data yet, reloads everything; so does an update that fails.
   */
  async update(hostId: string, events: readonly DockerEvent[]): Promise<VolumesSnapshot> {
    const base = this.snapshot;
    if (!base || this.loading || events.some((e) => e.Type !== 'volume' && e.Type !== 'container')) return this.refresh();
    const started = Date.now();
    try {
      const next = await updateVolumes(this.services, base, hostId, volumesNamedBy(events));
      // a full load that began meanwhile has the newer data
      if (!next || this.snapshot !== base || this.loading) return this.loading ?? this.refresh();
      this.show(next);
      this.services.log.debug(`Volumes: updated ${volumesNamedBy(events).length} volume(s) of ${hostId} in ${Date.now() - started} ms`);
      return next;
    } catch (err) {
      this.services.log.warn(`Volumes: update after docker events failed, reloading: ${(err as Error).message}`);
      return this.refresh();
    }
  }

  private show(s: VolumesSnapshot): void {
    // "Set Access / Attach-as…" needs an ESXi host with SSH (vmdkops_admin.py volume set)
    void vscode.commands.executeCommand(
      'setContext',
      HAS_SSH_CONTEXT,
      this.services.hosts.list('esxi').some((h) => h.ssh),
    );
    this.snapshot = s;
    reachFromVolumeRows(s.rows);
    this.rootNodes = this.buildRoots(s);
    this.changed.fire(undefined);
  }

  get current(): VolumesSnapshot | undefined {
    return this.snapshot;
  }

  protected async roots(): Promise<VolumesNode[]> {
    if (!this.snapshot) await this.refresh();
    return this.rootNodes;
  }

  /** Every volume node under the current grouping (a shared volume appears under each host). */
  volumeNodes(): VolumeNode[] {
    return this.rootNodes.flatMap((g) => (g instanceof GroupNode ? g.getChildren() : []));
  }

  /** Selects the node of `vol@ds` (or a short name) after a create. */
  async reveal(key: string): Promise<VolumeNode | undefined> {
    const node = this.volumeNodes().find((v) => v.row.key === key || v.row.volume === key);
    if (node) await this.view?.reveal(node, { select: true, focus: true, expand: true });
    return node;
  }

  override dispose(): void {
    this.refresher.dispose();
    super.dispose();
  }

  private buildRoots(s: VolumesSnapshot): VolumesNode[] {
    const by = this.groupBy;
    const groups = (by === 'datastore' ? groupByDatastore(s.rows) : groupByDockerHost(s.rows)).map(
      (g) => new GroupNode(by, g.label, g.rows, (r) => backupsOf(this.backups, r)),
    );
    const messages: VolumesNode[] = s.hostErrors.map(
      (e) =>
        new VolumesMessageNode(`error:${e.host.id}`, `${e.host.name}: cannot list volumes`, e.message, 'error', {
          command: 'vdvs.volumes.refresh',
          title: 'Retry',
        }),
    );
    for (const e of s.esxiErrors)
      messages.push(
        new VolumesMessageNode(`esxi-error:${e.id}`, `${e.name}: cannot read dockvols`, e.message, 'error', {
          command: 'vdvs.volumes.refresh',
          title: 'Retry',
        }),
      );
    for (const f of s.inspectFailures)
      messages.push(
        new VolumesMessageNode(`inspect:${f.host.id}:${f.name}`, `${f.name} on ${f.host.name}: inspect failed`, f.message, 'error', {
          command: 'vdvs.showLog',
          title: 'Show Log',
        }),
      );
    if (!s.esxiJoined && !s.esxiErrors.length && s.rows.length) {
      messages.push(
        new VolumesMessageNode(
          'note:esxi',
          'VMDKs not joined: no ESXi host view data',
          "Add the ESXi host that runs the Docker host VMs to see each volume's VMDK, size on disk, disk mode and orphaned VMDKs.",
          'info',
          { command: 'vdvs.esxi.addHost', title: 'Add ESXi Host' },
        ),
      );
    }
    // no volumes and no errors: the welcome content explains what to do
    return [...messages, ...groups];
  }
}

/** The Volumes tree of this extension instance (the volume commands reveal and refresh it). */
export const volumesTree = perExtension((services) => new VolumesTree(services));

/** Fills the vdvs.volumes view (made by the activation shell); returns its data provider. */
export function createVolumesView(services: Services, view: vscode.TreeView<unknown>): VolumesTree {
  const tree = volumesTree(services);
  tree.view = view as vscode.TreeView<VolumesNode>;
  tree.refresher.attach(tree.view);
  void vscode.commands.executeCommand('setContext', GROUP_BY_CONTEXT, tree.groupBy);
  return tree;
}
