// Waiting on a condition instead of sleeping: what a test then asserts has had its chance to
// happen, however busy the machine, and a quiet machine does not wait longer than it must.
import { sleep } from "../../lab/netns.js";

export interface WaitOptions {
  /** Give up after this long (default 10 s); the last value is returned for the assertion. */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
}

/**
 * Probes until `done(value)` holds or the time is up, and returns the last value either way:
 * the caller asserts on it, so a timeout fails with the test's own message.
 */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(options.intervalMs ?? 50);
    value = await probe();
  }
  return value;
}
