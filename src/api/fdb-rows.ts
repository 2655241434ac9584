// FDB entries as `fdb show` prints them: shaped like the rows of `bridge -j fdb show`, where the fields mean the same.
import type { SwitchInstance } from "../dataplane/instance.js";

export interface FdbRow {
  mac: string;
  /** The segment's TAP ("TAP.VLAN" on a trunk). */
  ifname: string;
  /** Remote tunnel endpoint, for entries behind a peer. */
  dst?: string;
  vni: number;
  /** Every entry lives in vxswitch's own table, as the kernel vxlan's show "self". */
  flags: string[];
  /** "permanent" for static entries; absent for learned ones (as bridge prints none). */
  state?: "permanent";
  /** Seconds since the entry was last learned (learned entries only). */
  updated?: number;
}

export function fdbRows(instance: SwitchInstance, filter: { vni?: number; dev?: string } = {}): FdbRow[] {
  const rows: FdbRow[] = [];
  const tables = instance.model.tables.current;
  for (const e of instance.fdb.entries(filter.vni)) {
    const peer = tables.peers.get(e.endpoint);
    const ifname = peer ? instance.tapOfSegment(e.vni) : (tables.ports[e.endpoint]?.name ?? "?");
    if (filter.dev !== undefined && ifname !== filter.dev && ifname.split(".")[0] !== filter.dev) continue;
    rows.push({
      mac: e.mac,
      ifname,
      ...(peer ? { dst: peer.address } : {}),
      vni: e.vni,
      flags: ["self"],
      ...(e.isStatic ? { state: "permanent" as const } : { updated: Math.round(e.ageSeconds) }),
    });
  }
  return rows;
}
