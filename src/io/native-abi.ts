// The numbers TypeScript and the native addon must agree on (record layouts, sizes, codes passed
// as arguments). native/abi.h defines them for C and the addon exports them as `abi`; loadNative()
// compares that object with EXPECTED_ABI below and refuses an addon that differs, so an addon
// built from another checkout fails at load with the constant's name instead of misreading
// records later.
import { TX_FAILED, TX_SENT, TX_UNSENT } from "./batch.js";
import { GRE_PROTO_SEALED, SEALED_HEADER_LEN, SEALED_TAG_LEN, VXLAN_FLAGS_SEALED } from "../wire/sealed.js";
import { VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";

/** Largest encapsulation template tsoSplit copies in front of a segment, and its largest trailer. */
export const TSO_ENCAP_MAX = 32;
/** Segments per UDP_SEGMENT message tsoSplit builds at most. */
export const TSO_MAX_SEGMENTS_PER_MESSAGE = 64;
/** Smallest gso_size tsoSplit accepts for TCP (Linux's tcp_min_snd_mss floor). */
export const TSO_MIN_MSS = 48;
/** Largest super-frame the coalescer builds: an Ethernet header and a 64 KiB IP packet. */
export const MAX_SUPER_FRAME = 14 + 65535;
/** Free bytes the native coalescer leaves in front of each output vnet header (room for a VLAN tag). */
export const GRO_PAD = 4;
/** Numbers per groCoalesce output record. */
export const GRO_RECORD = 6;
/**
 * groCoalesce's encapLen for GRE: each packet's header length comes from its flags, and only
 * packets without checksum (and version 0, protocol 0x6558, no routing) are merged.
 */
export const GRO_ENCAP_GRE = 255;
/** A socket's state array: [family 4|6, UDP_SEGMENT on 1|0] (udp-batch-socket.ts, gre-socket.ts). */
export const SOCK_STATE_LEN = 2;
/** cryptoCreate's cipher ids. */
export const CIPHER_CHACHA20_POLY1305 = 1;
export const CIPHER_AES_256_GCM = 2;
/** cryptoOpenBatch's kind argument. */
export const TUNNEL_KIND_VXLAN = 0;
export const TUNNEL_KIND_GRE = 1;
/** Counters cryptoOpenBatch fills: opened, then one per reason a packet was not opened. */
export const CRYPTO_OPEN_RESULTS = 5;

/** The addon's `abi` object as TypeScript expects it: native/abi.h's names without VXS_. */
export const EXPECTED_ABI: Readonly<Record<string, number>> = {
  VNET_HDR_LEN: VIRTIO_NET_HDR_LEN,
  ENCAP_MAX: TSO_ENCAP_MAX,
  UDP_GSO_MAX_SEGS: TSO_MAX_SEGMENTS_PER_MESSAGE,
  TSO_MIN_MSS,
  GRO_MAX_FRAME: MAX_SUPER_FRAME,
  GRO_PAD,
  GRO_RECORD,
  GRO_ENCAP_GRE,
  TX_SENT,
  TX_FAILED,
  TX_UNSENT,
  SOCK_STATE_LEN,
  CRYPTO_HDR: SEALED_HEADER_LEN,
  CRYPTO_TAG: SEALED_TAG_LEN,
  VXLAN_FLAGS_SEALED,
  GRE_PROTO_SEALED,
  CHACHA20_POLY1305: CIPHER_CHACHA20_POLY1305,
  AES_256_GCM: CIPHER_AES_256_GCM,
  KIND_VXLAN: TUNNEL_KIND_VXLAN,
  KIND_GRE: TUNNEL_KIND_GRE,
  OPEN_RESULTS: CRYPTO_OPEN_RESULTS,
};

/**
 * Throws when the addon's `abi` object (undefined: an addon older than the check) differs from
 * `expected`: a constant missing on either side or with another value, each named.
 */
export function checkNativeAbi(actual: unknown, where: string, expected: Readonly<Record<string, number>> = EXPECTED_ABI): void {
  const rebuild = "rebuild it from this checkout (`npm run build`)";
  if (typeof actual !== "object" || actual === null) {
    throw new Error(`vxswitch native addon ${where} exports no abi constants (built from an older checkout?): ${rebuild}`);
  }
  const got = actual as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    if (!(name in got)) problems.push(`${name} missing in the addon (TypeScript: ${want})`);
    else if (got[name] !== want) problems.push(`${name} is ${String(got[name])} in the addon, ${want} in TypeScript`);
  }
  for (const name of Object.keys(got)) {
    if (!(name in expected)) problems.push(`${name} (${String(got[name])}) unknown to TypeScript`);
  }
  if (problems.length > 0) {
    throw new Error(`vxswitch native addon ${where} does not match this build's constants (native/abi.h vs src/io/native-abi.ts): ${problems.join("; ")}; ${rebuild}`);
  }
}
