// The switch without its fds: model, FDB, forwarder, counters and observer taps, and the loops wired over them.
// `up` (SwitchInstance), the test rigs and the bench build a switch through this one piece of code.
import type { FramePort } from "../io/tap-device.js";
import type { TunnelSockets } from "../io/tunnel-socket.js";
import { Fdb } from "../switch/fdb.js";
import { Forwarder } from "../switch/forwarder.js";
import type { FloodRateLimit } from "../switch/flood-limit.js";
import { SwitchModel, type ModelOptions } from "../switch/model.js";
import type { Peer } from "../switch/peer-table.js";
import { EgressLoop } from "./egress.js";
import type { Encapsulation } from "./encap.js";
import { IngressLoop } from "./ingress.js";
import { Observers } from "./observers.js";
import { DataplaneStats } from "./stats.js";

export interface CoreOptions extends ModelOptions {
  ageingMs: number;
  /** Most FDB entries per segment. */
  maxEntries: number;
}

/** One (TAP, VLAN) of a segment: what the model is built from (a PlannedSegment is one). */
export interface SegmentPortSpec {
  id: number;
  tap: string;
  /** 0: an access TAP; 1..4094: a VLAN of a trunk TAP. */
  vlan: number;
  mtu: number;
  greKeyed?: boolean;
  floodRateLimit?: FloodRateLimit;
}

/** Sizes and modes of the loops. */
export interface LoopOptions {
  batchSize: number;
  /** Bytes per TAP read slot and per tunnel receive slot. */
  tapSlot: number;
  tunnelSlot: number;
  /** Largest inner frame (overlay or TAP MTU + Ethernet + one tag). */
  maxFrame: number;
  /** Peers' UDP port (VXLAN). */
  dstPort: number;
  /** TAPs opened with IFF_VNET_HDR. */
  vnetHdr: boolean;
  family: 4 | 6;
  /** Group mode: a packet from an unknown source may make it a peer. */
  learnPeer?: (addrs: Uint8Array, off: number) => Peer | undefined;
}

export interface Loops {
  /** One per TAP, by TAP index. */
  egress: EgressLoop[];
  ingress: IngressLoop;
}

export class SwitchCore {
  readonly fdb: Fdb;
  readonly model: SwitchModel;
  readonly forwarder: Forwarder;
  readonly stats = new DataplaneStats();
  readonly observers = new Observers();

  constructor(opts: CoreOptions) {
    this.fdb = new Fdb({ ageingMs: opts.ageingMs, maxEntries: opts.maxEntries });
    this.model = new SwitchModel(this.fdb, opts);
    this.forwarder = new Forwarder(this.fdb, this.model.endpoints);
  }

  /**
   * Adds the segments and their ports, opening each TAP once (a trunk TAP carries one segment per
   * VLAN); macOf gives a TAP's own MAC, a static entry on its ports. Returns the TAP names by index.
   */
  addSegments(ports: readonly SegmentPortSpec[], macOf?: (tap: string) => number): string[] {
    const tapIndex = new Map<string, number>();
    this.model.batch(() => {
      for (const p of ports) {
        let index = tapIndex.get(p.tap);
        if (index === undefined) {
          index = this.model.addTap(p.tap, p.vlan !== 0);
          tapIndex.set(p.tap, index);
        }
        this.model.addSegment({ id: p.id, mtu: p.mtu, greKeyed: p.greKeyed ?? false, floodRateLimit: p.floodRateLimit });
        this.model.addPort(index, p.id, p.vlan, macOf?.(p.tap));
      }
    });
    return [...tapIndex.keys()];
  }

  /** The loops over the current tables: an egress loop per TAP (devices by TAP index) and the ingress loop of sockets.main. */
  wire(devices: readonly FramePort[], sockets: TunnelSockets, encap: Encapsulation, o: LoopOptions): Loops {
    const { fdb, forwarder, stats, observers } = this;
    const tables = this.model.tables;
    const egress = devices.map((_, index) =>
      new EgressLoop(index, devices, tables, sockets, encap, fdb, forwarder, stats, observers, {
        batchSize: o.batchSize,
        slotSize: o.tapSlot,
        maxFrame: o.maxFrame,
        dstPort: o.dstPort,
        vnetHdr: o.vnetHdr,
        family: o.family,
      }),
    );
    const ingress = new IngressLoop(sockets.main, devices, tables, encap, fdb, forwarder, stats, observers, {
      batchSize: o.batchSize,
      slotSize: o.tunnelSlot,
      vnetHdr: o.vnetHdr,
      learnPeers: o.learnPeer !== undefined,
      maxFrame: o.maxFrame,
    }, o.learnPeer ?? (() => undefined));
    return { egress, ingress };
  }
}
