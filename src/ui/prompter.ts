/**
 * The questions a command asks, behind an interface so the in-editor test can answer them (the
 * `Host` idea of vscode-kubernetes-tools). `BACK` is the back button; undefined means cancelled.
 */
// Symbol.for: the same value in the bundled extension and in tests compiled separately
export const BACK: unique symbol = Symbol.for('vdvs.prompter.back') as never;
export type Answer<T> = T | typeof BACK | undefined;

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
  picked?: boolean;
}

export interface Step {
  /** Which question this is, so a test can answer by id. */
  id: string;
  title: string;
  step: number;
  totalSteps: number;
}

export interface Prompter {
  /** `typed` turns what the user typed into an extra item (a value not in the list), or undefined for none. */
  pick<T>(
    step: Step & { placeholder: string; items: PickItem<T>[]; typed?: (text: string) => PickItem<T> | undefined },
  ): Promise<Answer<T>>;
  input(
    step: Step & { prompt: string; value: string; placeholder?: string; validate: (value: string) => string | undefined },
  ): Promise<Answer<string>>;
  /** A modal question; resolves with the chosen action or undefined. */
  confirm(message: string, detail: string, actions: string[]): Promise<string | undefined>;
}
