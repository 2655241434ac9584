// Busy polling (`--busy-poll USEC`): after traffic, keep watching the TAPs and the tunnel socket
// by spinning instead of sleeping in epoll, for USEC microseconds since the last packet.
//
// Why: each packet that crosses vxswitch needs the process awake. Woken from sleep, a thread
// pays the scheduler's and (in a VM) the hypervisor's wakeup plus cold caches: measured here
// 100-300 µs per wakeup, four per ping round trip, where the kernel's vxlan needs none. Spinning
// trades a CPU for that latency, like the kernel's busy_poll sockets and Open vSwitch's PMD
// threads. The spin runs in slices with the event loop in between, so timers, signals and the
// control socket keep working; when the window passes with no traffic it stops and the process
// sleeps in epoll as usual until the next packet.
import type { NativeAddon } from "./native.js";

export interface BusyPollSource {
  /** An fd that becomes readable when there is work (a TAP, a native socket). */
  fd: number;
  /** What the event loop would call on readability: drains the fd. */
  onReadable: () => void;
}

/** At most this many fds (the native spin takes a 32-bit ready mask). */
export const MAX_BUSY_POLL_SOURCES = 32;
/** Longest single spin before the event loop gets a turn. */
const SLICE_US = 200;

export interface BusyPollCounters {
  /** Spin slices run. */
  spins: number;
  /** Slices that found an fd readable (each of those is a wakeup saved). */
  hits: number;
}

export class BusyPoll {
  readonly counters: BusyPollCounters = { spins: 0, hits: 0 };
  readonly #fds: Uint32Array;
  readonly #handlers: (() => void)[];
  readonly #windowMs: number;
  /** performance.now() until which to keep spinning. */
  #hotUntil = 0;
  #running = false;
  #stopped = false;
  #immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly addon: NativeAddon,
    sources: readonly BusyPollSource[],
    readonly windowUs: number,
  ) {
    if (sources.length === 0 || sources.length > MAX_BUSY_POLL_SOURCES) {
      throw new RangeError(`busy polling takes 1..${MAX_BUSY_POLL_SOURCES} fds, got ${sources.length}`);
    }
    if (!Number.isInteger(windowUs) || windowUs < 1) throw new RangeError(`invalid busy-poll window ${windowUs} µs`);
    this.#fds = Uint32Array.from(sources, (s) => s.fd);
    this.#handlers = sources.map((s) => s.onReadable);
    this.#windowMs = windowUs / 1000;
  }

  /** Traffic was just handled: keep spinning for the window from now. */
  kick(): void {
    if (this.#stopped) return;
    this.#hotUntil = performance.now() + this.#windowMs;
    if (this.#running) return;
    this.#running = true;
    this.#immediate = setImmediate(this.#turn);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#running = false;
  }

  readonly #turn = (): void => {
    this.#immediate = undefined;
    if (this.#stopped) return;
    const remainingUs = Math.floor((this.#hotUntil - performance.now()) * 1000);
    if (remainingUs <= 0) {
      this.#running = false;
      return;
    }
    this.counters.spins++;
    const mask = this.addon.spinReadable(this.#fds, this.#fds.length, Math.min(SLICE_US, remainingUs));
    if (mask !== 0) {
      this.counters.hits++;
      this.#hotUntil = performance.now() + this.#windowMs;
      const handlers = this.#handlers;
      for (let i = 0; i < handlers.length; i++) if ((mask & (1 << i)) !== 0) handlers[i]!();
    }
    this.#immediate = setImmediate(this.#turn);
  };
}
