import { UserError } from '../errors';

/**
 * Turns a failed `esxcli software vib install|remove` into an explanation with the next step. The
 * patterns are esxcli's own error classes, as reported in the vDVS issues cited per case.
 */
export function explainEsxcliFailure(action: 'install' | 'remove', output: string, exitCode: number): UserError {
  const errorClass = /\[(\w+Error)\]/.exec(output)?.[1];
  const detail = firstDetail(output);

  const esxVersion = /requires esx-version\s*([<>=!]+)\s*([\w.-]+)/i.exec(output);
  if (esxVersion) {
    return new UserError(
      `This VIB requires ESXi ${esxVersion[1]} ${esxVersion[2]}, and the host is older (esxcli: DependencyError, vDVS #674).`,
      'vDVS needs ESXi 6.0 or later: upgrade the host first. --force would install it, but the service does not work on older hosts.',
      'ESX_VERSION',
    );
  }
  if (/acceptance level/i.test(output) || errorClass === 'AcceptanceError' || errorClass === 'AcceptanceLevelError') {
    const levels = /acceptance level is (\w+), which is not compliant with the ImageProfile acceptance level (\w+)/i.exec(output);
    return new UserError(
      `The host's acceptance level refuses the install${levels ? `: a VIB at level "${levels[1]}" does not fit the host's level "${levels[2]}"` : ''} (esxcli: ${errorClass ?? 'AcceptanceError'}, vDVS #764).`,
      "Either lower the host's level on the ESXi shell (`esxcli software acceptance set --level=CommunitySupported`, or PartnerSupported) and install again, or install again with --force checked. Both relax the host's protection: do it only for a VIB you trust.",
      'ACCEPTANCE',
    );
  }
  if (errorClass === 'LiveInstallationError' || /maintenance mode/i.test(output)) {
    return new UserError(
      `ESXi could not ${action} the VIB on the running system (esxcli: ${errorClass ?? 'maintenance mode required'}, vDVS #511).`,
      action === 'remove'
        ? 'Move or power off the VMs on this host and put it in maintenance mode, then use "Remove (maintenance mode)"; if ESXi says it is not safe to continue, reboot the host.'
        : 'Put the host in maintenance mode (move or power off its VMs) and install again; if ESXi says it is not safe to continue, reboot the host first.',
      'MAINTENANCE_MODE',
    );
  }
  if (errorClass === 'NoMatchError' || /no VIB matching/i.test(output)) {
    return new UserError(
      'The vDVS VIB is not installed on this host, so there is nothing to remove.',
      'Refresh the host to see its VIB status.',
      'NOT_INSTALLED',
    );
  }
  if (errorClass === 'VibFormatError' || /not a valid VIB|VibFormatError|Invalid VIB/i.test(output)) {
    return new UserError(
      `ESXi rejected the file as a VIB: ${detail}`,
      'Pick the VIB (or offline bundle) of a vDVS release; the file may be damaged — download it again.',
      'NOT_A_VIB',
    );
  }
  if (
    errorClass === 'VibSigMissingError' ||
    errorClass === 'VibSigFormatError' ||
    errorClass === 'VibSigInvalidError' ||
    /signature/i.test(errorClass ?? '')
  ) {
    return new UserError(
      `ESXi refused the VIB's signature: ${detail}`,
      'Install again with --no-sig-check checked if you trust this VIB (vDVS development builds are unsigned).',
      'SIGNATURE',
    );
  }
  return new UserError(
    `esxcli software vib ${action} failed${errorClass ? ` with ${errorClass}` : ''} (exit ${exitCode}): ${detail}`,
    'The vDVS log channel has the full esxcli output; ESXi writes more to /var/log/esxupdate.log.',
    'ESXCLI_FAILED',
  );
}

/** The first line that says something: not the "[XyzError]" tag or the "see the log" boilerplate. */
function firstDetail(output: string): string {
  const line = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !/^\[\w+\]$/.test(l) && !/^Errors?:?$/.test(l) && !/refer to the log file/i.test(l));
  return line ?? 'no output';
}
