/**
 * Every error code there is, one key each. Each area declares its own union in `<area>/errorCodes.ts`
 * and merges it in here (the Docker and host-key codes beside their error classes); the core root's own
 * are below. A code no area declares does not compile, and neither does a comparison with one.
 */
export interface ErrorCodes extends Record<'TIMEOUT' | 'CA_BUNDLE' | 'BAD_ARGUMENT', true> {}
export type ErrorCode = keyof ErrorCodes;

/**
 * An error a user can act on: `message` says what went wrong in their terms, `hint` what to do next.
 * Core code throws these for every expected failure so the UI and the CLI can show them verbatim.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly code?: ErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** The message of anything thrown, without a stack: what a user may see. */
export function errorMessage(err: unknown): string {
  if (err instanceof UserError) return err.hint ? `${err.message} ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
