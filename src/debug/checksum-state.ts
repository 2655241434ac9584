// A transport checksum as `decode` reports it: ok, bad (with the value it should hold), or partial (CHECKSUM_PARTIAL).
import { foldChecksum } from "../wire/checksum.js";
import { pseudoHeaderSum } from "../wire/ip.js";
import type { ChecksumState } from "./packet.js";
import { hex16 } from "./decoder.js";

export interface ChecksumVerdict {
  state: ChecksumState;
  /** " csum ok", " csum bad (0x1234, should be 0xabcd)", " csum partial". */
  text: string;
}

/**
 * Same-host senders leave the pseudo-header sum in the field for a NIC to finish (CHECKSUM_PARTIAL);
 * such a packet is not corrupt, but a receiver that does not finish it drops it.
 */
export function transportChecksum(buf: Buffer, ipOff: number, protocol: number, l4Len: number, field: number,
  valid: boolean, compute: () => number): ChecksumVerdict {
  if (valid) return { state: "ok", text: `csum ${hex16(field)} ok` };
  if (field === foldChecksum(pseudoHeaderSum(buf, ipOff, protocol, l4Len))) {
    return { state: "partial", text: `csum ${hex16(field)} partial (pseudo-header sum)` };
  }
  return { state: "bad", text: `csum ${hex16(field)} bad (should be ${hex16(compute())})` };
}
