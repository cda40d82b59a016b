import { statfs } from 'node:fs/promises';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';

/** Why an upload was refused; each has its own sentence in `templates/web/errors.njk`. */
export type UploadRefusal = 'upload-identity' | 'upload-ip' | 'upload-budget' | 'upload-disk';

export type UploadVerdict = { allowed: true } | { allowed: false; reason: UploadRefusal; retryAfterMs: number };

/** Free bytes on the file system that holds `directory`; `undefined` when it cannot be told. */
export type FreeSpace = (directory: string) => Promise<number | undefined>;

export const freeSpaceOf: FreeSpace = async (directory) => {
  try {
    const stats = await statfs(directory);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
};

/** Below this much free disk under DATA_DIR no upload is taken: tickets and conversations need the room more. */
export const MIN_FREE_DISK_BYTES = 256 * 1024 * 1024;

/** Who is uploading: the web visitor (or the end user a trusted caller names), and from where. */
export interface Uploader {
  userId: string;
  /** Absent for trusted integration callers, who are one gateway for many users. */
  ip?: string;
}

/**
 * Upload quotas: a number of images per uploader and per IP a day, a number of bytes a day for
 * everyone together, and never when the data disk runs low. Counts are spent only when an image
 * is about to be handed on, and the shared byte budget only once the uploader's own limits allow
 * it, so one visitor at their limit cannot use up everyone's budget.
 */
export class UploadQuota {
  constructor(
    private readonly limits: RateLimits,
    private readonly dataDir: string,
    private readonly freeSpace: FreeSpace = freeSpaceOf,
    private readonly minFreeBytes = MIN_FREE_DISK_BYTES,
  ) {}

  async admit(uploader: Uploader, bytes: number): Promise<UploadVerdict> {
    const free = await this.freeSpace(this.dataDir);
    if (free !== undefined && free - bytes < this.minFreeBytes) return { allowed: false, reason: 'upload-disk', retryAfterMs: 0 };

    const own = await this.limits.consumeEach([
      { limit: 'upload:identity', key: limitKey.user(uploader.userId) },
      ...(uploader.ip === undefined ? [] : [{ limit: 'upload:ip' as const, key: limitKey.ip(uploader.ip) }]),
    ]);
    if (!own.allowed) {
      return { allowed: false, reason: own.limit === 'upload:ip' ? 'upload-ip' : 'upload-identity', retryAfterMs: own.retryAfterMs };
    }
    const budget = await this.limits.consume('upload-bytes:global', 'all', Math.max(1, bytes));
    if (!budget.allowed) return { allowed: false, reason: 'upload-budget', retryAfterMs: budget.retryAfterMs };
    return { allowed: true };
  }
}
