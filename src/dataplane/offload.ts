// TAP offloads: probe IFF_VNET_HDR + TUNSETOFFLOAD at start (falling back per feature), and the
// per-loop state of the native TSO split (egress) and GRO coalescing (ingress).
import type { RxBatch } from "../io/batch.js";
import { loadNative, type NativeAddon } from "../io/native.js";
import { TapDevice, TunOffload } from "../io/tap-device.js";
import { VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";

/** What the TAPs deliver and accept; `status` shows it. */
export interface TapOffloads {
  /** Frames carry a 10-byte virtio-net header (IFF_VNET_HDR). */
  tapVnetHdr: boolean;
  /** The kernel hands frames with partial checksums (TUN_F_CSUM). */
  csum: boolean;
  /** TCP super-frames up to 64 KiB (TUN_F_TSO4 / TUN_F_TSO6), split in egress. */
  tso4: boolean;
  tso6: boolean;
  /** UDP super-frames (TUN_F_USO4|USO6, Linux >= 6.2). */
  uso: boolean;
}

export const NO_OFFLOADS: TapOffloads = { tapVnetHdr: false, csum: false, tso4: false, tso6: false, uso: false };

/** Largest super-frame the coalescer builds: an Ethernet header and a 64 KiB IP packet. */
export const MAX_SUPER_FRAME = 14 + 65535;
/** Room for a frame read from a TAP with TSO: GRO-built skbs may reach 64 KiB of IP plus tags. */
export const TAP_SUPER_FRAME = MAX_SUPER_FRAME + 64;

/** Free bytes the native coalescer leaves in front of each output vnet header (room for a VLAN tag). */
const GRO_PAD = 4;
/** Numbers per groCoalesce output record. */
export const GRO_RECORD = 6;
/**
 * groCoalesce's encapLen for GRE: each packet's header length comes from its flags, and only
 * packets without checksum (and version 0, protocol 0x6558, no routing) are merged.
 */
export const GRO_ENCAP_GRE = 255;
/** Messages tsoSplit may return for one super-frame (64 KiB at a 1-byte MSS, 64 per message). */
const TSO_MAX_MESSAGES = 1100;
/** Largest UDP payload of one UDP_SEGMENT send: 65535 - IP header - UDP header. */
export const maxGsoMessage = (family: 4 | 6): number => (family === 4 ? 65535 - 20 - 8 : 65535 - 8);

// TUNSETOFFLOAD combinations from most to least; the kernel refuses bits it does not know (EINVAL).
const OFFLOAD_STEPS: { flags: number; tso: boolean; uso: boolean }[] = [
  { flags: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6 | TunOffload.TSO_ECN | TunOffload.USO4 | TunOffload.USO6, tso: true, uso: true },
  { flags: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6 | TunOffload.TSO_ECN, tso: true, uso: false },
  { flags: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6, tso: true, uso: false },
  { flags: TunOffload.CSUM, tso: false, uso: false },
];

/**
 * Opens a TAP with IFF_VNET_HDR and the most offloads the kernel accepts; `enabled` false (or a
 * kernel without IFF_VNET_HDR) gives a plain TAP. Never fails for an offload alone.
 */
export function openTapWithOffloads(name: string, enabled: boolean): { device: TapDevice; offloads: TapOffloads } {
  if (!enabled) return { device: TapDevice.open(name, { vnetHdr: false }), offloads: { ...NO_OFFLOADS } };
  let device: TapDevice;
  try {
    device = TapDevice.open(name, { vnetHdr: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EINVAL") throw err;
    return { device: TapDevice.open(name, { vnetHdr: false }), offloads: { ...NO_OFFLOADS } };
  }
  for (const step of OFFLOAD_STEPS) {
    try {
      device.setOffload(step.flags);
      return { device, offloads: { tapVnetHdr: true, csum: true, tso4: step.tso, tso6: step.tso, uso: step.uso } };
    } catch {
      // Try the next, smaller combination.
    }
  }
  return { device, offloads: { tapVnetHdr: true, csum: false, tso4: false, tso6: false, uso: false } };
}

/**
 * Opens a switch's TAPs alike: the first probes what the kernel offers, the others must get the
 * same (the ingress loop writes one format to every TAP).
 */
export class TapOffloadProbe {
  offloads: TapOffloads = { ...NO_OFFLOADS };
  private opened = 0;

  constructor(private readonly enabled: boolean) {}

  open(name: string): TapDevice {
    const { device, offloads } = openTapWithOffloads(name, this.opened === 0 ? this.enabled : this.offloads.tapVnetHdr);
    if (this.opened > 0 && describeOffloads(offloads) !== describeOffloads(this.offloads)) {
      device.close();
      throw new Error(`TAP ${name} got offloads "${describeOffloads(offloads)}", unlike the first TAP ("${describeOffloads(this.offloads)}"); start with offloads off (--no-offloads)`);
    }
    this.offloads = offloads;
    this.opened++;
    return device;
  }

  /** Slot size for TAP reads: room for the headroom, the virtio-net header and a super-frame (TSO/USO) or maxFrame. */
  tapSlotSize(headroom: number, maxFrame: number): number {
    const o = this.offloads;
    const frame = o.tso4 || o.tso6 || o.uso ? TAP_SUPER_FRAME : maxFrame;
    return headroom + (o.tapVnetHdr ? VIRTIO_NET_HDR_LEN : 0) + frame + 4;
  }
}

/** "vnet-hdr csum tso4 tso6 uso" / "none", for the log and `status`. */
export function describeOffloads(o: TapOffloads): string {
  const on = (["tapVnetHdr", "csum", "tso4", "tso6", "uso"] as const).filter((k) => o[k]).map((k) => (k === "tapVnetHdr" ? "vnet-hdr" : k));
  return on.length === 0 ? "none" : on.join(" ");
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

/**
 * Egress scratch: the tail of the TAP loop's slab (so one TxBatch covers plain frames and
 * segments) where super-frames are split into encapsulated segments until the next flush.
 */
export class SegmentScratch {
  /** The encapsulation header copied in front of each segment, at [0, length). */
  readonly template = Buffer.alloc(32);
  /** tsoSplit's output: offset, length, segment size per message. */
  readonly messages = new Uint32Array(3 * TSO_MAX_MESSAGES);
  private pos: number;
  private readonly addon: NativeAddon = loadNative();

  constructor(
    readonly slab: Buffer,
    readonly start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** Bytes a super-frame of up to 64 KiB may need here, whatever its MSS. */
  static bytesFor(superFrames: number): number {
    return superFrames * (TAP_SUPER_FRAME + 64 * 1024);
  }

  /**
   * Splits the super-frame at slab[off, off+len) (virtio-net header in front) behind the
   * template's first encapLen bytes, `trailer` bytes of room after each (an AEAD tag). Returns messages (> 0), 0 when the scratch is full (send
   * what is queued, reset(), retry) or < 0 when the super-frame is malformed. `src` holds the
   * super-frame when it is not in the scratch's own slab.
   */
  split(off: number, len: number, encapLen: number, maxMessage: number, src: Buffer = this.slab, trailer = 0): number {
    const n = this.addon.tsoSplit(src, off, len, this.slab, this.pos, this.end, this.template, encapLen, maxMessage, this.messages, trailer);
    if (n > 0) {
      const last = 3 * (n - 1);
      this.pos = (this.messages[last]! + this.messages[last + 1]! + 7) & ~7;
    }
    return n;
  }

  /** Everything split so far has been sent: start over. */
  reset(): void {
    this.pos = this.start;
  }

  get empty(): boolean {
    return this.pos === this.start;
  }
}

/** Ingress: decapsulated frames behind virtio-net headers, same-flow TCP merged into super-frames. */
export class GroCoalescer {
  readonly out: Buffer;
  readonly records: Uint32Array;
  /** [datagram, offset in it, runts, partial checksums]: where the next call resumes, and what it counted. */
  readonly cursor = new Uint32Array(4);
  private readonly addon: NativeAddon = loadNative();

  /**
   * maxFrame: the largest untagged frame the TAPs' links take unsegmented (overlay MTU + 14); a
   * longer TCP frame (a sender's GSO packet that crossed a same-host underlay whole) is written
   * as a GSO frame of segments that fit. 0: no limit.
   */
  constructor(
    readonly maxRecords: number,
    outBytes: number,
    readonly maxFrame = 0,
  ) {
    // At least a few super-frames in flight, and never less than one.
    this.out = Buffer.alloc(Math.max(outBytes, 8 * (MAX_SUPER_FRAME + GRO_PAD + VIRTIO_NET_HDR_LEN + 8)));
    this.records = new Uint32Array(maxRecords * GRO_RECORD);
  }

  /** Starts a batch of n datagrams. */
  begin(): void {
    this.cursor[0] = 0;
    this.cursor[1] = 0;
    this.cursor[2] = 0;
    this.cursor[3] = 0;
  }

  /** Coalesces the next part of the batch; returns records (0 when done). */
  next(rx: RxBatch, n: number, encapLen: number): number {
    if (this.cursor[0]! >= n) return 0;
    return this.addon.groCoalesce(rx.slab, rx.slotSize, rx.headroom, rx.lengths, rx.segSizes, rx.srcAddrs, n, encapLen,
      this.cursor, this.out, this.records, this.maxRecords, this.maxFrame);
  }

  /** Packets too short for a tunnel and an Ethernet header, counted over the batch. */
  get runts(): number {
    return this.cursor[2]!;
  }

  /** Frames handed to the TAP with NEEDS_CSUM because their TCP/UDP checksum was partial, over the batch. */
  get partialChecksums(): number {
    return this.cursor[3]!;
  }
}
