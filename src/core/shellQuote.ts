import { UserError } from './errors';

/**
 * Quotes one argument for the POSIX shell that runs SSH commands on ESXi (busybox ash): inside
 * single quotes nothing is special, and a single quote itself becomes '\''. So spaces, `;`, `$()`,
 * backticks, globs and newlines all reach the program as one literal argument.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new UserError('An argument for the remote command contains a NUL character.', undefined, 'BAD_ARGUMENT');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line from an argv array, every element quoted. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
