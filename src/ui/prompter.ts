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
    step: Step & {
      prompt: string;
      value: string;
      placeholder?: string;
      /** Typed characters hidden (passwords, passphrases). */
      password?: boolean;
      validate: (value: string) => string | undefined;
      /**
       * Run on Enter once `validate` passes (e.g. a login with the typed password): an error text keeps
       * the box open and shows it there; undefined accepts. A throw ends the question with that error.
       */
      check?: (value: string) => Promise<string | undefined>;
    },
  ): Promise<Answer<string>>;
  /** Several of a list (check boxes); undefined when cancelled. */
  pickMany<T>(step: Step & { placeholder: string; items: PickItem<T>[] }): Promise<T[] | undefined>;
  /** A modal question; resolves with the chosen action or undefined. */
  confirm(message: string, detail: string, actions: string[]): Promise<string | undefined>;
  /** A notification (not modal): an outcome or a failure; resolves with the action clicked, if any. */
  notify(level: 'info' | 'warning' | 'error', message: string, ...actions: string[]): Promise<string | undefined>;
  /** A file to read (a VIB bundle, a private key); undefined when cancelled. */
  openFile(options: {
    title: string;
    openLabel: string;
    filters?: Record<string, string[]>;
    defaultPath?: string;
  }): Promise<string | undefined>;
}

/** The questions a wizard asks (pick, input, confirm): what a test of a wizard alone answers. */
export type Questions = Pick<Prompter, 'pick' | 'input' | 'confirm'>;

/** The answer of a single question (no Back button), or undefined when cancelled. */
export async function answered<T>(answer: Promise<Answer<T>>): Promise<T | undefined> {
  const value = await answer;
  return value === BACK ? undefined : value;
}
