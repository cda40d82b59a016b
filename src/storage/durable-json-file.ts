import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * lowdb adapter that makes every acknowledged write survive a crash: the JSON goes to a
 * temporary file, is fsynced, renamed over the target, and the directory entry is fsynced.
 * A crash at any point leaves either the old or the new file, never a torn one.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  constructor(
    private readonly filename: string,
    private readonly options: { syncDirectory?: boolean } = {},
  ) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fs.readFile(this.filename, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    await writeFileDurably(this.filename, JSON.stringify(data), this.options);
  }
}

/**
 * Atomic, fsynced replacement of a file's contents. `syncDirectory: false` leaves the directory
 * entry to the caller, who syncs the directory once after writing many files.
 */
export async function writeFileDurably(filename: string, contents: string | Buffer, options: { syncDirectory?: boolean } = {}): Promise<void> {
  const dir = path.dirname(filename);
  const temp = path.join(dir, `.${path.basename(filename)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, filename);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  if (options.syncDirectory ?? true) await syncDirectory(dir);
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
