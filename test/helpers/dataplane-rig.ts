// A dataplane on in-memory ports: one VXLAN segment per TAP, a unicast mesh of peers, real loops,
// built by the same SwitchCore code `up` uses.
import { SwitchCore } from "../../src/dataplane/core.js";
import type { EgressLoop } from "../../src/dataplane/egress.js";
import type { IngressLoop } from "../../src/dataplane/ingress.js";
import { VxlanEncap } from "../../src/dataplane/vxlan-encap.js";
import type { Encapsulation } from "../../src/dataplane/encap.js";
import type { DataplaneStats } from "../../src/dataplane/stats.js";
import type { Fdb } from "../../src/switch/fdb.js";
import type { Peer } from "../../src/switch/peer-table.js";
import type { SegmentTable } from "../../src/switch/tables.js";
import type { FloodRateLimit } from "../../src/switch/flood-limit.js";
import { FakeTap, FakeTunnelSocket } from "./fake-ports.js";

export interface Rig {
  core: SwitchCore;
  taps: FakeTap[];
  socket: FakeTunnelSocket;
  egress: EgressLoop[];
  ingress: IngressLoop;
  stats: DataplaneStats;
  fdb: Fdb;
  peers: Peer[];
  /** The loops' segments by id now: their traffic counters. */
  segment(id: number): SegmentTable;
}

/** `encap` defaults to VXLAN; give a GreEncap (its segment ids = `vnis`, keyed) for GRE. */
export interface RigExtras {
  /** Flood limits by segment id. */
  floodLimits?: Record<number, FloodRateLimit>;
  /** The flood limiters' clock. */
  now?: () => number;
  /** This switch's underlay address (default 198.18.0.1). */
  local?: string;
}

export function buildRig(vnis: number[], peerAddresses: string[], batchSize = 64, encap: Encapsulation = new VxlanEncap(), extras: RigExtras = {}): Rig {
  const core = new SwitchCore({ family: 4, local: extras.local ?? "198.18.0.1", peerPort: 4789, ageingMs: 300_000, maxEntries: 1024, now: extras.now });
  const taps = vnis.map((vni) => new FakeTap(`vxtap${vni}`));
  const socket = new FakeTunnelSocket();
  core.addSegments(vnis.map((vni) => ({ id: vni, tap: `vxtap${vni}`, vlan: 0, mtu: 1450, greKeyed: encap.name === "gre", floodRateLimit: extras.floodLimits?.[vni] })));
  const peers = core.model.batch(() => peerAddresses.map((address) => core.model.addPeer(address)));
  const loops = core.wire(taps, { main: socket, senders: [] }, encap, {
    batchSize,
    tapSlot: 2048,
    tunnelSlot: 2048,
    maxFrame: 1450 + 18,
    dstPort: 4789,
    vnetHdr: false,
    family: 4,
  });
  const segment = (id: number): SegmentTable => core.model.tables.current.segments.get(id)!;
  return { core, taps, socket, egress: loops.egress, ingress: loops.ingress, stats: core.stats, fdb: core.fdb, peers, segment };
}

/** An Ethernet frame: dst, src (as "aa:bb:..") and a payload of `size` bytes of ethertype 0x88b5. */
export function frame(dst: string, src: string, size = 46): Buffer {
  const b = Buffer.alloc(14 + size);
  Buffer.from(dst.replaceAll(":", ""), "hex").copy(b, 0);
  Buffer.from(src.replaceAll(":", ""), "hex").copy(b, 6);
  b.writeUInt16BE(0x88b5, 12);
  for (let i = 14; i < b.length; i++) b[i] = i & 0xff;
  return b;
}

export function vxlan(vni: number, inner: Buffer, flags = 0x08): Buffer {
  const h = Buffer.alloc(8);
  h[0] = flags;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, inner]);
}
