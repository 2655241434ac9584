// Batch sizes per read: typed arrays the loops add to (no objects made, no prom-client calls); metrics read them at scrape time.

export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256] as const;

/** Index of the bucket n falls in: the first power of two >= n, or the overflow bucket. */
export function batchBucket(n: number): number {
  return n <= 1 ? 0 : Math.min(BATCH_BUCKETS.length, 32 - Math.clz32(n - 1));
}

/** How many messages each batch read carried: counts per bucket (not cumulative) and their sum. */
export class BatchHistogram {
  /** counts[i]: batches of size in (BATCH_BUCKETS[i-1], BATCH_BUCKETS[i]]; the last: above 256. */
  readonly counts = new Float64Array(BATCH_BUCKETS.length + 1);
  sum = 0;

  record(n: number): void {
    this.counts[batchBucket(n)]! += 1;
    this.sum += n;
  }

  /** Bucket labels as ranges ("1", "2", "3-4", ..., ">256"), empty buckets left out. */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    this.counts.forEach((count, i) => {
      if (count === 0) return;
      const hi = BATCH_BUCKETS[i];
      const lo = i === 0 ? 1 : BATCH_BUCKETS[i - 1]! + 1;
      out[hi === undefined ? `>${BATCH_BUCKETS[i - 1]}` : lo === hi ? String(hi) : `${lo}-${hi}`] = count;
    });
    return out;
  }
}
