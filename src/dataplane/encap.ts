// Encapsulations as the loops see them: how long the header is, write it in place, strip it on receipt.
import type { SegmentTable } from "../switch/tables.js";

export interface Encapsulation {
  readonly name: "vxlan" | "gre";
  /** Bytes written in front of the inner frame for this segment. */
  headerLength(segment: SegmentTable): number;
  /** Writes the header ending at frameOff (i.e. starting at frameOff - headerLength). */
  writeHeader(buf: Buffer, frameOff: number, frameLen: number, segment: SegmentTable): void;
  /**
   * Validates the header at off and returns the inner frame's offset, or a negative value
   * -(1 + DropReason) when the packet must be dropped. The segment id is left in `decapId`.
   */
  decap(buf: Buffer, off: number, len: number): number;
  decapId: number;
}

export const decapDrop = (reason: number): number => -1 - reason;
export const dropOf = (result: number): number => -1 - result;
