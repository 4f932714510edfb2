import { EsxiHostConfig } from '../../../core/config';
import type { VsphereSession } from '../../../core/vsphere/session';
import { MoRef } from '../../../core/vsphere/normalize';
import { esxiSessions } from '../../connections';
import { Services } from '../../services';

/** What nodes below a host need: the host entry, its shared session, and where they sit in the inventory. */
export class HostScope {
  constructor(
    readonly services: Services,
    readonly host: EsxiHostConfig,
    /** Datacenter inventory name (`ha-datacenter` on ESXi): /folder URLs and govc need it. */
    readonly datacenter = '',
    readonly hostSystem?: MoRef,
  ) {}

  session(): Promise<VsphereSession> {
    return esxiSessions(this.services).get(this.host.id);
  }

  within(datacenter: string, hostSystem?: MoRef): HostScope {
    return new HostScope(this.services, this.host, datacenter, hostSystem);
  }
}
