// The one-time set-up (scripts/setup.sh) when it is missing: `npm run try` and `npm test` call this
// first, so that on a fresh Debian 12 machine each is one command. setup.sh --check holds the list.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function ensureSetup(root) {
  const setup = join(root, 'scripts/setup.sh');
  if (spawnSync('bash', [setup, '--check'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0) return;
  console.log('the set-up is missing: running scripts/setup.sh');
  const r = spawnSync('bash', [setup], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
