// A bounded queue between a dataplane observer and a slow client: the observer never waits; what does not fit is lost and counted.

export interface StreamQueueLimits {
  /** Items held at most. */
  maxItems: number;
  /** Bytes held at most (as counted by the queue's size function). */
  maxBytes: number;
}

export class StreamQueue<T> {
  private items: T[] = [];
  private head = 0;
  private bytes = 0;
  private wake: (() => void) | undefined;
  /** Items accepted. */
  accepted = 0;
  /** Items refused because the queue was full (the reader was too slow). */
  lost = 0;

  constructor(
    private readonly limits: StreamQueueLimits,
    private readonly sizeOf: (item: T) => number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item unless the queue is full; false when it was lost. Never blocks. */
  push(item: T): boolean {
    const size = this.sizeOf(item);
    if (this.length >= this.limits.maxItems || this.bytes + size > this.limits.maxBytes) {
      this.lost++;
      return false;
    }
    this.items.push(item);
    this.bytes += size;
    this.accepted++;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    return true;
  }

  /** The oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    this.bytes -= this.sizeOf(item);
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Resolves at the next push (or at once if items are waiting). */
  nextPush(): Promise<void> {
    if (this.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Releases a waiting nextPush() without an item (the producer is done). */
  interrupt(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
