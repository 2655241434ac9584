// Model -> tables: one pure pass that builds the array-indexed tables the loops read (src/switch/tables.ts).
import type { FloodLimiter } from "./flood-limit.js";
import { PeerTable, type Peer } from "./peer-table.js";
import type { SegmentTraffic } from "./segment-traffic.js";
import type { PortTable, SegmentTable, SwitchTables, TapTable } from "./tables.js";

export interface SegmentRecord {
  readonly id: number;
  readonly mtu: number;
  readonly greKeyed: boolean;
  /** Port endpoint ids in attach order. */
  ports: number[];
  /** The segment's own flood peers; undefined: it follows the mesh. */
  ownPeers: number[] | undefined;
  readonly traffic: SegmentTraffic;
  readonly floodLimit: FloodLimiter | undefined;
}

export interface PortRecord {
  readonly id: number;
  readonly name: string;
  readonly tap: number;
  readonly vlan: number;
  readonly segment: number;
}

export interface TapRecord {
  readonly index: number;
  readonly name: string;
  readonly trunk: boolean;
}

export interface ModelState {
  generation: number;
  taps: readonly TapRecord[];
  segments: Iterable<SegmentRecord>;
  ports: ReadonlyMap<number, PortRecord>;
  /** Every peer traffic may come from (not the multicast group). */
  peers: Iterable<Peer>;
  /** A segment's flood peers, in flood order (the group first). */
  floodPeersOf(seg: SegmentRecord): Peer[];
}

/** New tables for the model as it is now; nothing in them is shared with earlier tables but the peer records, counters and flood buckets. */
export function compileTables(m: ModelState): SwitchTables {
  const segments = new Map<number, SegmentTable>();
  const portsById: (PortTable | undefined)[] = [];
  const tapPorts: PortTable[][] = m.taps.map(() => []);
  let maxFloodPeers = 0;
  for (const rec of m.segments) {
    const peers = m.floodPeersOf(rec);
    const ports: PortTable[] = [];
    const seg: SegmentTable = {
      id: rec.id,
      mtu: rec.mtu,
      greKeyed: rec.greKeyed,
      ports,
      peers,
      floodAll: Int32Array.from([...rec.ports, ...peers.map((p) => p.id)]),
      floodLocal: Int32Array.from(rec.ports),
      traffic: rec.traffic,
      floodLimit: rec.floodLimit,
    };
    for (const id of rec.ports) {
      const p = m.ports.get(id)!;
      const port: PortTable = { id, name: p.name, tap: p.tap, vlan: p.vlan, segment: seg };
      ports.push(port);
      portsById[id] = port;
      tapPorts[p.tap]!.push(port);
    }
    segments.set(rec.id, seg);
    maxFloodPeers = Math.max(maxFloodPeers, peers.length);
  }
  const taps: TapTable[] = m.taps.map((t) => {
    const ports = tapPorts[t.index]!;
    return {
      index: t.index,
      name: t.name,
      trunk: t.trunk,
      access: t.trunk ? undefined : ports[0],
      byVlan: new Map(t.trunk ? ports.map((p) => [p.vlan, p] as const) : []),
    };
  });
  const peers = new PeerTable();
  for (const p of m.peers) peers.add(p);
  return { generation: m.generation, segments, taps, ports: portsById, peers, maxFloodPeers };
}
