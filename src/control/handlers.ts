// What the control socket answers: FDB, peers, status and counters of a running instance, and run-time changes.
import type { SwitchInstance } from "../dataplane/instance.js";
import type { ControlHandler, ControlRequest } from "./control-server.js";
import { macFromString } from "../wire/mac.js";
import { StreamReply } from "./stream.js";
import { captureStream } from "../debug/capture-session.js";
import { traceStream } from "../debug/trace-session.js";
import { packetSpecOf, tracePacket } from "../debug/trace-packet.js";

/** Streams at once (captures and traces): each one costs the loops a copy per matching frame. */
const MAX_STREAMS = 4;

/** One entry shaped like a row of `bridge -j fdb show`, where the fields mean the same. */
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
  for (const e of instance.fdb.entries(filter.vni)) {
    const peer = instance.peers.get(e.endpoint);
    const ifname = peer ? instance.tapOfSegment(e.vni) : (instance.endpoints.name(e.endpoint) ?? "?");
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

function numberArg(req: ControlRequest, name: string): number {
  const v = req[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`${name} is required (a whole number)`);
  return v;
}

function optionalNumberArg(req: ControlRequest, name: string): number | undefined {
  return req[name] === undefined ? undefined : numberArg(req, name);
}

function stringArg(req: ControlRequest, name: string): string | undefined {
  const v = req[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Error(`${name} must be a string`);
  return v;
}

function requiredString(req: ControlRequest, name: string): string {
  const v = stringArg(req, name);
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
}

function macArg(req: ControlRequest): number {
  return macFromString(requiredString(req, "mac"));
}

/** The segment of a request: vni if given, else the one whose TAP dev names (`fdb add MAC dev vxtap42 dst ...`). */
function segmentArg(instance: SwitchInstance, req: ControlRequest): number {
  const vni = optionalNumberArg(req, "vni");
  if (vni !== undefined) return vni;
  const dev = stringArg(req, "dev");
  if (dev === undefined) throw new Error("vni is required (or dev naming the segment's TAP)");
  const matches = instance.status().segments.filter((s) => (s.vlan === undefined ? s.tap : `${s.tap}.${s.vlan}`) === dev);
  if (matches.length !== 1) throw new Error(matches.length === 0 ? `${dev} is not the TAP of a segment; give vni N` : `${dev} carries several segments; give vni N`);
  return matches[0]!.id;
}

/** What the CLI's `reload` and `down` reach in the process that runs the switch. */
export interface LifecycleHooks {
  reload?: () => unknown;
  /** Stops the switch after the answer went out. */
  down?: () => void;
}

export function controlHandlers(instance: SwitchInstance, hooks: LifecycleHooks = {}): Record<string, ControlHandler> {
  return {
    fdb: (req) => fdbRows(instance, { vni: optionalNumberArg(req, "vni"), dev: stringArg(req, "dev") }),
    "fdb-add": (req) => {
      instance.addStaticEntry(segmentArg(instance, req), macArg(req), stringArg(req, "dst"), stringArg(req, "dev"));
      return { added: true };
    },
    "fdb-del": (req) => ({ deleted: instance.removeFdbEntry(segmentArg(instance, req), macArg(req)) }),
    "fdb-flush": () => ({ flushed: instance.flushLearned() }),
    capture: (req) => streamOf(instance, () => captureStream(instance.debugView(), req)),
    trace: (req) => streamOf(instance, () => traceStream(instance.debugView(), req)),
    "trace-packet": (req) => tracePacket(instance.debugView(), packetSpecOf(req)),
    status: () => instance.status(),
    peers: () => instance.status().peers,
    "peers-add": (req) => ({ added: instance.addFloodPeer(requiredString(req, "address"), optionalNumberArg(req, "vni")) }),
    "peers-del": (req) => instance.removeFloodPeer(requiredString(req, "address"), optionalNumberArg(req, "vni")),
    stats: () => {
      const ingress = instance.stats.ingress.toJSON();
      const socketDrops = instance.socketDrops();
      if (socketDrops > 0) ingress.drops.socketReceiveQueue = socketDrops;
      const traffic = new Map(instance.segmentTraffic().map((t) => [t.id, t.traffic]));
      const segments = instance.status().segments.map((s) => ({
        id: s.id, tap: s.vlan === undefined ? s.tap : `${s.tap}.${s.vlan}`, fdbEntries: instance.fdb.size(s.id), ...traffic.get(s.id)?.toJSON(),
      }));
      return { egress: instance.stats.egress.toJSON(), ingress, fdb: instance.fdbCounters(), segments, peers: instance.peerCounters(), io: instance.ioCounters() };
    },
    reload: () => {
      if (hooks.reload === undefined) throw new Error("this switch cannot reload");
      return hooks.reload();
    },
    down: () => {
      if (hooks.down === undefined) throw new Error("this switch cannot be stopped over the control socket");
      hooks.down();
      return { stopping: true };
    },
  };
}

/** A stream reply, refused when MAX_STREAMS observers are attached already. */
function streamOf(instance: SwitchInstance, make: () => ConstructorParameters<typeof StreamReply>[0]): StreamReply {
  if (instance.observers.count >= MAX_STREAMS) throw new Error(`${MAX_STREAMS} captures/traces are running already; stop one first`);
  return new StreamReply(make());
}
