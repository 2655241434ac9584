// `vxswitch top`, computed client-side: rates from two successive stats/status answers, rendered as a text screen.
import type { InstanceStatus } from "../dataplane/status.js";
import { portName } from "../switch/port-name.js";
import type { FrameBytes, StatsAnswer } from "./stats-answer.js";

/** Frames and Mbit per second of one counter pair; undefined when the switch does not count it. */
export interface Rate {
  framesPerSecond: number;
  mbitPerSecond: number;
}

export interface TopSample {
  /** Milliseconds (any monotonic origin). */
  at: number;
  stats: StatsAnswer;
  status: Pick<InstanceStatus, "encap" | "io" | "local" | "port" | "segments" | "peers" | "uptimeSeconds">;
}

export interface TopView {
  seconds: number;
  header: string;
  directions: { name: string; framesPerSecond: number; mbitPerSecond: number; batchFill: number; floodedPerSecond: number }[];
  segments: { id: number; tap: string; mtu: number; fdbEntries: number | undefined; egress: Rate | undefined; ingress: Rate | undefined }[];
  peers: { address: string; kind: string; rxPerSecond: number; txPerSecond: number; rxMbitPerSecond: number; txMbitPerSecond: number; rx: number; tx: number }[];
  drops: { direction: string; reason: string; perSecond: number; total: number }[];
  fdb: { entries: number; learnedPerSecond: number; movedPerSecond: number; agedPerSecond: number; evictedPerSecond: number };
}

const DIRECTIONS = [["egress", "egress  tap -> tunnel"], ["ingress", "ingress tunnel -> tap"]] as const;

/** Rates between two samples; counters that went backwards (a restarted switch) count from zero. */
export function computeTop(prev: TopSample, next: TopSample): TopView {
  const seconds = Math.max(0.001, (next.at - prev.at) / 1000);
  const rate = (a: number | undefined, b: number | undefined): number => {
    const d = (b ?? 0) - (a ?? 0);
    return (d >= 0 ? d : (b ?? 0)) / seconds;
  };
  const mbit = (a: number | undefined, b: number | undefined): number => (rate(a, b) * 8) / 1e6;
  const s = next.status;
  const port = s.port > 0 ? `:${s.port}` : "";
  const directions = DIRECTIONS.map(([key, name]) => {
    const a = prev.stats[key];
    const b = next.stats[key];
    const frames = b.frames - a.frames;
    const batches = b.batches - a.batches;
    return {
      name,
      framesPerSecond: rate(a.frames, b.frames),
      mbitPerSecond: mbit(a.bytes, b.bytes),
      batchFill: batches > 0 && frames >= 0 ? frames / batches : 0,
      floodedPerSecond: rate(a.flooded, b.flooded),
    };
  });
  const counted = (a: FrameBytes | undefined, b: FrameBytes | undefined): Rate | undefined =>
    b === undefined ? undefined : { framesPerSecond: rate(a?.frames, b.frames), mbitPerSecond: mbit(a?.bytes, b.bytes) };
  const segmentsBefore = new Map((prev.stats.segments ?? []).map((g) => [g.id, g]));
  const segmentsNow = new Map((next.stats.segments ?? []).map((g) => [g.id, g]));
  const prevPeers = new Map(prev.status.peers.map((p) => [p.address, p]));
  const peers = s.peers.map((p) => {
    const before = prevPeers.get(p.address);
    return {
      address: p.address,
      kind: p.dynamic ? "learned" : p.unicastOnly === true ? "fdb only" : "flood",
      rxPerSecond: rate(before?.rxFrames, p.rxFrames),
      txPerSecond: rate(before?.txFrames, p.txFrames),
      rxMbitPerSecond: mbit(before?.rxBytes, p.rxBytes),
      txMbitPerSecond: mbit(before?.txBytes, p.txBytes),
      rx: p.rxFrames,
      tx: p.txFrames,
    };
  });
  const drops = DIRECTIONS.flatMap(([key]) =>
    Object.entries(next.stats[key].drops).map(([reason, total]) => ({ direction: key, reason, perSecond: rate(prev.stats[key].drops[reason], total), total })),
  ).sort((x, y) => y.perSecond - x.perSecond || y.total - x.total);
  const f = (k: string): number => rate(prev.stats.fdb[k], next.stats.fdb[k]);
  return {
    seconds,
    header: `vxswitch ${s.encap} local ${s.local}${port} io ${s.io} up ${s.uptimeSeconds}s, rates over ${seconds.toFixed(1)} s`,
    directions,
    segments: s.segments.map((g) => {
      const a = segmentsBefore.get(g.id);
      const b = segmentsNow.get(g.id);
      return { id: g.id, tap: portName(g.tap, g.vlan), mtu: g.mtu, fdbEntries: b?.fdbEntries, egress: counted(a?.egress, b?.egress), ingress: counted(a?.ingress, b?.ingress) };
    }),
    peers,
    drops,
    fdb: { entries: next.stats.fdb.entries ?? 0, learnedPerSecond: f("learned"), movedPerSecond: f("moved"), agedPerSecond: f("aged"), evictedPerSecond: f("evicted") },
  };
}

/** 1234567 -> "1.23M"; small numbers as they are. */
export function humanRate(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n >= 100 || n === 0 ? n.toFixed(0) : n.toFixed(1);
}

/** Columns aligned: the first `names` columns left (names), the rest right (numbers). */
function table(rows: string[][], names = 1): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < names ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd());
}

export function renderTop(v: TopView): string {
  const lines = [v.header, ""];
  lines.push(...table([
    ["DIRECTION", "FRAMES/s", "Mbit/s", "FRAMES/BATCH", "FLOODED/s"],
    ...v.directions.map((d) => [d.name, humanRate(d.framesPerSecond), d.mbitPerSecond.toFixed(1), d.batchFill.toFixed(1), humanRate(d.floodedPerSecond)]),
  ]));
  lines.push("");
  const frames = (r: Rate | undefined): string => (r === undefined ? "-" : humanRate(r.framesPerSecond));
  const mbits = (r: Rate | undefined): string => (r === undefined ? "-" : r.mbitPerSecond.toFixed(1));
  lines.push(...table([
    ["SEGMENT", "TAP", "MTU", "FDB", "EGRESS/s", "Mbit/s", "INGRESS/s", "Mbit/s"],
    ...v.segments.map((g) => [String(g.id), g.tap, String(g.mtu), g.fdbEntries === undefined ? "-" : String(g.fdbEntries), frames(g.egress), mbits(g.egress), frames(g.ingress), mbits(g.ingress)]),
  ], 2));
  lines.push("");
  if (v.peers.length === 0) lines.push("PEERS: none");
  else {
    lines.push(...table([
      ["PEER", "KIND", "RX/s", "RX Mbit/s", "TX/s", "TX Mbit/s", "RX", "TX"],
      ...v.peers.map((p) => [p.address, p.kind, humanRate(p.rxPerSecond), p.rxMbitPerSecond.toFixed(1), humanRate(p.txPerSecond), p.txMbitPerSecond.toFixed(1), String(p.rx), String(p.tx)]),
    ], 2));
  }
  lines.push("");
  if (v.drops.length === 0) lines.push("DROPS: none");
  else lines.push(...table([["DROPS", "REASON", "/s", "TOTAL"], ...v.drops.map((d) => [d.direction, d.reason, humanRate(d.perSecond), String(d.total)])], 2));
  lines.push("");
  const fdb = v.fdb;
  lines.push(`FDB ${fdb.entries} entries; learned ${humanRate(fdb.learnedPerSecond)}/s, moved ${humanRate(fdb.movedPerSecond)}/s, aged ${humanRate(fdb.agedPerSecond)}/s, evicted ${humanRate(fdb.evictedPerSecond)}/s`);
  return lines.join("\n");
}
