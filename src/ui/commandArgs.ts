// No 'vscode' import: the argument rules are unit-tested in plain node (test/unit/commandArgs.test.ts).
import type { Prompter } from './prompter';

/**
 * What a caller other than a menu may pass as a command's last argument (tests, automation, the
 * actions of error nodes): its own prompter instead of dialogs, a host id instead of a node, and
 * the answers a command documents in its own input type (what is given is not asked).
 */
export interface CommandInput {
  /** Answers what it implements; the rest falls to the real dialogs. */
  prompter?: Partial<Prompter>;
  hostId?: string;
}

/** An object literal: what tests, automation and error nodes pass (tree nodes and URIs are class instances). */
function isPlain(value: unknown): value is CommandInput {
  return !!value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * The one argument shape of every command: `(target?, input?)`. The target is what VS Code passes
 * from a menu (a tree node, a URI) or a caller names (a path); the input, always last, is a plain object.
 */
export function decodeArgs(args: readonly unknown[]): { node: unknown; input: CommandInput } {
  const last = args[args.length - 1];
  const input = isPlain(last) ? last : {};
  const first = args[0];
  return { node: first === input || first === null ? undefined : first, input };
}
