import { CommandInput } from './commandArgs';
import { Prompter } from './prompter';
import { Services } from './services';
import { vscodePrompter } from './vscodePrompter';

export type { CommandInput } from './commandArgs';

/** What every command handler gets first; the tree node it ran on (if any) comes second. */
export interface CommandContext<I extends CommandInput = CommandInput> {
  readonly services: Services;
  /** Every question and message of the command goes through this seam. */
  readonly ui: Prompter;
  readonly input: I;
}

export function commandContext<I extends CommandInput>(services: Services, input: I): CommandContext<I> {
  return { services, ui: withFallback(input.prompter), input };
}

function withFallback(given: Partial<Prompter> | undefined): Prompter {
  if (!given) return vscodePrompter;
  const pick = <K extends keyof Prompter>(k: K): Prompter[K] => (given[k]?.bind(given) as Prompter[K] | undefined) ?? vscodePrompter[k];
  return {
    pick: pick('pick'),
    pickMany: pick('pickMany'),
    input: pick('input'),
    confirm: pick('confirm'),
    notify: pick('notify'),
    openFile: pick('openFile'),
  };
}
