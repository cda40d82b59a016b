import { promises as fs } from 'node:fs';

interface Pending {
  data: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * An append-only file where concurrent appends share one write and one fdatasync (group
 * commit). An append resolves only after its bytes are on disk, so throughput grows with
 * concurrency instead of being capped at one sync per write.
 */
export class GroupCommitFile {
  private handle: fs.FileHandle | undefined;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private bytes = -1;

  constructor(readonly filename: string) {}

  append(data: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  /** Bytes in the file, including everything acknowledged so far. */
  async size(): Promise<number> {
    if (this.bytes < 0)
      this.bytes = await fs.stat(this.filename).then(
        (s) => s.size,
        () => 0,
      );
    return this.bytes;
  }

  /** Waits for in-flight appends, closes the file and renames it; later appends start a new file. */
  async rotateTo(target: string): Promise<boolean> {
    while (this.flushing) await this.flushing;
    await this.closeHandle();
    try {
      await fs.rename(this.filename, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    this.bytes = 0;
    return true;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.closeHandle();
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          this.handle ??= await fs.open(this.filename, 'a', 0o600);
          const data = batch.map((item) => item.data).join('');
          await this.handle.write(data);
          await this.handle.datasync();
          if (this.bytes >= 0) this.bytes += Buffer.byteLength(data);
          for (const item of batch) item.resolve();
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/** Parses a JSON Lines file; a torn final line (a crash mid-append, never acknowledged) is skipped. */
export async function readJsonLines<T>(filename: string): Promise<T[]> {
  let text: string;
  try {
    text = await fs.readFile(filename, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as T);
    } catch {
      // torn tail
    }
  }
  return entries;
}
