// What the control socket answers: FDB, peers, status and counters of a running switch, and run-time changes, all through the library API.
import type { Switch } from "../api/switch.js";
import type { ControlHandler, ControlRequest } from "./control-server.js";
import { StreamReply } from "./stream.js";
import { portName } from "../switch/port-name.js";
import { captureStream } from "../debug/capture-session.js";
import { traceStream } from "../debug/trace-session.js";
import { packetSpecOf, tracePacket } from "../debug/trace-packet.js";

/** Streams at once (captures and traces): each one costs the loops a copy per matching frame. */
const MAX_STREAMS = 4;

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

function macArg(req: ControlRequest): string {
  return requiredString(req, "mac");
}

/** The segment of a request: vni if given, else the one whose TAP dev names (`fdb add MAC dev vxtap42 dst ...`). */
function segmentArg(sw: Switch, req: ControlRequest): number {
  const vni = optionalNumberArg(req, "vni");
  if (vni !== undefined) return vni;
  const dev = stringArg(req, "dev");
  if (dev === undefined) throw new Error("vni is required (or dev naming the segment's TAP)");
  const matches = sw.status().segments.filter((s) => portName(s.tap, s.vlan) === dev);
  if (matches.length !== 1) throw new Error(matches.length === 0 ? `${dev} is not the TAP of a segment; give vni N` : `${dev} carries several segments; give vni N`);
  return matches[0]!.id;
}

/** What the CLI's `reload` and `down` reach in the process that runs the switch. */
export interface LifecycleHooks {
  reload?: () => unknown;
  /** Stops the switch after the answer went out. */
  down?: () => void;
}

export function controlHandlers(sw: Switch, hooks: LifecycleHooks = {}): Record<(typeof CONTROL_VERBS)[number], ControlHandler> {
  return {
    fdb: (req) => sw.fdb({ vni: optionalNumberArg(req, "vni"), dev: stringArg(req, "dev") }),
    "fdb-add": (req) => {
      const dst = stringArg(req, "dst");
      const dev = stringArg(req, "dev");
      if (dst === undefined && dev === undefined) throw new Error("give --dst ADDR or --dev TAP");
      sw.addFdbEntry(segmentArg(sw, req), macArg(req), dst !== undefined ? { dst } : { dev: dev! });
      return { added: true };
    },
    "fdb-del": (req) => ({ deleted: sw.removeFdbEntry(segmentArg(sw, req), macArg(req)) }),
    "fdb-flush": () => ({ flushed: sw.flushFdb() }),
    capture: (req) => streamOf(sw, () => captureStream(sw.debugView(), req)),
    trace: (req) => streamOf(sw, () => traceStream(sw.debugView(), req)),
    "trace-packet": (req) => tracePacket(sw.debugView(), packetSpecOf(req)),
    status: () => sw.status(),
    peers: () => sw.status().peers,
    "peers-add": (req) => ({ added: sw.addPeer(requiredString(req, "address"), optionalNumberArg(req, "vni")) }),
    "peers-del": (req) => sw.removePeer(requiredString(req, "address"), optionalNumberArg(req, "vni")),
    stats: () => sw.counters(),
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

/** Verbs the control socket knows. */
export const CONTROL_VERBS = ["fdb", "fdb-add", "fdb-del", "fdb-flush", "capture", "trace", "trace-packet", "status", "peers", "peers-add", "peers-del", "stats", "reload", "down"] as const;

/** What the control socket answers while the switch is starting: every verb, "still starting". */
export function startingHandlers(): Record<string, ControlHandler> {
  const starting = (): never => {
    throw new Error("the switch is still starting");
  };
  return Object.fromEntries(CONTROL_VERBS.map((verb) => [verb, starting]));
}

/** A stream reply, refused when MAX_STREAMS observers are attached already. */
function streamOf(sw: Switch, make: () => ConstructorParameters<typeof StreamReply>[0]): StreamReply {
  if (sw.observerCount >= MAX_STREAMS) throw new Error(`${MAX_STREAMS} captures/traces are running already; stop one first`);
  return new StreamReply(make());
}
