// Ethernet over GRE (RFC 2784/2890, protocol 0x6558) as an Encapsulation: the key names the segment.
import {
  checkGreTeb, GRE_FLAG_K, greFlags, greHeaderLength, greHeaderLengthFor, greKey, GreReason, writeGreHeader,
  type GreOptions,
} from "../wire/gre.js";
import { segmentPorts, type Config } from "../control/config.js";
import { decapDrop, type Encapsulation } from "./encap.js";
import type { SegmentRuntime } from "./runtime.js";
import { DropReason } from "./stats.js";

const MIN_INNER = 14;

/**
 * Segment id of GRE frames without a key. A packet with key 0 lands there too, as in Open
 * vSwitch (`options:key=0` means "no key"), so "no key" and "key 0" cannot be two segments.
 */
export const GRE_KEYLESS_ID = 0;

/** What a host sends with every GRE packet (RFC 2890 options besides the key). */
export interface GreSendOptions {
  /** C flag: a checksum over the GRE header and the frame. */
  checksum: boolean;
  /** S flag: a sequence number per segment, counting from 0. */
  sequence: boolean;
}

/** A GRE segment as the encapsulation sees it: its id, and whether its frames carry that id as key. */
export interface GreSegmentSpec {
  /** The GRE key, or GRE_KEYLESS_ID for the segment without one. */
  id: number;
  keyed: boolean;
}

/** The GRE segments of a validated config: a keyed access segment, the keyless one, trunk VLANs (always keyed). */
export function greSegmentsOf(cfg: Config): GreSegmentSpec[] {
  return segmentPorts(cfg).map((p) => ({ id: p.id, keyed: p.vlan !== 0 || cfg.segments[p.segment]?.key !== undefined }));
}

/** GRE options in a segment's header (4 bytes each): key, checksum, sequence. For the overlay MTU. */
export function greOptionCount(keyed: boolean, send: GreSendOptions): number {
  return (keyed ? 1 : 0) + (send.checksum ? 1 : 0) + (send.sequence ? 1 : 0);
}

export class GreEncap implements Encapsulation {
  readonly name = "gre" as const;
  decapId = GRE_KEYLESS_ID;
  /** Per segment id: the header options, reused for every frame (seq bumped in place). */
  private readonly tx = new Map<number, GreOptions>();
  private readonly headerLengths = new Map<number, number>();
  private lastId = -1;
  private lastOptions: GreOptions | undefined;
  private lastLength = 0;

  constructor(segments: readonly GreSegmentSpec[], send: GreSendOptions) {
    for (const spec of segments) {
      const id = spec.id;
      const opts: GreOptions = { checksum: send.checksum, key: spec.keyed ? id : undefined, seq: send.sequence ? 0 : undefined };
      if (this.tx.has(id)) throw new Error(`two GRE segments with id ${id} (key 0 and "no key" are the same segment)`);
      this.tx.set(id, opts);
      this.headerLengths.set(id, greHeaderLengthFor(opts));
    }
  }

  headerLength(segment: SegmentRuntime): number {
    return this.optionsOf(segment.id) === undefined ? 0 : this.lastLength;
  }

  writeHeader(buf: Buffer, frameOff: number, frameLen: number, segment: SegmentRuntime): void {
    const opts = this.optionsOf(segment.id);
    if (opts === undefined) throw new Error(`GRE segment ${segment.id} was not configured`);
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

  /** The send options of a segment, memoised for the frame's headerLength + writeHeader pair. */
  private optionsOf(id: number): GreOptions | undefined {
    if (id !== this.lastId) {
      this.lastOptions = this.tx.get(id);
      this.lastLength = this.headerLengths.get(id) ?? 0;
      this.lastId = id;
    }
    return this.lastOptions;
  }
}
