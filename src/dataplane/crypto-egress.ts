// Egress side of encrypted segments: room for the per-peer sealed copies a flood needs (each
// peer has its own key, so one frame cannot be sent to all as it can in the clear).
import type { Peer } from "../switch/peer-table.js";
import type { SegmentTable } from "../switch/tables.js";
import { CRYPTO_TAG_LEN } from "./crypto-session.js";
import type { SealedEncap } from "./crypto-encap.js";

/** Bytes of the egress slab set aside for sealed flood copies: a batch of full frames to a few peers. */
export const SEAL_COPY_BYTES = 256 * 1024;

export class SealCopies {
  private pos: number;

  constructor(
    private readonly slab: Buffer,
    private readonly start: number,
    private readonly end: number,
    private readonly sealer: SealedEncap,
  ) {
    this.pos = start;
  }

  /**
   * Copies the frame at slab[off, off+len) behind a sealed header for peer and seals it. Returns
   * the packet's offset (its length: hlen + len + tag), -1 when the area is full (send what is
   * queued, reset(), retry) or -2 when it could not be sealed.
   */
  sealCopy(segment: SegmentTable, off: number, len: number, hlen: number, peer: Peer): number {
    const total = hlen + len + CRYPTO_TAG_LEN;
    const at = this.pos;
    if (at + total > this.end) return -1;
    this.slab.copy(this.slab, at + hlen, off, off + len);
    this.sealer.writeHeader(this.slab, at + hlen, len, segment);
    if (!this.sealer.session.seal(peer, this.slab, at, this.sealer.tunnelLength(segment), total)) return -2;
    this.pos = (at + total + 7) & ~7;
    return at;
  }

  /** Everything copied so far has been sent. */
  reset(): void {
    this.pos = this.start;
  }
}
