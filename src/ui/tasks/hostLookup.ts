import { DockerHostConfig, EsxiHostConfig, HostKind } from '../../core/config';
import { UserError } from '../../core/errors';
import { Services } from '../services';

/** A configured host by name or id: task definitions name hosts as the user sees them. */
export function findHost<K extends HostKind>(
  services: Services,
  kind: K,
  nameOrId: string,
): K extends 'docker' ? DockerHostConfig : EsxiHostConfig {
  const hosts = services.hosts.list(kind) as (DockerHostConfig | EsxiHostConfig)[];
  const host = hosts.find((h) => h.id === nameOrId) ?? hosts.find((h) => h.name === nameOrId);
  if (!host) {
    const what = kind === 'docker' ? 'Docker host' : 'ESXi host or vCenter';
    throw new UserError(
      `No ${what} named ${nameOrId} is configured.`,
      `Configured: ${hosts.map((h) => h.name).join(', ') || 'none'}. Add it in the ${kind === 'docker' ? 'Docker Hosts' : 'ESXi Hosts'} view, or fix the task.`,
      'NO_HOST',
    );
  }
  return host as never;
}
