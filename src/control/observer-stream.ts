// A ControlStream fed by a dataplane observer: bounded by count and time, lossy (counted) when the client reads too slowly.
import type { ControlStream, StreamSink } from "./stream.js";
import { StreamQueue, type StreamQueueLimits } from "./stream-queue.js";

export type StreamEndReason = "count" | "duration" | "stopped";

export interface StreamSummary {
  /** Items the switch took (and sent, unless the client left). */
  captured: number;
  /** Items dropped because the client read too slowly. */
  lost: number;
  reason: StreamEndReason;
}

export interface ObserverStreamOptions<T> {
  header: unknown;
  /** Stop after this many items (undefined: no limit). */
  count?: number;
  /** Stop after this long (undefined: no limit). */
  durationMs?: number;
  limits: StreamQueueLimits;
  sizeOf: (item: T) => number;
  /** The item line's payload. */
  encode: (item: T) => unknown;
  /** Attaches the producer (an observer) that calls push per item; returns its detach function. */
  attach: (push: (item: T) => void) => () => void;
}

export const DEFAULT_STREAM_LIMITS: StreamQueueLimits = { maxItems: 4096, maxBytes: 16 << 20 };

export class ObserverStream<T> implements ControlStream {
  readonly header: unknown;
  private readonly queue: StreamQueue<T>;
  private reason: StreamEndReason | undefined;
  private detach: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ObserverStreamOptions<T>) {
    this.header = opts.header;
    this.queue = new StreamQueue(opts.limits, opts.sizeOf);
  }

  private readonly push = (item: T): void => {
    if (this.reason !== undefined) return;
    this.queue.push(item);
    if (this.opts.count !== undefined && this.queue.accepted >= this.opts.count) this.finish("count");
  };

  /** Stops taking items (the observer is detached at once: the loops pay nothing more). */
  private finish(reason: StreamEndReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.detach?.();
    this.detach = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.queue.interrupt();
  }

  stop(): void {
    this.finish("stopped");
  }

  async run(sink: StreamSink): Promise<StreamSummary> {
    if (this.opts.count !== 0) this.detach = this.opts.attach(this.push);
    else this.finish("count");
    if (this.opts.durationMs !== undefined) this.timer = setTimeout(() => this.finish("duration"), this.opts.durationMs);
    for (;;) {
      for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
        if (sink.closed) break;
        if (!sink.write(`${JSON.stringify({ item: this.opts.encode(item) })}\n`)) await sink.writable();
      }
      if (sink.closed) {
        this.finish("stopped");
        break;
      }
      if (this.reason !== undefined && this.queue.length === 0) break;
      await this.queue.nextPush();
    }
    return { captured: this.queue.accepted, lost: this.queue.lost, reason: this.reason ?? "stopped" };
  }
}
