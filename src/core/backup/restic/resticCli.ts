import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError } from '../../abort';
import { UserError } from '../../errors';

/**
 * restic as an external program. Secrets never go on its command line (which `ps` shows): the
 * repository URL (a REST URL may hold a user and password) and the password go through its
 * environment, RESTIC_REPOSITORY and RESTIC_PASSWORD, as restic documents.
 */
export interface ResticRepository {
  /** What restic's -r takes: `/path`, `sftp:user@host:/path`, `rest:http://host:8000/`, `s3:http://host/bucket`, `rclone:remote:path`. */
  url: string;
  password: string;
  /** Backend credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, RCLONE_*, …): from SecretStorage or the secrets file. */
  env?: Record<string, string>;
  /** restic `-o` options, e.g. `sftp.command=ssh -p 2222 backup@nas -s sftp` (not secrets). */
  options?: string[];
  /** The restic program (setting vdvs.restic.path, CLI `resticPath`); default `restic` on PATH. */
  program?: string;
}

/** Debian 12 ships 0.14.0: the oldest this tool supports (`--stdin` with `--stdin-filename`, `dump`, repository v2). */
export const MIN_RESTIC = [0, 14, 0] as const;
const INSTALL_HINT = 'Install it (Debian/Ubuntu: apt install restic; or https://restic.net), or set vdvs.restic.path (CLI: "resticPath").';

/**
 * The repository as it may be shown: the URL a job names, so a REST server's user and password, which
 * exist only in restic's environment, are left out (`rest:http://u:p@host/` → `rest:http://host/`).
 */
export function displayUrl(url: string): string {
  return url.replace(/^(rest:https?:\/\/)[^/@\s]*@/, '$1');
}

/** `scheme://user:secret@host` anywhere in a text (restic names the repository in its errors) with the secret masked. */
function maskCredentials(text: string): string {
  return text.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@');
}

export interface ResticRun {
  stdin?: Readable;
  signal?: AbortSignal;
  /** Each line restic writes to stdout (with --json: one JSON message per line). */
  onLine?: (line: string) => void;
  /** Where restic's output goes instead of onLine (restic dump); not ended: the caller ends it when restic succeeded. */
  stdout?: NodeJS.WritableStream;
}

/** What restic said when it failed, classified; `stderr` is its own text (it never holds the password). */
export class ResticFailure extends UserError {}

const versions = new Map<string, Promise<string>>();

/** The version of the restic program, checked once per program: missing or older than 0.14.0 is a UserError with the install line. */
export function checkResticVersion(program = 'restic'): Promise<string> {
  let known = versions.get(program);
  if (!known) {
    known = readVersion(program);
    versions.set(program, known);
    known.catch(() => versions.delete(program));
  }
  return known;
}

async function readVersion(program: string): Promise<string> {
  let out = '';
  await spawnRestic(program, ['version'], process.env, { onLine: (l) => (out += `${l}\n`) }).catch((err: unknown) => {
    throw isMissing(err)
      ? new UserError(`restic is not installed: ${program} was not found.`, INSTALL_HINT, 'RESTIC_MISSING')
      : new UserError(`${program} version failed: ${(err as Error).message}`, INSTALL_HINT, 'RESTIC_MISSING');
  });
  const m = /restic (\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!m) throw new UserError(`${program} is not restic (its version says "${out.trim().slice(0, 80)}").`, INSTALL_HINT, 'RESTIC_MISSING');
  const have = m.slice(1, 4).map(Number);
  const older = have.findIndex((n, i) => n !== MIN_RESTIC[i]);
  if (older >= 0 && have[older] < MIN_RESTIC[older])
    throw new UserError(
      `restic ${have.join('.')} is too old: this tool needs ${MIN_RESTIC.join('.')} or newer.`,
      INSTALL_HINT,
      'RESTIC_TOO_OLD',
    );
  return have.join('.');
}

/** Runs `restic <args>` on the repository; a failure is a ResticFailure whose code says what went wrong. */
export async function restic(repo: ResticRepository, args: string[], run: ResticRun = {}): Promise<void> {
  const program = repo.program ?? 'restic';
  await checkResticVersion(program);
  const env: NodeJS.ProcessEnv = { ...process.env, ...repo.env, RESTIC_REPOSITORY: repo.url, RESTIC_PASSWORD: repo.password };
  // ours, not one the user's shell happens to carry
  for (const k of ['RESTIC_PASSWORD_FILE', 'RESTIC_PASSWORD_COMMAND', 'RESTIC_REPOSITORY_FILE']) delete env[k];
  const options = (repo.options ?? []).flatMap((o) => ['-o', o]);
  await spawnRestic(program, [...options, ...args], env, run).catch((err: unknown) => {
    if (err instanceof ExitError) throw classify(repo.url, args[0], err);
    if (isMissing(err)) throw new UserError(`restic is not installed: ${program} was not found.`, INSTALL_HINT, 'RESTIC_MISSING');
    throw err;
  });
}

/** The JSON messages of `restic <args> --json`, parsed. */
export async function resticJson<T>(repo: ResticRepository, args: string[], run: Omit<ResticRun, 'onLine' | 'stdout'> = {}): Promise<T[]> {
  const out: T[] = [];
  await restic(repo, [...args, '--json'], {
    ...run,
    onLine: (line) => {
      if (line.startsWith('{') || line.startsWith('[')) out.push(JSON.parse(line) as T);
    },
  });
  return out;
}

class ExitError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${exitCode}`);
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT' && (err as NodeJS.ErrnoException).syscall?.startsWith('spawn') === true;
}

const STDERR_KEPT = 16 << 10;

function spawnRestic(program: string, args: string[], env: NodeJS.ProcessEnv, run: ResticRun): Promise<void> {
  run.signal?.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: [run.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let failed: Error | undefined;
    const fail = (err: unknown) => {
      failed ??= err instanceof Error ? err : new Error(String(err));
      child.kill('SIGTERM');
    };
    const onAbort = () => fail(new CancelledError(`restic ${args[0]}`));
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_KEPT)));
    let stdoutDone: Promise<void>;
    let exited = false;
    if (run.stdout) {
      // not ended here: the caller ends it on success, so a reader never takes a cut-short dump for a whole one
      const out = run.stdout;
      child.stdout!.pipe(out, { end: false });
      stdoutDone = new Promise((r) => child.stdout!.on('end', r));
      out.once('close', () => exited || fail(new CancelledError(`restic ${args[0]}`)));
    } else {
      let partial = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        const lines = (partial + s).split('\n');
        partial = lines.pop()!;
        for (const l of lines) if (l) run.onLine?.(l);
      });
      stdoutDone = new Promise((r) => child.stdout!.on('end', () => (partial && run.onLine?.(partial), r())));
    }
    // restic stops reading stdin when it fails: its EPIPE is not the failure, restic's exit is
    if (run.stdin) pipeline(run.stdin, child.stdin!).catch((err: unknown) => (err as NodeJS.ErrnoException).code === 'EPIPE' || fail(err));
    child.on('error', fail);
    child.on('close', (code) => {
      exited = true;
      run.signal?.removeEventListener('abort', onAbort);
      void stdoutDone.then(() => {
        if (failed) reject(failed);
        else if (code !== 0) reject(new ExitError(code, stderr));
        else resolve();
      });
    });
  });
}

/** restic's own words, turned into what the user can act on. Texts are restic 0.14's (see test/integration/resticBackends.test.ts). */
function classify(url: string, command: string, err: ExitError): ResticFailure {
  const where = displayUrl(url);
  const said = err.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const text = said.join('\n');
  const locked = /repository is already locked(?: exclusively)? by (.+)/.exec(text);
  if (locked) {
    const created = /lock was created at (.+)/.exec(text);
    return new ResticFailure(
      `The restic repository ${where} is locked by ${locked[1].trim()}${created ? `, since ${created[1].trim()}` : ''}.`,
      'Wait for that restic run to end. If it is gone (crashed), remove its stale lock with: restic unlock',
      'RESTIC_LOCKED',
    );
  }
  if (/wrong password or no key found/.test(text))
    return new ResticFailure(
      `The password of the restic repository ${where} is wrong.`,
      'Enter the repository password again (Add Backup Repository…; CLI: the secrets file).',
      'RESTIC_WRONG_PASSWORD',
    );
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(text))
    return new ResticFailure(
      `ssh refused the host key of the restic repository ${where}: it changed, or is not in known_hosts.`,
      "Check with the server's admin that the key changed on purpose, then update known_hosts (never turn host-key checks off).",
      'RESTIC_HOST_KEY',
    );
  if (
    /unexpected HTTP response \(40[13]\)|AWS Access Key Id you provided does not exist|InvalidAccessKeyId|SignatureDoesNotMatch/.test(text)
  )
    return new ResticFailure(
      `The server of the restic repository ${where} refused the credentials: ${lastFatal(said)}`,
      'Enter the REST user and password or the S3 keys again (Add Backup Repository…; CLI: the secrets file).',
      'RESTIC_CREDENTIALS',
    );
  if (/x509: /.test(text))
    return new ResticFailure(
      `The TLS certificate of the restic repository ${where} is not trusted: ${lastFatal(said)}`,
      "Give restic the server's CA (SSL_CERT_FILE in the repository's environment), or fix the certificate; TLS checks stay on.",
      'RESTIC_TLS',
    );
  if (
    /connection refused|no such host|i\/o timeout|network is unreachable|connection reset|unable to start the sftp session|ssh: |TLS handshake/i.test(
      text,
    )
  )
    return new ResticFailure(
      `The restic repository ${where} cannot be reached: ${lastFatal(said)}`,
      'Check that its server is up and the address is right.',
      'RESTIC_UNREACHABLE',
    );
  if (/Is there a repository at the following location\?|repository does not exist|config file does not exist/.test(text))
    return new ResticFailure(
      `There is no restic repository at ${where}.`,
      'Check the address, or create one: Add Backup Repository… (CLI: restic init).',
      'RESTIC_NO_REPOSITORY',
    );
  return new ResticFailure(
    `restic ${command} failed on ${where}: ${lastFatal(said) || `exit code ${err.exitCode}`}`,
    undefined,
    'RESTIC_FAILED',
  );
}

function lastFatal(lines: string[]): string {
  return maskCredentials(
    [...lines]
      .reverse()
      .find((l) => l.startsWith('Fatal:'))
      ?.replace(/^Fatal:\s*/, '') ??
      lines[lines.length - 1] ??
      '',
  );
}
