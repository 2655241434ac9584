// Ethernet over GRE (RFC 2784/2890, protocol 0x6558) as an Encapsulation: the key names the segment.
import {
  checkGreTeb, GRE_FLAG_K, greFlags, greHeaderLength, greHeaderLengthFor, greKey, GreReason, writeGreHeader,
  type GreOptions,
} from "../wire/gre.js";
import type { GreSendOptions } from "../wire/overhead.js";
import { decapDrop, type Encapsulation } from "./encap.js";
import type { SegmentTable } from "../switch/tables.js";
import { DropReason } from "./stats.js";

const MIN_INNER = 14;

/**
 * Segment id of GRE frames without a key. A packet with key 0 lands there too, as in Open
 * vSwitch (`options:key=0` means "no key"), so "no key" and "key 0" cannot be two segments.
 */
export const GRE_KEYLESS_ID = 0;

export class GreEncap implements Encapsulation {
  readonly name = "gre" as const;
  decapId = GRE_KEYLESS_ID;
  /**
   * Per segment id: the header options, made at a segment's first frame and reused for every
   * frame after (seq bumped in place, so it carries over when the tables are swapped).
   */
  private readonly tx = new Map<number, GreOptions>();
  private lastSegment: SegmentTable | undefined;
  private lastOptions: GreOptions = { checksum: false };
  private lastLength = 0;

  constructor(private readonly send: GreSendOptions) {}

  headerLength(segment: SegmentTable): number {
    this.optionsOf(segment);
    return this.lastLength;
  }

  writeHeader(buf: Buffer, frameOff: number, frameLen: number, segment: SegmentTable): void {
    const opts = this.optionsOf(segment);
    writeGreHeader(buf, frameOff - this.lastLength, opts, frameLen);
    if (opts.seq !== undefined) opts.seq = (opts.seq + 1) >>> 0;
  }

  decap(buf: Buffer, off: number, len: number): number {
    const reason = checkGreTeb(buf, off, len);
    if (reason !== null) {
      if (reason === GreReason.truncated) return decapDrop(DropReason.runt);
      return decapDrop(reason === GreReason.badChecksum ? DropReason.greChecksum : DropReason.greHeader);
    }
    const flags = greFlags(buf, off);
    const hlen = greHeaderLength(flags);
    if (len - hlen < MIN_INNER) return decapDrop(DropReason.runt);
    // Sequence numbers are accepted and not enforced (like gretap without `iseq`): an overlay
    // frame that arrives late is still better delivered than dropped.
    this.decapId = (flags & GRE_FLAG_K) !== 0 ? greKey(buf, off) : GRE_KEYLESS_ID;
    return off + hlen;
  }

  /** The send options of a segment (the key: its id when the segment is keyed), memoised for the frame's headerLength + writeHeader pair. */
  private optionsOf(segment: SegmentTable): GreOptions {
    if (segment !== this.lastSegment) {
      let opts = this.tx.get(segment.id);
      if (opts === undefined || (opts.key !== undefined) !== segment.greKeyed) {
        opts = { checksum: this.send.checksum, key: segment.greKeyed ? segment.id : undefined, seq: opts?.seq ?? (this.send.sequence ? 0 : undefined) };
        this.tx.set(segment.id, opts);
      }
      this.lastOptions = opts;
      this.lastLength = greHeaderLengthFor(opts);
      this.lastSegment = segment;
    }
    return this.lastOptions;
  }
}
