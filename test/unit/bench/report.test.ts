// The macro benchmark's bookkeeping (bench/report.ts, bench/rounds.ts) and /proc readers (lab/cpu.ts).
import { describe, expect, it } from "vitest";
import type { Measurements } from "../../../bench/measure.js";
import { checkTargets, markdownTable, svgChart, textTable, type BenchRecord, type RoundRecord, type SystemRecord } from "../../../bench/report.js";
import { combineRounds } from "../../../bench/rounds.js";
import { SYSTEMS, type SystemId } from "../../../bench/systems.js";
import { processCpu, processMemory, hostCpu } from "../../../lab/cpu.js";

function figures(tcpGbit: number, kpps: number, rttMs: number, rssMb = 0): Measurements {
  return {
    ping: { transmitted: 3, received: 3, lossPercent: 0, avgMs: rttMs, p50Ms: rttMs, p99Ms: rttMs, minMs: rttMs, maxMs: rttMs, rttsMs: [rttMs, rttMs, rttMs] },
    tcp1: { streams: 1, bitsPerSecond: tcpGbit * 1e9, bytes: tcpGbit * 1e9, seconds: 8, retransmits: 0, senderCpuPercent: 0, receiverCpuPercent: 0 },
    tcp4: { streams: 4, bitsPerSecond: tcpGbit * 1e9, bytes: tcpGbit * 1e9, seconds: 8, retransmits: 0, senderCpuPercent: 0, receiverCpuPercent: 0 },
    udp: { payloadBytes: 64, offeredRate: "0", sentPackets: 2 * kpps * 1000, deliveredPackets: kpps * 1000, lostPercent: 50, seconds: 1, sentPps: 2 * kpps * 1000, deliveredPps: kpps * 1000 },
    cpu: { daemonSeconds: 1, daemonUserSeconds: 0.5, daemonSystemSeconds: 0.5, daemonSecondsPerGB: 1, perDaemon: [], hostBusySeconds: 2, hostSoftirqSeconds: 0.5, hostSecondsPerGB: 2, cpus: 2 },
    memory: rssMb === 0 ? [] : [{ host: "h1", pid: 1, peakRssBytes: rssMb * 1024 * 1024, rssBytes: 0 }],
  };
}

function round(n: number, results: Measurements): RoundRecord {
  return { round: n, status: "ok", wallSeconds: 10, backgroundBusyPercent: 0, results };
}

function system(id: SystemId, results: Measurements): SystemRecord {
  return combineRounds(SYSTEMS[id], [round(1, results)]);
}

describe("macro benchmark report", () => {
  it("takes each test from its median round", () => {
    const rec = combineRounds(SYSTEMS.batch, [round(1, figures(1, 30, 0.2)), round(2, figures(3, 10, 0.4)), round(3, figures(2, 20, 0.6))]);
    expect(rec.status).toBe("ok");
    expect(rec.results?.tcp1.bitsPerSecond).toBe(2e9);
    expect(rec.results?.udp.deliveredPps).toBe(20_000);
    expect(rec.results?.ping.avgMs).toBeCloseTo(0.4);
    expect(rec.rounds).toHaveLength(3);
  });

  it("marks a system failed only when every round failed, naming the failures", () => {
    const failed: RoundRecord = { round: 2, status: "failed", reason: "no path", wallSeconds: 1, backgroundBusyPercent: 0 };
    expect(combineRounds(SYSTEMS.tinc, [failed]).status).toBe("failed");
    const mixed = combineRounds(SYSTEMS.tinc, [round(1, figures(1, 1, 1)), failed]);
    expect(mixed.status).toBe("ok");
    expect(mixed.reason).toContain("round 2: no path");
  });

  it("prints ratios to kernel vxlan of the same run", () => {
    const systems = [system("kernel", figures(2, 40, 0.1)), system("batch", figures(1, 30, 0.3, 80))];
    const text = textTable(systems);
    expect(text).toContain("1.00 (0.50x)");
    expect(text).toContain("30.0 (0.75x)");
    expect(text).toContain("0.300 (3.00x)");
    expect(markdownTable(systems).split("\n")).toHaveLength(4);
  });

  it("checks the targets against kernel vxlan and the RSS limit", () => {
    const systems = [system("kernel", figures(2, 40, 0.1)), system("batch", figures(1, 30, 0.3, 80))];
    const checks = checkTargets(systems, { nsPerLookup: 90, task: "lookup hit, random, 1M entries", file: "x.json", others: [] });
    const met = Object.fromEntries(checks.map((c) => [c.target, c.met]));
    expect(met["TCP 1 stream >= 0.6x kernel vxlan"]).toBe(false);
    expect(met["TCP 4 streams >= 0.6x kernel vxlan"]).toBe(false);
    expect(met["64-byte UDP delivered >= 0.8x kernel vxlan"]).toBe(false);
    expect(met["TCP 1 stream >= 10x tinc"]).toBeNull();
    expect(met["RSS <= 150 MB"]).toBe(true);
    expect(met["FDB lookup <= 100 ns at 1M entries"]).toBe(true);
  });

  it("checks busy polling's RTT against the kernel, GRE against Open vSwitch GRE, and the default mode's RTT against tinc", () => {
    const systems = [
      system("kernel", figures(2, 40, 0.1)),
      system("busy", figures(1.5, 35, 0.15)),
      system("gre", figures(0.9, 30, 0.3)),
      system("ovs-gre", figures(0.2, 10, 0.4)),
      system("batch", figures(1.4, 35, 0.3)),
      system("tinc", figures(0.1, 20, 0.25)),
    ];
    const checks = checkTargets(systems, undefined);
    const met = (id: string, target: string): boolean | null | undefined => checks.find((c) => c.system === id && c.target === target)?.met;
    expect(met("busy", "ping RTT avg <= 2x kernel vxlan (busy polling)")).toBe(true);
    expect(met("gre", "TCP 1 stream >= 3x Open vSwitch userspace GRE")).toBe(true);
    expect(met("batch", "ping RTT avg no worse than tinc's")).toBe(false);
    expect(met("batch", "TCP 1 stream >= 10x tinc")).toBe(true);
  });

  it("measures what listening costs against plain batch of the same run: idle client and metrics judged, capture reported", () => {
    const systems = [
      system("batch", figures(2, 40, 0.1)),
      system("batch-idle-client", figures(1.96, 40, 0.1)),
      system("batch-metrics", figures(1.8, 39, 0.1)),
      system("batch-capture", figures(1, 20, 0.1)),
    ];
    const costs = checkTargets(systems, undefined).filter((c) => c.system !== "batch");
    const by = (id: SystemId, figure: string) => costs.find((c) => c.system === id && c.target.startsWith(figure))!;
    expect(by("batch-idle-client", "TCP 1 stream")).toMatchObject({
      target: "TCP 1 stream: no measurable cost vs plain vxswitch --io batch (>= 0.95x)", value: "1.96 Gbit/s vs 2.00 Gbit/s = 0.98x", met: true,
    });
    expect(by("batch-metrics", "TCP 1 stream")).toMatchObject({ target: "TCP 1 stream: < 5 % cost vs plain vxswitch --io batch (>= 0.95x)", met: false });
    expect(by("batch-metrics", "64-byte UDP")).toMatchObject({ value: "39.0 kframes/s vs 40.0 kframes/s = 0.97x", met: true });
    expect(by("batch-capture", "TCP 1 stream")).toMatchObject({ value: "1.00 Gbit/s vs 2.00 Gbit/s = 0.50x", met: null, info: true });
    expect(by("batch-idle-client", "daemon CPU")).toMatchObject({ value: "1.00 s/GB vs 1.00 s/GB = 1.00x", met: null, info: true });
    expect(costs.some((c) => c.target.includes("kernel vxlan"))).toBe(false);
  });

  it("says unknown when kernel vxlan did not run", () => {
    const checks = checkTargets([system("batch", figures(1, 30, 0.3))], undefined);
    expect(checks.find((c) => c.target.startsWith("TCP"))?.met).toBeNull();
    expect(checks.find((c) => c.target.startsWith("FDB"))?.met).toBeNull();
  });

  it("draws one bar per system and metric as a standalone SVG", () => {
    const record: BenchRecord = {
      date: "2025-01-01T00:00:00.000Z",
      command: "npm run bench",
      machine: { cpus: 2, cpuModel: "CPU <x>", kernel: "6.1", node: "v20", iperf3: "iperf 3.12", tinc: null, loadAverage: 0 },
      git: { commit: "abc", modifiedFiles: 0 },
      options: {},
      systems: [system("kernel", figures(2, 40, 0.1)), system("batch", figures(1, 30, 0.3))],
      targets: [],
    };
    const svg = svgChart(record);
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<rect x="\d+" y=/g)).toHaveLength(10);
    // The label column fits the longest label.
    const x = Number(/<rect x="(\d+)" y=/.exec(svg)![1]);
    expect(x).toBeGreaterThanOrEqual("vxswitch --io batch".length * 6);
    expect(svg).toContain("CPU &lt;x&gt;");
  });
});

describe("lab CPU and memory readers", () => {
  it("reads this process's CPU time and peak RSS", () => {
    const cpu = processCpu(process.pid);
    expect(cpu.userSeconds + cpu.systemSeconds).toBeGreaterThan(0);
    const mem = processMemory(process.pid);
    expect(mem.peakRssBytes).toBeGreaterThanOrEqual(mem.rssBytes);
    expect(mem.rssBytes).toBeGreaterThan(1024 * 1024);
  });

  it("reads the machine's CPU time", () => {
    const host = hostCpu();
    expect(host.cpus).toBeGreaterThan(0);
    expect(host.busySeconds).toBeGreaterThan(0);
  });
});
