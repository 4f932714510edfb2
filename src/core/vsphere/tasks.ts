import { CancelledError } from '../abort';
import { VimFault } from './faults';
import { at, MoRef, str, xsiType } from './normalize';
import { getProperties } from './propertyCollector';
import { VsphereSession } from './session';

/**
 * Waits for a vim25 Task by polling `info` (first poll at once: most tasks finish in milliseconds),
 * backing off to 1 s. Returns `info.result` (raw) or throws the task's fault. Cancel with `signal`.
 */
export async function waitForTask(session: VsphereSession, task: MoRef, signal?: AbortSignal): Promise<unknown> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 1000)) {
    const { info } = await getProperties(session, task, ['info'], signal);
    const state = str(at(info, 'state'));
    if (state === 'success') return at(info, 'result');
    if (state === 'error') {
      const fault = at(info, 'error');
      throw new VimFault(
        xsiType(at(fault, 'fault')) ?? 'TaskFault',
        str(at(fault, 'localizedMessage')) ?? 'task failed',
        str(at(info, 'descriptionId')) ?? task.value,
      );
    }
    await sleep(delay, signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('Waiting for the vSphere task'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new CancelledError('Waiting for the vSphere task'));
      },
      { once: true },
    );
  });
}
