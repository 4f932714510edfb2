/** The error codes of the vDVS domain (option validation, the plugin's server errors): a UserError here carries one of these. */
export type VdvsErrorCode = 'VDVS_INVALID' | 'VDVS_SERVER' | 'VMDKOPS_ADMIN_OUTPUT' | 'VOLUME_IN_USE';

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../errors' {
  interface ErrorCodes extends Record<VdvsErrorCode, true> {}
}
