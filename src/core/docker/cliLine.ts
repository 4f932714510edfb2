import { join } from 'node:path';
import { DockerHostConfig } from '../config';
import { DEFAULT_SOCKET, parseEndpoint, tcpPort } from './endpoint';
import { DEFAULT_PLUGIN_ALIAS } from './plugin';
import { TEST_CONTAINER_LABEL, TEST_MOUNT_TARGET } from './containers';

/** Quotes one word for a POSIX shell, only when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `docker …` prefix that reaches `host` from a shell: context, -H and TLS flags. */
export function dockerPrefix(host: DockerHostConfig): string[] {
  if (host.contextName) return ['docker', '--context', host.contextName];
  const endpoint = parseEndpoint(host.endpoint);
  switch (endpoint.kind) {
    case 'unix':
      return endpoint.socketPath === DEFAULT_SOCKET ? ['docker'] : ['docker', '-H', `unix://${endpoint.socketPath}`];
    case 'tcp': {
      const dir = host.tlsCertPath;
      const hostPort = `tcp://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${tcpPort(endpoint, !!dir)}`;
      if (!dir) return ['docker', '-H', hostPort];
      return [
        'docker',
        '--tlsverify',
        '--tlscacert',
        join(dir, 'ca.pem'),
        '--tlscert',
        join(dir, 'cert.pem'),
        '--tlskey',
        join(dir, 'key.pem'),
        '-H',
        hostPort,
      ];
    }
    case 'ssh':
      return ['docker', '-H', host.endpoint.trim()];
  }
}

/** One command line for `host`, quoted for a shell. */
export function cliLine(host: DockerHostConfig, args: string[]): string {
  return [...dockerPrefix(host), ...args].map(shellQuote).join(' ');
}

/** Several command lines joined with `&&` (upgrade is three). */
export function cliLines(host: DockerHostConfig, commands: string[][]): string {
  return commands.map((args) => cliLine(host, args)).join(' && ');
}

/** The docker CLI arguments of each action the extension offers, for "Copy CLI line". */
export const CLI = {
  pluginInstall: (reference: string, alias = DEFAULT_PLUGIN_ALIAS, env: string[] = []) => [
    ['plugin', 'install', '--grant-all-permissions', '--alias', alias, reference, ...env],
  ],
  pluginEnable: (name: string) => [['plugin', 'enable', name]],
  pluginDisable: (name: string, force: boolean) => [['plugin', 'disable', ...(force ? ['-f'] : []), name]],
  /** The vDVS upgrade: disable -f, upgrade, enable (never rm + install). */
  pluginUpgrade: (name: string, reference: string) => [
    ['plugin', 'disable', '-f', name],
    ['plugin', 'upgrade', '--grant-all-permissions', name, reference],
    ['plugin', 'enable', name],
  ],
  pluginRemove: (name: string) => [['plugin', 'rm', name]],
  pluginInspect: (name: string) => [['plugin', 'inspect', name]],
  volumeList: (driver?: string) => [['volume', 'ls', ...(driver ? ['--filter', `driver=${driver}`] : [])]],
  volumeInspect: (name: string) => [['volume', 'inspect', name]],
  volumeCreate: (name: string, driver: string, options: Record<string, string> = {}) => [
    ['volume', 'create', `--driver=${driver}`, `--name=${name}`, ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`])],
  ],
  volumeRemove: (name: string) => [['volume', 'rm', name]],
  /** The walkthrough's test container. */
  runTestContainer: (volume: string, image: string, name: string) => [
    [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '--label',
      `${TEST_CONTAINER_LABEL}=${volume}`,
      '--mount',
      `source=${volume},target=${TEST_MOUNT_TARGET}`,
      image,
      'sleep',
      '1d',
    ],
  ],
  containerStop: (name: string) => [['stop', name]],
  containerRemove: (name: string) => [['rm', name]],
  info: () => [['version'], ['plugin', 'ls']],
};
