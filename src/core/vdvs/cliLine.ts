import { shellCommand } from '../shellQuote';
import { OPTION_KEYS, VdvsOptions } from './options';

export interface CliTarget {
  /** `-H` endpoint (unix://, tcp://, ssh://); omitted for the local default. */
  endpoint?: string;
}

/**
 * The `docker volume create --driver=vsphere ...` line equivalent to a request: options in vDVS's
 * order, each word quoted safely, so it can be pasted into a shell on the Docker host.
 */
export function createVolumeCommandLine(name: string, options: VdvsOptions, target: CliTarget = {}): string {
  const words = ['docker'];
  if (target.endpoint) words.push('-H', target.endpoint);
  words.push('volume', 'create', '--driver=vsphere', `--name=${name}`);
  const known = OPTION_KEYS.filter((k) => options[k] !== undefined);
  const others = Object.keys(options).filter((k) => options[k] !== undefined && !(OPTION_KEYS as readonly string[]).includes(k));
  for (const key of [...known, ...others]) words.push('-o', `${key}=${options[key]}`);
  return shellCommand(words);
}
