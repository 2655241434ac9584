// What the macro benchmark records and prints: the per-system record, the text and Markdown
// tables with ratios to kernel vxlan, the targets, and a hand-written SVG bar chart.
import type { Measurements } from "./measure.js";
import { BASELINE, COST_SYSTEMS, type SwitchCounters, type SystemId } from "./systems.js";

/** One system set up and measured once, on its own fresh lab. */
export interface RoundRecord {
  round: number;
  status: "ok" | "skipped" | "failed";
  /** Why it was skipped or how it failed. */
  reason?: string;
  wallSeconds: number;
  /** The machine's CPU use (percent of all CPUs) just before the round: other work skews figures. */
  backgroundBusyPercent: number;
  results?: Measurements;
  /** vxswitch counters accumulated during the TCP 1-stream run, per host. */
  tcp1Counters?: SwitchCounters[];
  info?: Record<string, unknown>;
}

/** A system's figures over all rounds (see rounds.ts), and the rounds themselves. */
export interface SystemRecord {
  id: SystemId;
  label: string;
  setup: string;
  status: "ok" | "skipped" | "failed";
  /** Why it was skipped, how it failed, or which rounds failed. */
  reason?: string;
  wallSeconds: number;
  backgroundBusyPercent: number[];
  results?: Measurements;
  tcp1Counters?: SwitchCounters[];
  info?: Record<string, unknown>;
  rounds: RoundRecord[];
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  kernel: string;
  node: string;
  iperf3: string;
  tinc: string | null;
  /** 1-minute load average when the run started: other work on the machine skews figures. */
  loadAverage: number;
}

/** The FDB micro-benchmark figure the targets need, from the newest bench/out/micro-*.json. */
export interface FdbFigure {
  nsPerLookup: number;
  task: string;
  file: string;
  /** The other lookup cases at 1M entries (hot MACs, misses), for context. */
  others: { task: string; nsPerOp: number }[];
}

export interface BenchRecord {
  date: string;
  command: string;
  machine: MachineInfo;
  git: { commit: string; modifiedFiles: number };
  options: Record<string, unknown>;
  systems: SystemRecord[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  system: SystemId;
  target: string;
  value: string;
  met: boolean | null;
  /** A figure reported without a target (met is null). */
  info?: boolean;
}

interface Column {
  head: string;
  cell: (r: SystemRecord, base: Measurements | undefined) => string;
}

const fixed = (value: number | null | undefined, digits: number): string => (value === null || value === undefined ? "n/a" : value.toFixed(digits));

function ratio(value: number | null | undefined, base: number | null | undefined): string {
  if (value === null || value === undefined || base === null || base === undefined || base === 0) return "";
  return ` (${(value / base).toFixed(2)}x)`;
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

/** Peak RSS of the system's largest daemon, in bytes; undefined without daemons. */
export function peakRss(r: SystemRecord): number | undefined {
  const memory = r.results?.memory ?? [];
  return memory.length === 0 ? undefined : Math.max(...memory.map((m) => m.peakRssBytes));
}

const COLUMNS: Column[] = [
  { head: "system", cell: (r) => r.label },
  { head: "TCP 1 stream Gbit/s", cell: (r, b) => gbit(r.results?.tcp1.bitsPerSecond) + ratio(r.results?.tcp1.bitsPerSecond, b?.tcp1.bitsPerSecond) },
  { head: "TCP 4 streams Gbit/s", cell: (r, b) => gbit(r.results?.tcp4.bitsPerSecond) + ratio(r.results?.tcp4.bitsPerSecond, b?.tcp4.bitsPerSecond) },
  { head: "UDP 64 B kframes/s", cell: (r, b) => fixed(kilo(r.results?.udp.deliveredPps), 1) + ratio(r.results?.udp.deliveredPps, b?.udp.deliveredPps) },
  { head: "UDP loss %", cell: (r) => fixed(r.results?.udp.lostPercent, 1) },
  { head: "RTT avg ms", cell: (r, b) => fixed(r.results?.ping.avgMs, 3) + ratio(r.results?.ping.avgMs, b?.ping.avgMs) },
  { head: "RTT p50 ms", cell: (r, b) => fixed(r.results?.ping.p50Ms, 3) + ratio(r.results?.ping.p50Ms, b?.ping.p50Ms) },
  { head: "RTT p99 ms", cell: (r, b) => fixed(r.results?.ping.p99Ms, 3) + ratio(r.results?.ping.p99Ms, b?.ping.p99Ms) },
  { head: "daemon CPU s/GB", cell: (r) => fixed(r.results?.cpu.daemonSecondsPerGB, 2) },
  { head: "daemon RSS MB", cell: (r) => fixed(mapDefined(peakRss(r), mb), 1) },
];

function gbit(bps: number | undefined): string {
  return bps === undefined ? "n/a" : (bps / 1e9).toFixed(2);
}

function kilo(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value / 1000;
}

function mapDefined<T, U>(value: T | undefined, f: (v: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

/** The kernel vxlan figures of the same run. */
function baselineOf(systems: readonly SystemRecord[]): Measurements | undefined {
  return systems.find((s) => s.id === BASELINE && s.status === "ok")?.results;
}

function rows(systems: readonly SystemRecord[]): string[][] {
  return systems.map((r) => {
    const base = baselineOf(systems);
    if (r.status !== "ok") return [r.label, `${r.status}: ${oneLine(r.reason ?? "")}`];
    return COLUMNS.map((c) => c.cell(r, base));
  });
}

function oneLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}

/** Aligned plain-text table for the terminal. */
export function textTable(systems: readonly SystemRecord[]): string {
  const body = rows(systems);
  const head = COLUMNS.map((c) => c.head);
  const widths = head.map((h, i) => Math.max(h.length, ...body.filter((row) => row.length === head.length).map((row) => row[i]!.length)));
  const line = (cells: string[]): string => (cells.length === head.length ? cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ") : cells.join("  "));
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** The same table in Markdown (ratios are to kernel vxlan of the same run). */
export function markdownTable(systems: readonly SystemRecord[]): string {
  const head = COLUMNS.map((c) => c.head);
  const out = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const row of rows(systems)) {
    const cells = row.length === head.length ? row : [row[0]!, row[1]!, ...Array<string>(head.length - 2).fill("")];
    out.push(`| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
  }
  return out.join("\n");
}

export const RSS_LIMIT_MB = 150;
export const FDB_LIMIT_NS = 100;

/** vxswitch's modes on the default lab: the targets are checked for these. */
const VXSWITCH_SYSTEMS: ReadonlySet<SystemId> = new Set<SystemId>(["batch", "busy", "gre", "dgram", "encrypted"]);

/** The project's targets (issue 7), checked for each vxswitch mode that ran on the default lab. */
export function checkTargets(systems: readonly SystemRecord[], fdb: FdbFigure | undefined): TargetCheck[] {
  const base = baselineOf(systems);
  const other = (id: SystemId): Measurements | undefined => systems.find((s) => s.id === id && s.status === "ok")?.results;
  const checks: TargetCheck[] = [];
  for (const r of systems) {
    if (!VXSWITCH_SYSTEMS.has(r.id)) continue;
    const m = r.results;
    if (r.status !== "ok" || m === undefined) {
      checks.push({ system: r.id, target: "all", value: `${r.status}: ${oneLine(r.reason ?? "")}`, met: false });
      continue;
    }
    const vsKernel = (target: string, value: number | null, baseValue: number | null | undefined, ok: (x: number) => boolean, unit: (v: number) => string): void => {
      if (value === null || baseValue === null || baseValue === undefined || baseValue === 0) {
        checks.push({ system: r.id, target, value: "no kernel vxlan figure in this run", met: null });
        return;
      }
      const x = value / baseValue;
      checks.push({ system: r.id, target, value: `${unit(value)} vs ${unit(baseValue)} = ${x.toFixed(2)}x`, met: ok(x) });
    };
    const gbits = (v: number): string => `${(v / 1e9).toFixed(2)} Gbit/s`;
    const ms = (v: number): string => `${v.toFixed(3)} ms`;
    const against = (target: string, value: number | null, anchor: SystemId, ok: (x: number) => boolean, unit: (v: number) => string, pick: (m: Measurements) => number | null): void => {
      const a = other(anchor);
      const av = a === undefined ? null : pick(a);
      if (value === null || av === null || av === 0) {
        checks.push({ system: r.id, target, value: `no ${SYSTEM_LABEL[anchor]} figure in this run`, met: null });
        return;
      }
      checks.push({ system: r.id, target, value: `${unit(value)} vs ${unit(av)} = ${(value / av).toFixed(2)}x`, met: ok(value / av) });
    };
    if (r.id === "gre") {
      against("TCP 1 stream >= 3x Open vSwitch userspace GRE", m.tcp1.bitsPerSecond, "ovs-gre", (x) => x >= 3, gbits, (o) => o.tcp1.bitsPerSecond);
    } else {
      vsKernel("TCP 1 stream >= 0.6x kernel vxlan", m.tcp1.bitsPerSecond, base?.tcp1.bitsPerSecond, (x) => x >= 0.6, gbits);
      vsKernel("TCP 4 streams >= 0.6x kernel vxlan", m.tcp4.bitsPerSecond, base?.tcp4.bitsPerSecond, (x) => x >= 0.6, gbits);
      vsKernel("64-byte UDP delivered >= 0.8x kernel vxlan", m.udp.deliveredPps, base?.udp.deliveredPps, (x) => x >= 0.8, (v) => `${(v / 1000).toFixed(1)} kframes/s`);
      against("TCP 1 stream >= 5x Open vSwitch userspace VXLAN", m.tcp1.bitsPerSecond, "ovs-vxlan", (x) => x >= 5, gbits, (o) => o.tcp1.bitsPerSecond);
      against("TCP 1 stream >= 10x tinc", m.tcp1.bitsPerSecond, "tinc", (x) => x >= 10, gbits, (o) => o.tcp1.bitsPerSecond);
    }
    if (r.id === "encrypted") {
      // Issue 12: against vxswitch in the clear and the encrypted overlays.
      against("TCP 1 stream >= 0.7x vxswitch in the clear", m.tcp1.bitsPerSecond, "batch", (x) => x >= 0.7, gbits, (o) => o.tcp1.bitsPerSecond);
      against("TCP 1 stream >= 1x wireguard-go", m.tcp1.bitsPerSecond, "wireguard-go", (x) => x >= 1, gbits, (o) => o.tcp1.bitsPerSecond);
      against("TCP 1 stream >= 10x tinc with crypto", m.tcp1.bitsPerSecond, "tinc-crypto", (x) => x >= 10, gbits, (o) => o.tcp1.bitsPerSecond);
      against("ping RTT avg no worse than wireguard-go's", m.ping.avgMs, "wireguard-go", (x) => x <= 1, ms, (o) => o.ping.avgMs);
    }
    if (r.id === "busy") vsKernel("ping RTT avg <= 2x kernel vxlan (busy polling)", m.ping.avgMs, base?.ping.avgMs, (x) => x <= 2, ms);
    else if (r.id === "batch") against("ping RTT avg no worse than tinc's", m.ping.avgMs, "tinc", (x) => x <= 1, ms, (o) => o.ping.avgMs);
    const rss = peakRss(r);
    checks.push({
      system: r.id,
      target: `RSS <= ${RSS_LIMIT_MB} MB`,
      value: rss === undefined ? "n/a" : `${mb(rss).toFixed(1)} MB (VmHWM, largest of the hosts)`,
      met: rss === undefined ? null : mb(rss) <= RSS_LIMIT_MB,
    });
  }
  checks.push(...costChecks(systems));
  checks.push({
    system: "batch",
    target: `FDB lookup <= ${FDB_LIMIT_NS} ns at 1M entries`,
    value:
      fdb === undefined
        ? "not measured: run `npm run bench:micro`"
        : `${fdb.nsPerLookup.toFixed(1)} ns ("${fdb.task}"; ${fdb.others.map((o) => `${o.nsPerOp.toFixed(1)} ns "${o.task}"`).join(", ")}; ${fdb.file})`,
    met: fdb === undefined ? null : fdb.nsPerLookup <= FDB_LIMIT_NS,
  });
  return checks;
}

/** Least throughput, as a share of plain batch in the same run, that still counts as "no measurable cost" / "< 5 %". */
export const COST_FLOOR = 0.95;

/**
 * What listening costs (issue 9): each cost system against plain batch of the same run. Nothing
 * measurable with an idle control client, under 5 % with metrics scraped; a capture is reported.
 */
function costChecks(systems: readonly SystemRecord[]): TargetCheck[] {
  const plain = systems.find((s) => s.id === "batch" && s.status === "ok")?.results;
  const checks: TargetCheck[] = [];
  for (const r of systems) {
    if (!COST_SYSTEMS.has(r.id)) continue;
    const m = r.results;
    if (r.status !== "ok" || m === undefined) {
      checks.push({ system: r.id, target: "all", value: `${r.status}: ${oneLine(r.reason ?? "")}`, met: false });
      continue;
    }
    const bound = r.id === "batch-capture" ? undefined : COST_FLOOR;
    const what = r.id === "batch-metrics" ? "< 5 % cost" : r.id === "batch-idle-client" ? "no measurable cost" : "cost (no target)";
    const vsPlain = (figure: string, value: number | null | undefined, base: number | null | undefined, unit: (v: number) => string, higherIsBetter = true): void => {
      const target = `${figure}: ${what} vs plain vxswitch --io batch${bound === undefined || !higherIsBetter ? "" : ` (>= ${bound.toFixed(2)}x)`}`;
      if (value === null || value === undefined || base === null || base === undefined || base === 0) {
        checks.push({ system: r.id, target, value: "no plain vxswitch --io batch figure in this run", met: null, info: true });
        return;
      }
      const x = value / base;
      const judged = bound !== undefined && higherIsBetter;
      checks.push({ system: r.id, target, value: `${unit(value)} vs ${unit(base)} = ${x.toFixed(2)}x`, met: judged ? x >= bound : null, info: !judged });
    };
    const gbits = (v: number): string => `${(v / 1e9).toFixed(2)} Gbit/s`;
    vsPlain("TCP 1 stream", m.tcp1.bitsPerSecond, plain?.tcp1.bitsPerSecond, gbits);
    vsPlain("TCP 4 streams", m.tcp4.bitsPerSecond, plain?.tcp4.bitsPerSecond, gbits);
    vsPlain("64-byte UDP delivered", m.udp.deliveredPps, plain?.udp.deliveredPps, (v) => `${(v / 1000).toFixed(1)} kframes/s`);
    vsPlain("daemon CPU s/GB", m.cpu.daemonSecondsPerGB, plain?.cpu.daemonSecondsPerGB, (v) => `${v.toFixed(2)} s/GB`, false);
  }
  return checks;
}

function verdict(c: TargetCheck): string {
  return c.met === null ? (c.info === true ? "info" : "unknown") : c.met ? "met" : "NOT met";
}

function subject(c: TargetCheck): string {
  return c.target.startsWith("FDB") ? "switch" : SYSTEM_LABEL[c.system];
}

export function targetLines(checks: readonly TargetCheck[]): string[] {
  return checks.map((c) => `${verdict(c).padEnd(7)}  ${subject(c)}: ${c.target}: ${c.value}`);
}

export function targetMarkdown(checks: readonly TargetCheck[]): string[] {
  return checks.map((c) => `- **${verdict(c)}**: ${subject(c)}: ${c.target}: ${c.value}`);
}

const SYSTEM_LABEL: Record<SystemId, string> = {
  raw: "raw underlay",
  kernel: "kernel vxlan",
  batch: "vxswitch --io batch",
  "batch-idle-client": "vxswitch --io batch + idle control client",
  "batch-capture": "vxswitch --io batch + capture",
  "batch-metrics": "vxswitch --io batch --metrics, scraped every 1 s",
  busy: "vxswitch --io batch --busy-poll 20000",
  gre: "vxswitch --encap gre --key 42 --io batch",
  dgram: "vxswitch --io dgram",
  "ovs-vxlan": "Open vSwitch userspace VXLAN",
  "ovs-gre": "Open vSwitch userspace GRE",
  tinc: "tinc switch",
  encrypted: "vxswitch encrypted (aes-256-gcm)",
  "wireguard-go": "wireguard-go (L3)",
  "tinc-crypto": "tinc switch, default cipher/digest",
};

/** What each vxswitch said about its offloads at start (`tap offloads: ...`, `io batch: ...`). */
export function offloadLines(systems: readonly SystemRecord[]): string[] {
  const lines: string[] = [];
  for (const r of systems) {
    const h1 = r.info?.h1;
    const log = typeof h1 === "object" && h1 !== null && "log" in h1 && Array.isArray(h1.log) ? (h1.log as unknown[]) : [];
    const said = log.filter((l): l is string => typeof l === "string" && /^(tap offloads|io \w+):/.test(l));
    if (said.length > 0) lines.push(`${r.label}: ${said.join("; ")}`);
  }
  return lines;
}

/** Frames per batch during the TCP 1-stream run: how much each wakeup carried. */
export function counterLines(systems: readonly SystemRecord[]): string[] {
  const lines: string[] = [];
  for (const r of systems) {
    for (const c of r.tcp1Counters ?? []) {
      const per = (frames: number, batches: number): string => (batches === 0 ? "-" : (frames / batches).toFixed(1));
      lines.push(
        `${r.label} ${c.host}: egress ${c.egressFrames} frames in ${c.egressBatches} batches (${per(c.egressFrames, c.egressBatches)}/batch), ingress ${c.ingressFrames} in ${c.ingressBatches} (${per(c.ingressFrames, c.ingressBatches)}/batch), drops ${c.drops}`,
      );
    }
    const m = r.results;
    if (m !== undefined) {
      const cpu = m.cpu;
      const t = m.tcp1.seconds;
      const parts = [
        `machine busy ${cpu.hostBusySeconds.toFixed(2)} s of ${(t * cpu.cpus).toFixed(2)} s (${cpu.cpus} CPUs x ${t.toFixed(1)} s)`,
        `softirq ${cpu.hostSoftirqSeconds.toFixed(2)} s`,
        `iperf3 sender ${((m.tcp1.senderCpuPercent / 100) * t).toFixed(2)} s, receiver ${((m.tcp1.receiverCpuPercent / 100) * t).toFixed(2)} s`,
        ...cpu.perDaemon.map((d) => `daemon ${d.host} user ${d.userSeconds.toFixed(2)} s + sys ${d.systemSeconds.toFixed(2)} s`),
      ];
      lines.push(`${r.label} CPU during TCP 1 stream: ${parts.join("; ")}`);
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// SVG: one panel per metric, a horizontal bar per system, value and ratio to kernel vxlan.

interface Panel {
  title: string;
  unit: string;
  value: (m: Measurements) => number | null;
  digits: number;
}

const PANELS: Panel[] = [
  { title: "TCP, 1 stream (higher is better)", unit: "Gbit/s", value: (m) => m.tcp1.bitsPerSecond / 1e9, digits: 2 },
  { title: "TCP, 4 streams (higher is better)", unit: "Gbit/s", value: (m) => m.tcp4.bitsPerSecond / 1e9, digits: 2 },
  { title: "UDP, 64-byte payloads delivered (higher is better)", unit: "kframes/s", value: (m) => m.udp.deliveredPps / 1000, digits: 1 },
  { title: "Ping RTT average (lower is better)", unit: "ms", value: (m) => m.ping.avgMs, digits: 3 },
  { title: "Ping RTT p99 (lower is better)", unit: "ms", value: (m) => m.ping.p99Ms, digits: 3 },
];

const COLORS: Record<SystemId, string> = {
  raw: "#8c8c8c", kernel: "#1f77b4", batch: "#d62728", "batch-idle-client": "#e7969c", "batch-capture": "#ad494a", "batch-metrics": "#843c39", busy: "#9467bd", gre: "#e377c2", dgram: "#ff7f0e",
  "ovs-vxlan": "#17becf", "ovs-gre": "#bcbd22", tinc: "#2ca02c", encrypted: "#8c564b", "wireguard-go": "#7f7f7f", "tinc-crypto": "#98df8a",
};

/** Approximate width of a label in the chart's 12-pixel sans-serif font. */
function textWidth(text: string): number {
  return Math.ceil(text.length * 6.6);
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function svgChart(record: BenchRecord): string {
  const ok = record.systems.filter((s) => s.status === "ok" && s.results !== undefined);
  // Every label readable: the label column is as wide as the longest label.
  const labelWidth = 24 + Math.max(150, ...ok.map((s) => textWidth(s.label)));
  const barMax = 480;
  const width = labelWidth + barMax + 150;
  const rowHeight = 22;
  const parts: string[] = [];
  let y = 72;
  for (const panel of PANELS) {
    const values = ok.map((s) => panel.value(s.results!));
    const max = Math.max(0, ...values.filter((v): v is number => v !== null));
    parts.push(`<text x="16" y="${y}" class="title">${esc(panel.title)}, ${esc(panel.unit)}</text>`);
    y += 10;
    ok.forEach((s, i) => {
      const v = values[i] ?? null;
      const w = v === null || max === 0 ? 0 : Math.max(1, (v / max) * barMax);
      const base = baselineOf(record.systems);
      const baseValue = base === undefined ? null : panel.value(base);
      const x = v !== null && baseValue !== null && baseValue > 0 ? ` (${(v / baseValue).toFixed(2)}x)` : "";
      parts.push(`<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${esc(s.label)}</text>`);
      parts.push(`<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${COLORS[s.id]}"/>`);
      parts.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}">${v === null ? "n/a" : v.toFixed(panel.digits)}${esc(x)}</text>`);
      y += rowHeight;
    });
    y += 28;
  }
  const m = record.machine;
  const subtitle = `${m.cpus} CPUs (${m.cpuModel}), Linux ${m.kernel}, node ${m.node}; ratios to kernel vxlan of the same run and lab`;
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    "<style>.title{font-weight:bold;font-size:13px}.head{font-weight:bold;font-size:15px}</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="22" class="head">vxswitch macro benchmark, ${esc(record.date)}</text>`,
    `<text x="16" y="40" fill="#555">${esc(subtitle)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
