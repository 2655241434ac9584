// One TAP kept alive: frame I/O that never throws, and the TAP recreated (same name, MAC, MTU,
// bridge, offloads) when someone deletes it under the running switch.
//
// `ip link del vxtap42` detaches the TAP from our fd: reads and writes fail with EBADFD from then
// on, and the poll reports an error. Throwing from there would kill the process (or, caught,
// leave the segment dead and the log full); instead the keeper logs once, drops the fd, and
// opens the TAP again with backoff, so the segment comes back by itself. The loops hold the
// keeper, not the device, so nothing else changes when the device does: port ids, FDB entries
// and flood lists stay as they were.
import type { RxBatch, TxBatch } from "./batch.js";
import type { TapDevice } from "./tap-device.js";
import type { FramePort } from "./tap-device.js";

/** First retry after this long, doubling up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 100;
export const RETRY_MAX_MS = 5000;
/** Attempts (about a minute of backoff) after which the TAP's segments are stopped. */
export const MAX_ATTEMPTS = 16;

export type TapState = "up" | "recreating" | "stopped";

/** What the keeper counts; `status` shows it per TAP. */
export interface TapKeeperCounters {
  /** Read or write failures that took the TAP down (logged once each). */
  failures: number;
  /** Times the TAP was opened again. */
  recreated: number;
  /** Frames that could not be written while the TAP was away. */
  lostWrites: number;
}

export interface TapKeeperHooks {
  /** Opens the TAP (with the switch's offloads). */
  open(name: string): TapDevice;
  /** Gives a freshly opened TAP its MAC, MTU, bridge, address and link state. */
  setup(device: TapDevice): void;
  log(line: string): void;
  /** Timers (tests pass a fake); default setTimeout, unref'd. */
  later?(fn: () => void, ms: number): void;
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

export class TapKeeper implements FramePort {
  readonly counters: TapKeeperCounters = { failures: 0, recreated: 0, lostWrites: 0 };
  state: TapState = "up";
  private device: TapDevice | undefined;
  private readable: (() => void) | undefined;
  private attempts = 0;
  private closed = false;

  private constructor(readonly name: string, device: TapDevice, private readonly hooks: TapKeeperHooks) {
    this.device = device;
  }

  /** Opens and sets up the TAP; throws (nothing kept open) when that fails. */
  static open(name: string, hooks: TapKeeperHooks): TapKeeper {
    return new TapKeeper(name, openAndSetUp(name, hooks), hooks);
  }

  /** The TAP's fd now, or -1 while it is away. */
  get fd(): number {
    return this.device?.fd ?? -1;
  }

  readBatch(rx: RxBatch): number {
    const device = this.device;
    if (device !== undefined) {
      try {
        return device.readBatch(rx);
      } catch (err) {
        this.fail("read from", err);
      }
    }
    rx.count = 0;
    return 0;
  }

  /** Written frames; while the TAP is away, 0 (the caller counts the batch as lost). */
  writeBatch(tx: TxBatch): number {
    const device = this.device;
    if (device !== undefined) {
      try {
        return device.writeBatch(tx);
      } catch (err) {
        this.fail("write to", err);
      }
    }
    this.counters.lostWrites += tx.count;
    return 0;
  }

  /** Calls cb per readable wakeup, on this TAP and on every TAP that replaces it. */
  onReadable(cb: () => void): void {
    this.readable = cb;
    this.watch();
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private watch(): void {
    const cb = this.readable;
    if (cb === undefined || this.device === undefined) return;
    this.device.onReadable(cb, (err) => this.fail("poll", err));
  }

  /** The TAP failed: log once, let go of the fd, start recreating. */
  private fail(what: string, err: unknown): void {
    if (this.device === undefined || this.closed) return;
    this.counters.failures++;
    this.hooks.log(`TAP ${this.name}: cannot ${what} it (${reason(err)}): it was deleted or broke; recreating it`);
    this.drop();
    this.state = "recreating";
    this.attempts = 0;
    this.retryLater();
  }

  private drop(): void {
    const device = this.device;
    this.device = undefined;
    try {
      device?.close();
    } catch {
      // The fd is already unusable; closing it is all that was left to do.
    }
  }

  private retryLater(): void {
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.attempts);
    const later = this.hooks.later ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
    later(() => this.recreate(), delay);
  }

  private recreate(): void {
    if (this.closed || this.device !== undefined) return;
    this.attempts++;
    try {
      this.device = openAndSetUp(this.name, this.hooks);
      this.state = "up";
      this.counters.recreated++;
      this.watch();
      this.hooks.log(`TAP ${this.name}: recreated and re-attached (attempt ${this.attempts})`);
    } catch (err) {
      if (this.attempts >= MAX_ATTEMPTS) {
        this.state = "stopped";
        this.hooks.log(`TAP ${this.name}: cannot recreate it (${reason(err)}) after ${this.attempts} attempts; its segments are stopped (restart vxswitch to retry)`);
        return;
      }
      if (this.attempts === 1) this.hooks.log(`TAP ${this.name}: cannot recreate it yet (${reason(err)}); retrying with backoff`);
      this.retryLater();
    }
  }
}

function openAndSetUp(name: string, hooks: TapKeeperHooks): TapDevice {
  const device = hooks.open(name);
  try {
    hooks.setup(device);
  } catch (err) {
    device.close();
    throw err;
  }
  return device;
}
