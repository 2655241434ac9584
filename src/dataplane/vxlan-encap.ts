// VXLAN (RFC 7348) as an Encapsulation: 8-byte header, I flag, 24-bit VNI.
import { DropReason } from "./stats.js";
import { decapDrop, type Encapsulation } from "./encap.js";
import type { SegmentRuntime } from "./runtime.js";

const HEADER = 8;
const FLAG_I = 0x08;
const MIN_INNER = 14;

export class VxlanEncap implements Encapsulation {
  readonly name = "vxlan" as const;
  decapId = 0;

  headerLength(): number {
    return HEADER;
  }

  writeHeader(buf: Buffer, frameOff: number, _frameLen: number, segment: SegmentRuntime): void {
    const o = frameOff - HEADER;
    const vni = segment.id;
    buf[o] = FLAG_I;
    buf[o + 1] = 0;
    buf[o + 2] = 0;
    buf[o + 3] = 0;
    buf[o + 4] = (vni >>> 16) & 0xff;
    buf[o + 5] = (vni >>> 8) & 0xff;
    buf[o + 6] = vni & 0xff;
    buf[o + 7] = 0;
  }

  decap(buf: Buffer, off: number, len: number): number {
    if (len < HEADER + MIN_INNER) return decapDrop(DropReason.runt);
    // Reserved bits are ignored on receipt (RFC 7348 section 5); only I must be set.
    if ((buf[off]! & FLAG_I) === 0) return decapDrop(DropReason.vxlanFlagI);
    this.decapId = (buf[off + 4]! << 16) | (buf[off + 5]! << 8) | buf[off + 6]!;
    return off + HEADER;
  }
}
