// Ethernet II headers and one 802.1Q/802.1ad tag: fields, checks, and in-place tag strip/insert for trunk ports.
import { get32, put16, put32 } from "./bytes.js";
import { assertWire } from "./error.js";
import { formatMac, readMac, writeMac } from "./mac.js";

export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
export const ETH_HEADER_LEN = 14;
/** Destination and source MACs: the bytes that move when a tag is stripped or inserted. */
export const ETH_ADDRS_LEN = 12;
/** Shortest frame on the wire without its FCS; TAPs may hand up shorter ones. */
export const ETH_MIN_FRAME_LEN = 60;

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

export function setEthDst(buf: Buffer, off: number, mac: number): void {
  writeMac(buf, off + ETH_DST, mac);
}

export function setEthSrc(buf: Buffer, off: number, mac: number): void {
  writeMac(buf, off + ETH_SRC, mac);
}

export function setEthType(buf: Buffer, off: number, type: number): void {
  put16(buf, off + ETH_TYPE, type);
}

/** Writes dst, src and type; returns the header length (14). */
export function writeEthernetHeader(buf: Buffer, off: number, dst: number, src: number, type: number): number {
  writeMac(buf, off + ETH_DST, dst);
  writeMac(buf, off + ETH_SRC, src);
  put16(buf, off + ETH_TYPE, type);
  return ETH_HEADER_LEN;
}

export function ethIsTagged(buf: Buffer, off: number): boolean {
  return isVlanTpid(ethType(buf, off));
}

/** 18 with a tag, 14 without: the payload starts this far into the frame. */
export function ethHeaderLength(buf: Buffer, off: number): number {
  return isVlanTpid(ethType(buf, off)) ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
}

/** The payload's ethertype, looking past one tag. */
export function ethPayloadType(buf: Buffer, off: number): number {
  const type = ethType(buf, off);
  return isVlanTpid(type) ? (buf[off + VLAN_INNER_TYPE] << 8) | buf[off + VLAN_INNER_TYPE + 1] : type;
}

/** Tag control information (PCP 3 bits, DEI 1 bit, VID 12 bits) of a tagged frame. */
export function vlanTci(buf: Buffer, off: number): number {
  return (buf[off + VLAN_TCI] << 8) | buf[off + VLAN_TCI + 1];
}

export function setVlanTci(buf: Buffer, off: number, tci: number): void {
  put16(buf, off + VLAN_TCI, tci & 0xffff);
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

/** Rewrites the VID, keeping PCP and DEI. */
export function setVlanVid(buf: Buffer, off: number, vid: number): void {
  setVlanTci(buf, off, (vlanTci(buf, off) & ~VID_MASK) | (vid & VID_MASK));
}

export function setVlanPcp(buf: Buffer, off: number, pcp: number): void {
  setVlanTci(buf, off, (vlanTci(buf, off) & 0x1fff) | ((pcp & 7) << PCP_SHIFT));
}

export function setVlanDei(buf: Buffer, off: number, dei: boolean): void {
  setVlanTci(buf, off, dei ? vlanTci(buf, off) | DEI_BIT : vlanTci(buf, off) & ~DEI_BIT);
}

export function makeTci(pcp: number, dei: boolean, vid: number): number {
  return ((pcp & 7) << PCP_SHIFT) | (dei ? DEI_BIT : 0) | (vid & VID_MASK);
}

export function tciVid(tci: number): number {
  return tci & VID_MASK;
}

export function tciPcp(tci: number): number {
  return (tci >>> PCP_SHIFT) & 7;
}

export function tciDei(tci: number): boolean {
  return (tci & DEI_BIT) !== 0;
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

/** A view over one frame; construct after checkEthernet, or with EthernetView.checked. */
export class EthernetView {
  constructor(
    readonly buf: Buffer,
    readonly offset: number,
    readonly length: number,
  ) {}

  static checked(buf: Buffer, offset: number, length: number): EthernetView {
    assertWire(checkEthernet(buf, offset, length), "Ethernet frame", offset);
    return new EthernetView(buf, offset, length);
  }

  check(): EthernetReason | null {
    return checkEthernet(this.buf, this.offset, this.length);
  }

  get dst(): number {
    return ethDst(this.buf, this.offset);
  }
  set dst(mac: number) {
    setEthDst(this.buf, this.offset, mac);
  }
  get src(): number {
    return ethSrc(this.buf, this.offset);
  }
  set src(mac: number) {
    setEthSrc(this.buf, this.offset, mac);
  }
  /** The type field at byte 12 (a TPID when tagged). */
  get etherType(): number {
    return ethType(this.buf, this.offset);
  }
  set etherType(type: number) {
    setEthType(this.buf, this.offset, type);
  }
  get tagged(): boolean {
    return ethIsTagged(this.buf, this.offset);
  }
  /** Tag fields; meaningful only when `tagged`. */
  get tci(): number {
    return vlanTci(this.buf, this.offset);
  }
  set tci(tci: number) {
    setVlanTci(this.buf, this.offset, tci);
  }
  get vid(): number {
    return vlanVid(this.buf, this.offset);
  }
  set vid(vid: number) {
    setVlanVid(this.buf, this.offset, vid);
  }
  get pcp(): number {
    return vlanPcp(this.buf, this.offset);
  }
  set pcp(pcp: number) {
    setVlanPcp(this.buf, this.offset, pcp);
  }
  get dei(): boolean {
    return vlanDei(this.buf, this.offset);
  }
  set dei(dei: boolean) {
    setVlanDei(this.buf, this.offset, dei);
  }
  get payloadType(): number {
    return ethPayloadType(this.buf, this.offset);
  }
  get headerLength(): number {
    return ethHeaderLength(this.buf, this.offset);
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadLength(): number {
    return this.length - this.headerLength;
  }
}

export interface VlanTag {
  tpid: number;
  pcp: number;
  dei: boolean;
  vid: number;
}

/** An Ethernet header's meaning: MACs as 48-bit numbers, at most one tag, the payload's ethertype. */
export interface EthernetRepr {
  dst: number;
  src: number;
  vlan: VlanTag | null;
  etherType: number;
}

export const EthernetRepr = {
  parse(buf: Buffer, off: number, len: number): EthernetRepr {
    assertWire(checkEthernet(buf, off, len), "Ethernet frame", off);
    const tagged = ethIsTagged(buf, off);
    return {
      dst: ethDst(buf, off),
      src: ethSrc(buf, off),
      vlan: tagged ? { tpid: ethType(buf, off), pcp: vlanPcp(buf, off), dei: vlanDei(buf, off), vid: vlanVid(buf, off) } : null,
      etherType: ethPayloadType(buf, off),
    };
  },

  headerLength(repr: EthernetRepr): number {
    return repr.vlan === null ? ETH_HEADER_LEN : ETH_VLAN_HEADER_LEN;
  },

  /** Writes the header at off; returns its length. */
  emit(repr: EthernetRepr, buf: Buffer, off: number): number {
    writeMac(buf, off + ETH_DST, repr.dst);
    writeMac(buf, off + ETH_SRC, repr.src);
    if (repr.vlan === null) {
      put16(buf, off + ETH_TYPE, repr.etherType);
      return ETH_HEADER_LEN;
    }
    put16(buf, off + VLAN_TPID, repr.vlan.tpid);
    put16(buf, off + VLAN_TCI, makeTci(repr.vlan.pcp, repr.vlan.dei, repr.vlan.vid));
    put16(buf, off + VLAN_INNER_TYPE, repr.etherType);
    return ETH_VLAN_HEADER_LEN;
  },

  format(repr: EthernetRepr): string {
    const tag = repr.vlan === null ? "" : ` vlan ${repr.vlan.vid} p ${repr.vlan.pcp}${repr.vlan.dei ? " dei" : ""}` +
      (repr.vlan.tpid === TPID_8021AD ? " (802.1ad)" : "");
    return `${formatMac(repr.src)} > ${formatMac(repr.dst)}${tag} ethertype 0x${repr.etherType.toString(16).padStart(4, "0")}`;
  },
};
