/** The error codes of the vSphere side (SOAP session, TLS pinning, datastore transfers): a UserError here carries one of these. */
export type VsphereErrorCode =
  | 'BAD_DS_PATH'
  | 'BAD_RESPONSE'
  | 'BAD_URL'
  | 'CERT_CHANGED'
  | 'CERT_INVALID'
  | 'CERT_NONE'
  | 'CERT_UNKNOWN'
  | 'CONNECTION_LOST'
  | 'INVALID_LOGIN'
  | 'NOT_VSPHERE'
  | 'NO_SESSION'
  | 'RANGE_IGNORED'
  | 'RANGE_MISMATCH'
  | 'SHORT_READ'
  | 'SIZE_CHANGED'
  | 'TIMEOUT'
  | 'UNREACHABLE'
  | `HTTP_${number}`;

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../errors' {
  interface ErrorCodes extends Record<VsphereErrorCode, true> {}
}
