import * as vscode from 'vscode';
import { DockerHostConfig } from '../../core/config';
import { EventWatch, watchEvents } from '../../core/docker/events';
import { loadHostSnapshot } from '../../core/docker/hostSnapshot';
import { errorMessage, UserError } from '../../core/errors';
import { pluginAlias } from '../settings';
import { perExtension, Services } from '../services';
import { reachFromDockerHost } from '../walkthroughState';
import { DockerNode } from './docker/dockerNode';
import { dockerConnections, DockerConnections } from '../connections';
import { HostLoad, HostNode } from './docker/hostNode';

/** Events arriving within this window cause one reload (`docker run` alone makes 4–6). */
const EVENT_DEBOUNCE_MS = 750;

interface HostEntry {
  host: DockerHostConfig;
  load: HostLoad;
  promise: Promise<HostLoad>;
  /** Another reload was asked for while one ran: run once more after it (coalescing, no storms). */
  again: boolean;
  node: HostNode;
}

/**
 * The vdvs.dockerHosts view: host → vsphere plugin → volumes → containers. Each host is read in the
 * background (the row says "connecting…" meanwhile, never a blocked tree), then kept fresh by its
 * `docker events` stream (debounced) and a slow poll while the view is visible.
 */
export class DockerHostsTree implements vscode.TreeDataProvider<DockerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DockerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly entries = new Map<string, HostEntry>();
  private readonly watches = new Map<string, EventWatch>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private poll?: NodeJS.Timeout;
  /** Visible to the in-editor test: how many events arrived and how many host reads they caused. */
  readonly stats = { events: 0, loads: 0 };
  view?: vscode.TreeView<DockerNode>;

  private get connections(): DockerConnections {
    return dockerConnections(this.services);
  }

  constructor(private readonly services: Services) {
    this.subscriptions.push(
      services.hosts.onDidChange((kind) => kind === 'docker' && this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (['vdvs.docker.showAllVolumeDrivers', 'vdvs.plugin.alias'].some((k) => e.affectsConfiguration(k))) void this.refresh();
        if (e.affectsConfiguration('vdvs.docker.pollSeconds')) this.schedulePoll();
      }),
    );
    this.schedulePoll();
  }

  getTreeItem(node: DockerNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: DockerNode): Promise<DockerNode[]> {
    if (node) return node.getChildren ? node.getChildren() : [];
    const hosts = this.services.hosts.list('docker');
    for (const id of [...this.entries.keys()]) if (!hosts.some((h) => h.id === id)) this.forget(id);
    return hosts.map((h) => this.entry(h).node);
  }

  getParent(node: DockerNode): DockerNode | undefined {
    return node.parent;
  }

  /** Re-reads every host (or the host of `node`). Resolves when the reads settled. */
  async refresh(node?: DockerNode): Promise<void> {
    const hosts = node ? [node.host] : this.services.hosts.list('docker');
    if (!node) this.changed.fire(undefined);
    await Promise.all(hosts.map((h) => this.reload(h)));
  }

  /** Re-reads one host after a command changed it; resolves with what it found. */
  reloadHost(hostId: string): Promise<HostLoad> {
    const host = this.services.hosts.get('docker', hostId);
    return host ? this.reload(host) : Promise.resolve({ state: 'failed', error: new Error('host removed') });
  }

  /** The host node of `hostId`, for reveal. */
  hostNode(hostId: string): HostNode | undefined {
    return this.entries.get(hostId)?.node;
  }

  dispose(): void {
    clearInterval(this.poll);
    for (const id of [...this.entries.keys()]) this.forget(id);
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }

  private entry(host: DockerHostConfig): HostEntry {
    const existing = this.entries.get(host.id);
    if (existing && JSON.stringify(existing.host) === JSON.stringify(host)) return existing;
    const entry: HostEntry = { host, load: { state: 'loading' }, promise: Promise.resolve({ state: 'loading' }), again: false, node: undefined as never };
    entry.node = new HostNode(host, () => entry.load);
    this.entries.set(host.id, entry);
    entry.promise = this.read(entry);
    return entry;
  }

  private reload(host: DockerHostConfig): Promise<HostLoad> {
    const entry = this.entries.get(host.id);
    if (!entry || JSON.stringify(entry.host) !== JSON.stringify(host)) {
      const fresh = this.entry(host);
      this.changed.fire(undefined);
      return fresh.promise;
    }
    if (entry.load.state === 'loading') {
      entry.again = true;
      return entry.promise.then(() => entry.promise);
    }
    entry.load = { state: 'loading' };
    entry.promise = this.read(entry);
    return entry.promise;
  }

  private async read(entry: HostEntry): Promise<HostLoad> {
    const { host } = entry;
    do {
      entry.again = false;
      this.stats.loads++;
      try {
        const conn = await this.connections.get(host);
        const settings = vscode.workspace.getConfiguration('vdvs');
        const snapshot = await loadHostSnapshot(conn, { allDrivers: settings.get<boolean>('docker.showAllVolumeDrivers', false), alias: pluginAlias(), reference: settings.get<string>('plugin.reference') });
        entry.load = { state: 'ready', snapshot };
        // here, not in the nodes: a command's reload counts even while the view is hidden
        reachFromDockerHost(snapshot);
        this.watch(host);
      } catch (err) {
        entry.load = { state: 'failed', error: err };
        this.services.log.warn(`Docker Hosts: ${host.name}: ${errorMessage(err)}`);
        // A dead transport (ssh dropped, daemon restarted) is reopened on the next read.
        if (err instanceof UserError && ['DAEMON_UNREACHABLE', 'SSH_AUTH', 'SSH_REMOTE_DOCKER', 'TIMEOUT'].includes(err.code ?? '')) this.connections.drop(host.id);
        this.unwatch(host.id);
      }
    } while (entry.again && this.entries.get(host.id) === entry);
    if (this.entries.get(host.id) === entry) this.changed.fire(entry.node);
    return entry.load;
  }

  private watch(host: DockerHostConfig): void {
    if (this.watches.has(host.id)) return;
    void this.connections.get(host).then((conn) => {
      if (this.watches.has(host.id) || !this.entries.has(host.id)) return;
      this.watches.set(
        host.id,
        watchEvents(conn, () => {
          this.stats.events++;
          clearTimeout(this.timers.get(host.id));
          this.timers.set(host.id, setTimeout(() => void this.reloadHost(host.id), EVENT_DEBOUNCE_MS));
        }, { onError: (err) => this.services.log.debug(`Docker Hosts: events of ${host.name}: ${errorMessage(err)}`) }),
      );
    }, () => undefined);
  }

  private unwatch(hostId: string): void {
    this.watches.get(hostId)?.dispose();
    this.watches.delete(hostId);
    clearTimeout(this.timers.get(hostId));
  }

  private forget(hostId: string): void {
    this.unwatch(hostId);
    this.entries.delete(hostId);
    this.connections.drop(hostId);
  }

  private schedulePoll(): void {
    clearInterval(this.poll);
    const seconds = vscode.workspace.getConfiguration('vdvs').get<number>('docker.pollSeconds', 60);
    if (seconds > 0) {
      // Slow safety net for what events miss (e.g. a daemon restart); only while the view is shown.
      this.poll = setInterval(() => this.view?.visible && void this.refresh(), seconds * 1000);
    }
  }
}

/** The Docker Hosts tree of this extension instance (commands use its connections and refresh it). */
export const dockerHostsTree = perExtension((services) => new DockerHostsTree(services));

/** The vdvs.dockerHosts view. */
export function createDockerHostsView(services: Services): vscode.TreeView<DockerNode> {
  const tree = dockerHostsTree(services);
  tree.view = vscode.window.createTreeView('vdvs.dockerHosts', { treeDataProvider: tree, showCollapseAll: true });
  return tree.view;
}
