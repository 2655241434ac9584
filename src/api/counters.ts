// A switch's counters in one object: what `vxswitch stats` prints and the control socket's `stats` answers.
import type { SwitchInstance } from "../dataplane/instance.js";
import type { NativeIoCounters } from "../io/native.js";
import { portName } from "../switch/port-name.js";

type DirectionJson = ReturnType<SwitchInstance["stats"]["egress"]["toJSON"]>;

export interface SwitchCounters {
  egress: DirectionJson;
  /** drops.socketReceiveQueue: what the kernel dropped before we could read it. */
  ingress: DirectionJson;
  fdb: Record<string, number>;
  segments: ({ id: number; tap: string; fdbEntries: number } & Partial<ReturnType<ReturnType<SwitchInstance["segmentTraffic"]>[number]["traffic"]["toJSON"]>>)[];
  peers: ReturnType<SwitchInstance["peerCounters"]>;
  io: NativeIoCounters;
}

export function switchCounters(instance: SwitchInstance): SwitchCounters {
  const ingress = instance.stats.ingress.toJSON();
  const socketDrops = instance.socketDrops();
  if (socketDrops > 0) ingress.drops.socketReceiveQueue = socketDrops;
  const traffic = new Map(instance.segmentTraffic().map((t) => [t.id, t.traffic]));
  const segments = instance.status().segments.map((s) => ({
    id: s.id, tap: portName(s.tap, s.vlan), fdbEntries: instance.fdb.size(s.id), ...traffic.get(s.id)?.toJSON(),
  }));
  return { egress: instance.stats.egress.toJSON(), ingress, fdb: instance.fdbCounters(), segments, peers: instance.peerCounters(), io: instance.ioCounters() };
}
