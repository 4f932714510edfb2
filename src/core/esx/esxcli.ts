/** The esxcli and service command lines the VIB flows run, and parsers for what they print. */

export interface InstallFlags {
  /** --no-sig-check: accept an unsigned VIB. Only when the user picked it. */
  noSigCheck?: boolean;
  /** --force: ignore dependency and acceptance checks. Only when the user picked it. */
  force?: boolean;
}

export function vibInstallArgv(remotePath: string, kind: 'vib' | 'bundle', flags: InstallFlags): string[] {
  // esxcli wants absolute paths; a bundle (offline depot) goes with -d, a single VIB with -v.
  return [
    'esxcli',
    'software',
    'vib',
    'install',
    kind === 'bundle' ? '-d' : '-v',
    remotePath,
    ...(flags.noSigCheck ? ['--no-sig-check'] : []),
    ...(flags.force ? ['--force'] : []),
  ];
}

export function vibRemoveArgv(name: string, maintenanceMode = false): string[] {
  return ['esxcli', 'software', 'vib', 'remove', '-n', name, ...(maintenanceMode ? ['--maintenance-mode'] : [])];
}

export const VIB_LIST_ARGV = ['esxcli', 'software', 'vib', 'list'];
export const PS_ARGV = ['ps', '-c'];
export const HOSTD_RESTART_ARGV = ['/etc/init.d/hostd', 'restart'];
export const HOSTD_STATUS_ARGV = ['/etc/init.d/hostd', 'status'];

export interface InstalledVib {
  name: string;
  version: string;
  vendor: string;
  acceptanceLevel: string;
  installDate: string;
}

/**
 * Parses the table of `esxcli software vib list`: a header line, a line of dashes whose runs give
 * the column widths, then one row per VIB.
 */
export function parseVibList(output: string): InstalledVib[] {
  const lines = output.split(/\r?\n/);
  const dashIndex = lines.findIndex((l) => /^-+(\s+-+)+\s*$/.test(l));
  if (dashIndex < 1) return [];
  const columns: { start: number; end: number }[] = [];
  for (const m of lines[dashIndex].matchAll(/-+/g)) columns.push({ start: m.index, end: m.index + m[0].length });
  const headers = columns.map((c, i) => cell(lines[dashIndex - 1], c.start, columns[i + 1]?.start).toLowerCase());
  const at = (name: string) => headers.findIndex((h) => h === name);
  const rows: InstalledVib[] = [];
  for (const line of lines.slice(dashIndex + 1)) {
    if (!line.trim()) continue;
    const cells = columns.map((c, i) => cell(line, c.start, columns[i + 1]?.start));
    rows.push({
      name: cells[at('name')] ?? '',
      version: cells[at('version')] ?? '',
      vendor: cells[at('vendor')] ?? '',
      acceptanceLevel: cells[at('acceptance level')] ?? '',
      installDate: cells[at('install date')] ?? '',
    });
  }
  return rows;
}

export interface InstallResult {
  message: string;
  rebootRequired: boolean;
  installed: string[];
  removed: string[];
  skipped: string[];
}

/** Parses esxcli's "Installation Result" / "Removal Result" block; undefined when there is none. */
export function parseInstallResult(output: string): InstallResult | undefined {
  if (!/(Installation|Removal) Result/i.test(output)) return undefined;
  const field = (name: string) => new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, 'mi').exec(output)?.[1].trim() ?? '';
  const list = (name: string) =>
    field(name)
      .split(/[,\s]+/)
      .filter(Boolean);
  return {
    message: field('Message'),
    rebootRequired: /^true$/i.test(field('Reboot Required')),
    installed: list('VIBs Installed'),
    removed: list('VIBs Removed'),
    skipped: list('VIBs Skipped'),
  };
}

/** The vDVS service process lines of `ps -c` (what `ps -c | grep vmdk` shows). */
export function vmdkProcesses(psOutput: string): string[] {
  return psOutput.split(/\r?\n/).filter((l) => /vmdk/i.test(l) && !/\bgrep\b/.test(l));
}

function cell(line: string, start: number, end?: number): string {
  return line.slice(start, end).trim();
}
