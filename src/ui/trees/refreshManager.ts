import * as vscode from 'vscode';
import { HostKind } from '../../core/config';
import { DockerEvent } from '../../core/docker/events';
import { errorMessage } from '../../core/errors';
import { dockerEvents, esxiSessions } from '../connections';
import { requestTimeoutMs } from '../services';
import { Services } from '../services';
import { BACKUP_TASK_TYPE } from '../tasks/backupTaskProvider';

/** Events arriving within this window cause one reload (`docker run` alone makes 4–6). */
const EVENT_DEBOUNCE_MS = 750;

/** What makes a view reload, besides the manual Refresh. */
export interface RefreshSources {
  /** A change of these host lists reloads the whole view. */
  hostKinds?: HostKind[];
  /** A change of these settings reloads the whole view. */
  settings?: string[];
  /** `docker events` of each configured Docker host reload that host (debounced). */
  dockerEvents?: boolean;
  /** The setting with the poll period in seconds (0: no poll): a safety net for what events miss. */
  pollSetting?: string;
  /** A backup task that ends reloads the view (its backups show up). */
  backupTasks?: boolean;
  /** Each ESXi host with a session is pinged (a host that stopped answering, or came back, reloads it). */
  esxiPing?: boolean;
}

/**
 * How often the ESXi Hosts view asks its hosts whether they still answer (a cheap CurrentTime), answered
 * within vdvs.requestTimeoutSeconds less this period and a second: a host gone shows within the timeout.
 */
const ESXI_PING_MS = 5_000;

/**
 * Why one host is reloaded: the docker events that asked for it (oldest first), or `unreachable`: its
 * daemon stopped answering (its events stream ended, a ping missed), which a view shows at once
 * instead of reading it again.
 */
export interface ReloadCause {
  events?: readonly DockerEvent[];
  unreachable?: Error;
}

/** What to reload: one host (and why), or everything. */
export type Reload = (hostId?: string, cause?: ReloadCause) => Promise<unknown>;

/**
 * The one refresh owner of a view (as vscode-containers' RefreshManager): manual refresh, host and
 * setting changes, finished backup tasks, debounced Docker events and the poll all come through here.
 * Changes the user made reload at once; the watches (events, poll) run only while the view is
 * visible, and a view shown again after one of them fired while hidden reloads once.
 */
export class RefreshManager implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private watches: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The events of each host's debounce window. */
  private readonly pending = new Map<string, DockerEvent[]>();
  private poll?: NodeJS.Timeout;
  private esxiPing?: NodeJS.Timeout;
  /** ESXi hosts whose last ping failed: each tick tries them again (a login), a success reloads them. */
  private readonly esxiDown = new Set<string>();
  /** A round of pings in flight (one may wait up to vdvs.requestTimeoutSeconds): the next tick skips. */
  private pinging = false;
  private view?: vscode.TreeView<unknown>;
  private missed = false;
  /** For tests and the log: events seen, reloads asked for. */
  readonly stats = { events: 0, reloads: 0 };

  constructor(
    private readonly services: Services,
    private readonly sources: RefreshSources,
    private readonly reload: Reload,
  ) {
    this.subscriptions.push(
      services.hosts.onDidChange((kind) => {
        if (!sources.hostKinds?.includes(kind)) return;
        if (kind === 'docker') this.rewatch();
        void this.refresh();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (sources.settings?.some((k) => e.affectsConfiguration(k))) void this.refresh();
        if (sources.pollSetting && e.affectsConfiguration(sources.pollSetting)) this.rewatch();
      }),
    );
    if (sources.backupTasks) {
      this.subscriptions.push(
        vscode.tasks.onDidEndTaskProcess((e) => e.execution.task.definition.type === BACKUP_TASK_TYPE && void this.refresh()),
      );
    }
  }

  /** Follows the view's visibility: watches and the poll run only while it is shown. */
  attach(view: vscode.TreeView<unknown>): void {
    this.view = view;
    this.subscriptions.push(
      view.onDidChangeVisibility(({ visible }) => {
        this.rewatch();
        if (visible && this.missed) this.request();
      }),
    );
    this.rewatch();
  }

  /** A reload now (the Refresh button, a command that changed something). */
  refresh(hostId?: string, cause?: ReloadCause): Promise<unknown> {
    this.stats.reloads++;
    return this.reload(hostId, cause);
  }

  dispose(): void {
    this.stopWatching();
    for (const s of this.subscriptions) s.dispose();
  }

  /** A reload for what a watch saw (an event, the poll): now when the view is shown, else when it is shown again. */
  private request(hostId?: string, cause?: ReloadCause): void {
    if (this.view && !this.view.visible) {
      this.missed = true;
      return;
    }
    this.missed = false;
    void this.refresh(hostId, cause);
  }

  private rewatch(): void {
    this.stopWatching();
    if (!this.view?.visible) return;
    if (this.sources.dockerEvents) {
      this.watches = this.services.hosts.list('docker').map((host) =>
        dockerEvents(this.services).subscribe(host, {
          onEvent: (e) => {
            this.stats.events++;
            this.pending.set(host.id, [...(this.pending.get(host.id) ?? []), e]);
            clearTimeout(this.timers.get(host.id));
            this.timers.set(
              host.id,
              setTimeout(() => {
                const events = this.pending.get(host.id) ?? [];
                this.pending.delete(host.id);
                this.request(host.id, { events });
              }, EVENT_DEBOUNCE_MS),
            );
          },
          // a daemon gone or back: at once, not after the debounce or the slow poll
          onUnreachable: (err) => this.request(host.id, { unreachable: err }),
          onReconnected: () => this.request(host.id),
        }),
      );
    }
    if (this.sources.esxiPing) this.esxiPing = setInterval(() => void this.pingEsxiHosts(), ESXI_PING_MS);
    const seconds = this.sources.pollSetting ? vscode.workspace.getConfiguration().get<number>(this.sources.pollSetting, 60) : 0;
    if (seconds > 0) this.poll = setInterval(() => this.request(), seconds * 1000);
  }

  private stopWatching(): void {
    for (const w of this.watches) w.dispose();
    this.watches = [];
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.pending.clear();
    clearInterval(this.poll);
    this.poll = undefined;
    clearInterval(this.esxiPing);
    this.esxiPing = undefined;
  }

  /** Pings the hosts that have a session (or were down): a change either way reloads that host. */
  private async pingEsxiHosts(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    const sessions = esxiSessions(this.services);
    const hosts = this.services.hosts.list('esxi').filter((h) => this.esxiDown.has(h.id) || sessions.ifOpen(h.id) !== undefined);
    await Promise.all(
      hosts.map((h) =>
        sessions.ping(h.id, Math.max(1_000, requestTimeoutMs() - ESXI_PING_MS - 1_000)).then(
          () => this.esxiDown.delete(h.id) && this.request(h.id),
          (err: unknown) => {
            if (this.esxiDown.has(h.id)) return;
            this.esxiDown.add(h.id);
            this.services.log.warn(`ESXi Hosts: ${h.name} stopped answering: ${errorMessage(err)}`);
            this.request(h.id, { unreachable: err instanceof Error ? err : new Error(String(err)) });
          },
        ),
      ),
    ).finally(() => (this.pinging = false));
  }
}
