// Typed loader of the vxswitch Node-API addon (build/Release/vxswitch_native.node).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { checkNativeAbi } from "./native-abi.js";

/** An opaque handle returned by `pollStart`. */
export type PollHandle = object;

/** Process-wide counts of per-packet failures that the addon counts instead of throwing. */
export interface NativeIoCounters {
  readErrors: number;
  writeErrors: number;
  recvErrors: number;
  sendErrors: number;
  /** Frames or datagrams larger than a slot, dropped. */
  truncated: number;
  /** Raw GRE packets with a nonsensical IPv4 header, dropped. */
  malformed: number;
  /** UDP_SEGMENT sends the kernel refused, re-sent segment by segment. */
  gsoFallbacks: number;
  /** Sockets whose UDP_SEGMENT was switched off after the kernel refused it (see udpGsoActive). */
  gsoDisabled: number;
  /** TAP frames whose NEEDS_CSUM offsets lie outside the frame, dropped by vnetFinishBatch. */
  badChecksumOffsets: number;
  /** Most recent counted error, e.g. "EMSGSIZE (sendmmsg)"; "" when none. */
  lastError: string;
}

export interface UdpOpenOptions {
  gro?: boolean;
  gso?: boolean;
  reuseAddr?: boolean;
  reusePort?: boolean;
  /** Socket buffer sizes in bytes (0 = kernel default); udpOpen reports what the kernel set. */
  rcvBuf?: number;
  sndBuf?: number;
}

/** Opaque key state made by cryptoCreate. */
export type CryptoState = object;

export interface NativeAddon {
  // TAP (non-blocking). vnetHdr adds IFF_VNET_HDR. Closing the fd removes the TAP.
  tapOpen(name: string, vnetHdr: boolean): { fd: number; name: string };
  tapSetOffload(fd: number, flags: number): void;
  tapSetVnetHdrSize(fd: number, size: number): void;
  close(fd: number): void;
  // Link operations by ioctl, by interface name, in the caller's network namespace.
  linkIndex(name: string): number;
  linkMac(name: string): Buffer;
  linkSetMac(name: string, mac: Uint8Array): void;
  linkGetMtu(name: string): number;
  linkSetMtu(name: string, mtu: number): void;
  linkSetUp(name: string, up: boolean): void;
  linkSetMaster(name: string, bridge: string): void;
  bridgeAdd(name: string): void;
  /** Brings the bridge down first: the kernel refuses to delete a bridge that is up. */
  bridgeDel(name: string): void;
  /** IPv4 replaces the interface's primary address (SIOCSIFADDR); IPv6 adds one. */
  linkAddAddress(name: string, addr16: Uint8Array, prefixLen: number): void;
  // Batched frame I/O on a TAP fd.
  readFrames(fd: number, slab: Buffer, slotSize: number, headroom: number,
             lengths: Uint32Array, max: number): number;
  writeFrames(fd: number, slab: Buffer, offsets: Uint32Array, lengths: Uint32Array,
              count: number): number;
  /**
   * Readiness: one JS callback per wakeup (uv_poll, UV_READABLE). When polling fails (EPOLLERR:
   * a deleted TAP, a socket error) the callback gets the Error once and the handle stops: call
   * pollStop, then pollStart again or give the fd up. A throw from the callback is uncaught.
   */
  pollStart(fd: number, onReadable: (err?: Error) => void): PollHandle;
  pollStop(handle: PollHandle): void;
  /** false: this poll alone does not keep the process alive (uv_unref). */
  pollSetRef(handle: PollHandle, ref: boolean): void;
  /**
   * Busy polling: spins on poll(2) with a zero timeout until one of fds[0..count) is readable or
   * budgetUs passes. Returns a bit mask of the ready fds (bit i = fds[i]); 0 = none in time.
   */
  spinReadable(fds: Uint32Array, count: number, budgetUs: number): number;
  // UDP sockets (recvmmsg/sendmmsg).
  udpOpen(family: 4 | 6, addr16: Uint8Array, port: number, options: UdpOpenOptions):
    { fd: number; port: number; gro: boolean; gso: boolean; rcvBuf: number; sndBuf: number };
  udpJoinGroup(fd: number, group16: Uint8Array, ifindex: number, ttl: number, loop: boolean): void;
  udpRecv(fd: number, slab: Buffer, slotSize: number, headroom: number, lengths: Uint32Array,
          srcAddrs: Uint8Array, srcPorts: Uint16Array, segSizes: Uint16Array, max: number): number;
  /**
   * sockState: the socket's Int32Array [family 4|6, gso 1|0], owned by its object (an fd number
   * can be reused after close, so nothing is cached by fd). The addon sets gso to 0 when the
   * kernel refuses UDP_SEGMENT. status[i]: TX_SENT / TX_FAILED / TX_UNSENT (io/batch.ts).
   */
  udpSend(fd: number, slab: Buffer, offsets: Uint32Array, lengths: Uint32Array,
          dstAddrs: Uint8Array, dstPorts: Uint16Array, segSizes: Uint16Array, count: number,
          sockState: Int32Array, status: Uint8Array): number;
  // Raw IPPROTO_GRE (47) sockets: payload starts at the GRE header (IPv4 header stripped).
  greOpen(family: 4 | 6, addr16: Uint8Array, options?: { rcvBuf?: number; sndBuf?: number }):
    { fd: number; rcvBuf: number; sndBuf: number };
  greRecv(fd: number, slab: Buffer, slotSize: number, headroom: number, lengths: Uint32Array,
          srcAddrs: Uint8Array, max: number, sockState: Int32Array): number;
  greSend(fd: number, slab: Buffer, offsets: Uint32Array, lengths: Uint32Array,
          dstAddrs: Uint8Array, count: number, sockState: Int32Array, status: Uint8Array): number;
  ioCounters(): NativeIoCounters;
  /** The numbers of native/abi.h by name (checked against src/io/native-abi.ts at load). */
  readonly abi: Readonly<Record<string, number>>;
  // Offloads in software (native/offload_csum.c, offload_tso.c, offload_gro.c). Frames read from a TAP with IFF_VNET_HDR lie
  // behind a 10-byte virtio-net header.
  /**
   * Finishes the partial checksum of every non-GSO NEEDS_CSUM frame of a TAP batch (clears the
   * flag). A frame whose checksum offsets lie outside it gets length 0 (skip it); returns how many.
   */
  vnetFinishBatch(slab: Buffer, slotSize: number, headroom: number, lengths: Uint32Array, count: number): number;
  /**
   * Splits the GSO super-frame at src[frameOff, +frameLen) (virtio-net header in the 10 bytes
   * before) into segments [encap template][fixed headers][payload] back to back in
   * dst[dstOff, dstEnd), grouped into UDP_SEGMENT messages of at most maxMessage bytes;
   * out[3m..3m+2] = offset, length, segment size (0: one segment). Returns messages, 0 when dst
   * is too small, -1 for a malformed super-frame, -2 when out is too short.
   */
  tsoSplit(src: Buffer, frameOff: number, frameLen: number, dst: Buffer, dstOff: number, dstEnd: number,
           encap: Uint8Array, encapLen: number, maxMessage: number, out: Uint32Array, trailer?: number): number;
  /**
   * Decapsulates a receive batch (encapLen-byte tunnel headers) into `out`, coalescing same-flow
   * TCP segments into GSO super-frames; each output frame lies behind a virtio-net header.
   * Records of 6: vnet header offset, length with header, datagram index, tunnel header offset
   * in slab, packets, inner bytes. cursor = [datagram, offset, runts, partial checksums]: where to resume.
   * A TCP frame longer than maxFrame (0: no limit) becomes a GSO frame of segments that fit.
   */
  groCoalesce(slab: Buffer, slotSize: number, headroom: number, lengths: Uint32Array, segSizes: Uint16Array,
              srcAddrs: Uint8Array, count: number, encapLen: number, cursor: Uint32Array, out: Buffer,
              records: Uint32Array, maxRecords: number, maxFrame: number): number;
  // Encrypted tunnels (native/crypto_*.c, docs/ENCRYPTION.md).
  /** Key state of a switch: cipher 1 chacha20-poly1305 / 2 aes-256-gcm; tx keys rotate after rotateSeconds or rotatePackets. */
  cryptoCreate(cipher: number, psk: Uint8Array, local16: Uint8Array, rotateSeconds: number, rotatePackets: number, firstEpoch: number): CryptoState;
  cryptoPeerAdd(state: CryptoState, slot: number, addr16: Uint8Array): void;
  cryptoPeerRemove(state: CryptoState, slot: number): void;
  /** Seals buf[off, off+total): hl bytes of tunnel header, 12 of crypto header, plaintext, 16 of tag room. */
  cryptoSeal(state: CryptoState, slot: number, buf: Buffer, off: number, hl: number, total: number): boolean;
  /** Seals every segment of tsoSplit's first `count` messages (split with a 16-byte trailer). */
  cryptoSealSplit(state: CryptoState, slot: number, buf: Buffer, messages: Uint32Array, count: number, hl: number): boolean;
  /**
   * Opens the sealed packets of a receive batch in place, packing what verified as [tunnel
   * header][plaintext] (lengths and segSizes updated); counters[result] += packets.
   * kind 0: VXLAN, 1: GRE. slots[i]: the sender's peer slot, -1 unknown (left alone).
   */
  cryptoOpenBatch(state: CryptoState, slab: Buffer, slotSize: number, headroom: number, lengths: Uint32Array,
                  segSizes: Uint16Array, slots: Int32Array, count: number, kind: number, counters: Float64Array): void;
  cryptoCounters(state: CryptoState): { txRotations: number; rxRotations: number; derivations: number };
}

const ADDON_FILE = "build/Release/vxswitch_native.node";

let loaded: NativeAddon | undefined;

/** Where the addon may be: $VXSWITCH_NATIVE, then the package root seen from src/ or dist/src/. */
function candidates(): string[] {
  const list: string[] = [];
  const override = process.env.VXSWITCH_NATIVE;
  if (override) list.push(override);
  for (const up of ["../../", "../../../"]) {
    list.push(fileURLToPath(new URL(up + ADDON_FILE, import.meta.url)));
  }
  return list;
}

/**
 * The addon, loaded on first use: importing this module never fails, calling through it
 * throws loadNative()'s error when the addon is not built. Hot paths keep loadNative()'s result.
 */
export const native: NativeAddon = new Proxy({} as NativeAddon, {
  get(_target, key) {
    return Reflect.get(loadNative(), key);
  },
});

/**
 * Loads the addon once; throws an actionable error when it has not been built or was built with
 * other shared constants than this TypeScript (native-abi.ts).
 */
export function loadNative(): NativeAddon {
  if (loaded) return loaded;
  const paths = candidates();
  const path = paths.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `vxswitch native addon not found (looked in ${paths.join(", ")}): run \`npm run build\``,
    );
  }
  const require = createRequire(import.meta.url);
  const addon = require(path) as NativeAddon;
  checkNativeAbi(addon.abi, `at ${path}`);
  loaded = addon;
  return loaded;
}
