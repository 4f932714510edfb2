// Helper for tests: read the running lab's description (lab.json).
//   import { readLabInfo } from '../../lab/labInfo.mjs';
//   const lab = readLabInfo(); // throws "lab is not running: run npm run lab"
import fs from 'node:fs';
import path from 'node:path';

export function labDir() {
  return path.resolve(process.env.VDVS_LAB_DIR || '/tmp/vdvs-lab');
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Returns the parsed lab.json of $VDVS_LAB_DIR (default /tmp/vdvs-lab).
 * Throws Error('lab is not running: run npm run lab') when there is none, or
 * when one of its recorded processes is gone (stale lab.json), unless
 * { checkAlive: false }.
 */
export function readLabInfo({ dir = labDir(), checkAlive = true } = {}) {
  let info;
  try {
    info = JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8'));
  } catch {
    throw new Error('lab is not running: run npm run lab');
  }
  if (checkAlive) {
    const dead = Object.entries(info.pids || {}).filter(([, pid]) => !alive(pid));
    if (dead.length) {
      throw new Error(
        `lab is not running: run npm run lab (stale ${path.join(dir, 'lab.json')}: ${dead.map(([n, p]) => `${n} pid ${p}`).join(', ')} gone)`,
      );
    }
  }
  return info;
}

/** true when the lab is up (no throw). */
export function labIsRunning(opts) {
  try {
    readLabInfo(opts);
    return true;
  } catch {
    return false;
  }
}
