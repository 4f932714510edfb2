import { UserError } from '../errors';
import { at, str, xsiType } from './normalize';

/** A vim25 fault: its type name (InvalidLogin, NotAuthenticated, FileNotFound…) and message. */
export class VimFault extends Error {
  constructor(
    readonly faultName: string,
    message: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${faultName}: ${message}`);
    this.name = 'VimFault';
  }
}

/** Reads the fault out of an npm soap error, if the server sent one. */
export function faultFrom(err: unknown, operation: string): VimFault | undefined {
  const fault = at(err, 'root', 'Envelope', 'Body', 'Fault');
  if (!fault || typeof fault !== 'object') return undefined;
  const message = str(at(fault, 'faultstring')) ?? '';
  const detail = at(fault, 'detail');
  let name = 'UnknownFault';
  if (detail && typeof detail === 'object') {
    const [key, value] = Object.entries(detail as Record<string, unknown>)[0] ?? [];
    if (key) name = xsiType(value) ?? key.replace(/Fault$/, '');
  }
  return new VimFault(name, message, operation);
}

/** Translates transport errors into what the user can act on. */
export function transportError(err: unknown, host: string): Error {
  if (err instanceof UserError) return err;
  // axios wraps what the TLS agent failed with (thumbprint refusals) as the cause
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof UserError) return cause;
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return new UserError(`${host} refused the connection.`, 'Check the URL and port, and that the host is up.', 'UNREACHABLE', {
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`Cannot resolve ${host}.`, 'Check the host name in the URL.', 'UNREACHABLE', { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
      return new UserError(`Cannot reach ${host} (${code}).`, 'Check the network path to the host.', 'UNREACHABLE', { cause: err });
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}
