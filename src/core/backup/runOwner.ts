import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who a backup run is: written into its volume locks, partial folders, snapshot descriptions and
 * helper container labels, so a later run can tell a live run from a dead one.
 */
export interface RunOwner {
  runId: string;
  host: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22): a recycled PID has another one. */
  processStart?: string;
}

/** alive: provably running; dead: provably not; unknown: on another machine (its PID cannot be checked from here). */
export type OwnerState = 'alive' | 'dead' | 'unknown';

/** Runs of this process that have not ended: a PID check cannot tell two runs of one process apart. */
const activeRuns = new Set<string>();

/** A new run of this process, live until endRun(). */
export function startRun(): RunOwner {
  const owner: RunOwner = { runId: randomBytes(6).toString('hex'), host: hostname(), pid: process.pid, ...startField(process.pid) };
  activeRuns.add(owner.runId);
  return owner;
}

export function endRun(owner: RunOwner): void {
  activeRuns.delete(owner.runId);
}

let processOwner: RunOwner | undefined;
/** The owner of work outside a backup run (a restore's helper): live as long as this process. */
export function processRun(): RunOwner {
  return (processOwner ??= startRun());
}

/**
 * Whether the run that wrote `owner` still runs. On this machine: its process must run with the
 * same start time, and a run of this very process must not have ended. Elsewhere: unknown.
 */
export function ownerState(owner: RunOwner): OwnerState {
  if (owner.host !== hostname()) return 'unknown';
  if (!processRuns(owner.pid)) return 'dead';
  const start = startField(owner.pid).processStart;
  if (owner.processStart && start && owner.processStart !== start) return 'dead'; // the PID was reused
  if (owner.pid === process.pid) return activeRuns.has(owner.runId) ? 'alive' : 'dead';
  return 'alive';
}

/** Reads back an owner written as JSON; undefined when it is not one. */
export function parseOwner(value: unknown): RunOwner | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.runId !== 'string' || !o.runId || typeof o.host !== 'string' || !Number.isInteger(o.pid)) return undefined;
  return {
    runId: o.runId,
    host: o.host,
    pid: o.pid as number,
    ...(typeof o.processStart === 'string' ? { processStart: o.processStart } : {}),
  };
}

/** "run R on host H (PID P)", for messages. */
export function describeOwner(owner: RunOwner): string {
  return `run ${owner.runId} on host ${owner.host} (PID ${owner.pid})`;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses); nothing where there is no /proc. */
function startField(pid: number): { processStart?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start ? { processStart: start } : {};
  } catch {
    return {};
  }
}
