// The loops' side of the native TAP offloads: the per-loop state of the TSO split (egress) and of
// GRO coalescing (ingress). Probing the TAP is src/io/tap-offloads.ts's; the numbers shared with
// the addon are src/io/native-abi.ts's.
import type { RxBatch } from "../io/batch.js";
import { GRO_PAD, GRO_RECORD, MAX_SUPER_FRAME, TSO_ENCAP_MAX } from "../io/native-abi.js";
import { loadNative, type NativeAddon } from "../io/native.js";
import { TAP_SUPER_FRAME } from "../io/tap-offloads.js";
import { VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";

/** Messages tsoSplit may return for one super-frame (64 KiB at a 1-byte MSS, 64 per message). */
const TSO_MAX_MESSAGES = 1100;
/** Largest UDP payload of one UDP_SEGMENT send: 65535 - IP header - UDP header. */
export const maxGsoMessage = (family: 4 | 6): number => (family === 4 ? 65535 - 20 - 8 : 65535 - 8);

/**
 * Egress scratch: the tail of the TAP loop's slab (so one TxBatch covers plain frames and
 * segments) where super-frames are split into encapsulated segments until the next flush.
 */
export class SegmentScratch {
  /** The encapsulation header copied in front of each segment, at [0, length). */
  readonly template = Buffer.alloc(TSO_ENCAP_MAX);
  /** tsoSplit's output: offset, length, segment size per message. */
  readonly messages = new Uint32Array(3 * TSO_MAX_MESSAGES);
  private pos: number;
  private readonly addon: NativeAddon = loadNative();

  constructor(
    readonly slab: Buffer,
    readonly start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** Bytes a super-frame of up to 64 KiB may need here, whatever its MSS. */
  static bytesFor(superFrames: number): number {
    return superFrames * (TAP_SUPER_FRAME + 64 * 1024);
  }

  /**
   * Splits the super-frame at slab[off, off+len) (virtio-net header in front) behind the
   * template's first encapLen bytes, `trailer` bytes of room after each (an AEAD tag). Returns messages (> 0), 0 when the scratch is full (send
   * what is queued, reset(), retry) or < 0 when the super-frame is malformed. `src` holds the
   * super-frame when it is not in the scratch's own slab.
   */
  split(off: number, len: number, encapLen: number, maxMessage: number, src: Buffer = this.slab, trailer = 0): number {
    const n = this.addon.tsoSplit(src, off, len, this.slab, this.pos, this.end, this.template, encapLen, maxMessage, this.messages, trailer);
    if (n > 0) {
      const last = 3 * (n - 1);
      this.pos = (this.messages[last]! + this.messages[last + 1]! + 7) & ~7;
    }
    return n;
  }

  /** Everything split so far has been sent: start over. */
  reset(): void {
    this.pos = this.start;
  }

  get empty(): boolean {
    return this.pos === this.start;
  }
}

/** Ingress: decapsulated frames behind virtio-net headers, same-flow TCP merged into super-frames. */
export class GroCoalescer {
  readonly out: Buffer;
  readonly records: Uint32Array;
  /** [datagram, offset in it, runts, partial checksums]: where the next call resumes, and what it counted. */
  readonly cursor = new Uint32Array(4);
  private readonly addon: NativeAddon = loadNative();

  /**
   * maxFrame: the largest untagged frame the TAPs' links take unsegmented (overlay MTU + 14); a
   * longer TCP frame (a sender's GSO packet that crossed a same-host underlay whole) is written
   * as a GSO frame of segments that fit. 0: no limit.
   */
  constructor(
    readonly maxRecords: number,
    outBytes: number,
    readonly maxFrame = 0,
  ) {
    // At least a few super-frames in flight, and never less than one.
    this.out = Buffer.alloc(Math.max(outBytes, 8 * (MAX_SUPER_FRAME + GRO_PAD + VIRTIO_NET_HDR_LEN + 8)));
    this.records = new Uint32Array(maxRecords * GRO_RECORD);
  }

  /** Starts a batch of n datagrams. */
  begin(): void {
    this.cursor[0] = 0;
    this.cursor[1] = 0;
    this.cursor[2] = 0;
    this.cursor[3] = 0;
  }

  /** Coalesces the next part of the batch; returns records (0 when done). */
  next(rx: RxBatch, n: number, encapLen: number): number {
    if (this.cursor[0]! >= n) return 0;
    return this.addon.groCoalesce(rx.slab, rx.slotSize, rx.headroom, rx.lengths, rx.segSizes, rx.srcAddrs, n, encapLen,
      this.cursor, this.out, this.records, this.maxRecords, this.maxFrame);
  }

  /** Packets too short for a tunnel and an Ethernet header, counted over the batch. */
  get runts(): number {
    return this.cursor[2]!;
  }

  /** Frames handed to the TAP with NEEDS_CSUM because their TCP/UDP checksum was partial, over the batch. */
  get partialChecksums(): number {
    return this.cursor[3]!;
  }
}
