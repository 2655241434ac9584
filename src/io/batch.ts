// Batch buffers shared by the I/O classes and the dataplane: one slab and typed arrays per batch.

/** Bytes kept free in front of every received frame for an encapsulation or virtio-net header. */
export const HEADROOM = 64;

/** Frames or datagrams per read and per send when nobody says (`batch`). */
export const DEFAULT_BATCH = 64;

/** A receive batch: packet i lands at i * slotSize + headroom, its length in lengths[i]. */
export class RxBatch {
  readonly slab: Buffer;
  readonly lengths: Uint32Array;
  /** Source address of each packet, 16 bytes each (IPv4-mapped for IPv4). Tunnel sockets only. */
  readonly srcAddrs: Uint8Array;
  readonly srcPorts: Uint16Array;
  /** UDP_GRO segment size per datagram, 0 when the datagram is a single packet. */
  readonly segSizes: Uint16Array;
  count = 0;

  /**
   * `tailBytes` extra bytes after the last slot belong to the caller (e.g. where the egress
   * loop writes TSO segments, so that one TxBatch can point at frames and segments alike).
   */
  constructor(
    readonly capacity: number,
    readonly slotSize: number,
    readonly headroom: number = HEADROOM,
    tailBytes = 0,
  ) {
    this.slab = Buffer.alloc(capacity * slotSize + tailBytes);
    this.lengths = new Uint32Array(capacity);
    this.srcAddrs = new Uint8Array(capacity * 16);
    this.srcPorts = new Uint16Array(capacity);
    this.segSizes = new Uint16Array(capacity);
  }

  /** Where the caller's tail (see the constructor) starts. */
  get tailOffset(): number {
    return this.capacity * this.slotSize;
  }

  /** Byte offset of packet i's first byte in the slab. */
  offsetOf(i: number): number {
    return i * this.slotSize + this.headroom;
  }
}

/** tx.status[i] after a send: the message went out. */
export const TX_SENT = 0;
/** The kernel refused the message (counted as a send error, attributed to its destination). */
export const TX_FAILED = 1;
/** Not sent: the socket was full or the send stopped early (dropped, not the destination's fault). */
export const TX_UNSENT = 2;

/** A send batch: message i is slab[offsets[i] .. offsets[i] + lengths[i]), sent to dstAddrs[i]. */
export class TxBatch {
  slab: Buffer;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly dstAddrs: Uint8Array;
  readonly dstPorts: Uint16Array;
  /** > 0: send message i as a GSO train of segments of this size (UDP_SEGMENT). */
  readonly segSizes: Uint16Array;
  /** Set by send(): TX_SENT, TX_FAILED or TX_UNSENT per message. */
  readonly status: Uint8Array;
  count = 0;

  constructor(readonly capacity: number, slab: Buffer) {
    this.slab = slab;
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.dstAddrs = new Uint8Array(capacity * 16);
    this.dstPorts = new Uint16Array(capacity);
    this.segSizes = new Uint16Array(capacity);
    this.status = new Uint8Array(capacity);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends a message; the caller checks `full` first. Copies the 16-byte address, no allocation. */
  push(offset: number, length: number, addr16: Uint8Array, port: number, segSize = 0): void {
    const i = this.count++;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.dstAddrs.set(addr16, i * 16);
    this.dstPorts[i] = port;
    this.segSizes[i] = segSize;
  }

  /** Appends a frame for a TAP write (no address). */
  pushFrame(offset: number, length: number): void {
    const i = this.count++;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.segSizes[i] = 0;
  }

  clear(): void {
    this.count = 0;
  }
}
