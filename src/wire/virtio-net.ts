// struct virtio_net_hdr (little-endian, as a TAP with IFF_VNET_HDR delivers it on x86): offload metadata in front of a frame.
import { get16le, put16, put16le } from "./bytes.js";
import { checksumAdd, finishChecksum } from "./checksum.js";

export const VNET_FLAGS = 0;
export const VNET_GSO_TYPE = 1;
export const VNET_HDR_LEN = 2;
export const VNET_GSO_SIZE = 4;
export const VNET_CSUM_START = 6;
export const VNET_CSUM_OFFSET = 8;
/** Only with VIRTIO_NET_F_MRG_RXBUF / TUNSETVNETHDRSZ 12. */
export const VNET_NUM_BUFFERS = 10;
export const VIRTIO_NET_HDR_LEN = 10;
export const VIRTIO_NET_HDR_MRG_LEN = 12;

/** csum_start/csum_offset are valid: the checksum still has to be folded in (partial checksum). */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** The checksums have been verified. */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;

export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
/** Or-ed into gso_type: the TCP segments carry CWR/ECE and must keep them right when split. */
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

export const VirtioNetReason = {
  truncated: "vnet-truncated",
  badGsoType: "vnet-bad-gso-type",
  badGsoSize: "vnet-bad-gso-size",
  badCsum: "vnet-bad-csum-offsets",
} as const;
export type VirtioNetReason = (typeof VirtioNetReason)[keyof typeof VirtioNetReason];

/**
 * len covers the header (hdrSize bytes, 10 or 12) and the frame after it. Checks the gso_type is
 * known, a GSO frame has a gso_size, and a partial checksum's field lies inside the frame.
 */
export function checkVirtioNetHdr(buf: Buffer, off: number, len: number, hdrSize = VIRTIO_NET_HDR_LEN): VirtioNetReason | null {
  if (len < hdrSize || off < 0 || off + len > buf.length) return VirtioNetReason.truncated;
  const gso = vnetGsoType(buf, off) & ~VIRTIO_NET_HDR_GSO_ECN;
  if (gso !== VIRTIO_NET_HDR_GSO_NONE && gso !== VIRTIO_NET_HDR_GSO_TCPV4 && gso !== VIRTIO_NET_HDR_GSO_UDP &&
    gso !== VIRTIO_NET_HDR_GSO_TCPV6 && gso !== VIRTIO_NET_HDR_GSO_UDP_L4) {
    return VirtioNetReason.badGsoType;
  }
  if (gso !== VIRTIO_NET_HDR_GSO_NONE && vnetGsoSize(buf, off) === 0) return VirtioNetReason.badGsoSize;
  if ((vnetFlags(buf, off) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0 &&
    vnetCsumStart(buf, off) + vnetCsumOffset(buf, off) + 2 > len - hdrSize) {
    return VirtioNetReason.badCsum;
  }
  return null;
}

export function vnetFlags(buf: Buffer, off: number): number {
  return buf[off + VNET_FLAGS];
}

export function vnetGsoType(buf: Buffer, off: number): number {
  return buf[off + VNET_GSO_TYPE];
}

/** Length of the headers up to the end of the transport header (a hint; may be 0). */
export function vnetHdrLen(buf: Buffer, off: number): number {
  return get16le(buf, off + VNET_HDR_LEN);
}

/** Payload bytes per segment (MSS for TCP). */
export function vnetGsoSize(buf: Buffer, off: number): number {
  return get16le(buf, off + VNET_GSO_SIZE);
}

/** Offset from the frame's start where the partial checksum's coverage starts. */
export function vnetCsumStart(buf: Buffer, off: number): number {
  return get16le(buf, off + VNET_CSUM_START);
}

/** Offset of the checksum field from csum_start (16 for TCP, 6 for UDP). */
export function vnetCsumOffset(buf: Buffer, off: number): number {
  return get16le(buf, off + VNET_CSUM_OFFSET);
}

export function vnetNumBuffers(buf: Buffer, off: number): number {
  return get16le(buf, off + VNET_NUM_BUFFERS);
}

export function setVnetFlags(buf: Buffer, off: number, flags: number): void {
  buf[off + VNET_FLAGS] = flags & 0xff;
}

export function setVnetGsoType(buf: Buffer, off: number, gsoType: number): void {
  buf[off + VNET_GSO_TYPE] = gsoType & 0xff;
}

export function setVnetHdrLen(buf: Buffer, off: number, hdrLen: number): void {
  put16le(buf, off + VNET_HDR_LEN, hdrLen);
}

export function setVnetGsoSize(buf: Buffer, off: number, gsoSize: number): void {
  put16le(buf, off + VNET_GSO_SIZE, gsoSize);
}

export function setVnetCsumStart(buf: Buffer, off: number, start: number): void {
  put16le(buf, off + VNET_CSUM_START, start);
}

export function setVnetCsumOffset(buf: Buffer, off: number, offset: number): void {
  put16le(buf, off + VNET_CSUM_OFFSET, offset);
}

export function setVnetNumBuffers(buf: Buffer, off: number, n: number): void {
  put16le(buf, off + VNET_NUM_BUFFERS, n);
}

/** Writes all ten fields; returns 10. */
export function writeVirtioNetHdr(buf: Buffer, off: number, flags: number, gsoType: number, hdrLen: number,
  gsoSize: number, csumStart: number, csumOffset: number): number {
  buf[off + VNET_FLAGS] = flags & 0xff;
  buf[off + VNET_GSO_TYPE] = gsoType & 0xff;
  put16le(buf, off + VNET_HDR_LEN, hdrLen);
  put16le(buf, off + VNET_GSO_SIZE, gsoSize);
  put16le(buf, off + VNET_CSUM_START, csumStart);
  put16le(buf, off + VNET_CSUM_OFFSET, csumOffset);
  return VIRTIO_NET_HDR_LEN;
}

/** Zeroes a header of hdrSize bytes (10 or 12): a plain frame, nothing to offload. */
export function clearVirtioNetHdr(buf: Buffer, off: number, hdrSize = VIRTIO_NET_HDR_LEN): void {
  buf.fill(0, off, off + hdrSize);
}

/**
 * Finishes a partial checksum (NEEDS_CSUM) in software: the field at csumStart + csumOffset
 * holds the pseudo-header sum; fold in everything from csumStart to the frame's end. A result
 * of 0 is written as 0xffff, as skb_checksum_help does (the same value to TCP; to UDP 0 would
 * mean "no checksum").
 */
export function completePartialChecksum(buf: Buffer, frameOff: number, frameLen: number, csumStart: number,
  csumOffset: number): void {
  const start = frameOff + csumStart;
  put16(buf, start + csumOffset, finishChecksum(checksumAdd(buf, start, frameLen - csumStart)) || 0xffff);
}

/**
 * Moves a virtio-net header `delta` bytes (a VLAN tag stripped: +4, inserted: -4) along with
 * its frame, fixing csum_start and hdr_len, which count from the frame's first byte. Never throws
 * (it runs inside the poll callback): offsets a hostile or broken sender made too small or too
 * large are clamped to 0..65535, and the frame is then refused downstream with a counted reason
 * (tsoSplit's csum_start check -> badOffload; the kernel's TAP write check -> writeErrors).
 */
export function shiftVnetHeader(buf: Buffer, from: number, delta: number): void {
  const flags = buf[from]!;
  const gsoType = buf[from + 1]!;
  const hdrLen = buf.readUInt16LE(from + 2);
  const gsoSize = buf.readUInt16LE(from + 4);
  const csumStart = buf.readUInt16LE(from + 6);
  const csumOffset = buf.readUInt16LE(from + 8);
  const to = from + delta;
  buf[to] = flags;
  buf[to + 1] = gsoType;
  putU16LE(buf, to + 2, hdrLen === 0 ? 0 : hdrLen - delta);
  putU16LE(buf, to + 4, gsoSize);
  putU16LE(buf, to + 6, (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) === 0 ? csumStart : csumStart - delta);
  putU16LE(buf, to + 8, csumOffset);
}

/** Stores v clamped to 0..65535, little-endian, without the range check that writeUInt16LE throws from. */
function putU16LE(buf: Buffer, at: number, v: number): void {
  const c = v < 0 ? 0 : v > 0xffff ? 0xffff : v;
  buf[at] = c & 0xff;
  buf[at + 1] = c >>> 8;
}
