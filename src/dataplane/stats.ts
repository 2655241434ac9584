// Dataplane counters: plain numbers the loops add to (frames and bytes once per batch, drops as they happen).
import { DROP_REASONS, dropReasonName } from "../switch/forwarder.js";
import { BatchHistogram } from "./batch-histogram.js";

/** Why a frame was dropped; the names appear in `vxswitch stats` and in metrics labels. */
export const DropReason = {
  runt: 0,
  vxlanFlagI: 1,
  unknownVni: 2,
  unknownPeer: 3,
  splitHorizon: 4,
  hairpin: 5,
  noTarget: 6,
  txFull: 7,
  txError: 8,
  greHeader: 9,
  greChecksum: 10,
  untagged: 11,
  unmappedVlan: 12,
  oversize: 13,
  /** A TAP super-frame whose headers do not match its virtio-net header (cannot be split). */
  badOffload: 14,
  /** An 802.1ad (QinQ, 0x88a8) outer tag on a trunk TAP, whose VLAN map is for 802.1Q tags. */
  serviceTag: 15,
  /** Longer than the segment's overlay carries, answered with ICMP "fragmentation needed" / "packet too big". */
  tooBig: 16,
  /** A tunnel frame from a MAC in use on a local port (spoofed or looped): not delivered, the FDB unchanged. */
  moveRefused: 17,
  /** A flood (broadcast, multicast, unknown unicast) over the segment's floodRateLimit. */
  floodLimited: 18,
  /** Encrypted tunnels: the tag did not verify (forged, corrupted, another key or another sender). */
  authFailed: 19,
  /** Encrypted tunnels: a counter seen before, or too far behind the replay window. */
  replayed: 20,
  /** Encrypted tunnels: shorter than a tunnel header, crypto header and tag. */
  truncated: 21,
  /** Encrypted tunnels: a key epoch older than the two kept, or new epochs asked for too often. */
  staleKey: 22,
  /** A clear packet for a segment that is encrypted here. */
  cleartextRefused: 23,
  /** A sealed packet for a segment that is not encrypted here. */
  notEncrypted: 24,
} as const;
export type DropReasonName = keyof typeof DropReason;
export const DROP_REASON_NAMES = Object.keys(DropReason) as DropReasonName[];

/** The counter of each forwarder drop code, by `-2 - code` (the order of DROP_REASONS). */
const DECISION_DROPS: readonly number[] = DROP_REASONS.map((code) => DropReason[dropReasonName(code) as DropReasonName]);

/** The DropReason of a forwarder drop code (a decision < FLOOD): an array read, no lookup by name per frame. */
export function decisionDrop(code: number): number {
  return DECISION_DROPS[-2 - code]!;
}

export class DirectionStats {
  frames = 0;
  bytes = 0;
  batches = 0;
  flooded = 0;
  /** Copies the floods made (tunnel peers plus local ports): floodCopies / flooded is the mean fan-out. */
  floodCopies = 0;
  /** Messages per batch read (TAP frames, or tunnel datagrams: a GRO datagram counts once). */
  readonly batchSizes = new BatchHistogram();
  /** Frames whose TCP/UDP checksum arrived partial (a same-host sender's CHECKSUM_PARTIAL) and was finished. */
  partialChecksums = 0;
  readonly drops = new Float64Array(DROP_REASON_NAMES.length);

  drop(reason: number, n = 1): void {
    this.drops[reason]! += n;
  }

  /** One batch of n messages read. */
  batch(n: number): void {
    this.batches++;
    this.batchSizes.record(n);
  }

  /** One frame flooded as `copies` copies. */
  flood(copies: number): void {
    this.flooded++;
    this.floodCopies += copies;
  }

  toJSON(): {
    frames: number; bytes: number; batches: number; flooded: number; floodCopies: number; batchSizes: Record<string, number>; partialChecksums: number; drops: Record<string, number>;
  } {
    const drops: Record<string, number> = {};
    DROP_REASON_NAMES.forEach((name, i) => {
      if (this.drops[i]! > 0) drops[name] = this.drops[i]!;
    });
    return {
      frames: this.frames, bytes: this.bytes, batches: this.batches, flooded: this.flooded, floodCopies: this.floodCopies,
      batchSizes: this.batchSizes.toJSON(), partialChecksums: this.partialChecksums, drops,
    };
  }
}

export class DataplaneStats {
  /** TAP -> tunnel. */
  readonly egress = new DirectionStats();
  /** Tunnel -> TAP. */
  readonly ingress = new DirectionStats();
}
