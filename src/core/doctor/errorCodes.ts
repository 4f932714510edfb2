/** The error codes of the doctor (its fixes): a UserError here carries one of these. */
export type DoctorErrorCode = 'DOCTOR_NO_SUCH_FIX' | 'DOCTOR_FIX_DID_NOT_CLEAR' | 'DOCTOR_NO_HOSTS';

// adds them to the codes UserError accepts (core/errors.ts ErrorCodes), so a code outside every area's union is a type error
declare module '../errors' {
  interface ErrorCodes extends Record<DoctorErrorCode, true> {}
}
