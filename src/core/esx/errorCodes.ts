/** The error codes of the ESXi shell tools (esxcli, the VIB and its install flow): a UserError here carries one of these. */
export type EsxErrorCode =
  | 'ACCEPTANCE'
  | 'ALREADY_INSTALLED'
  | 'ESXCLI_FAILED'
  | 'ESX_VERSION'
  | 'HOSTD'
  | 'MAINTENANCE_MODE'
  | 'NOT_A_VIB'
  | 'NOT_INSTALLED'
  | 'SIGNATURE'
  | 'VMDKOPS_ADMIN'
  | 'VERIFY_FAILED'
  | 'UPGRADE_FAILED';

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../errors' {
  interface ErrorCodes extends Record<EsxErrorCode, true> {}
}
