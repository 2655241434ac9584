// `trace --packet`: a hypothetical frame through the running switch's tables, explained step by step, nothing sent or learned.
import { isIP } from "node:net";
import { parseAddress } from "../io/address.js";
import { explain, type ExplainEntry, type Explanation } from "../switch/explain.js";
import { DROP_UNKNOWN_VNI, FLOOD, dropReasonName } from "../switch/forwarder.js";
import { formatMac, isBroadcastMac, isMulticastMac, macFromBytes, parseMac } from "../wire/mac.js";
import type { DropReasonName } from "../dataplane/stats.js";
import { DROP_WORDS } from "./trace-line.js";
import { endpointLabel, type DebugView } from "./trace-view.js";
import { parseHexPackets } from "./input.js";

/** The frame in question, as the control request carries it. */
export interface PacketSpec {
  vni: number;
  src: string;
  dst: string;
  /** "tap", "tap NAME" or a peer's address. */
  from: string;
}

const SPEC_HELP = "expected 'vni N src MAC dst MAC [from PEER|from tap [NAME]]'";

/**
 * Parses 'vni 42 src MAC dst MAC [from PEER|from tap [NAME]]'; with `hex` (an Ethernet frame) the
 * MACs come from the frame and the text needs only the vni and from.
 */
export function parsePacketSpec(text: string, hex?: string): PacketSpec {
  const words = text.trim().split(/\s+/).filter((w) => w !== "");
  const spec: Partial<PacketSpec> = { from: "tap" };
  for (let i = 0; i < words.length; i++) {
    const key = words[i]!.toLowerCase();
    const value = words[i + 1];
    if (value === undefined) throw new Error(`"${key}" needs a value; ${SPEC_HELP}`);
    i++;
    if (key === "vni" || key === "key") {
      if (!/^\d+$/.test(value) || Number(value) > 0xffff_ffff) throw new Error(`vni must be a whole number, got "${value}"`);
      spec.vni = Number(value);
    } else if (key === "src" || key === "dst") {
      spec[key] = formatMac(parseMac(value));
    } else if (key === "from") {
      if (value.toLowerCase() === "tap") {
        const name = words[i + 1];
        spec.from = name !== undefined && !["vni", "key", "src", "dst", "from"].includes(name.toLowerCase()) ? `tap ${words[++i]}` : "tap";
      } else if (isIP(value) !== 0) {
        spec.from = value;
      } else {
        throw new Error(`from must be "tap", "tap NAME" or a peer's IP address, got "${value}"`);
      }
    } else {
      throw new Error(`unknown word "${words[i - 1]}"; ${SPEC_HELP}`);
    }
  }
  if (hex !== undefined) {
    const frames = parseHexPackets(hex);
    const frame = frames[0];
    if (frame === undefined || frame.length < 14) throw new Error("the hex frame must hold at least an Ethernet header (14 bytes)");
    spec.dst ??= formatMac(macFromBytes(frame, 0));
    spec.src ??= formatMac(macFromBytes(frame, 6));
  }
  if (spec.vni === undefined) throw new Error(`no vni given; ${SPEC_HELP}`);
  if (spec.src === undefined || spec.dst === undefined) throw new Error(`src and dst MACs are needed; ${SPEC_HELP}`);
  return spec as PacketSpec;
}

/** Checks a control request's fields and returns them as a spec. */
export function packetSpecOf(req: { [field: string]: unknown }): PacketSpec {
  if (typeof req.vni !== "number" || !Number.isInteger(req.vni) || req.vni < 0) throw new Error("vni is required (a whole number)");
  if (typeof req.src !== "string" || typeof req.dst !== "string") throw new Error("src and dst MACs are required");
  const from = req.from === undefined ? "tap" : req.from;
  if (typeof from !== "string") throw new Error('from must be "tap", "tap NAME" or an address');
  return { vni: req.vni, src: formatMac(parseMac(req.src)), dst: formatMac(parseMac(req.dst)), from };
}

export interface PacketTrace {
  action: "forward" | "flood" | "drop";
  reason?: DropReasonName;
  targets: string[];
  learn: Explanation["learn"];
  lookup: Explanation["lookup"];
  dstEntry?: { dst: string; static: boolean; ageSeconds: number };
  splitHorizon: boolean;
  /** The explanation, one step a line. */
  lines: string[];
}

function entryOf(view: DebugView, vni: number, mac: number): ExplainEntry | undefined {
  const text = formatMac(mac);
  for (const e of view.fdb.entries(vni)) if (e.mac === text) return { endpoint: e.endpoint, isStatic: e.isStatic, ageSeconds: e.ageSeconds };
  return undefined;
}

function entryText(view: DebugView, e: ExplainEntry): string {
  return `${endpointLabel(view, e.endpoint)} (${e.isStatic ? "static" : `learned, updated ${Math.round(e.ageSeconds)}s ago`})`;
}

/** Resolves `from` to an endpoint of the segment; a message a person can act on when it is none. */
function fromEndpoint(view: DebugView, spec: PacketSpec): { id: number; tunnel: boolean; label: string } | { drop: string } {
  if (spec.from === "tap" || spec.from.startsWith("tap ")) {
    const seg = view.tables.current.segments.get(spec.vni);
    if (seg === undefined) throw new Error(`no segment ${spec.vni} on this switch (a frame from a TAP always has its TAP's segment)`);
    const name = spec.from.slice(4);
    const port = name === "" ? seg.ports[0] : seg.ports.find((p) => p.name === name);
    if (port === undefined) throw new Error(`${name} is not a TAP of segment ${spec.vni}`);
    return { id: port.id, tunnel: false, label: endpointLabel(view, port.id) };
  }
  const peer = view.tables.current.peers.lookup(parseAddress(spec.from), 0);
  if (peer !== undefined) return { id: peer.id, tunnel: true, label: peer.address };
  if (view.learnsPeers) return { id: -1, tunnel: true, label: `${spec.from} (not a peer yet: it would be learned from this packet)` };
  return { drop: `${spec.from} is not a peer of this switch` };
}

/** What the switch would do with the frame, read from its tables now; changes nothing. */
export function tracePacket(view: DebugView, spec: PacketSpec): PacketTrace {
  const src = parseMac(spec.src);
  const dst = parseMac(spec.dst);
  const lines = [`frame: vni ${spec.vni} ${spec.src} > ${spec.dst} from ${spec.from}`];
  const from = fromEndpoint(view, spec);
  if ("drop" in from) {
    lines.push(`peer: ${from.drop}`, `decision: drop: ${DROP_WORDS.unknownPeer}`);
    return { action: "drop", reason: "unknownPeer", targets: [], learn: "none", lookup: "none", splitHorizon: false, lines };
  }
  const model = view.tables.current.segments.get(spec.vni);
  const x = explain({
    vni: spec.vni,
    from: from.id,
    fromTunnel: from.tunnel,
    srcMac: src,
    dstMac: dst,
    segment: model,
    srcEntry: model === undefined ? undefined : entryOf(view, spec.vni, src),
    dstEntry: model === undefined ? undefined : entryOf(view, spec.vni, dst),
    isTunnel: (id) => view.endpoints.isTunnel(id),
    moveHoldMs: view.fdb.moveHoldMs,
  });
  if (x.decision === DROP_UNKNOWN_VNI) {
    lines.push(`segment: no segment has ${view.encap === "gre" ? "key" : "VNI"} ${spec.vni}`, `decision: drop: ${DROP_WORDS.unknownVni}`);
    return { action: "drop", reason: "unknownVni", targets: [], learn: x.learn, lookup: x.lookup, splitHorizon: false, lines };
  }
  lines.push(`source: ${from.label} (${from.tunnel ? "a tunnel peer" : "a local port"})`);
  lines.push(`learn: ${learnText(view, x, spec.src, from.label, spec.vni)}`);
  if (x.lookup === "group") lines.push(`lookup: ${spec.dst} is a ${isBroadcastMac(dst) ? "broadcast" : "multicast"} address: flooded, not looked up`);
  else if (x.lookup === "miss") lines.push(`lookup: ${spec.dst} is not in the FDB of segment ${spec.vni}: unknown unicast, flooded`);
  else if (x.dstEntry !== undefined) lines.push(`lookup: ${spec.dst} -> ${entryText(view, x.dstEntry)}`);
  const targets = x.targets.map((t) => endpointLabel(view, t));
  const dstEntry = x.dstEntry === undefined ? undefined : { dst: endpointLabel(view, x.dstEntry.endpoint), static: x.dstEntry.isStatic, ageSeconds: x.dstEntry.ageSeconds };
  const base = { learn: x.learn, lookup: x.lookup, splitHorizon: x.splitHorizon, ...(dstEntry !== undefined ? { dstEntry } : {}) };
  if (x.splitHorizon && x.lookup !== "hit") lines.push("split horizon: it came from a tunnel, so it floods to local ports only (every peer heard the sender itself)");
  if (x.decision === FLOOD) {
    lines.push(`decision: flood -> ${targets.join(", ")}`);
    return { ...base, action: "flood", targets, lines };
  }
  if (x.decision >= 0) {
    const to = endpointLabel(view, x.decision);
    lines.push(`decision: forward -> ${to}`);
    return { ...base, action: "forward", targets: [to], lines };
  }
  const reason = dropReasonName(x.decision) as DropReasonName;
  if (reason === "splitHorizon") lines.push("split horizon: it came from a tunnel and its destination is behind another tunnel");
  lines.push(`decision: drop: ${DROP_WORDS[reason]}`);
  return { ...base, action: "drop", reason, targets: [], lines };
}

function learnText(view: DebugView, x: Explanation, mac: string, label: string, vni: number): string {
  switch (x.learn) {
    case "ignored":
      return `${mac} is ${isMulticastMac(parseMac(mac)) ? "a group" : "the all-zero"} address: never learned`;
    case "new":
      return `${mac} would be learned behind ${label} (new entry)`;
    case "refresh":
      return `${mac} is already behind ${label}: its age would restart`;
    case "move": {
      const now = entryOf(view, vni, parseMac(mac));
      return `${mac} would move to ${label} from ${now === undefined ? "?" : endpointLabel(view, now.endpoint)}`;
    }
    case "static":
      return `${mac} has a static entry: kept as it is`;
    case "refused": {
      const now = entryOf(view, vni, parseMac(mac));
      return `${mac} is in use on local port ${now === undefined ? "?" : endpointLabel(view, now.endpoint)}: a tunnel's claim is refused and the frame dropped (move hold ${view.fdb.moveHoldMs} ms)`;
    }
    default:
      return "nothing (dropped before learning)";
  }
}
