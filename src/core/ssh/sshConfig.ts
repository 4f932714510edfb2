import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What ~/.ssh/config says for one host: the values `ssh <host>` would use. */
export interface SshConfigMatch {
  hostName?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  identityAgent?: string;
}

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

/** Matches `host` against ssh_config text (Host and Match blocks, first value wins as in OpenSSH). */
export async function matchSshConfig(text: string, host: string, user?: string): Promise<SshConfigMatch> {
  // Loaded on first use (dist/vendor/ssh-config.js), not at activation.
  const { default: SSHConfig } = await import('ssh-config');
  // matchExec false: a `Match exec` line must never run a command just because we read the file.
  const computed = SSHConfig.parse(text).compute({ Host: host, User: user }, { ignoreCase: true, matchExec: false });
  const first = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const port = Number(first('port'));
  const hostName = first('hostname')?.replace(/%h/g, host);
  return {
    hostName: hostName && hostName !== host ? hostName : undefined,
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined,
    user: first('user'),
    identityFile: expandHome(first('identityfile')),
    identityAgent: expandHome(first('identityagent')),
  };
}

/** Reads the user's ssh config; a missing file is simply no match. */
export async function readSshConfig(host: string, user?: string, path = defaultSshConfigPath()): Promise<SshConfigMatch> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  return await matchSshConfig(text, host, user);
}

export function expandHome(path: string | undefined): string | undefined {
  if (!path) return undefined;
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}
