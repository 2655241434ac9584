// What the control socket answers: FDB, peers, status and counters of a running instance.
import type { SwitchInstance } from "../dataplane/instance.js";
import type { ControlHandler, ControlRequest } from "./control-server.js";
import { macFromString } from "../wire/mac.js";
import { StreamReply } from "./stream.js";
import { captureStream } from "../debug/capture-session.js";
import { traceStream } from "../debug/trace-session.js";
import { packetSpecOf, tracePacket } from "../debug/trace-packet.js";

/** Streams at once (captures and traces): each one costs the loops a copy per matching frame. */
const MAX_STREAMS = 4;

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
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`${name} is required (a whole number)`);
  return v;
}

function stringArg(req: ControlRequest, name: string): string | undefined {
  const v = req[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Error(`${name} must be a string`);
  return v;
}

function macArg(req: ControlRequest): number {
  const mac = stringArg(req, "mac");
  if (mac === undefined) throw new Error("mac is required");
  return macFromString(mac);
}

export function controlHandlers(instance: SwitchInstance): Record<string, ControlHandler> {
  return {
    fdb: (req) => fdbRows(instance, typeof req.vni === "number" ? req.vni : undefined),
    "fdb-add": (req) => {
      instance.addStaticEntry(numberArg(req, "vni"), macArg(req), stringArg(req, "dst"), stringArg(req, "dev"));
      return { added: true };
    },
    "fdb-del": (req) => ({ deleted: instance.removeFdbEntry(numberArg(req, "vni"), macArg(req)) }),
    "fdb-flush": () => ({ flushed: instance.flushLearned() }),
    capture: (req) => streamOf(instance, () => captureStream(instance.debugView(), req)),
    trace: (req) => streamOf(instance, () => traceStream(instance.debugView(), req)),
    "trace-packet": (req) => tracePacket(instance.debugView(), packetSpecOf(req)),
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

/** A stream reply, refused when MAX_STREAMS observers are attached already. */
function streamOf(instance: SwitchInstance, make: () => ConstructorParameters<typeof StreamReply>[0]): StreamReply {
  if (instance.observers.count >= MAX_STREAMS) throw new Error(`${MAX_STREAMS} captures/traces are running already; stop one first`);
  return new StreamReply(make());
}
