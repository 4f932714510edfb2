/**
 * The non-secret description of the hosts the user works with. The extension keeps these in
 * settings and the CLI in its JSON config; passwords and passphrases are never part of them.
 */

export interface SshSettings {
  host: string;
  port: number;
  user: string;
  /** How to authenticate: a private key file, the running ssh-agent, or a password from secret storage. */
  auth: 'key' | 'agent' | 'password';
  keyPath?: string;
  /** SHA-256 fingerprint of the host key the user accepted ("SHA256:…"). */
  hostKeyFingerprint?: string;
}

export interface EsxiHostConfig {
  id: string;
  /** Label shown in the tree. */
  name: string;
  /** https://host/sdk */
  url: string;
  user: string;
  /** SHA-256 thumbprint of the certificate the user accepted, upper-case hex with colons. */
  thumbprint?: string;
  ssh?: SshSettings;
}

export interface DockerHostConfig {
  id: string;
  name: string;
  /** unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host */
  endpoint: string;
  /** Folder with ca.pem, cert.pem, key.pem for tcp:// with TLS. */
  tlsCertPath?: string;
  /** Private key for ssh:// endpoints (the agent is used when absent). */
  sshKeyPath?: string;
  /** Pinned host key of ssh:// endpoints. */
  sshHostKeyFingerprint?: string;
  /** The docker context this host was imported from (CLI lines then use `docker --context NAME`). */
  contextName?: string;
  /** The ESXi host or vCenter (an EsxiHostConfig id) that runs this Docker host VM, and the VM's name. */
  esxiHostId?: string;
  vmName?: string;
}

export type HostKind = 'esxi' | 'docker';

export interface HostConfigByKind {
  esxi: EsxiHostConfig;
  docker: DockerHostConfig;
}

/** A short id that is stable for the life of a host entry, for secret keys and tree ids. */
export function newHostId(): string {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);
}
