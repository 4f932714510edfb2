import { EsxiHostConfig } from '../config';
import { shellQuote as q } from '../shellQuote';
import { DatastoreLocation } from './datastorePath';

/**
 * The govc command line equivalent to a node of the ESXi Hosts view, for users who script. The
 * password is never part of it: govc reads GOVC_PASSWORD from the environment.
 */
export type GovcTarget =
  | { kind: 'host' }
  | { kind: 'datacenter'; datacenter: string }
  | { kind: 'hostSystem'; datacenter: string; name: string }
  | { kind: 'datastore'; datacenter: string; datastore: string }
  | { kind: 'folder'; datacenter: string; location: DatastoreLocation }
  | { kind: 'vmdk'; datacenter: string; location: DatastoreLocation }
  | { kind: 'vm'; datacenter: string; vm: string }
  | { kind: 'disk'; datacenter: string; vm: string; label: string };

export function govcCommand(host: Pick<EsxiHostConfig, 'url' | 'user'>, target: GovcTarget): string {
  const env = [`GOVC_URL=${q(host.url)}`, `GOVC_USERNAME=${q(host.user)}`];
  if (target.kind !== 'host') env.push(`GOVC_DATACENTER=${q(target.datacenter)}`);
  const cmd = ((): string[] => {
    switch (target.kind) {
      case 'host':
        return ['about'];
      case 'datacenter':
        return ['datacenter.info', target.datacenter];
      case 'hostSystem':
        return ['host.info', '-host', target.name];
      case 'datastore':
        return ['datastore.info', target.datastore];
      case 'folder':
        return ['datastore.ls', '-ds', target.location.datastore, '-l', '-R', target.location.path];
      case 'vmdk':
        return ['datastore.disk.info', '-ds', target.location.datastore, target.location.path];
      case 'vm':
        return ['vm.info', '-r', target.vm];
      case 'disk':
        return ['device.info', '-vm', target.vm, target.label];
    }
  })();
  return [...env, 'govc', ...cmd.map(q)].join(' ');
}
