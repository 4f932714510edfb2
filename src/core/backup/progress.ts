/** Progress of a transfer: bytes so far, throughput and, when the total is known, the time left. */
export interface Progress {
  what: string;
  bytes: number;
  totalBytes?: number;
  bytesPerSecond: number;
  etaSeconds?: number;
}

/**
 * Counts bytes and reports at most every `intervalMs`, so a fast stream does not flood a terminal.
 * Throughput is measured since the start of the transfer (steady enough for backups of any size).
 */
export class ProgressMeter {
  private bytes = 0;
  private readonly started = Date.now();
  private lastReport = this.started; // first report after one interval: early rates mislead

  constructor(
    private readonly what: string,
    private readonly report: (p: Progress) => void,
    private readonly totalBytes?: number,
    private readonly intervalMs = 1000,
  ) {}

  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
    if (now - this.lastReport >= this.intervalMs) {
      this.lastReport = now;
      this.report(this.snapshot(now));
    }
  }

  /** The final figures (always reported, whatever the interval). */
  finish(): Progress {
    const p = this.snapshot(Date.now());
    this.report(p);
    return p;
  }

  private snapshot(now: number): Progress {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const bytesPerSecond = this.bytes / seconds;
    const p: Progress = { what: this.what, bytes: this.bytes, bytesPerSecond };
    if (this.totalBytes !== undefined) {
      p.totalBytes = this.totalBytes;
      if (bytesPerSecond > 0) p.etaSeconds = Math.max(0, (this.totalBytes - this.bytes) / bytesPerSecond);
    }
    return p;
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "512.0 MiB of 1.0 GiB (50%), 230.5 MB/s, ETA 3 s" */
export function formatProgress(p: Progress): string {
  const rate = `${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  if (p.totalBytes === undefined || p.totalBytes === 0) return `${p.what}: ${formatBytes(p.bytes)}, ${rate}`;
  const pct = Math.min(100, Math.floor((100 * p.bytes) / p.totalBytes));
  const eta = p.etaSeconds === undefined ? '' : `, ETA ${formatDuration(p.etaSeconds)}`;
  return `${p.what}: ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} (${pct}%), ${rate}${eta}`;
}
