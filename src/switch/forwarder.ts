// The forwarding decision for one frame: one endpoint, flood, or drop with a reason (split horizon, hairpin).
import { isMulticastMac } from "../wire/mac.js";
import type { Endpoints } from "./endpoints.js";
import { MOVE_REFUSED, type Fdb } from "./fdb.js";
import type { SegmentTable } from "./tables.js";

/** Send a copy to every target of floodTargets(segment, from) except from. */
export const FLOOD = -1;
/** Hairpin: the destination is learned behind the endpoint the frame came from. */
export const DROP_SAME_PORT = -2;
/** The frame came from a tunnel and its known destination is another tunnel. */
export const DROP_SPLIT_HORIZON = -3;
/** No segment has this VNI (the loops' check: they look the segment up first). */
export const DROP_UNKNOWN_VNI = -4;
/** A flood with nobody to flood to (the source is the segment's only member in reach). */
export const DROP_NO_TARGET = -5;

/**
 * A tunnel frame whose source MAC is in use on a local port (move refused): delivering it would
 * teach the host's bridge that the local host sits behind the TAP, so it is dropped.
 */
export const DROP_MOVE_REFUSED = -6;

/** Every drop code, in order: DROP_REASONS[i] === -2 - i, so `-2 - code` indexes a counter array. */
export const DROP_REASONS = [DROP_SAME_PORT, DROP_SPLIT_HORIZON, DROP_UNKNOWN_VNI, DROP_NO_TARGET, DROP_MOVE_REFUSED] as const;
export type DropCode = (typeof DROP_REASONS)[number];

// camelCase, the keys of the dataplane's DropReason table and of metrics labels.
const DROP_NAMES = ["hairpin", "splitHorizon", "unknownVni", "noTarget", "moveRefused"] as const;
export type DropName = (typeof DROP_NAMES)[number];

/** True for a decision that is a drop (not an endpoint, not FLOOD). */
export function isDrop(decision: number): decision is DropCode {
  return decision < FLOOD;
}

/** The drop code's name (DROP_NAMES: the DropReason keys) for counters and trace; "unicast"/"flood" otherwise. */
export function dropReasonName(code: number): DropName | "flood" | "unicast" | "unknown" {
  if (code >= 0) return "unicast";
  if (code === FLOOD) return "flood";
  return DROP_NAMES[-2 - code] ?? "unknown";
}

export class Forwarder {
  readonly #fdb: Fdb;
  readonly #endpoints: Endpoints;

  constructor(fdb: Fdb, endpoints: Endpoints) {
    this.#fdb = fdb;
    this.#endpoints = endpoints;
  }

  /**
   * Where a frame of segment `seg` that arrived from endpoint `from` goes: an endpoint id (>= 0),
   * FLOOD, or a drop code (< -1). dstIsGroup is the I/G bit of the destination; when the caller
   * has it from the frame's first byte it saves a division, and dstMac is then not read. Learning
   * the source is the caller's step (fdb.learn) before this one, or use learnAndDecide. Allocates nothing.
   */
  decide(seg: SegmentTable, from: number, dstMac: number, dstIsGroup: boolean = isMulticastMac(dstMac)): number {
    const endpoints = this.#endpoints;
    const fromTunnel = endpoints.isTunnel(from);
    if (!dstIsGroup) {
      const to = this.#fdb.lookup(seg.id, dstMac);
      if (to >= 0) {
        if (to === from) return DROP_SAME_PORT;
        if (fromTunnel && endpoints.isTunnel(to)) return DROP_SPLIT_HORIZON;
        return to;
      }
    }
    // Broadcast, multicast or unknown unicast. `from` appears at most once in the list.
    const targets = fromTunnel ? seg.floodLocal : seg.floodAll;
    const n = targets.length;
    if (n === 0 || (n === 1 && targets[0] === from)) return DROP_NO_TARGET;
    return FLOOD;
  }

  /** learn(srcMac behind from) then decide. The endpoints go along so a tunnel cannot take a MAC a local port is using (move hold). */
  learnAndDecide(seg: SegmentTable, from: number, srcMac: number, dstMac: number, dstIsGroup: boolean = isMulticastMac(dstMac)): number {
    if (this.#fdb.learn(seg.id, srcMac, from, this.#endpoints) === MOVE_REFUSED) return DROP_MOVE_REFUSED;
    return this.decide(seg, from, dstMac, dstIsGroup);
  }

  /**
   * The flood list for a frame of seg from `from`: every local port and peer of the segment, or
   * local ports only when `from` is a tunnel (split horizon). The array is precomputed and shared,
   * and may contain `from`: the caller skips it while iterating,
   *
   *     const targets = forwarder.floodTargets(seg, from);
   *     for (let i = 0; i < targets.length; i++) { const t = targets[i]; if (t !== from) send(t); }
   *
   * That one comparison is cheaper than a callback per target or a list per (segment, source).
   * Do not write to it; the next tables bring a new one.
   */
  floodTargets(seg: SegmentTable, from: number): Int32Array {
    return this.#endpoints.isTunnel(from) ? seg.floodLocal : seg.floodAll;
  }
}
