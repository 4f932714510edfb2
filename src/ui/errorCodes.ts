/** The error codes of the extension's views and commands: a UserError here carries one of these. */
export type UiErrorCode =
  | 'BACKUP_DAMAGED'
  | 'BAD_URL'
  | 'CERT_REFUSED'
  | 'HOST_KEY_REFUSED'
  | 'NO_BACKUPS'
  | 'NO_CONTAINER'
  | 'NO_CONTEXTS'
  | 'NO_DETAILS'
  | 'NO_GOVC'
  | 'NO_HOST'
  | 'NO_LAB'
  | 'NO_NODE'
  | 'NO_PASSWORD'
  | 'NO_PATH'
  | 'NO_SSH'
  | 'NO_TASK'
  | 'NO_VMDK'
  | 'NO_VOLUME'
  | 'NO_VOLUMES'
  | 'ORPHAN'
  | 'VMDK_NOT_FOUND'
  | 'VOLUME_IN_USE';

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../core/errors' {
  interface ErrorCodes extends Record<UiErrorCode, true> {}
}
