// What capture and trace read of a running switch: its tables, counters and observer taps (read-only use).
import type { Observers } from "../dataplane/observers.js";
import type { TableRef } from "../switch/tables.js";
import type { DataplaneStats } from "../dataplane/stats.js";
import type { Endpoints } from "../switch/endpoints.js";
import type { Fdb } from "../switch/fdb.js";
import type { Forwarder } from "../switch/forwarder.js";

export interface DebugView {
  readonly encap: "vxlan" | "gre";
  /** This switch's underlay address, 16 bytes (IPv4-mapped for IPv4). */
  readonly local: Uint8Array;
  /** The tunnel UDP port (VXLAN); 0 for GRE. */
  readonly port: number;
  /** TAP frames come behind a virtio-net header. */
  readonly vnetHdr: boolean;
  /** Group mode: packets from unknown senders are accepted and the sender learned as a peer. */
  readonly learnsPeers: boolean;
  readonly observers: Observers;
  readonly stats: DataplaneStats;
  readonly fdb: Fdb;
  readonly endpoints: Endpoints;
  readonly forwarder: Forwarder;
  /** The tables the loops read now: segments (ports, flood lists), ports and peers. */
  readonly tables: TableRef;
}

/** "198.18.0.2" for a peer, "tap vxtap42" (or "tap trunk0.100") for a local port. */
export function endpointLabel(view: DebugView, id: number): string {
  const peer = view.tables.current.peers.get(id);
  if (peer !== undefined) return peer.address;
  return `tap ${view.endpoints.name(id) ?? `#${id}`}`;
}
