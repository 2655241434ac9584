// The compiled switch: array-indexed tables the loops read, built from the model and swapped whole on every change.
import type { FloodLimiter } from "./flood-limit.js";
import type { Peer, PeerTable } from "./peer-table.js";
import type { SegmentTraffic } from "./segment-traffic.js";

/** One segment as the loops see it. Counters and the flood bucket live on and carry over to the next tables. */
export interface SegmentTable {
  /** VNI (VXLAN) or GRE key; the id the FDB is keyed by. */
  readonly id: number;
  readonly mtu: number;
  /** GRE: frames of this segment carry its id as the key (false: the keyless segment). */
  readonly greKeyed: boolean;
  /** Local ports, in attach order. */
  readonly ports: readonly PortTable[];
  /** Flood targets among the peers: the multicast group first (group mode), then the peers in the order they were added. */
  readonly peers: readonly Peer[];
  /** Flood list for a frame from a local port: port ids, then peer ids. */
  readonly floodAll: Int32Array;
  /** Flood list for a frame from a tunnel (split horizon): local port ids only. */
  readonly floodLocal: Int32Array;
  readonly traffic: SegmentTraffic;
  /** Bucket every flood decision of the segment takes a token from; undefined: no limit. */
  readonly floodLimit: FloodLimiter | undefined;
}

/** A local port: a TAP (vlan 0) or one VLAN of a trunk TAP. */
export interface PortTable {
  /** Endpoint id. */
  readonly id: number;
  /** "TAP" or "TAP.VLAN": `dev` in `fdb show`. */
  readonly name: string;
  /** Index of its TAP: selects a loop's write batch and the device. */
  readonly tap: number;
  /** 802.1Q VLAN restored on the way out of a trunk TAP; 0 on an access TAP. */
  readonly vlan: number;
  readonly segment: SegmentTable;
}

export interface TapTable {
  readonly index: number;
  readonly name: string;
  readonly trunk: boolean;
  /** The access port (trunk = false). */
  readonly access: PortTable | undefined;
  /** Trunk ports by VLAN id (trunk = true). */
  readonly byVlan: ReadonlyMap<number, PortTable>;
}

export interface SwitchTables {
  /** Counts up with every change: a loop that sees a new number adopts the new tables' sizes. */
  readonly generation: number;
  readonly segments: ReadonlyMap<number, SegmentTable>;
  /** By TAP index. */
  readonly taps: readonly TapTable[];
  /** By endpoint id: the local port, or undefined (a peer or a free id). */
  readonly ports: readonly (PortTable | undefined)[];
  /** Peers traffic comes from, by underlay address (not the multicast group). */
  readonly peers: PeerTable;
  /** The most flood copies one frame can make to peers (for sizing send batches). */
  readonly maxFloodPeers: number;
}

/**
 * Where the loops find the current tables. The model replaces `current` whole; a loop reads it
 * once per batch, so it never sees half of a change.
 */
export interface TableRef {
  current: SwitchTables;
}
