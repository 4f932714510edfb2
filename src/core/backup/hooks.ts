import { DockerConnection } from '../docker/connection';
import { errorMessage, UserError } from '../errors';
import { execInContainer } from './dockerHelper';
import { Reporter } from './reporter';

/** A command run in a named container of the Docker host (e.g. `pg_dump`, a `CHECKPOINT`, `fsfreeze`). */
export interface BackupHook {
  container: string;
  command: string[];
}

/**
 * A job's hooks: `pre` before the snapshot or archive (and before `stopContainers` stops anything), `post` after it (and after the
 * containers are started again).
 */
export interface BackupHooks {
  pre?: BackupHook[];
  post?: BackupHook[];
}

/**
 * Runs the pre hooks, `work`, then the post hooks. A pre hook that fails (exit code not 0, or the
 * container cannot run it) aborts before `work`; the post hooks run whatever happened, cancel
 * included (not under the caller's signal), and a failing one is a warning. Every hook's output
 * and exit code go to the report.
 */
export async function withHooks<T>(
  conn: DockerConnection,
  hooks: BackupHooks | undefined,
  reporter: Reporter,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  // boxed: whatever was thrown is thrown again, even a falsy value
  let failure: { error: unknown } | undefined;
  try {
    for (const [i, hook] of (hooks?.pre ?? []).entries()) {
      const exitCode = await runHook(conn, `pre hook ${i + 1}`, hook, reporter, signal);
      if (exitCode !== 0)
        throw new UserError(
          `The pre hook ${i + 1} (${hook.command.join(' ')}) failed in container ${hook.container} with exit code ${exitCode}: nothing was backed up.`,
          'Its output is in the report above; fix the hook or the container, then run the backup again.',
          'HOOK_FAILED',
        );
    }
    result = await work();
  } catch (err) {
    failure = { error: err };
  }
  for (const [i, hook] of (hooks?.post ?? []).entries()) {
    const exitCode = await runHook(conn, `post hook ${i + 1}`, hook, reporter, undefined).catch((err: unknown) => {
      reporter.warn(errorMessage(err));
      return undefined;
    });
    if (exitCode !== undefined && exitCode !== 0)
      reporter.warn(`The post hook ${i + 1} (${hook.command.join(' ')}) failed in container ${hook.container} with exit code ${exitCode}.`);
  }
  if (failure) throw failure.error;
  return result as T;
}

/** One hook through the Engine API's exec (with the request timeout); its output lines and exit code reported. */
async function runHook(
  conn: DockerConnection,
  what: string,
  hook: BackupHook,
  reporter: Reporter,
  signal: AbortSignal | undefined,
): Promise<number> {
  reporter.step(`Running the ${what} in container ${hook.container}: ${hook.command.join(' ')}`);
  let run: { exitCode: number; output: string };
  try {
    run = await execInContainer(conn, hook.container, hook.command, { signal });
  } catch (err) {
    throw new UserError(
      `The ${what} (${hook.command.join(' ')}) could not run in container ${hook.container}: ${errorMessage(err)}`,
      'Check that the container runs on the Docker host and has the command.',
      'HOOK_FAILED',
      { cause: err },
    );
  }
  for (const line of run.output.replace(/\r/g, '').split('\n').filter(Boolean)) reporter.step(`  ${hook.container}> ${line}`);
  reporter.step(`The ${what} exited with code ${run.exitCode}`);
  return run.exitCode;
}
