// The macro benchmark's measurements between two lab containers: ping RTTs, iperf3 TCP (1 and
// 4 streams) and 64-byte UDP, with the CPU time of the overlay daemons around the TCP run.
import { cpuDelta, hostCpu, hostCpuDelta, processCpu, processMemory, type ProcessCpu, type ProcessMemory } from "../lab/cpu.js";
import { nsExecResult, sleep } from "../lab/netns.js";
import type { LabContainer } from "../lab/topology.js";
import { percentile, ping, startIperfServer } from "../lab/traffic.js";

export interface MeasureOptions {
  tcpSeconds: number;
  udpSeconds: number;
  /** UDP payload bytes (64). */
  udpLength: number;
  /** iperf3 -b for UDP: "0" is as fast as the sender can go. */
  udpRate: string;
  pings: number;
  /** Seconds between pings (0.01 needs root, which the lab needs anyway). */
  pingInterval: number;
  /** Seconds of untimed TCP before measuring: ARP, FDB learning, JIT warm-up, tinc UDP keys. */
  warmupSeconds: number;
}

/** A process whose CPU and memory the benchmark reports (vxswitch, tincd). */
export interface Daemon {
  host: string;
  pid: number;
}

export interface PingFigures {
  transmitted: number;
  received: number;
  lossPercent: number;
  avgMs: number | null;
  /** Median: what a ping usually takes, without the scheduling spikes that move the average. */
  p50Ms: number | null;
  p99Ms: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** Every reply's RTT in arrival order, to look at the tail. */
  rttsMs: number[];
}

export interface TcpFigures {
  streams: number;
  /** Goodput at the receiver. */
  bitsPerSecond: number;
  /** Bytes the receiver got. */
  bytes: number;
  seconds: number;
  retransmits: number;
  /** iperf3's own CPU use over the run, percent of one CPU: the sender (client) and receiver (server). */
  senderCpuPercent: number;
  receiverCpuPercent: number;
}

export interface UdpFigures {
  payloadBytes: number;
  offeredRate: string;
  sentPackets: number;
  /** Datagrams the receiver got (sent minus lost, from the receiver's report). */
  deliveredPackets: number;
  lostPercent: number;
  seconds: number;
  sentPps: number;
  deliveredPps: number;
}

export interface CpuFigures {
  /** What the overlay daemons used during the TCP 1-stream run, summed over hosts. */
  daemonSeconds: number;
  daemonUserSeconds: number;
  daemonSystemSeconds: number;
  /** daemonSeconds per GB (1e9 bytes) delivered; null without daemons. */
  daemonSecondsPerGB: number | null;
  perDaemon: (ProcessCpu & { host: string })[];
  /** The whole machine over the same run (all processes, softirq included): a rough total. */
  hostBusySeconds: number;
  hostSoftirqSeconds: number;
  hostSecondsPerGB: number;
  cpus: number;
}

export interface Measurements {
  ping: PingFigures;
  tcp1: TcpFigures;
  tcp4: TcpFigures;
  udp: UdpFigures;
  cpu: CpuFigures;
  memory: (ProcessMemory & { host: string })[];
}

export interface MeasureHooks {
  /** Called right before and after the TCP 1-stream run (e.g. to snapshot switch counters). */
  beforeTcp1?: () => Promise<void>;
  afterTcp1?: () => Promise<void>;
  /** Progress lines. */
  log?: (line: string) => void;
}

const IPERF_PORT = 5201;

/** Percent of all CPUs busy over `ms` (before a system starts: what else the machine is doing). */
export async function machineBusyPercent(ms: number): Promise<number> {
  const before = hostCpu();
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const used = hostCpuDelta(before, hostCpu());
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return used.cpus === 0 ? 0 : Math.min(100, (100 * used.busySeconds) / (wall * used.cpus));
}

/** Runs every measurement from container `from` to container `to` (iperf3 server in `to`). */
export async function measure(from: LabContainer, to: LabContainer, daemons: readonly Daemon[], options: MeasureOptions, hooks: MeasureHooks = {}): Promise<Measurements> {
  const log = hooks.log ?? (() => undefined);
  await waitForPath(from, to);
  const server = await startIperfServer(to.ns, to.address, IPERF_PORT);
  try {
    if (options.warmupSeconds > 0) await iperf(from.ns, to.address, ["-t", String(options.warmupSeconds)]);

    log(`ping x${options.pings} at ${options.pingInterval} s`);
    const pinged = await ping(from.ns, to.address, { count: options.pings, interval: options.pingInterval, timeout: 1 });
    const sorted = [...pinged.rttsMs].sort((a, b) => a - b);
    const pingFigures: PingFigures = {
      transmitted: pinged.transmitted,
      received: pinged.received,
      lossPercent: pinged.lossPercent,
      avgMs: pinged.rttAvgMs ?? null,
      p50Ms: percentile(pinged.rttsMs, 50) ?? null,
      p99Ms: pinged.rttP99Ms ?? null,
      minMs: sorted[0] ?? null,
      maxMs: sorted[sorted.length - 1] ?? null,
      rttsMs: pinged.rttsMs,
    };

    log(`TCP, 1 stream, ${options.tcpSeconds} s`);
    await hooks.beforeTcp1?.();
    const cpuBefore = daemons.map((d) => processCpu(d.pid));
    const hostBefore = hostCpu();
    const tcp1 = tcpFigures(await iperf(from.ns, to.address, ["-t", String(options.tcpSeconds)]), 1);
    const hostUsed = hostCpuDelta(hostBefore, hostCpu());
    const perDaemon = daemons.map((d, i) => ({ host: d.host, ...cpuDelta(cpuBefore[i]!, processCpu(d.pid)) }));
    await hooks.afterTcp1?.();
    const gb = tcp1.bytes / 1e9;
    const daemonUser = perDaemon.reduce((sum, d) => sum + d.userSeconds, 0);
    const daemonSystem = perDaemon.reduce((sum, d) => sum + d.systemSeconds, 0);
    const cpu: CpuFigures = {
      daemonSeconds: daemonUser + daemonSystem,
      daemonUserSeconds: daemonUser,
      daemonSystemSeconds: daemonSystem,
      daemonSecondsPerGB: daemons.length === 0 || gb === 0 ? null : (daemonUser + daemonSystem) / gb,
      perDaemon,
      hostBusySeconds: hostUsed.busySeconds,
      hostSoftirqSeconds: hostUsed.softirqSeconds,
      hostSecondsPerGB: gb === 0 ? 0 : hostUsed.busySeconds / gb,
      cpus: hostUsed.cpus,
    };

    log(`TCP, 4 streams, ${options.tcpSeconds} s`);
    const tcp4 = tcpFigures(await iperf(from.ns, to.address, ["-t", String(options.tcpSeconds), "-P", "4"]), 4);

    log(`UDP, ${options.udpLength}-byte payloads at -b ${options.udpRate}, ${options.udpSeconds} s`);
    const udpReport = await iperf(from.ns, to.address, ["-t", String(options.udpSeconds), "-u", "-l", String(options.udpLength), "-b", options.udpRate]);
    const udp = udpFigures(udpReport, options);

    // VmHWM is the peak since start: read now, after all the load, it is the RSS under load.
    const memory = daemons.map((d) => ({ host: d.host, ...processMemory(d.pid) }));
    return { ping: pingFigures, tcp1, tcp4, udp, cpu, memory };
  } finally {
    await server.stop();
  }
}

/** Pings until the path works (tinc needs its meta connection, kernels their ARP), up to 20 s. */
async function waitForPath(from: LabContainer, to: LabContainer): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    const result = await nsExecResult(from.ns, ["ping", "-n", "-c", "1", "-W", "1", to.address], { timeoutMs: 5_000 });
    if (result.code === 0) return;
    last = result.stdout + result.stderr;
    await sleep(200);
  }
  throw new Error(`no path from ${from.address} to ${to.address} within 20 s:\n${last}`);
}

type Json = Record<string, unknown>;

/** Runs an iperf3 client with --json, bounded in time; resolves with the parsed report. */
async function iperf(ns: string, server: string, args: readonly string[]): Promise<Json> {
  const seconds = Number(args[args.indexOf("-t") + 1] ?? 10);
  const argv = ["iperf3", "-c", server, "-p", String(IPERF_PORT), "--json", "--connect-timeout", "3000", ...args];
  const result = await nsExecResult(ns, argv, { timeoutMs: (seconds + 20) * 1000 });
  let report: unknown;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`\`${argv.join(" ")}\` in ${ns} printed no JSON (exit ${result.code}): ${result.stderr.trim() || result.stdout.slice(0, 500)}`);
  }
  if (!isRecord(report)) throw new Error(`iperf3 in ${ns}: JSON report is not an object`);
  if (typeof report.error === "string") throw new Error(`\`${argv.join(" ")}\` in ${ns}: ${report.error}`);
  if (!isRecord(report.end)) throw new Error(`iperf3 in ${ns}: report has no end section`);
  return report.end;
}

function tcpFigures(end: Json, streams: number): TcpFigures {
  const received = record(end.sum_received, "end.sum_received");
  const sent = record(end.sum_sent, "end.sum_sent");
  const cpu = isRecord(end.cpu_utilization_percent) ? end.cpu_utilization_percent : {};
  return {
    streams,
    bitsPerSecond: num(received.bits_per_second),
    bytes: num(received.bytes),
    seconds: num(received.seconds),
    retransmits: num(sent.retransmits),
    senderCpuPercent: num(cpu.host_total),
    receiverCpuPercent: num(cpu.remote_total),
  };
}

function udpFigures(end: Json, options: MeasureOptions): UdpFigures {
  // iperf3 3.x: sum_received holds the server's view (packets = highest sequence seen, lost_packets).
  const received = record(end.sum_received ?? end.sum, "end.sum_received");
  const sent = record(end.sum_sent ?? end.sum, "end.sum_sent");
  const sentPackets = num(sent.packets);
  const bytes = num(received.bytes);
  const delivered = bytes > 0 ? Math.round(bytes / options.udpLength) : Math.max(0, num(received.packets) - num(received.lost_packets));
  const seconds = num(received.seconds) || options.udpSeconds;
  return {
    payloadBytes: options.udpLength,
    offeredRate: options.udpRate,
    sentPackets,
    deliveredPackets: delivered,
    lostPercent: sentPackets === 0 ? 100 : Math.max(0, (100 * (sentPackets - delivered)) / sentPackets),
    seconds,
    sentPps: sentPackets / (num(sent.seconds) || seconds),
    deliveredPps: delivered / seconds,
  };
}

function record(value: unknown, what: string): Json {
  if (!isRecord(value)) throw new Error(`iperf3 report has no ${what}`);
  return value;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
