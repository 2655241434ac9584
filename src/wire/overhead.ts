// What encapsulation costs on the underlay, and the overlay MTU that leaves: the one place this arithmetic lives.
import { ETH_HEADER_LEN } from "./ethernet.js";
import { GRE_BASE_LEN } from "./gre.js";
import { IPV4_MIN_HEADER_LEN } from "./ipv4.js";
import { IPV6_HEADER_LEN } from "./ipv6.js";
import { SEALED_OVERHEAD } from "./sealed.js";
import { UDP_HEADER_LEN } from "./udp.js";
import { VXLAN_HEADER_LEN } from "./vxlan.js";

/** Each GRE option (key, checksum, sequence) is one 4-byte word. */
const GRE_OPTION_LEN = 4;

/** What a GRE host puts in every header besides the key (RFC 2890 options). */
export interface GreSendOptions {
  /** C flag: a checksum over the GRE header and the frame. */
  checksum: boolean;
  /** S flag: a sequence number per segment, counting from 0. */
  sequence: boolean;
}

/** GRE options in a segment's header: key (a keyed segment), checksum, sequence. */
export function greOptionCount(keyed: boolean, send: GreSendOptions): number {
  return (keyed ? 1 : 0) + (send.checksum ? 1 : 0) + (send.sequence ? 1 : 0);
}

/** Encapsulation overhead on the underlay: outer IP + UDP/GRE + tunnel header + inner Ethernet (+ sealing). */
export function encapOverhead(encap: "vxlan" | "gre", family: 4 | 6, greOptions = 0, sealed = false): number {
  const ip = family === 4 ? IPV4_MIN_HEADER_LEN : IPV6_HEADER_LEN;
  const tunnel = encap === "vxlan" ? UDP_HEADER_LEN + VXLAN_HEADER_LEN : GRE_BASE_LEN + GRE_OPTION_LEN * greOptions;
  return ip + tunnel + ETH_HEADER_LEN + (sealed ? SEALED_OVERHEAD : 0);
}

/** Overlay MTU derived from the underlay MTU: 1450 for VXLAN over a 1500-byte IPv4 underlay. */
export function overlayMtu(underlayMtu: number, encap: "vxlan" | "gre", family: 4 | 6, greOptions = 0, sealed = false): number {
  return underlayMtu - encapOverhead(encap, family, greOptions, sealed);
}

/** The overlay MTU of a segment nobody gave one: VXLAN over IPv4 on a 1500-byte underlay. */
export const DEFAULT_OVERLAY_MTU = overlayMtu(1500, "vxlan", 4);
