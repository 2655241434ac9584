// A switch's DebugView without fds: one VXLAN segment 42 on TAP vxtap42 and the given peers, built by the model as `up` builds it.
import { parseAddress } from "../../src/io/address.js";
import { Observers } from "../../src/dataplane/observers.js";
import { DataplaneStats } from "../../src/dataplane/stats.js";
import type { DebugView } from "../../src/debug/trace-view.js";
import { Fdb } from "../../src/switch/fdb.js";
import { Forwarder } from "../../src/switch/forwarder.js";
import { SwitchModel } from "../../src/switch/model.js";
import type { Peer } from "../../src/switch/peer-table.js";
import type { TapTable } from "../../src/switch/tables.js";

export interface TestView {
  v: DebugView;
  tap: TapTable;
  portId: number;
  peers: Peer[];
  fdb: Fdb;
  stats: DataplaneStats;
}

export function debugViewOf(peerAddresses: string[], opts: { vnetHdr?: boolean; fdb?: Fdb } = {}): TestView {
  const fdb = opts.fdb ?? new Fdb();
  const model = new SwitchModel(fdb, { family: 4, local: "198.18.0.1", peerPort: 4789 });
  const tap = model.addTap("vxtap42", false);
  model.addSegment({ id: 42, mtu: 1450 });
  const portId = model.addPort(tap, 42, 0);
  const peers = peerAddresses.map((a) => model.addPeer(a));
  const stats = new DataplaneStats();
  const v: DebugView = {
    encap: "vxlan", local: parseAddress("198.18.0.1"), port: 4789, vnetHdr: opts.vnetHdr ?? false, learnsPeers: false,
    observers: new Observers(), stats, fdb, endpoints: model.endpoints, forwarder: new Forwarder(fdb, model.endpoints), tables: model.tables,
  };
  return { v, tap: model.tables.current.taps[tap]!, portId, peers, fdb, stats };
}
