// A switch's encrypted tunnels as the loops see them: which segments are sealed, the native key
// state (one slot per peer), sealing toward a peer and opening a receive batch in place.
import { loadNative, type CryptoState, type NativeAddon } from "../io/native.js";
import type { RxBatch } from "../io/batch.js";
import type { Peer, PeerTable } from "../switch/peer-table.js";
import { CIPHER_AES_256_GCM, CIPHER_CHACHA20_POLY1305, CRYPTO_OPEN_RESULTS, TUNNEL_KIND_GRE, TUNNEL_KIND_VXLAN } from "../io/native-abi.js";
import { DropReason, type DirectionStats } from "./stats.js";

export { SEALED_HEADER_LEN as CRYPTO_HEADER_LEN, SEALED_TAG_LEN as CRYPTO_TAG_LEN } from "../wire/sealed.js";
/** The cipher ids in key derivation and in the native state. */
export const CIPHERS = { "chacha20-poly1305": CIPHER_CHACHA20_POLY1305, "aes-256-gcm": CIPHER_AES_256_GCM } as const;
export type CipherName = keyof typeof CIPHERS;
/** The faster of the two on our machines (AES-NI/VAES): docs/ENCRYPTION.md, "Ciphers". Both ends must agree. */
export const DEFAULT_CIPHER: CipherName = "aes-256-gcm";
/** Rotate a tx key after this many packets at the latest (far below the 2^64 nonce space and AES-GCM's limits). */
export const ROTATE_PACKETS = 2 ** 32 - 1;

export interface CryptoOptions {
  cipher: CipherName;
  psk: Buffer;
  /** This switch's underlay address, 16 bytes (IPv4-mapped for IPv4). */
  local16: Uint8Array;
  rotateSeconds: number;
  rotatePackets?: number;
  /** Sealed segments (VNIs / GRE keys); undefined: all. */
  segments?: readonly number[];
}

/** Open results in the order of native/abi.h's vxs_open_result (CRYPTO_OPEN_RESULTS of them). */
const OPEN_DROPS = [-1, DropReason.authFailed, DropReason.replayed, DropReason.truncated, DropReason.staleKey];

export class CryptoSession {
  private readonly addon: NativeAddon = loadNative();
  private readonly state: CryptoState;
  private readonly sealed: Set<number> | undefined;
  /** Packets opened and verified, over the switch's life. */
  opened = 0;

  constructor(readonly options: CryptoOptions) {
    this.state = this.addon.cryptoCreate(CIPHERS[options.cipher], options.psk, options.local16, options.rotateSeconds,
      options.rotatePackets ?? ROTATE_PACKETS, Math.floor(Date.now() / 1000));
    this.sealed = options.segments === undefined ? undefined : new Set(options.segments);
  }

  /** Whether segment id is sealed here. */
  encrypts(id: number): boolean {
    return this.sealed === undefined || this.sealed.has(id);
  }

  addPeer(peer: Peer): void {
    this.addon.cryptoPeerAdd(this.state, peer.id, peer.addr16);
  }

  removePeer(peer: Peer): void {
    this.addon.cryptoPeerRemove(this.state, peer.id);
  }

  /** Seals buf[off, off+total) (tunnel header of hl bytes, crypto header, frame, tag room) for peer. */
  seal(peer: Peer, buf: Buffer, off: number, hl: number, total: number): boolean {
    return this.addon.cryptoSeal(this.state, peer.id, buf, off, hl, total);
  }

  /** Seals every segment of a split (messages as tsoSplit wrote them) for peer. */
  sealSplit(peer: Peer, buf: Buffer, messages: Uint32Array, count: number, hl: number): boolean {
    return this.addon.cryptoSealSplit(this.state, peer.id, buf, messages, count, hl);
  }

  counters(): { opened: number; txRotations: number; rxRotations: number; derivations: number } {
    return { opened: this.opened, ...this.addon.cryptoCounters(this.state) };
  }

  /** An opener for one receive batch size. */
  opener(batchSize: number, kind: "vxlan" | "gre"): CryptoOpener {
    return new CryptoOpener(this, this.addon, this.state, batchSize, kind === "gre" ? TUNNEL_KIND_GRE : TUNNEL_KIND_VXLAN);
  }
}

/** Opens a receive batch in place before decapsulation; what fails is counted, never delivered. */
export class CryptoOpener {
  private readonly slots: Int32Array;
  private readonly results = new Float64Array(CRYPTO_OPEN_RESULTS);

  constructor(
    private readonly session: CryptoSession,
    private readonly addon: NativeAddon,
    private readonly state: CryptoState,
    batchSize: number,
    private readonly kind: number,
  ) {
    this.slots = new Int32Array(batchSize);
  }

  open(rx: RxBatch, n: number, peers: PeerTable, stats: DirectionStats): void {
    const slots = this.slots;
    for (let i = 0; i < n; i++) slots[i] = peers.lookup(rx.srcAddrs, i * 16)?.id ?? -1;
    const r = this.results;
    r.fill(0);
    this.addon.cryptoOpenBatch(this.state, rx.slab, rx.slotSize, rx.headroom, rx.lengths, rx.segSizes, slots, n, this.kind, r);
    this.session.opened += r[0]!;
    for (let k = 1; k < r.length; k++) if (r[k]! > 0) stats.drop(OPEN_DROPS[k]!, r[k]!);
  }
}
