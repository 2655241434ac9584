// Ethernet II headers and one 802.1Q/802.1ad tag: fields, checks, and in-place tag strip/insert for trunk ports.
import { get32, put16, put32 } from "./bytes.js";
import { readMac } from "./mac.js";

export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
export const ETH_HEADER_LEN = 14;
/** Destination and source MACs: the bytes that move when a tag is stripped or inserted. */
export const ETH_ADDRS_LEN = 12;

/** With one tag: TPID at 12 (where the ethertype was), TCI at 14, the payload's ethertype at 16. */
export const VLAN_TPID = 12;
export const VLAN_TCI = 14;
export const VLAN_INNER_TYPE = 16;
export const VLAN_TAG_LEN = 4;
export const ETH_VLAN_HEADER_LEN = 18;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Transparent Ethernet Bridging: GRE's protocol type for an Ethernet payload. */
export const ETHERTYPE_TEB = 0x6558;
export const TPID_8021Q = 0x8100;
/** Service tag (QinQ outer tag). Recognised as a tag; only one tag is looked past. */
export const TPID_8021AD = 0x88a8;

export const VID_MASK = 0x0fff;
export const DEI_BIT = 0x1000;
export const PCP_SHIFT = 13;

export const EthernetReason = {
  truncated: "eth-truncated",
  vlanTruncated: "eth-vlan-truncated",
} as const;
export type EthernetReason = (typeof EthernetReason)[keyof typeof EthernetReason];

/** Validates a frame's length (and its tag's, when tagged); after null every getter is safe. */
export function checkEthernet(buf: Buffer, off: number, len: number): EthernetReason | null {
  if (len < ETH_HEADER_LEN || off < 0 || off + len > buf.length) return EthernetReason.truncated;
  if (isVlanTpid(ethType(buf, off)) && len < ETH_VLAN_HEADER_LEN) return EthernetReason.vlanTruncated;
  return null;
}

export function isVlanTpid(type: number): boolean {
  return type === TPID_8021Q || type === TPID_8021AD;
}

export function ethDst(buf: Buffer, off: number): number {
  return readMac(buf, off + ETH_DST);
}

export function ethSrc(buf: Buffer, off: number): number {
  return readMac(buf, off + ETH_SRC);
}

/** The type field at byte 12: an ethertype, or a TPID when the frame is tagged. */
export function ethType(buf: Buffer, off: number): number {
  return (buf[off + ETH_TYPE] << 8) | buf[off + ETH_TYPE + 1];
}

/** Tag control information (PCP 3 bits, DEI 1 bit, VID 12 bits) of a tagged frame. */
function vlanTci(buf: Buffer, off: number): number {
  return (buf[off + VLAN_TCI] << 8) | buf[off + VLAN_TCI + 1];
}

export function vlanVid(buf: Buffer, off: number): number {
  return vlanTci(buf, off) & VID_MASK;
}

export function vlanPcp(buf: Buffer, off: number): number {
  return vlanTci(buf, off) >>> PCP_SHIFT;
}

export function vlanDei(buf: Buffer, off: number): boolean {
  return (vlanTci(buf, off) & DEI_BIT) !== 0;
}

/**
 * Removes the tag of the tagged frame at off by moving its 12 MAC bytes 4 bytes forward over
 * the tag. Returns the frame's new start (off + 4); its length shrinks by 4. No copy elsewhere.
 */
export function stripVlanTag(buf: Buffer, off: number): number {
  // Read all 12 bytes before writing: source and destination overlap.
  const a = get32(buf, off);
  const b = get32(buf, off + 4);
  const c = get32(buf, off + 8);
  put32(buf, off + 4, a);
  put32(buf, off + 8, b);
  put32(buf, off + 12, c);
  return off + VLAN_TAG_LEN;
}

/**
 * Tags the frame at off by moving its 12 MAC bytes 4 bytes back into the headroom and writing
 * TPID and TCI after them. Returns the frame's new start (off - 4); its length grows by 4.
 * A bare VID is a valid TCI (PCP 0, DEI clear). Needs 4 bytes of headroom in front of off.
 */
export function insertVlanTag(buf: Buffer, off: number, tci: number, tpid: number = TPID_8021Q): number {
  const start = off - VLAN_TAG_LEN;
  if (start < 0) throw new RangeError(`no headroom to insert a VLAN tag in front of offset ${off}`);
  const a = get32(buf, off);
  const b = get32(buf, off + 4);
  const c = get32(buf, off + 8);
  put32(buf, start, a);
  put32(buf, start + 4, b);
  put32(buf, start + 8, c);
  put16(buf, start + VLAN_TPID, tpid);
  put16(buf, start + VLAN_TCI, tci);
  return start;
}
