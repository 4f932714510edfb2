import { readFile } from 'node:fs/promises';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { CancelledError, withDeadline } from '../abort';
import { SshSettings } from '../config';
import { UserError } from '../errors';
import { shellCommand } from '../shellQuote';
import { uploadFile, UploadOptions, UploadResult } from './sftpUpload';
import { connectSsh, SshLogin } from './connect';
import { PinAdvice } from './hostKey';
import { expandHome, readSshConfig } from './sshConfig';

/** How an ESXi host's SSH key is pinned: through its "Configure SSH…" command. */
export const ESXI_PIN_ADVICE: PinAdvice = {
  pin: 'Confirm the fingerprint in "Configure SSH…" to pin it.',
  repin: 'run "Configure SSH…" again to pin it',
};

/** Where remote output goes, line by line; `info` lines are ours (the command being run, steps). */
export type RemoteLog = (line: string, stream: 'stdout' | 'stderr' | 'info') => void;

export interface SshTarget extends SshSettings {
  /** The password (auth 'password') or the key's passphrase (auth 'key'), from secret storage. */
  secret?: string;
  /** ssh-agent socket; defaults to $SSH_AUTH_SOCK. */
  agentSocket?: string;
}

export interface SessionOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  log?: RemoteLog;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * An SSH connection to an ESXi shell: commands and SFTP. Opening it checks the pinned host key
 * (connect.ts): with none pinned it fails with HostKeyError HOST_KEY_UNKNOWN carrying the fingerprint
 * to confirm, with a different one it refuses to log in at all.
 */
export class SshSession {
  private sftpChannel?: Promise<SFTPWrapper>;
  private ended = false;

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    readonly hostKeyFingerprint: string,
    /** Where this session's commands and their output are logged; flows add their own lines. */
    readonly log: RemoteLog,
  ) {
    client.on('close', () => (this.ended = true));
    client.on('error', () => (this.ended = true));
  }

  static async open(target: SshTarget, options: SessionOptions): Promise<SshSession> {
    const fromConfig = await readSshConfig(target.host, target.user);
    const login = await loginOf(target, fromConfig.identityAgent);
    const where = `${target.user}@${target.host}:${target.port}`;
    const log = options.log ?? (() => undefined);
    try {
      const { client, fingerprint } = await connectSsh(target, login, {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        advice: ESXI_PIN_ADVICE,
      });
      log(`connected to ${where} (host key ${fingerprint})`, 'info');
      return new SshSession(client, target, fingerprint, log);
    } catch (err) {
      throw err instanceof UserError || err instanceof CancelledError
        ? err
        : connectError(err as Error & { level?: string; code?: string }, target);
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Runs argv on the host, each argument quoted; every output line goes to the log. Never throws for a non-zero exit. */
  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    const command = shellCommand(argv);
    this.log(`$ ${command}`, 'info');
    return withDeadline(
      `"${argv.slice(0, 4).join(' ')}" on ${this.target.host}`,
      options.timeoutMs,
      (signal) =>
        new Promise<RunResult>((resolve, reject) => {
          this.client.exec(command, (err, stream: ClientChannel) => {
            if (err) return reject(new UserError(`Cannot run a command on ${this.target.host}: ${err.message}`, undefined, 'SSH_EXEC'));
            signal.addEventListener('abort', () => stream.close(), { once: true });
            const out = lineCollector((line) => this.log(line, 'stdout'));
            const errs = lineCollector((line) => this.log(line, 'stderr'));
            stream.on('data', out.push);
            stream.stderr.on('data', errs.push);
            stream.on('close', (code: number | null, signalName?: string) => {
              const stdout = out.end();
              const stderr = errs.end();
              if (code === null || code === undefined) {
                return reject(
                  new UserError(
                    `"${argv[0]}" on ${this.target.host} ended without an exit status${signalName ? ` (signal ${signalName})` : ''}: the connection may have dropped.`,
                    undefined,
                    'SSH_EXEC',
                  ),
                );
              }
              resolve({ code, stdout, stderr });
            });
          });
        }),
      options.signal,
    );
  }

  /** Uploads a local file over SFTP; a cancelled or cut-off upload removes the partial remote file. */
  async upload(localPath: string, remotePath: string, options: UploadOptions): Promise<UploadResult> {
    this.log(`uploading ${localPath} to ${remotePath}`, 'info');
    return uploadFile(await this.sftp(), localPath, remotePath, options);
  }

  /** Removes a remote file; a file that is already gone is fine. */
  async removeFile(remotePath: string, timeoutMs: number): Promise<void> {
    const sftp = await this.sftp();
    await withDeadline(
      `Removing ${remotePath}`,
      timeoutMs,
      () =>
        new Promise<void>((resolve, reject) =>
          sftp.unlink(remotePath, (err: (Error & { code?: number }) | null | undefined) =>
            !err || err.code === 2
              ? resolve()
              : reject(new UserError(`Cannot remove ${remotePath} on ${this.target.host}: ${err.message}`, undefined, 'SFTP')),
          ),
        ),
    );
    this.log(`removed ${remotePath}`, 'info');
  }

  /** True when the remote path exists. */
  async exists(remotePath: string, timeoutMs: number): Promise<boolean> {
    const sftp = await this.sftp();
    return withDeadline(
      `Checking ${remotePath}`,
      timeoutMs,
      () =>
        new Promise<boolean>((resolve, reject) =>
          sftp.stat(remotePath, (err: (Error & { code?: number }) | null | undefined) =>
            !err ? resolve(true) : err.code === 2 ? resolve(false) : reject(err),
          ),
        ),
    );
  }

  close(): void {
    this.ended = true;
    this.client.end();
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= new Promise<SFTPWrapper>((resolve, reject) =>
      this.client.sftp((err, sftp) =>
        err
          ? reject(
              new UserError(
                `SFTP is not available on ${this.target.host}: ${err.message}`,
                'ESXi serves SFTP through its SSH service; check that it is enabled.',
                'SFTP',
              ),
            )
          : resolve(sftp),
      ),
    );
    return this.sftpChannel;
  }
}

async function loginOf(target: SshTarget, configAgent?: string): Promise<SshLogin> {
  switch (target.auth) {
    case 'password':
      if (!target.secret)
        throw new UserError(
          `No SSH password is stored for ${target.user}@${target.host}.`,
          'Run "Configure SSH…" for this host and enter the password.',
          'AUTH_MISSING',
        );
      return { password: target.secret };
    case 'agent': {
      const agent = target.agentSocket ?? configAgent ?? process.env.SSH_AUTH_SOCK;
      if (!agent)
        throw new UserError(
          'No ssh-agent is reachable: SSH_AUTH_SOCK is not set for VS Code.',
          'Start VS Code from a shell where ssh-agent runs, or choose a key file or a password in "Configure SSH…".',
          'AUTH_MISSING',
        );
      return { agent };
    }
    case 'key': {
      const path = expandHome(target.keyPath);
      if (!path)
        throw new UserError(
          `No private key file is set for ${target.host}.`,
          'Run "Configure SSH…" and pick the key file.',
          'AUTH_MISSING',
        );
      let privateKey: Buffer;
      try {
        privateKey = await readFile(path);
      } catch (err) {
        throw new UserError(
          `Cannot read the SSH key ${path}: ${(err as Error).message}`,
          'Pick an existing private key in "Configure SSH…".',
          'KEY_FILE',
        );
      }
      const { utils } = await import('ssh2');
      const parsed = utils.parseKey(privateKey, target.secret);
      if (parsed instanceof Error) {
        if (/no passphrase/i.test(parsed.message))
          throw new UserError(
            `The SSH key ${path} is protected by a passphrase.`,
            'Enter its passphrase in "Configure SSH…", or load it into ssh-agent and choose the agent.',
            'KEY_PASSPHRASE',
          );
        if (/passphrase|decrypt|integrity/i.test(parsed.message))
          throw new UserError(`The passphrase for the SSH key ${path} is wrong.`, 'Enter it again in "Configure SSH…".', 'KEY_PASSPHRASE');
        throw new UserError(
          `${path} is not a private key ssh2 can read: ${parsed.message}`,
          'Pick an OpenSSH or PEM private key (not the .pub file).',
          'KEY_FILE',
        );
      }
      return { privateKey, passphrase: target.secret };
    }
  }
}

function connectError(err: Error & { level?: string; code?: string }, target: SshTarget): UserError {
  const where = `${target.host}:${target.port}`;
  if (err.level === 'client-authentication') {
    const how = { password: 'the stored password', key: `the key ${target.keyPath ?? ''}`.trim(), agent: 'the keys in ssh-agent' }[
      target.auth
    ];
    return new UserError(
      `${where} refused the SSH login of ${target.user} with ${how}.`,
      'Check the user and the credentials in "Configure SSH…" (ESXi: root, or a user with shell access).',
      'AUTH_FAILED',
    );
  }
  if (err.code === 'SSH_CLOSED')
    return new UserError(
      `${target.user}@${where} closed the SSH connection during login.`,
      'Check that this is an SSH server (ESXi: the TSM-SSH service) and that it allows this user.',
      'SSH_CLOSED',
    );
  if (err.level === 'client-timeout')
    return new UserError(
      `SSH to ${where} timed out during login.`,
      'Check that the host is reachable, or raise vdvs.requestTimeoutSeconds.',
      'TIMEOUT',
    );
  switch (err.code) {
    case 'ECONNREFUSED':
      return new UserError(
        `SSH to ${where} was refused: nothing listens on that port.`,
        'Start the SSH service on the ESXi host (Host Client: Manage > Services > TSM-SSH) and check the port.',
        'SSH_REFUSED',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(
        `The host name ${target.host} cannot be resolved.`,
        'Check the host name in "Configure SSH…" or ~/.ssh/config.',
        'SSH_UNREACHABLE',
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UserError(
        `${where} cannot be reached (${err.code}).`,
        'Check the network path and firewall to the ESXi host.',
        'SSH_UNREACHABLE',
      );
  }
  return new UserError(`SSH to ${where} failed: ${err.message}`, undefined, 'SSH_FAILED', { cause: err });
}

/** Splits a byte stream into lines for the log, and keeps the whole text. */
function lineCollector(onLine: (line: string) => void) {
  let text = '';
  let partial = '';
  return {
    push: (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      text += s;
      const lines = (partial + s).split(/\r?\n/);
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    },
    end: () => {
      if (partial) onLine(partial);
      partial = '';
      return text;
    },
  };
}
