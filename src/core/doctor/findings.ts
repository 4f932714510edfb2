import { MoRef } from '../vsphere/normalize';
import { DatastoreLocation } from '../vsphere/datastorePath';

/**
 * error: vDVS fails on it (a remove refused, an attach that cannot work); warning: left over, costs
 * space or confuses; info: worth knowing.
 */
export type Severity = 'error' | 'warning' | 'info';

/** What a finding is about. `host` names the ESXi or Docker host it was seen through. */
export interface Subject {
  kind: 'volume' | 'disk' | 'vm' | 'snapshot' | 'container' | 'esxi-host' | 'docker-host';
  name: string;
  host?: string;
}

/** How a fix is carried out: plain data, so a report (JSON) can be shown first and the fix run later from it. */
export type FixPlan =
  | {
      /** vDVS's setStatusDetached (vmdk_ops.py): status detached, attachedVMUuid/Name/Device removed. */
      kind: 'clear-record';
      esxiHostId: string;
      datacenter: string;
      sidecar: DatastoreLocation;
    }
  | {
      kind: 'detach-disk';
      esxiHostId: string;
      vm: MoRef;
      vmName: string;
      disk: { key: number; fileName: string; diskMode: string; controllerKey?: number; unitNumber?: number; capacityBytes: number };
      /** Cleared afterwards, as vDVS's disk_detach does. */
      sidecar?: DatastoreLocation;
      datacenter: string;
    }
  | {
      kind: 'quarantine';
      esxiHostId: string;
      datacenter: string;
      files: DatastoreLocation[];
      to: DatastoreLocation;
    }
  | { kind: 'remove-snapshot'; esxiHostId: string; snapshot: MoRef; vmName: string; name: string }
  | { kind: 'remove-helper'; dockerHostId: string; containerId: string; name: string }
  | { kind: 'upgrade-plugin'; dockerHostId: string; plugin: string; reference: string };

export interface Fix {
  /** Stable across runs for the same state: `vdvs doctor --fix ID`. */
  id: string;
  label: string;
  /** What will happen, in the user's terms: shown before it runs. */
  describe: string;
  /** The equivalent command a user could run instead. */
  cli: string;
  plan: FixPlan;
}

export interface Finding {
  /** `<check>:<subject>`, stable across runs for the same state. */
  id: string;
  check: string;
  severity: Severity;
  title: string;
  detail: string;
  subject: Subject;
  fixes: Fix[];
}

/** Whether a report means something is wrong (exit 1): any error or warning. */
export function somethingWrong(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity !== 'info');
}
