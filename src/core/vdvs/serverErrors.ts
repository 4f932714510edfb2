/**
 * Errors the vsphere plugin and the ESXi service return, shown verbatim, with the explanation of the
 * causes vDVS users hit most (from the vDVS issue tracker).
 */
export interface ExplainedError {
  /** The server's text, untouched apart from Docker's "create NAME: VolumeDriver.Create:" wrapping. */
  message: string;
  explanation?: string;
}

const KNOWN_CAUSES: Array<{ test: RegExp; explanation: string }> = [
  {
    test: /errno=104|connection reset by peer/i,
    explanation:
      'The ESXi host running this Docker host VM does not answer vDVS requests: the vDVS VIB (esx-vmdkops-service) is most likely not installed there, or hostd was not restarted after installing it (vDVS #602). Install the VIB on that ESXi host.',
  },
  {
    test: /Device not found/,
    explanation:
      "The plugin is newer than the VIB on the ESXi host: the disk was attached but the plugin could not find the device (vDVS #2023). Upgrade the VIB to the plugin's version, or use matching versions.",
  },
  {
    test: /Plugin initialization in progress/,
    explanation: 'The plugin is still counting the volumes in use after it started; try again in a few seconds.',
  },
  {
    test: /Service is presently unavailable|ESXi Host Agent/,
    explanation: 'hostd is not running on the ESXi host (for example while it restarts after a VIB install); try again when it is back.',
  },
  {
    // vmdk_ops.py execRequestThread: "There is a mismatch between VDVS client (Docker plugin) protocol version …" (0.20+;
    // "vDVS client" from #1693, 0.17), "client version (N) is older/newer than server version (M)" before
    test: /mismatch between VDVS client \(Docker plugin\) protocol version|client version \(\d+\) is (older|newer) than server version/i,
    explanation: 'The plugin and the VIB speak different protocol versions: upgrade the older of the two.',
  },
];

/** Docker's wrapping of a volume driver's answer: "create NAME: " (managed plugins), "VolumeDriver.Create: " (legacy ones). */
const OPERATION = /^(?:create|remove|get|mount|unmount|path) \S+: /;
const LEGACY_DRIVER = /VolumeDriver\.\w+:\s?/;

function unwrapDaemon(raw: string): string {
  return raw
    .trim()
    .replace(/^\(HTTP code \d+\)[^-]*-\s*/, '')
    .replace(/^Error response from daemon:\s*/, '');
}

/** True when the daemon's error text is a volume driver's (the plugin's or ESXi's) answer. */
export function isDriverError(raw: string): boolean {
  const text = unwrapDaemon(raw);
  return OPERATION.test(text) || LEGACY_DRIVER.test(text);
}

/**
 * Strips Docker's wrappers ("Error response from daemon:", dockerode's "(HTTP code 500) server error -", "create NAME:",
 * "VolumeDriver.Create:").
 */
export function driverMessage(raw: string): string {
  let text = unwrapDaemon(raw).replace(OPERATION, '');
  const driver = LEGACY_DRIVER.exec(text);
  if (driver) text = text.slice(driver.index + driver[0].length);
  return text;
}

export function explainServerError(raw: string): ExplainedError {
  const message = driverMessage(raw);
  const known = KNOWN_CAUSES.find((c) => c.test.test(raw));
  return known ? { message, explanation: known.explanation } : { message };
}
