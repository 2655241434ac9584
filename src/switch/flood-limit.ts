// A token bucket per segment for flooded frames (broadcast, multicast, unknown unicast): a storm on one segment cannot take the others' share.

export interface FloodRateLimit {
  /** Sustained flooded frames per second. */
  pps: number;
  /** Frames that may flood at once after a quiet spell (the bucket's size). */
  burst: number;
}

/**
 * One bucket, refilled from the clock at each check: no timer, no allocation. A frame that finds
 * the bucket empty is dropped (counted `floodLimited`); known unicast never comes here.
 */
export class FloodLimiter {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(readonly limit: FloodRateLimit, private readonly now: () => number = () => performance.now()) {
    if (!(limit.pps > 0) || !(limit.burst >= 1)) throw new RangeError(`invalid flood rate limit ${limit.pps} pps, burst ${limit.burst} (pps > 0, burst >= 1)`);
    this.perMs = limit.pps / 1000;
    this.tokens = limit.burst;
    this.last = this.now();
  }

  /** True when one more flooded frame may go (and takes its token). */
  take(): boolean {
    const t = this.now();
    let tokens = this.tokens + (t - this.last) * this.perMs;
    if (tokens > this.limit.burst) tokens = this.limit.burst;
    this.last = t;
    if (tokens < 1) {
      this.tokens = tokens;
      return false;
    }
    this.tokens = tokens - 1;
    return true;
  }
}
