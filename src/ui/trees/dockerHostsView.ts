import * as vscode from 'vscode';
import { DockerHostConfig } from '../../core/config';
import { loadHostSnapshot } from '../../core/docker/hostSnapshot';
import { DockerError } from '../../core/docker/dockerErrors';
import { ErrorCode, errorMessage, UserError } from '../../core/errors';
import { pluginAlias } from '../settings';
import { perExtension, Services } from '../services';
import { reachFromDockerHost } from '../walkthroughState';
import { DockerNode } from './docker/dockerNode';
import { RefreshManager } from './refreshManager';
import { NodeTree } from './treeBase';
import { dockerConnections, DockerConnections } from '../connections';
import { HostLoad, HostNode } from './docker/hostNode';

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
 * background (the row says "connecting…" meanwhile, never a blocked tree); its refresh owner reloads a
 * host on its `docker events` (debounced) and everything on the slow poll, while the view is visible.
 */
/** The failures after which a host shows as unreachable (its error node) rather than as a failed read. */
const UNREACHABLE = new Set<ErrorCode>(['DAEMON_UNREACHABLE', 'SSH_AUTH', 'SSH_REMOTE_DOCKER', 'TIMEOUT']);

export class DockerHostsTree extends NodeTree<DockerNode> {
  private readonly entries = new Map<string, HostEntry>();
  readonly refresher: RefreshManager;
  view?: vscode.TreeView<DockerNode>;

  private get connections(): DockerConnections {
    return dockerConnections(this.services);
  }

  constructor(private readonly services: Services) {
    super();
    this.refresher = new RefreshManager(
      services,
      {
        hostKinds: ['docker'],
        settings: ['vdvs.docker.showAllVolumeDrivers', 'vdvs.plugin.alias'],
        dockerEvents: true,
        pollSetting: 'vdvs.docker.pollSeconds',
      },
      (hostId, cause) => (hostId ? this.reloadHost(hostId, cause?.unreachable) : this.refresh()),
    );
  }

  protected async roots(): Promise<DockerNode[]> {
    const hosts = this.services.hosts.list('docker');
    for (const id of [...this.entries.keys()]) if (!hosts.some((h) => h.id === id)) this.forget(id);
    return hosts.map((h) => this.entry(h).node);
  }

  /** Re-reads every host (or the host of `node`). Resolves when the reads settled. */
  async refresh(node?: DockerNode): Promise<void> {
    const hosts = node ? [node.host] : this.services.hosts.list('docker');
    if (!node) this.changed.fire(undefined);
    await Promise.all(hosts.map((h) => this.reload(h)));
  }

  /**
   * Re-reads one host after a command changed it; resolves with what it found. With `unreachable` (its
   * events stream ended, a ping missed) the host shows its error node at once: a read of a paused daemon
   * would only fail after vdvs.requestTimeoutSeconds; the stream's reconnect reloads it when it is back.
   */
  reloadHost(hostId: string, unreachable?: Error): Promise<HostLoad> {
    const host = this.services.hosts.get('docker', hostId);
    if (!host) return Promise.resolve({ state: 'failed', error: new Error('host removed') });
    const entry = this.entries.get(hostId);
    if (!unreachable || !entry) return this.reload(host);
    entry.load = {
      state: 'failed',
      error: new DockerError(
        `The Docker daemon of ${host.name} stopped answering: ${unreachable.message}.`,
        'Check that dockerd is running; the host shows again within seconds of its return.',
        'DAEMON_UNREACHABLE',
        { cause: unreachable },
      ),
    };
    this.services.log.warn(`Docker Hosts: ${host.name}: ${unreachable.message}`);
    this.changed.fire(entry.node);
    return Promise.resolve(entry.load);
  }

  /** The host node of `hostId`, for reveal. */
  hostNode(hostId: string): HostNode | undefined {
    return this.entries.get(hostId)?.node;
  }

  override dispose(): void {
    this.refresher.dispose();
    for (const id of [...this.entries.keys()]) this.forget(id);
    super.dispose();
  }

  private entry(host: DockerHostConfig): HostEntry {
    const existing = this.entries.get(host.id);
    if (existing && JSON.stringify(existing.host) === JSON.stringify(host)) return existing;
    const entry: HostEntry = {
      host,
      load: { state: 'loading' },
      promise: Promise.resolve({ state: 'loading' }),
      again: false,
      node: undefined as never,
    };
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
      try {
        const conn = await this.connections.get(host);
        const settings = vscode.workspace.getConfiguration('vdvs');
        const snapshot = await loadHostSnapshot(conn, {
          allDrivers: settings.get<boolean>('docker.showAllVolumeDrivers', false),
          alias: pluginAlias(),
          reference: settings.get<string>('plugin.reference'),
        });
        entry.load = { state: 'ready', snapshot };
        // here, not in the nodes: a command's reload counts even while the view is hidden
        reachFromDockerHost(snapshot);
      } catch (err) {
        entry.load = { state: 'failed', error: err };
        this.services.log.warn(`Docker Hosts: ${host.name}: ${errorMessage(err)}`);
        // A dead transport (ssh dropped, daemon restarted) is reopened on the next read.
        if (err instanceof UserError && err.code && UNREACHABLE.has(err.code)) this.connections.drop(host.id);
      }
    } while (entry.again && this.entries.get(host.id) === entry);
    if (this.entries.get(host.id) === entry) this.changed.fire(entry.node);
    return entry.load;
  }

  private forget(hostId: string): void {
    this.entries.delete(hostId);
    this.connections.drop(hostId);
  }
}

/** The Docker Hosts tree of this extension instance (commands use its connections and refresh it). */
export const dockerHostsTree = perExtension((services) => new DockerHostsTree(services));

/** Fills the vdvs.dockerHosts view (made by the activation shell); returns its data provider. */
export function createDockerHostsView(services: Services, view: vscode.TreeView<unknown>): DockerHostsTree {
  const tree = dockerHostsTree(services);
  tree.view = view as vscode.TreeView<DockerNode>;
  tree.refresher.attach(tree.view);
  return tree;
}
