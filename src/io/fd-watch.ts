// Readiness of one fd: wraps the addon's uv_poll so a callback can be set, replaced and stopped,
// and so neither a poll error nor a throwing callback can stall the loop or kill the process.
import type { NativeAddon, PollHandle } from "./native.js";

/** Process-wide counts of what went wrong under the watches; `status` can show them. */
export interface FdWatchCounters {
  /** Callbacks that threw (caught, logged; the watch stays). */
  callbackErrors: number;
  /** Poll errors libuv reported (EPOLLERR: TAP deleted, socket error). */
  pollErrors: number;
  /** Watches re-armed after a poll error. */
  rearms: number;
  /** Watches given up after too many poll errors in a row, or because the fd is gone. */
  abandoned: number;
}

const counters: FdWatchCounters = { callbackErrors: 0, pollErrors: 0, rearms: 0, abandoned: 0 };

/** A copy of the process-wide watch counters. */
export function fdWatchCounters(): FdWatchCounters {
  return { ...counters };
}

let log: (message: string) => void = (message) => process.stderr.write(`vxswitch: ${message}\n`);

/** Where watch problems are reported (default: stderr). */
export function setFdWatchLog(fn: (message: string) => void): void {
  log = fn;
}

/** Poll errors in a row (no readable wakeup in between) after which a watch gives up. */
export const MAX_POLL_ERRORS = 8;
/** Re-arm delay after the n-th error in a row: 10 ms doubling up to 1 s, so an error state cannot spin. */
const rearmDelayMs = (n: number): number => Math.min(1000, 10 * 2 ** (n - 1));

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class FdWatch {
  private handle: PollHandle | undefined;
  private cb: (() => void) | undefined;
  private onError: ((err: Error) => void) | undefined;
  private errorsInARow = 0;
  private rearmTimer: NodeJS.Timeout | undefined;
  private keepAlive = true;

  constructor(private readonly addon: NativeAddon, private readonly fd: number) {}

  /**
   * Calls cb once per readable wakeup (level-triggered: again while data stays unread). With
   * onError, the owner handles poll errors: the watch stops and hands the error over.
   */
  set(cb: () => void, onError?: (err: Error) => void): void {
    this.stop();
    this.cb = cb;
    this.onError = onError;
    this.start();
  }

  /** Whether this watch alone keeps the process alive. */
  ref(keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    if (this.handle) this.addon.pollSetRef(this.handle, keepAlive);
  }

  stop(): void {
    if (this.rearmTimer) clearTimeout(this.rearmTimer);
    this.rearmTimer = undefined;
    this.cb = undefined;
    this.onError = undefined;
    this.release();
  }

  private release(): void {
    if (this.handle) {
      this.addon.pollStop(this.handle);
      this.handle = undefined;
    }
  }

  private start(): void {
    this.handle = this.addon.pollStart(this.fd, (err?: Error) => this.wakeup(err));
    if (!this.keepAlive) this.addon.pollSetRef(this.handle, false);
  }

  /** Runs inside the native poll callback: nothing may escape from here. */
  private wakeup(err: Error | undefined): void {
    if (err !== undefined) {
      this.onPollError(err);
      return;
    }
    this.errorsInARow = 0;
    try {
      this.cb?.();
    } catch (thrown) {
      counters.callbackErrors++;
      log(`fd ${this.fd}: readable callback threw (counted, watch kept): ${describe(thrown)}`);
    }
  }

  private onPollError(err: Error): void {
    counters.pollErrors++;
    const owner = this.onError;
    if (owner !== undefined) {
      this.stop();
      try {
        owner(err);
      } catch (thrown) {
        counters.callbackErrors++;
        log(`fd ${this.fd}: error callback threw (counted): ${describe(thrown)}`);
      }
      return;
    }
    this.errorsInARow++;
    this.release();
    if (this.errorsInARow > MAX_POLL_ERRORS) {
      counters.abandoned++;
      log(`fd ${this.fd}: ${err.message}; ${MAX_POLL_ERRORS} errors in a row, no longer watched`);
      return;
    }
    const delay = rearmDelayMs(this.errorsInARow);
    log(`fd ${this.fd}: ${err.message}; watching it again in ${delay} ms`);
    this.rearmTimer = setTimeout(() => this.rearm(), delay);
    if (!this.keepAlive) this.rearmTimer.unref();
  }

  private rearm(): void {
    this.rearmTimer = undefined;
    if (this.cb === undefined) return;
    try {
      this.start();
      counters.rearms++;
    } catch (err) {
      counters.abandoned++;
      log(`fd ${this.fd}: cannot watch it again, no longer watched: ${describe(err)}`);
    }
  }
}
