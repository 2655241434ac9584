// A sealed segment's tunnel header: the clear encapsulation's, marked so that no clear peer
// takes it for its own (VXLAN: E flag 0x40 with I clear; GRE: protocol 0x88b5), followed by the
// 12-byte crypto header the native seal fills in. On receipt: opened packets only, per segment.
import { decapDrop, type Encapsulation } from "./encap.js";
import { CRYPTO_HEADER_LEN, type CryptoSession } from "./crypto-session.js";
import { GRE_PROTO_SEALED, VXLAN_FLAGS_SEALED } from "../wire/sealed.js";
import { GRE_PROTO_TEB } from "../wire/gre.js";
import type { SegmentTable } from "../switch/tables.js";
import { DropReason } from "./stats.js";

export class SealedEncap implements Encapsulation {
  readonly name: "vxlan" | "gre";
  decapId = 0;

  constructor(
    private readonly clear: Encapsulation,
    readonly session: CryptoSession,
  ) {
    this.name = clear.name;
  }

  headerLength(segment: SegmentTable): number {
    return this.clear.headerLength(segment) + (this.session.encrypts(segment.id) ? CRYPTO_HEADER_LEN : 0);
  }

  /** Bytes of the clear tunnel header alone (the native seal's hl). */
  tunnelLength(segment: SegmentTable): number {
    return this.clear.headerLength(segment);
  }

  writeHeader(buf: Buffer, frameOff: number, frameLen: number, segment: SegmentTable): void {
    if (!this.session.encrypts(segment.id)) {
      this.clear.writeHeader(buf, frameOff, frameLen, segment);
      return;
    }
    const at = frameOff - CRYPTO_HEADER_LEN;
    this.clear.writeHeader(buf, at, frameLen + CRYPTO_HEADER_LEN, segment);
    const start = at - this.clear.headerLength(segment);
    if (this.name === "vxlan") buf[start] = VXLAN_FLAGS_SEALED;
    else buf.writeUInt16BE(GRE_PROTO_SEALED, start + 2);
  }

  /**
   * The native open pass has verified and unsealed every sealed packet (VXLAN: flags now 0x48;
   * GRE: protocol still 0x88b5) and dropped the rest; here a segment takes only its own kind.
   */
  decap(buf: Buffer, off: number, len: number): number {
    let opened = false;
    if (this.name === "gre" && len >= 4 && buf.readUInt16BE(off + 2) === GRE_PROTO_SEALED) {
      opened = true;
      buf.writeUInt16BE(GRE_PROTO_TEB, off + 2);
    }
    const inner = this.clear.decap(buf, off, len);
    if (inner < 0) return inner;
    if (this.name === "vxlan") opened = (buf[off]! & VXLAN_FLAGS_SEALED) !== 0;
    this.decapId = this.clear.decapId;
    if (this.session.encrypts(this.decapId) !== opened) return decapDrop(opened ? DropReason.notEncrypted : DropReason.cleartextRefused);
    return inner;
  }
}
