export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** "12 GB free of 100 GB"; vcsim subtracts every attached disk from free space and may go below zero, which no real host reports. */
export function describeSpace(capacityBytes: number, freeBytes: number): string {
  return freeBytes >= 0
    ? `${formatBytes(freeBytes)} free of ${formatBytes(capacityBytes)}`
    : `${formatBytes(capacityBytes)}, free space not reported`;
}
