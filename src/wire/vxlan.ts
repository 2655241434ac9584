// VXLAN header (RFC 7348): 8 bytes, flags with the I bit, 24-bit VNI; checks and the in-place encap writer.
import { put32 } from "./bytes.js";

export const VXLAN_FLAGS = 0;
export const VXLAN_VNI = 4;
export const VXLAN_HEADER_LEN = 8;
/** I flag: the VNI is valid. The only flag RFC 7348 defines; the rest are reserved and ignored. */
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_PORT = 4789;
/** Port of Linux vxlan before IANA assigned 4789 (`dstport 0` in iproute2). */
export const VXLAN_PORT_LINUX_LEGACY = 8472;
export const VNI_MAX = 0xff_ffff;

export const VxlanReason = {
  truncated: "vxlan-truncated",
  iFlagClear: "vxlan-i-flag-clear",
} as const;
export type VxlanReason = (typeof VxlanReason)[keyof typeof VxlanReason];

/** Drops what a receiver must drop: shorter than the header, or I clear. Reserved bits are ignored. */
export function checkVxlan(buf: Buffer, off: number, len: number): VxlanReason | null {
  if (len < VXLAN_HEADER_LEN || off < 0 || off + len > buf.length) return VxlanReason.truncated;
  if ((buf[off + VXLAN_FLAGS] & VXLAN_FLAG_I) === 0) return VxlanReason.iFlagClear;
  return null;
}

export function vxlanFlags(buf: Buffer, off: number): number {
  return buf[off + VXLAN_FLAGS];
}

export function vxlanVni(buf: Buffer, off: number): number {
  return (buf[off + VXLAN_VNI] << 16) | (buf[off + VXLAN_VNI + 1] << 8) | buf[off + VXLAN_VNI + 2];
}

/** Writes the whole 8-byte header (I set, reserved zero) at off, e.g. frameStart - 8 in the headroom. */
export function writeVxlanHeader(buf: Buffer, off: number, vni: number): number {
  put32(buf, off, VXLAN_FLAG_I << 24);
  put32(buf, off + VXLAN_VNI, ((vni & VNI_MAX) << 8) >>> 0);
  return VXLAN_HEADER_LEN;
}
