// Bounded traffic inside lab namespaces: ping (loss, rtt avg/p99), iperf3 (throughput,
// retransmits), one hand-made Ethernet frame, and the neighbour table.
import { nsExec, nsExecResult, spawnIn, type NsProcess } from "./netns.js";

export interface PingOptions {
  /** Echo requests to send (default 3). */
  count?: number;
  /** Seconds between requests (default 0.2). */
  interval?: number;
  /** Seconds to wait for each reply (default 1). */
  timeout?: number;
  /** ICMP payload bytes. */
  size?: number;
  /** Set the don't-fragment bit (ping -M do). */
  dontFragment?: boolean;
  /** Allow a broadcast destination (ping -b). */
  broadcast?: boolean;
}

export interface PingResult {
  transmitted: number;
  received: number;
  /** Replies received more than once (ping's "+N duplicates"): a forwarding loop shows here. */
  duplicates: number;
  /** 0..100 */
  lossPercent: number;
  /** Round-trip times of the replies, in ms, in arrival order. */
  rttsMs: number[];
  rttAvgMs: number | undefined;
  rttP99Ms: number | undefined;
  /** ping's output, for failure messages. */
  output: string;
}

/** Pings from a namespace; never rejects on loss (inspect the result), only if ping cannot run. */
export async function ping(ns: string, target: string, options: PingOptions = {}): Promise<PingResult> {
  const count = options.count ?? 3;
  const interval = options.interval ?? 0.2;
  const timeout = options.timeout ?? 1;
  const argv = ["ping", "-n", "-c", String(count), "-i", String(interval), "-W", String(timeout)];
  if (options.size !== undefined) argv.push("-s", String(options.size));
  if (options.dontFragment === true) argv.push("-M", "do");
  if (options.broadcast === true) argv.push("-b");
  argv.push(target);
  // ping paces a little slower than -i says (timer slack): 5 % over a long run, plus the last wait.
  const bound = Math.ceil((count * interval * 1.05 + timeout + 5) * 1000);
  const result = await nsExecResult(ns, argv, { timeoutMs: bound });
  const output = result.stdout + result.stderr;
  if (result.code !== 0 && result.code !== 1) throw new Error(`ping ${target} in ${ns} failed (exit ${result.code}):\n${output}`);
  return parsePing(output);
}

/** Parses iputils ping output: per-reply `time=` values and the transmitted/received summary. */
export function parsePing(output: string): PingResult {
  const rttsMs: number[] = [];
  for (const match of output.matchAll(/bytes from .*?time=([\d.]+) ms(?! \(DUP!\))/g)) rttsMs.push(Number(match[1]));
  const summary = output.match(/(\d+) packets transmitted, (\d+) (?:packets )?received/);
  const transmitted = summary === null ? 0 : Number(summary[1]);
  const received = summary === null ? rttsMs.length : Number(summary[2]);
  const duplicates = Number(output.match(/\+(\d+) duplicates/)?.[1] ?? 0);
  return {
    transmitted,
    received,
    duplicates,
    lossPercent: transmitted === 0 ? 100 : (100 * (transmitted - received)) / transmitted,
    rttsMs,
    rttAvgMs: rttsMs.length === 0 ? undefined : rttsMs.reduce((a, b) => a + b, 0) / rttsMs.length,
    rttP99Ms: percentile(rttsMs, 99),
    output,
  };
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

// ---------------------------------------------------------------------------------------------
// iperf3

export interface IperfServer {
  ns: string;
  address: string;
  port: number;
  proc: NsProcess;
  stop(): Promise<void>;
}

/** Starts `iperf3 -s` bound to an address and resolves once it listens. */
export async function startIperfServer(ns: string, address: string, port = 5201): Promise<IperfServer> {
  const proc = spawnIn(ns, ["iperf3", "-s", "--forceflush", "-B", address, "-p", String(port)]);
  try {
    await proc.waitFor(/Server listening/, { stream: "stdout", timeoutMs: 10_000 });
  } catch (error) {
    await proc.stop("SIGKILL");
    throw error;
  }
  return {
    ns,
    address,
    port,
    proc,
    stop: async () => {
      await proc.stop("SIGTERM", 3_000);
    },
  };
}

export interface IperfOptions {
  /** Test length in seconds (default 3). */
  seconds?: number;
  /** Server sends, client receives (-R). */
  reverse?: boolean;
  /** UDP at this bitrate (e.g. "100M") instead of TCP. */
  udpBitrate?: string;
  /** Parallel streams (-P). */
  parallel?: number;
  port?: number;
}

export interface IperfResult {
  /** Goodput at the receiver. */
  bitsPerSecond: number;
  /** Sender side. */
  sentBitsPerSecond: number;
  /** TCP retransmits (0 for UDP). */
  retransmits: number;
  /** UDP lost datagrams percentage (0 for TCP). */
  lostPercent: number;
  seconds: number;
  /** Bytes the sender sent (retransmissions not counted twice). */
  bytesSent: number;
  /** TCP maximum segment size iperf3 saw (0 when it did not say, and for UDP). */
  mss: number;
}

/** Runs an iperf3 client (bounded: seconds + connect timeout) and parses its --json report. */
export async function iperfClient(ns: string, server: string, options: IperfOptions = {}): Promise<IperfResult> {
  const seconds = options.seconds ?? 3;
  const argv = ["iperf3", "-c", server, "-p", String(options.port ?? 5201), "-t", String(seconds), "--json", "--connect-timeout", "3000"];
  if (options.reverse === true) argv.push("-R");
  if (options.udpBitrate !== undefined) argv.push("-u", "-b", options.udpBitrate);
  if (options.parallel !== undefined) argv.push("-P", String(options.parallel));
  const result = await nsExecResult(ns, argv, { timeoutMs: (seconds + 15) * 1000 });
  try {
    return parseIperfJson(result.stdout);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`iperf3 to ${server} from ${ns} failed (exit ${result.code}): ${why}\n${result.stdout.slice(0, 2000)}${result.stderr}`);
  }
}

/** Parses `iperf3 --json` (TCP or UDP). */
export function parseIperfJson(text: string): IperfResult {
  const report: unknown = JSON.parse(text);
  if (!isRecord(report)) throw new Error("iperf3 JSON is not an object");
  if (typeof report.error === "string") throw new Error(`iperf3: ${report.error}`);
  const end = report.end;
  if (!isRecord(end)) throw new Error("iperf3 JSON has no end section");
  const sent = isRecord(end.sum_sent) ? end.sum_sent : isRecord(end.sum) ? end.sum : undefined;
  const received = isRecord(end.sum_received) ? end.sum_received : isRecord(end.sum) ? end.sum : undefined;
  if (sent === undefined || received === undefined) throw new Error("iperf3 JSON has no end.sum_sent/sum_received");
  const start = isRecord(report.start) ? report.start : {};
  return {
    bitsPerSecond: num(received.bits_per_second),
    sentBitsPerSecond: num(sent.bits_per_second),
    retransmits: num(sent.retransmits),
    lostPercent: num(received.lost_percent ?? sent.lost_percent),
    seconds: num(sent.seconds),
    bytesSent: num(sent.bytes),
    mss: num(start.tcp_mss_default ?? start.tcp_mss),
  };
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Hand-made frames and neighbours

/** Ethertype 0x88B5, IEEE 802 "local experimental": no stack reacts to it, so it is easy to count. */
export const EXPERIMENTAL_ETHERTYPE = 0x88b5;

const SEND_FRAME_PY = `
import socket, sys
iface, dst, ethertype, payload, count = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4].encode(), int(sys.argv[5])
src = open("/sys/class/net/%s/address" % iface).read().strip()
frame = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", "")) + ethertype.to_bytes(2, "big") + payload
frame = frame.ljust(60, b"\\0")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for _ in range(count):
    s.send(frame)
`;

export interface FrameOptions {
  /** Destination MAC (default broadcast). */
  dst?: string;
  ethertype?: number;
  /** ASCII payload, padded to the Ethernet minimum. */
  payload?: string;
  /** Frames to send (default 1). */
  count?: number;
}

/** Sends raw Ethernet frames from an interface in a namespace (python3, AF_PACKET). */
export async function sendFrame(ns: string, iface: string, options: FrameOptions = {}): Promise<void> {
  const ethertype = options.ethertype ?? EXPERIMENTAL_ETHERTYPE;
  await nsExec(ns, [
    "python3",
    "-c",
    SEND_FRAME_PY,
    iface,
    options.dst ?? "ff:ff:ff:ff:ff:ff",
    `0x${ethertype.toString(16)}`,
    options.payload ?? "vxswitch lab",
    String(options.count ?? 1),
  ]);
}

export interface Neighbour {
  dst: string;
  dev: string;
  lladdr: string | undefined;
  state: string[];
}

/** `ip -j neigh show` in a namespace. */
export async function neighbours(ns: string, dev?: string): Promise<Neighbour[]> {
  const argv = ["ip", "-j", "neigh", "show"];
  if (dev !== undefined) argv.push("dev", dev);
  const parsed: unknown = JSON.parse((await nsExec(ns, argv)) || "[]");
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isRecord).map((entry) => ({
    dst: String(entry.dst),
    dev: typeof entry.dev === "string" ? entry.dev : (dev ?? ""),
    lladdr: typeof entry.lladdr === "string" ? entry.lladdr : undefined,
    state: Array.isArray(entry.state) ? entry.state.map(String) : [],
  }));
}
