// Client commands that ask a running vxswitch over its control socket and print like iproute2.
import { controlRequest } from "../control/control-client.js";
import type { FdbRow } from "../api/fdb-rows.js";
import type { InstanceStatus } from "../dataplane/status.js";
import { formatJson, type OutputFlags } from "./output.js";
import type { DirectionCounters, SegmentCounters, StatsAnswer } from "./stats-answer.js";

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
    `offloads: udp-gro ${s.offloads.udpGro ? "on" : "off"} udp-gso ${s.offloads.udpGso ? "on" : "off"}${s.offloads.udpGsoDisabled > 0 ? ` (switched off on ${s.offloads.udpGsoDisabled} socket(s): the kernel refused UDP_SEGMENT)` : ""} source-port sockets ${s.offloads.sourcePortSockets}`,
    `tap offloads: vnet-hdr ${s.offloads.tapVnetHdr ? "on" : "off"} csum ${s.offloads.csum ? "on" : "off"} tso4 ${s.offloads.tso4 ? "on" : "off"} tso6 ${s.offloads.tso6 ? "on" : "off"} uso ${s.offloads.uso ? "on" : "off"}`,
    s.busyPoll.windowUs > 0
      ? `busy-poll ${s.busyPoll.windowUs} µs on ${s.busyPoll.fds} fds: ${s.busyPoll.spins} spins, ${s.busyPoll.hits} caught a packet`
      : "busy-poll off",
    ...(s.encryption !== undefined ? [encryptionLine(s.encryption)] : []),
    ...s.segments.map((g) => `segment ${g.id} tap ${g.tap}${g.vlan !== undefined ? ` vlan ${g.vlan}` : ""}${g.bridge ? ` bridge ${g.bridge}` : ""} mtu ${g.mtu}`),
    ...(s.group !== undefined ? [`group ${s.group.address} dev ${s.group.dev ?? "-"} ttl ${s.group.ttl} tx ${s.group.txFrames}`] : []),
    ...(s.membership !== undefined ? formatMembership(s.membership) : []),
    ...s.peers.map((p) => `peer ${p.address}${p.dynamic ? " (learned)" : ""}${p.membership !== undefined ? ` etcd vni ${p.membership.vnis.join(",")}` : ""} rx ${p.rxFrames} tx ${p.txFrames}${p.txErrors > 0 ? ` tx-errors ${p.txErrors}` : ""}`),
  ];
  return lines.join("\n");
}

function encryptionLine(e: NonNullable<InstanceStatus["encryption"]>): string {
  const which = e.segments === "all" ? "all segments" : `segments ${e.segments.join(",")}`;
  return `encryption ${e.cipher} ${which}, keys rotated every ${e.rotateSeconds}s: ${e.opened} opened, ${e.txRotations} tx / ${e.rxRotations} rx rotations, ${e.derivations} keys derived`;
}

function formatStats(s: StatsAnswer): string {
  const dir = (name: string, d: DirectionCounters): string => {
    const drops = Object.entries(d.drops).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
    const perBatch = d.batches > 0 ? (d.frames / d.batches).toFixed(1) : "0";
    const partial = d.partialChecksums ? `, partial checksums finished ${d.partialChecksums}` : "";
    const copies = d.floodCopies === undefined ? "" : ` (${d.floodCopies} copies)`;
    return `${name}: ${d.frames} frames ${d.bytes} bytes, ${d.batches} batches (${perBatch} frames/batch), flooded ${d.flooded}${copies}${partial}; drops: ${drops}`;
  };
  const segment = (g: SegmentCounters): string => {
    const traffic = g.egress === undefined || g.ingress === undefined ? "" : `: egress ${g.egress.frames} frames ${g.egress.bytes} bytes, ingress ${g.ingress.frames} frames ${g.ingress.bytes} bytes`;
    return `segment ${g.id} ${g.tap}${traffic}, fdb ${g.fdbEntries}`;
  };
  const fdb = Object.entries(s.fdb).map(([k, v]) => `${k} ${v}`).join(", ");
  const peers = s.peers === undefined ? [] : [`peers: ${Object.entries(s.peers).map(([k, v]) => `${k} ${v}`).join(", ")}`];
  const io = s.io === undefined ? [] : [`native io: ${formatIo(s.io)}`];
  return [dir("egress  (tap -> tunnel)", s.egress), dir("ingress (tunnel -> tap)", s.ingress), ...(s.segments ?? []).map(segment), `fdb: ${fdb}`, ...peers, ...io].join("\n");
}

/** The addon's counters that are not zero, and the last error it counted; "no errors" otherwise. */
function formatIo(io: Record<string, number | string>): string {
  const counted = Object.entries(io).filter(([k, v]) => k !== "lastError" && typeof v === "number" && v > 0).map(([k, v]) => `${k} ${v}`);
  if (counted.length === 0) return "no errors";
  return `${counted.join(", ")}${typeof io.lastError === "string" && io.lastError !== "" ? `; last ${io.lastError}` : ""}`;
}

/** `membership etcd connected since ...` and, while unreachable, why and that the last known membership is kept. */
function formatMembership(m: NonNullable<InstanceStatus["membership"]>): string[] {
  const lines = [`membership etcd ${m.endpoints.join(",")} prefix ${m.prefix}: ${m.state} since ${m.since}${m.reason !== undefined ? ` (${m.reason})` : ""}, ${m.hosts} hosts, lease ${m.leaseSeconds}s`];
  if (m.state === "unreachable") lines.push("  forwarding with the last known membership; reconnecting");
  for (const [vni, peers] of Object.entries(m.floodPeers)) lines.push(`  vni ${vni} floods to ${peers.length > 0 ? peers.join(" ") : "(no other host)"}`);
  if (m.incompatible.length > 0) lines.push(`  not peers (other encapsulation or port): ${m.incompatible.join(", ")}`);
  if (m.publishMacs) lines.push(`  macs published ${m.macsPublished}, installed from others ${m.macsInstalled}`);
  return lines;
}

function formatPeers(peers: InstanceStatus["peers"]): string {
  return peers.map((p) => {
    const etcd = p.membership === undefined ? "" : ` etcd vni ${p.membership.vnis.join(",")}${p.membership.held !== undefined ? ` (kept: etcd unreachable since ${p.membership.held.since}: ${p.membership.held.reason})` : ""}`;
    return `${p.address}${p.dynamic ? " (learned)" : ""}${p.unicastOnly === true ? " (fdb only, not flooded)" : ""}${etcd} rx ${p.rxFrames} tx ${p.txFrames}${p.txErrors > 0 ? ` tx-errors ${p.txErrors}` : ""}`;
  }).join("\n");
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
      return formatStats(result as StatsAnswer);
    case "peers":
      return formatPeers(result as InstanceStatus["peers"]);
    case "fdb-add":
    case "fdb-del":
    case "peers-add":
    case "peers-del":
      // Quiet on success, like ip and bridge.
      return "";
    default:
      return JSON.stringify(result);
  }
}
