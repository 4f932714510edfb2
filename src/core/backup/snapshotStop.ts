import { DockerConnection } from '../docker/connection';
import { execInHelper, StopJournal, withContainersStopped, withHelper } from './dockerHelper';
import { Reporter } from './reporter';

export interface SnapshotStopOptions {
  helperImage: string;
  stopTimeoutSeconds?: number;
  /** Where the containers stopped for each volume are recorded first (its lock). */
  journalOf: (volume: string) => StopJournal;
  signal?: AbortSignal;
}

/**
 * Snapshot mode's `stopContainers`: the containers using the volumes are stopped, the guest's
 * writes flushed (`sync`), `work` (the snapshot) runs, and they are started again right after it.
 * Each volume is held by a helper container meanwhile: with no container left, vDVS would detach
 * its disk from the VM and the snapshot would not hold it.
 */
export async function withContainersStoppedForSnapshot<T>(
  conn: DockerConnection,
  volumes: string[],
  options: SnapshotStopOptions,
  reporter: Reporter,
  work: () => Promise<T>,
): Promise<{ result: T; stopped: string[] }> {
  const { signal } = options;
  const stopped: string[] = [];
  const hold = async (rest: string[], helper?: string): Promise<T> => {
    const [volume, ...more] = rest;
    if (volume === undefined) {
      if (helper) await execInHelper(conn, helper, ['sync'], { signal });
      return work();
    }
    reporter.step(`Keeping ${volume} attached to the VM with a helper container while its containers are stopped`);
    return withHelper(conn, options.helperImage, volume, true, { signal }, (id) =>
      withContainersStopped(
        conn,
        volume,
        reporter,
        { signal, stopTimeoutSeconds: options.stopTimeoutSeconds },
        options.journalOf(volume),
        (names) => {
          stopped.push(...names);
          return hold(more, id);
        },
      ),
    );
  };
  return { result: await hold(volumes), stopped };
}
