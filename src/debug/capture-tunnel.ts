// The segment id and inner frame of a tunnel payload (VXLAN header or GRE header first), for capture and trace.
import { GRE_BASE_LEN, GRE_FLAG_K, greFlags, greHeaderLength, greKey } from "../wire/gre.js";
import { VXLAN_HEADER_LEN, vxlanVni } from "../wire/vxlan.js";
// The segment id a keyless GRE packet lands in, as the dataplane decides it.
import { GRE_KEYLESS_ID } from "../dataplane/gre-encap.js";

export interface TunnelPayload {
  /** VNI or GRE key (keyless GRE: 0). */
  id: number;
  /** Offset of the inner frame. */
  inner: number;
}

/** Reads the header at buf[off, off+len); undefined when it is too short to hold one. */
export function parseTunnelPayload(encap: "vxlan" | "gre", buf: Buffer, off: number, len: number): TunnelPayload | undefined {
  if (encap === "vxlan") {
    if (len < VXLAN_HEADER_LEN) return undefined;
    return { id: vxlanVni(buf, off), inner: off + VXLAN_HEADER_LEN };
  }
  if (len < GRE_BASE_LEN) return undefined;
  const flags = greFlags(buf, off);
  const hlen = greHeaderLength(flags);
  if (len < hlen) return undefined;
  return { id: (flags & GRE_FLAG_K) !== 0 ? greKey(buf, off) : GRE_KEYLESS_ID, inner: off + hlen };
}
