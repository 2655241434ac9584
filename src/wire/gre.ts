// GRE header (RFC 2784, keys and sequence numbers RFC 2890): flags, protocol type, optional checksum, key, sequence.
import { get16, get32, put16, put32 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";

export const GRE_FLAGS = 0;
export const GRE_PROTOCOL = 2;
/** Fixed part: flags/version and protocol type. Each of checksum(+reserved1), key, sequence adds 4. */
export const GRE_BASE_LEN = 4;
export const GRE_MAX_HEADER_LEN = 16;

export const GRE_FLAG_C = 0x8000;
/** Routing present (RFC 1701): not part of RFC 2784, such packets are dropped. */
export const GRE_FLAG_R = 0x4000;
export const GRE_FLAG_K = 0x2000;
export const GRE_FLAG_S = 0x1000;
/** Strict source route (RFC 1701): dropped, like R. */
export const GRE_FLAG_STRICT = 0x0800;
export const GRE_VERSION_MASK = 0x0007;

export const GRE_PROTO_TEB = 0x6558;
export const GRE_PROTO_IPV4 = 0x0800;
export const GRE_PROTO_IPV6 = 0x86dd;

export const GreReason = {
  truncated: "gre-truncated",
  badVersion: "gre-bad-version",
  unsupportedFlags: "gre-unsupported-flags",
  badChecksum: "gre-bad-checksum",
  notTeb: "gre-not-teb",
} as const;
export type GreReason = (typeof GreReason)[keyof typeof GreReason];

/** Header length for these flags: 4, plus 4 each for C, K and S. */
export function greHeaderLength(flags: number): number {
  return GRE_BASE_LEN + ((flags & GRE_FLAG_C) !== 0 ? 4 : 0) + ((flags & GRE_FLAG_K) !== 0 ? 4 : 0) +
    ((flags & GRE_FLAG_S) !== 0 ? 4 : 0);
}

/** Offset of the key field from the header start (valid when K is set). */
export function greKeyOffset(flags: number): number {
  return (flags & GRE_FLAG_C) !== 0 ? 8 : 4;
}

/** Offset of the sequence field from the header start (valid when S is set). */
export function greSeqOffset(flags: number): number {
  return greKeyOffset(flags) + ((flags & GRE_FLAG_K) !== 0 ? 4 : 0);
}

/**
 * Checks what RFC 2784 asks a receiver to check: version 0, no routing (R, s), the header's
 * optional fields within len, and the checksum over header and payload when C is set.
 * Reserved bits 6-12 are ignored. The protocol type is not checked here (see checkGreTeb).
 */
export function checkGre(buf: Buffer, off: number, len: number): GreReason | null {
  if (len < GRE_BASE_LEN || off < 0 || off + len > buf.length) return GreReason.truncated;
  const flags = greFlags(buf, off);
  if ((flags & GRE_VERSION_MASK) !== 0) return GreReason.badVersion;
  if ((flags & (GRE_FLAG_R | GRE_FLAG_STRICT)) !== 0) return GreReason.unsupportedFlags;
  if (len < greHeaderLength(flags)) return GreReason.truncated;
  if ((flags & GRE_FLAG_C) !== 0 && !checksumIsValid(buf, off, len)) return GreReason.badChecksum;
  return null;
}

/** checkGre, and the payload must be Ethernet (protocol type 0x6558). */
export function checkGreTeb(buf: Buffer, off: number, len: number): GreReason | null {
  const reason = checkGre(buf, off, len);
  if (reason !== null) return reason;
  return greProtocol(buf, off) === GRE_PROTO_TEB ? null : GreReason.notTeb;
}

/** Flags and version word (C, K, S, version in the low 3 bits). */
export function greFlags(buf: Buffer, off: number): number {
  return (buf[off + GRE_FLAGS] << 8) | buf[off + GRE_FLAGS + 1];
}

export function greVersion(buf: Buffer, off: number): number {
  return buf[off + GRE_FLAGS + 1] & GRE_VERSION_MASK;
}

export function greProtocol(buf: Buffer, off: number): number {
  return (buf[off + GRE_PROTOCOL] << 8) | buf[off + GRE_PROTOCOL + 1];
}

/** The checksum field (valid when C is set). */
export function greChecksum(buf: Buffer, off: number): number {
  return get16(buf, off + 4);
}

/** The key (valid when K is set), an unsigned 32-bit number. */
export function greKey(buf: Buffer, off: number): number {
  return get32(buf, off + greKeyOffset(greFlags(buf, off)));
}

/** The sequence number (valid when S is set). */
export function greSeq(buf: Buffer, off: number): number {
  return get32(buf, off + greSeqOffset(greFlags(buf, off)));
}

export function setGreKey(buf: Buffer, off: number, key: number): void {
  put32(buf, off + greKeyOffset(greFlags(buf, off)), key >>> 0);
}

export function setGreSeq(buf: Buffer, off: number, seq: number): void {
  put32(buf, off + greSeqOffset(greFlags(buf, off)), seq >>> 0);
}

/** What goes into a header: checksum on or off, a key and a sequence number when present. */
export interface GreOptions {
  checksum: boolean;
  key?: number;
  seq?: number;
  /** Defaults to 0x6558 (TEB). */
  protocol?: number;
}

/** The flags word for these options (compute it once per tunnel). */
export function greFlagsFor(opts: GreOptions): number {
  return (opts.checksum ? GRE_FLAG_C : 0) | (opts.key !== undefined ? GRE_FLAG_K : 0) |
    (opts.seq !== undefined ? GRE_FLAG_S : 0);
}

export function greHeaderLengthFor(opts: GreOptions): number {
  return greHeaderLength(greFlagsFor(opts));
}

/**
 * Writes a GRE header at off for a payload of payloadLen bytes that already sits right after
 * it (so the header can go into headroom), computing the checksum over header and payload
 * when opts.checksum is set. Returns the header length. A long-lived opts object (one per
 * tunnel, seq bumped in place) keeps the hot path free of allocation.
 */
export function writeGreHeader(buf: Buffer, off: number, opts: GreOptions, payloadLen: number): number {
  const flags = greFlagsFor(opts);
  put16(buf, off + GRE_FLAGS, flags);
  put16(buf, off + GRE_PROTOCOL, opts.protocol ?? GRE_PROTO_TEB);
  let at = off + GRE_BASE_LEN;
  if (opts.checksum) {
    put32(buf, at, 0); // checksum and reserved1, zero while summing
    at += 4;
  }
  if (opts.key !== undefined) {
    put32(buf, at, opts.key >>> 0);
    at += 4;
  }
  if (opts.seq !== undefined) {
    put32(buf, at, opts.seq >>> 0);
    at += 4;
  }
  const hlen = at - off;
  if (opts.checksum) fillGreChecksum(buf, off, hlen + payloadLen);
  return hlen;
}

/** Computes and stores the checksum of the GRE packet at buf[off, off + len) (C must be set). */
export function fillGreChecksum(buf: Buffer, off: number, len: number): void {
  put16(buf, off + 4, 0);
  put16(buf, off + 4, finishChecksum(checksumAdd(buf, off, len)));
}
