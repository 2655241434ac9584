// What the control socket answers: FDB, peers, status and counters of a running instance.
import type { SwitchInstance } from "../dataplane/instance.js";
import type { ControlHandler, ControlRequest } from "./control-server.js";
import { macFromString } from "../wire/mac.js";

export interface FdbRow {
  mac: string;
  vni: number;
  dev: string;
  dst?: string;
  static: boolean;
  ageSeconds: number;
}

export function fdbRows(instance: SwitchInstance, vni?: number): FdbRow[] {
  const rows: FdbRow[] = [];
  for (const e of instance.fdb.entries(vni)) {
    const peer = instance.peers.get(e.endpoint);
    rows.push({
      mac: e.mac,
      vni: e.vni,
      dev: peer ? instance.tapOfSegment(e.vni) : (instance.endpoints.name(e.endpoint) ?? "?"),
      dst: peer?.address,
      static: e.isStatic,
      ageSeconds: e.ageSeconds,
    });
  }
  return rows;
}

function numberArg(req: ControlRequest, name: string): number {
  const v = req[name];
  if (typeof v !== "number") throw new Error(`${name} is required`);
  return v;
}

export function controlHandlers(instance: SwitchInstance): Record<string, ControlHandler> {
  return {
    fdb: (req) => fdbRows(instance, typeof req.vni === "number" ? req.vni : undefined),
    "fdb-add": (req) => {
      const vni = numberArg(req, "vni");
      const mac = macFromString(String(req.mac));
      instance.addStaticEntry(vni, mac, typeof req.dst === "string" ? req.dst : undefined, typeof req.dev === "string" ? req.dev : undefined);
      return { added: true };
    },
    "fdb-del": (req) => ({ deleted: instance.fdb.remove(numberArg(req, "vni"), macFromString(String(req.mac))) }),
    "fdb-flush": () => ({ flushed: instance.flushLearned() }),
    status: () => instance.status(),
    peers: () => instance.status().peers,
    stats: () => {
      const ingress = instance.stats.ingress.toJSON();
      const socketDrops = instance.socketDrops();
      if (socketDrops > 0) ingress.drops.socketReceiveQueue = socketDrops;
      return { egress: instance.stats.egress.toJSON(), ingress, fdb: instance.fdbCounters(), peers: instance.peerCounters(), io: instance.ioCounters() };
    },
  };
}
