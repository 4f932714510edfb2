import { Progress } from './progress';

/** Where a backup, restore or verify tells what it does: the task's terminal, the CLI's stderr, a log. */
export interface Reporter {
  step(message: string): void;
  progress(p: Progress): void;
  warn(message: string): void;
}

export const SILENT: Reporter = { step: () => undefined, progress: () => undefined, warn: () => undefined };
