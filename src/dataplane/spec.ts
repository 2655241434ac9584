// What a switch is asked to be, as the dataplane takes it: the plan made from a config (src/control/plan.ts), no config types.
import type { FloodRateLimit } from "../switch/flood-limit.js";
import type { GreSendOptions } from "../wire/overhead.js";
import type { CipherName } from "./crypto-session.js";

export interface PlannedSegment {
  /** VNI (VXLAN) or GRE key (0: the keyless GRE segment). */
  id: number;
  tap: string;
  /** 802.1Q VLAN of this segment on a trunk TAP; 0 on an access TAP. */
  vlan: number;
  /** GRE: the id goes out as the key (always on a trunk). */
  greKeyed: boolean;
  bridge?: string;
  /** No such bridge yet: `up` makes it (and removes it again). */
  createBridge: boolean;
  address?: string;
  mtu: number;
  /** The TAP's link MTU: the overlay MTU, or larger (tapMtu) so the bridge hands over full-size frames to answer. */
  tapMtu: number;
  /** Configured TAP MAC; undefined: derived (stable per host, local address and TAP name). */
  mac?: string;
  mtuSource: string;
  /** The largest overlay MTU the underlay carries unfragmented: underlay MTU minus the encapsulation. */
  mtuLimit: number;
  /** Flooded frames allowed (segment's own, else the global one); undefined: unlimited. */
  floodRateLimit?: FloodRateLimit;
}

export interface SwitchSpec {
  encap: "vxlan" | "gre";
  family: 4 | 6;
  /** Our underlay address. */
  local: string;
  /** VXLAN's UDP port (ours and the peers'). */
  port: number;
  /** Configured flood peers. */
  peers: string[];
  io: "auto" | "batch" | "dgram";
  gre: GreSendOptions;
  /** FDB ageing in seconds (0 = never) and the most entries per segment. */
  ageing: number;
  maxAddresses: number;
  batch: number;
  /** µs of spinning after the last packet; 0 = off. */
  busyPoll: number;
  /** TAP offloads where the kernel has them. */
  offloads: boolean;
  maxLearnedPeers: number;
  underlayInterface?: string;
  underlayMtu: number;
  /** One entry per (TAP, VLAN): a trunk TAP appears once per VLAN, in ascending VLAN order. */
  segments: PlannedSegment[];
  /** Multicast group mode: BUM traffic goes to the group, peers are learned from traffic. */
  multicast?: { group: string; dev: string | undefined; ttl: number };
  encryption?: { cipher: CipherName; keyFile: string; rotateSeconds: number; segments?: number[] };
}
