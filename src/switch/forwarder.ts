// The forwarding decision for one frame: one endpoint, flood, or drop with a reason (split horizon, hairpin).
import { isMulticastMac } from "../wire/mac.js";
import type { Endpoints } from "./endpoints.js";
import { MOVE_REFUSED, type Fdb } from "./fdb.js";
import type { Segment, Segments } from "./segments.js";

/** Send a copy to every target of floodTargets(vni, from) except from. */
export const FLOOD = -1;
/** Hairpin: the destination is learned behind the endpoint the frame came from. */
export const DROP_SAME_PORT = -2;
/** The frame came from a tunnel and its known destination is another tunnel. */
export const DROP_SPLIT_HORIZON = -3;
/** No segment has this VNI. */
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

/** "hairpin", "splitHorizon", "unknownVni", "noTarget" for counters and trace; "unicast"/"flood" otherwise. */
export function dropReasonName(code: number): DropName | "flood" | "unicast" | "unknown" {
  if (code >= 0) return "unicast";
  if (code === FLOOD) return "flood";
  return DROP_NAMES[-2 - code] ?? "unknown";
}

const NO_TARGETS = new Int32Array(0);

export class Forwarder {
  readonly #fdb: Fdb;
  readonly #endpoints: Endpoints;
  readonly #segments: Segments;

  constructor(fdb: Fdb, endpoints: Endpoints, segments: Segments) {
    this.#fdb = fdb;
    this.#endpoints = endpoints;
    this.#segments = segments;
  }

  /**
   * Where a frame of vni that arrived from endpoint `from` goes: an endpoint id (>= 0), FLOOD, or
   * a drop code (< -1). dstIsGroup is the I/G bit of the destination; when the caller has it from
   * the frame's first byte it saves a division, and dstMac is then not read. Learning the source
   * is the caller's step (fdb.learn) before this one, or use learnAndDecide. Allocates nothing.
   */
  decide(vni: number, from: number, dstMac: number, dstIsGroup: boolean = isMulticastMac(dstMac)): number {
    const seg = this.#segments.get(vni);
    if (seg === undefined) return DROP_UNKNOWN_VNI;
    return this.#decideIn(seg, vni, from, dstMac, dstIsGroup);
  }

  /**
   * learn(srcMac behind from) then decide, with one segment lookup; a frame of an unknown VNI is
   * dropped before anything is learned, so stray VNIs never get an FDB table.
   */
  learnAndDecide(vni: number, from: number, srcMac: number, dstMac: number, dstIsGroup: boolean = isMulticastMac(dstMac)): number {
    const seg = this.#segments.get(vni);
    if (seg === undefined) return DROP_UNKNOWN_VNI;
    // The endpoints go along so a tunnel cannot take a MAC a local port is using (move hold).
    if (this.#fdb.learn(vni, srcMac, from, this.#endpoints) === MOVE_REFUSED) return DROP_MOVE_REFUSED;
    return this.#decideIn(seg, vni, from, dstMac, dstIsGroup);
  }

  #decideIn(seg: Segment, vni: number, from: number, dstMac: number, dstIsGroup: boolean): number {
    const endpoints = this.#endpoints;
    const fromTunnel = endpoints.isTunnel(from);
    if (!dstIsGroup) {
      const to = this.#fdb.lookup(vni, dstMac);
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

  /**
   * The flood list for a frame of vni from `from`: every local port and peer of the segment, or
   * local ports only when `from` is a tunnel (split horizon). The array is precomputed and shared,
   * and may contain `from`: the caller skips it while iterating,
   *
   *     const targets = forwarder.floodTargets(vni, from);
   *     for (let i = 0; i < targets.length; i++) { const t = targets[i]; if (t !== from) send(t); }
   *
   * That one comparison is cheaper than a callback per target or a list per (segment, source).
   * Do not write to it; it is replaced, not changed, when the segment changes.
   */
  floodTargets(vni: number, from: number): Int32Array {
    const seg = this.#segments.get(vni);
    if (seg === undefined) return NO_TARGETS;
    return this.#endpoints.isTunnel(from) ? seg.floodLocal : seg.floodAll;
  }
}
