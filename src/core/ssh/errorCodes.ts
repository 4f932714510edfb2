/** The error codes of the SSH stack (connect, the ESXi shell session, SFTP): a UserError here carries one of these. */
export type SshErrorCode =
  | 'AUTH_FAILED'
  | 'AUTH_MISSING'
  | 'KEY_FILE'
  | 'KEY_PASSPHRASE'
  | 'SFTP'
  | 'SSH_CLOSED'
  | 'SSH_EXEC'
  | 'SSH_FAILED'
  | 'SSH_REFUSED'
  | 'SSH_UNREACHABLE'
  | 'TIMEOUT'
  | 'UPLOAD_CUT_OFF';

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../errors' {
  interface ErrorCodes extends Record<SshErrorCode, true> {}
}
