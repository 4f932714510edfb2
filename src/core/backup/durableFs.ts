import { promises as fs } from 'node:fs';

/** Writes `value` as JSON and syncs it to disk before returning. */
export async function writeJsonDurably(path: string, value: unknown): Promise<void> {
  const handle = await fs.open(path, 'w');
  try {
    await handle.writeFile(JSON.stringify(value));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Syncs a folder, so the names created, renamed or removed in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
