// Client commands that ask a running vxswitch over its control socket and print like iproute2.
import { controlRequest } from "../control/control-client.js";
import type { FdbRow } from "../control/handlers.js";
import type { InstanceStatus } from "../dataplane/instance.js";
import { formatJson, type OutputFlags } from "./output.js";

interface QueryOptions extends OutputFlags {
  control: string;
  [arg: string]: unknown;
}

/** Like `bridge fdb show`: `MAC dev TAP [dst ADDR] vni N self [permanent]`, with -s `updated SECONDS` on learned entries. */
export function formatFdb(rows: FdbRow[], flags: OutputFlags = {}): string {
  return rows
    .map((r) => {
      const dst = r.dst !== undefined ? ` dst ${r.dst}` : "";
      const state = r.state !== undefined ? ` ${r.state}` : "";
      const updated = flags.stats === true && r.updated !== undefined ? ` updated ${r.updated}` : "";
      return `${r.mac} dev ${r.ifname}${dst} vni ${r.vni} ${r.flags.join(" ")}${state}${updated}`;
    })
    .join("\n");
}

function formatStatus(s: InstanceStatus): string {
  const lines = [
    `encap ${s.encap}${s.gre?.checksum ? " csum" : ""}${s.gre?.sequence ? " seq" : ""} local ${s.local}${s.port > 0 ? ` port ${s.port}` : ""} io ${s.io} up ${s.uptimeSeconds}s`,
    `offloads: udp-gro ${s.offloads.udpGro ? "on" : "off"} udp-gso ${s.offloads.udpGso ? "on" : "off"} source-port sockets ${s.offloads.sourcePortSockets}`,
    `tap offloads: vnet-hdr ${s.offloads.tapVnetHdr ? "on" : "off"} csum ${s.offloads.csum ? "on" : "off"} tso4 ${s.offloads.tso4 ? "on" : "off"} tso6 ${s.offloads.tso6 ? "on" : "off"} uso ${s.offloads.uso ? "on" : "off"}`,
    s.busyPoll.windowUs > 0
      ? `busy-poll ${s.busyPoll.windowUs} µs on ${s.busyPoll.fds} fds: ${s.busyPoll.spins} spins, ${s.busyPoll.hits} caught a packet`
      : "busy-poll off",
    ...(s.encryption !== undefined ? [encryptionLine(s.encryption)] : []),
    ...s.segments.map((g) => `segment ${g.id} tap ${g.tap}${g.vlan !== undefined ? ` vlan ${g.vlan}` : ""}${g.bridge ? ` bridge ${g.bridge}` : ""} mtu ${g.mtu}`),
    ...(s.group !== undefined ? [`group ${s.group.address} dev ${s.group.dev ?? "-"} ttl ${s.group.ttl} tx ${s.group.txFrames}`] : []),
    ...s.peers.map((p) => `peer ${p.address}${p.dynamic ? " (learned)" : ""} rx ${p.rxFrames} tx ${p.txFrames}`),
  ];
  return lines.join("\n");
}

function encryptionLine(e: NonNullable<InstanceStatus["encryption"]>): string {
  const which = e.segments === "all" ? "all segments" : `segments ${e.segments.join(",")}`;
  return `encryption ${e.cipher} ${which}, keys rotated every ${e.rotateSeconds}s: ${e.opened} opened, ${e.txRotations} tx / ${e.rxRotations} rx rotations, ${e.derivations} keys derived`;
}

interface DirectionJson {
  frames: number;
  bytes: number;
  batches: number;
  flooded: number;
  partialChecksums?: number;
  drops: Record<string, number>;
}

function formatStats(s: { egress: DirectionJson; ingress: DirectionJson; fdb: Record<string, number>; peers?: Record<string, number>; io?: Record<string, number | string> }): string {
  const dir = (name: string, d: DirectionJson): string => {
    const drops = Object.entries(d.drops).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
    const perBatch = d.batches > 0 ? (d.frames / d.batches).toFixed(1) : "0";
    const partial = d.partialChecksums ? `, partial checksums finished ${d.partialChecksums}` : "";
    return `${name}: ${d.frames} frames ${d.bytes} bytes, ${d.batches} batches (${perBatch} frames/batch), flooded ${d.flooded}${partial}; drops: ${drops}`;
  };
  const fdb = Object.entries(s.fdb).map(([k, v]) => `${k} ${v}`).join(", ");
  const peers = s.peers === undefined ? [] : [`peers: ${Object.entries(s.peers).map(([k, v]) => `${k} ${v}`).join(", ")}`];
  const io = s.io === undefined ? [] : [`native io: ${formatIo(s.io)}`];
  return [dir("egress  (tap -> tunnel)", s.egress), dir("ingress (tunnel -> tap)", s.ingress), `fdb: ${fdb}`, ...peers, ...io].join("\n");
}

/** The addon's counters that are not zero, and the last error it counted; "no errors" otherwise. */
function formatIo(io: Record<string, number | string>): string {
  const counted = Object.entries(io).filter(([k, v]) => k !== "lastError" && typeof v === "number" && v > 0).map(([k, v]) => `${k} ${v}`);
  if (counted.length === 0) return "no errors";
  return `${counted.join(", ")}${typeof io.lastError === "string" && io.lastError !== "" ? `; last ${io.lastError}` : ""}`;
}

export function formatPeers(peers: InstanceStatus["peers"]): string {
  return peers.map((p) => `${p.address}${p.dynamic ? " (learned)" : ""}${p.unicastOnly === true ? " (fdb only, not flooded)" : ""} rx ${p.rxFrames} tx ${p.txFrames}`).join("\n");
}

/** Sends one request and prints its answer: JSON with -j/-p, else the command's text form. */
export async function runQuery(cmd: string, o: QueryOptions): Promise<void> {
  const { control, json, pretty, stats, ...args } = o;
  const result = await controlRequest(control, { ...args, cmd });
  if (json === true || pretty === true) {
    console.log(formatJson(result, { pretty }));
    return;
  }
  const text = formatAnswer(cmd, result, { stats });
  if (text !== "") console.log(text);
}

function formatAnswer(cmd: string, result: unknown, flags: OutputFlags): string {
  switch (cmd) {
    case "fdb":
      return formatFdb(result as FdbRow[], flags);
    case "status":
      return formatStatus(result as InstanceStatus);
    case "stats":
      return formatStats(result as Parameters<typeof formatStats>[0]);
    case "peers":
      return formatPeers(result as InstanceStatus["peers"]);
    case "fdb-add":
    case "fdb-del":
    case "peers-add":
    case "peers-del":
      // Quiet on success, like ip and bridge.
      return "";
    case "reload":
      return formatReload(result as { changes: string[]; failed: string[] });
    default:
      return JSON.stringify(result);
  }
}

function formatReload(r: { changes: string[]; failed: string[] }): string {
  if (r.changes.length === 0 && r.failed.length === 0) return "configuration unchanged";
  return [...r.changes, ...r.failed.map((f) => `failed: ${f}`)].join("\n");
}
