// VXLAN (RFC 7348) as an Encapsulation: the 8-byte header from src/wire/vxlan.ts written in the headroom.
import { checkVxlan, VXLAN_HEADER_LEN, VxlanReason, vxlanVni, writeVxlanHeader } from "../wire/vxlan.js";
import { DropReason } from "./stats.js";
import { decapDrop, type Encapsulation } from "./encap.js";
import type { SegmentTable } from "../switch/tables.js";

const MIN_INNER = 14;

export class VxlanEncap implements Encapsulation {
  readonly name = "vxlan" as const;
  decapId = 0;

  headerLength(): number {
    return VXLAN_HEADER_LEN;
  }

  writeHeader(buf: Buffer, frameOff: number, _frameLen: number, segment: SegmentTable): void {
    writeVxlanHeader(buf, frameOff - VXLAN_HEADER_LEN, segment.id);
  }

  decap(buf: Buffer, off: number, len: number): number {
    if (len < VXLAN_HEADER_LEN + MIN_INNER) return decapDrop(DropReason.runt);
    // One check with `vxswitch decode`: reserved bits ignored (RFC 7348 section 5), I must be set.
    const reason = checkVxlan(buf, off, len);
    if (reason !== null) return decapDrop(reason === VxlanReason.iFlagClear ? DropReason.vxlanFlagI : DropReason.runt);
    this.decapId = vxlanVni(buf, off);
    return off + VXLAN_HEADER_LEN;
  }
}
