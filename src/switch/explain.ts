// What the forwarder would do with a frame, and why: a read-only replay of learnAndDecide for `trace --packet`.
import { isMulticastMac } from "../wire/mac.js";
import { DROP_MOVE_REFUSED, DROP_NO_TARGET, DROP_SAME_PORT, DROP_SPLIT_HORIZON, DROP_UNKNOWN_VNI, FLOOD } from "./forwarder.js";

/** An FDB entry as `fdb show` sees it. */
export interface ExplainEntry {
  endpoint: number;
  isStatic: boolean;
  ageSeconds: number;
}

/** The state the decision reads, gathered by the caller without changing anything. */
export interface ExplainInput {
  vni: number;
  /** The endpoint the frame arrives from (a local port or a peer). */
  from: number;
  fromTunnel: boolean;
  srcMac: number;
  dstMac: number;
  /** Undefined when no segment has this VNI. */
  segment: { floodAll: ArrayLike<number>; floodLocal: ArrayLike<number> } | undefined;
  /** The FDB entries for the source and destination MACs now (undefined: none). */
  srcEntry: ExplainEntry | undefined;
  dstEntry: ExplainEntry | undefined;
  isTunnel: (endpoint: number) => boolean;
  /** The FDB's move hold: a tunnel's claim on a MAC a local port sent from this recently is refused. */
  moveHoldMs: number;
}

export type LearnOutcome = "new" | "refresh" | "move" | "static" | "ignored" | "refused" | "none";

export interface Explanation {
  /** The forwarder's code: an endpoint id, FLOOD or a drop code. */
  decision: number;
  /** What learning the source would do ("none": the frame is dropped before learning). */
  learn: LearnOutcome;
  /** How the destination was looked up: a group address is never looked up. */
  lookup: "group" | "hit" | "miss" | "none";
  /** The destination's entry as the lookup would find it (after learning the source). */
  dstEntry: ExplainEntry | undefined;
  /** Flooding: the endpoints that would get a copy (the source left out). */
  targets: number[];
  /** Split horizon shaped the outcome: a flood kept to local ports, or a tunnel-to-tunnel drop. */
  splitHorizon: boolean;
}

function learnOutcome(input: ExplainInput): LearnOutcome {
  const { srcMac, srcEntry, from } = input;
  if (srcMac === 0 || isMulticastMac(srcMac)) return "ignored";
  if (srcEntry === undefined) return "new";
  // A tunnel claiming a local MAC: refused for a static one, and for a learned one the port
  // used within the move hold (Fdb.learn's MOVE_REFUSED; the frame is dropped).
  const claim = srcEntry.endpoint !== from && input.fromTunnel && !input.isTunnel(srcEntry.endpoint);
  if (srcEntry.isStatic) return claim ? "refused" : "static";
  if (claim && srcEntry.ageSeconds * 1000 < input.moveHoldMs) return "refused";
  return srcEntry.endpoint === from ? "refresh" : "move";
}

/**
 * Mirrors Forwarder.learnAndDecide step by step (learn the source, look up the destination,
 * hairpin, split horizon, flood list) on a snapshot, so the answer can say why; a pure function.
 */
export function explain(input: ExplainInput): Explanation {
  const { segment, from, fromTunnel, srcMac, dstMac } = input;
  if (segment === undefined) {
    return { decision: DROP_UNKNOWN_VNI, learn: "none", lookup: "none", dstEntry: undefined, targets: [], splitHorizon: false };
  }
  const learn = learnOutcome(input);
  if (learn === "refused") {
    return { decision: DROP_MOVE_REFUSED, learn, lookup: "none", dstEntry: undefined, targets: [], splitHorizon: false };
  }
  const result = { learn, dstEntry: undefined as ExplainEntry | undefined, targets: [] as number[], splitHorizon: false };
  if (!isMulticastMac(dstMac)) {
    // Learning comes first: a frame to its own source MAC finds the entry it just made.
    let entry = input.dstEntry;
    if (dstMac === srcMac && (learn === "new" || learn === "move" || learn === "refresh")) entry = { endpoint: from, isStatic: false, ageSeconds: 0 };
    if (entry !== undefined) {
      const to = entry.endpoint;
      if (to === from) return { ...result, decision: DROP_SAME_PORT, lookup: "hit", dstEntry: entry };
      if (fromTunnel && input.isTunnel(to)) return { ...result, decision: DROP_SPLIT_HORIZON, lookup: "hit", dstEntry: entry, splitHorizon: true };
      return { ...result, decision: to, lookup: "hit", dstEntry: entry };
    }
  }
  const lookup = isMulticastMac(dstMac) ? "group" : "miss";
  const list = fromTunnel ? segment.floodLocal : segment.floodAll;
  const targets = Array.from(list).filter((t) => t !== from);
  // Split horizon mattered when it left out a peer the full list has.
  const splitHorizon = fromTunnel && segment.floodAll.length > segment.floodLocal.length;
  if (targets.length === 0) return { ...result, decision: DROP_NO_TARGET, lookup, targets, splitHorizon };
  return { ...result, decision: FLOOD, lookup, targets, splitHorizon };
}
