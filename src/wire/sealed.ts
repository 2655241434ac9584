// Sealed (encrypted) tunnel packets, docs/ENCRYPTION.md: the marks on the tunnel header and the
// 12-byte crypto header behind it (epoch, counter: together the AEAD nonce), then the sealed
// frame and a 16-byte tag.

/** Epoch (4 bytes) and counter (8 bytes). */
export const SEALED_HEADER_LEN = 12;
export const SEALED_TAG_LEN = 16;
/** What sealing adds to every packet: 28 bytes (a 1500-byte IPv4 underlay leaves VXLAN 1422). */
export const SEALED_OVERHEAD = SEALED_HEADER_LEN + SEALED_TAG_LEN;
/** VXLAN flags of a sealed packet: E (0x40) set, I clear: kernel vxlan, OVS and RFC 7348 receivers drop it. */
export const VXLAN_FLAGS_SEALED = 0x40;
/** GRE protocol of a sealed payload (IEEE 802 local experimental ethertype 1), never 0x6558. */
export const GRE_PROTO_SEALED = 0x88b5;

const EPOCH = 0;
const COUNTER = 4;

/** The key epoch of the crypto header at off. */
export function sealedEpoch(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off + EPOCH);
}

/** The packet counter of the crypto header at off (a bigint: it is 64 bits). */
export function sealedCounter(buf: Buffer, off: number): bigint {
  return buf.readBigUInt64BE(off + COUNTER);
}
