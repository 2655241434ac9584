// A dataplane on in-memory ports: one VXLAN segment per TAP, a unicast mesh of peers, real loops.
import { parseAddress } from "../../src/io/address.js";
import { Endpoints } from "../../src/switch/endpoints.js";
import { Fdb } from "../../src/switch/fdb.js";
import { Forwarder } from "../../src/switch/forwarder.js";
import { Segments } from "../../src/switch/segments.js";
import { EgressLoop } from "../../src/dataplane/egress.js";
import { IngressLoop } from "../../src/dataplane/ingress.js";
import { VxlanEncap } from "../../src/dataplane/vxlan-encap.js";
import type { Encapsulation } from "../../src/dataplane/encap.js";
import { Observers } from "../../src/dataplane/observers.js";
import { newPeer, PeerTable, type Peer } from "../../src/dataplane/peer-table.js";
import { segmentRuntime, type PortRuntime, type SegmentRuntime, type TapRuntime } from "../../src/dataplane/runtime.js";
import { DataplaneStats } from "../../src/dataplane/stats.js";
import { FakeTap, FakeTunnelSocket } from "./fake-ports.js";

export interface Rig {
  taps: FakeTap[];
  socket: FakeTunnelSocket;
  egress: EgressLoop[];
  ingress: IngressLoop;
  stats: DataplaneStats;
  fdb: Fdb;
  peers: Peer[];
  /** The loops' segments by id: their traffic counters, or to give one a flood limit. */
  segments: Map<number, SegmentRuntime>;
}

/** `encap` defaults to VXLAN; give a GreEncap (its segment ids = `vnis`) for GRE. */
export function buildRig(vnis: number[], peerAddresses: string[], batchSize = 64, encap: Encapsulation = new VxlanEncap()): Rig {
  const endpoints = new Endpoints();
  const fdb = new Fdb({ ageingMs: 300_000, maxEntries: 1024 });
  const segments = new Segments(endpoints);
  const forwarder = new Forwarder(fdb, endpoints, segments);
  const peerTable = new PeerTable();
  const stats = new DataplaneStats();
  const observers = new Observers();
  const socket = new FakeTunnelSocket();
  const peers = peerAddresses.map((address) => {
    const id = endpoints.addPeer(address);
    segments.addMeshPeer(id);
    const peer = newPeer({ id, address, addr16: parseAddress(address), port: 4789, dynamic: false });
    peerTable.add(peer);
    return peer;
  });
  const fakeTaps = vnis.map((vni) => new FakeTap(`vxtap${vni}`));
  const taps: TapRuntime[] = [];
  const segRuntimes = new Map<number, SegmentRuntime>();
  const portsById = new Map<number, PortRuntime>();
  vnis.forEach((vni, index) => {
    const tap: TapRuntime = { device: fakeTaps[index]!, trunk: false, index, access: undefined, byVlan: new Map() };
    taps.push(tap);
    const seg = segmentRuntime(vni, [...peers], 1450);
    segRuntimes.set(vni, seg);
    const portId = endpoints.addPort(tap.device.name);
    const port: PortRuntime = { id: portId, tap, vlan: 0, segment: seg };
    seg.ports.push(port);
    tap.access = port;
    portsById.set(portId, port);
    segments.addSegment(vni, { mtu: 1450, greKey: encap.name === "gre" ? vni : undefined });
    segments.attachPort(vni, portId, 0);
  });
  const sockets = { main: socket, senders: [] };
  const egress = taps.map(
    (tap) =>
      new EgressLoop(tap, taps, portsById, sockets, encap, fdb, forwarder, peerTable, stats, observers, {
        batchSize,
        slotSize: 2048,
        maxFrame: 1450 + 18,
        dstPort: 4789,
      }),
  );
  const ingress = new IngressLoop(socket, taps, segRuntimes, portsById, encap, fdb, forwarder, peerTable, stats, observers, {
    batchSize,
    slotSize: 2048,
    learnPeers: false,
    maxFrame: 1450 + 18,
  }, () => undefined);
  return { taps: fakeTaps, socket, egress, ingress, stats, fdb, peers, segments: segRuntimes };
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
