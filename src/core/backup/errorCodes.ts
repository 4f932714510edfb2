/** The error codes of the backup engine (jobs, modes, restore, verify, locks, the CLI config): a UserError here carries one of these. */
export type BackupErrorCode =
  | 'BACKUP_DAMAGED'
  | 'BAD_CONFIG'
  | 'BAD_JOB'
  | 'BAD_LOCK'
  | 'BAD_OPTIONS'
  | 'BUSY'
  | 'HOOK_FAILED'
  | 'LOCK_LOST'
  | 'NOT_CONFIRMED'
  | 'NOT_FOUND'
  | 'NOT_LISTED'
  | 'NOT_SNAPSHOTTABLE'
  | 'NO_SECRET'
  | 'NO_SPACE'
  | 'RESTIC_CREDENTIALS'
  | 'RESTIC_FAILED'
  | 'RESTIC_HOST_KEY'
  | 'RESTIC_LOCKED'
  | 'RESTIC_MISSING'
  | 'RESTIC_NO_REPOSITORY'
  | 'RESTIC_TLS'
  | 'RESTIC_TOO_OLD'
  | 'RESTIC_UNREACHABLE'
  | 'RESTIC_WRONG_PASSWORD'
  | 'SECRETS_FILE_OPEN'
  | 'TAR_INCOMPLETE'
  | 'TIMEOUT'
  | 'UNSAFE_BACKUP'
  | 'VOLUME_EXISTS'
  | 'VOLUME_IN_USE'
  | 'VOLUME_NOT_EMPTY';

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../errors' {
  interface ErrorCodes extends Record<BackupErrorCode, true> {}
}
