// The dataplane's view of the switch: segments, local ports (TAP or TAP+VLAN) and peers, by endpoint id.
import type { TapDevice } from "../io/tap-device.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import type { FloodLimiter } from "../switch/flood-limit.js";
import type { Peer } from "./peer-table.js";
import { SegmentTraffic } from "./segment-counters.js";

export interface SegmentRuntime {
  /** VNI (VXLAN) or GRE key; the id the FDB is keyed by. */
  readonly id: number;
  readonly ports: PortRuntime[];
  peers: Peer[];
  mtu: number;
  /** Frames and bytes this segment switched, per direction. */
  readonly traffic: SegmentTraffic;
  /** Bucket every flood decision of the segment takes a token from; undefined: no limit. */
  floodLimit?: FloodLimiter;
}

/** A segment with no ports yet and its counters at zero. */
export function segmentRuntime(id: number, peers: Peer[], mtu: number, floodLimit?: FloodLimiter): SegmentRuntime {
  return { id, ports: [], peers, mtu, traffic: new SegmentTraffic(), ...(floodLimit !== undefined ? { floodLimit } : {}) };
}

export interface PortRuntime {
  readonly id: number;
  readonly tap: TapRuntime;
  /** 802.1Q VLAN restored on the way out of a trunk TAP; 0 on an access TAP. */
  readonly vlan: number;
  readonly segment: SegmentRuntime;
}

/** What the loops need of a TAP; TapDevice in production, an in-memory port in unit tests. */
export type FramePort = Pick<TapDevice, "name" | "readBatch" | "writeBatch">;

export interface TapRuntime {
  readonly device: FramePort;
  readonly trunk: boolean;
  /** Index among the switch's TAPs: selects a loop's write batch for this TAP. */
  readonly index: number;
  /** Access port (trunk = false) */
  access: PortRuntime | undefined;
  /** Trunk ports by VLAN id (trunk = true). */
  readonly byVlan: Map<number, PortRuntime>;
}

export interface TunnelSockets {
  /** The socket bound to the tunnel port: receives, and sends when there is no send pool. */
  readonly main: TunnelSocket;
  /** Sockets on ephemeral ports chosen by the inner flow hash so the outer source port varies. */
  readonly senders: TunnelSocket[];
}
