import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DockerHostConfig, newHostId } from '../../../core/config';
import { DEFAULT_ENDPOINT, endpointFromEnv, parseEndpoint } from '../../../core/docker/endpoint';
import { engineInfo } from '../../../core/docker/engine';
import { probeHostKey } from '../../../core/ssh/connect';
import { errorMessage } from '../../../core/errors';
import { tryDockerHost } from '../../connections';
import { requestTimeoutMs } from '../../services';
import { CommandContext } from '../../commandContext';
import { Prompter } from '../../prompter';
import { confirmFingerprint } from '../../prompts';
import { refreshHost } from './target';

type Kind = 'local' | 'env' | 'tcp' | 'ssh';
const SAVE_ANYWAY = 'Save Anyway';

/**
 * "Add Docker Host…": local socket (default), DOCKER_HOST when set, tcp:// with TLS client
 * certificates, or ssh:// with a key or the agent and a pinned host key; then a test connection.
 * Resolves with the saved host.
 */
export async function addHost({ services, ui: prompter }: CommandContext): Promise<DockerHostConfig | undefined> {
  const fromEnv = safeEnvEndpoint();
  const kind = await prompter.pick<Kind>({
    id: 'kind',
    title: 'Add Docker Host',
    step: 1,
    totalSteps: 3,
    placeholder: 'How does VS Code reach the Docker host?',
    items: [
      { label: '$(vm) Local socket', description: DEFAULT_ENDPOINT, value: 'local', picked: true },
      ...(fromEnv ? [{ label: '$(symbol-variable) DOCKER_HOST', description: fromEnv.endpoint, value: 'env' as const }] : []),
      { label: '$(lock) TCP with TLS', description: 'tcp://host:2376 + ca.pem, cert.pem, key.pem', value: 'tcp' },
      { label: '$(remote) SSH', description: 'ssh://user@host (needs docker 18.09+ on the host)', value: 'ssh' },
    ],
  });
  if (typeof kind !== 'string') return undefined;
  const host: DockerHostConfig = { id: newHostId(), name: '', endpoint: kind === 'env' && fromEnv ? fromEnv.endpoint : DEFAULT_ENDPOINT };
  if (kind === 'env' && fromEnv?.tlsCertPath) host.tlsCertPath = fromEnv.tlsCertPath;
  let passphrase: string | undefined;
  if (kind !== 'env') {
    const endpoint = await ask(
      prompter,
      'endpoint',
      'Endpoint',
      kind === 'tcp' ? 'tcp://10.0.0.5:2376' : kind === 'ssh' ? 'ssh://docker@10.0.0.5' : DEFAULT_ENDPOINT,
      (v) => endpointProblem(v, kind),
    );
    if (endpoint === undefined) return undefined;
    host.endpoint = endpoint.trim();
  }
  if (kind === 'tcp') {
    const dir = await ask(prompter, 'tlsCertPath', 'Folder with ca.pem, cert.pem and key.pem', join(homedir(), '.docker'), (v) =>
      ['cert.pem', 'key.pem'].every((f) => existsSync(join(v.trim(), f))) ? undefined : `${v} has no cert.pem and key.pem`,
    );
    if (dir === undefined) return undefined;
    host.tlsCertPath = dir.trim();
  }
  if (kind === 'ssh') {
    const key = await ask(prompter, 'sshKeyPath', 'Private key file (empty: use the ssh agent)', defaultKey(), (v) =>
      !v.trim() || existsSync(v.trim()) ? undefined : `${v} does not exist`,
    );
    if (key === undefined) return undefined;
    if (key.trim()) {
      host.sshKeyPath = key.trim();
      if (await keyIsEncrypted(host.sshKeyPath)) {
        const answer = await prompter.input({
          id: 'passphrase',
          title: 'Passphrase of the private key',
          step: 2,
          totalSteps: 3,
          prompt: `${host.sshKeyPath} is encrypted; the passphrase is kept in VS Code secret storage.`,
          value: '',
          password: true,
          validate: () => undefined,
        });
        if (typeof answer !== 'string') return undefined;
        passphrase = answer;
      }
    }
    const ep = parseEndpoint(host.endpoint);
    if (ep.kind === 'ssh') {
      const fingerprint = await probeHostKey(ep.host, ep.port, requestTimeoutMs());
      const trusted = await confirmFingerprint(
        prompter,
        `The SSH host key of ${ep.host}:${ep.port}`,
        fingerprint,
        'Compare it with the one the host shows (ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub) before you trust it.',
      );
      if (!trusted) return undefined;
      host.sshHostKeyFingerprint = fingerprint;
    }
  }
  const name = await ask(prompter, 'name', 'Name shown in the tree', suggestedName(host.endpoint), (v) =>
    v.trim() ? undefined : 'Enter a name',
  );
  if (name === undefined) return undefined;
  host.name = name.trim();
  const problem = await testConnection(host, passphrase);
  if (problem) {
    const answer = await prompter.confirm(
      `${host.name} did not answer: ${problem}`,
      'Save the host anyway? It will show the error until the daemon answers.',
      [SAVE_ANYWAY],
    );
    if (answer !== SAVE_ANYWAY) return undefined;
  }
  await services.hosts.save('docker', host);
  if (passphrase) await services.hosts.setSecret('docker', host.id, 'sshPassphrase', passphrase);
  await refreshHost(services, host);
  return host;
}

async function ask(
  prompter: Prompter,
  id: string,
  prompt: string,
  value: string,
  validate: (v: string) => string | undefined,
): Promise<string | undefined> {
  const answer = await prompter.input({ id, title: 'Add Docker Host', step: 2, totalSteps: 3, prompt, value, validate });
  return typeof answer === 'string' ? answer : undefined;
}

function endpointProblem(value: string, kind: Kind): string | undefined {
  try {
    const ep = parseEndpoint(value);
    if (kind === 'tcp' && ep.kind !== 'tcp') return 'Enter a tcp:// endpoint';
    if (kind === 'ssh' && ep.kind !== 'ssh') return 'Enter an ssh:// endpoint';
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

function safeEnvEndpoint(): ReturnType<typeof endpointFromEnv> {
  try {
    return endpointFromEnv(process.env, homedir());
  } catch {
    return undefined; // a malformed DOCKER_HOST is simply not offered
  }
}

function defaultKey(): string {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).find((p) => existsSync(p)) ?? '';
}

async function keyIsEncrypted(path: string): Promise<boolean> {
  const { utils } = await import('ssh2');
  const parsed = utils.parseKey(await readFile(path));
  return parsed instanceof Error && /encrypted/i.test(parsed.message);
}

function suggestedName(endpoint: string): string {
  const ep = parseEndpoint(endpoint);
  return ep.kind === 'unix' ? (ep.socketPath === '/var/run/docker.sock' ? 'local' : ep.socketPath) : ep.host;
}

/** Undefined when the engine answered, else why not. */
async function testConnection(host: DockerHostConfig, sshPassphrase?: string): Promise<string | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Connecting to ${host.endpoint}…` },
    async () => {
      try {
        await tryDockerHost(host, sshPassphrase, (conn) => engineInfo(conn));
        return undefined;
      } catch (err) {
        return errorMessage(err);
      }
    },
  );
}
