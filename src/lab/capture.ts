// Packet captures in a lab namespace: tcpdump writes a pcap (started and stopped explicitly),
// tshark reads it back with display filters to count frames or pull out fields.
import { join } from "node:path";
import { labTempDir, run, spawnIn, type NsProcess } from "./netns.js";

export interface CaptureOptions {
  /** Namespace to capture in (e.g. the lab's switch namespace, or a host). */
  ns: string;
  /** Interface, or "any" (default) for every interface of the namespace. */
  iface?: string;
  /** tcpdump capture filter, e.g. "udp port 4789". */
  filter?: string;
  /**
   * Which direction to keep (tcpdump -Q). On "any" in the switch namespace, "in" sees each
   * underlay packet exactly once: where it enters the underlay bridge from its sending host.
   */
  direction?: "in" | "out" | "inout";
  /** Bytes kept per packet (default 256: enough for outer + VXLAN/GRE + inner headers). */
  snaplen?: number;
  /** UDP ports that tshark should decode as VXLAN (default [4789]). */
  vxlanPorts?: readonly number[];
}

// tshark's expert severities and the group of TCP's sequence analysis (epan/proto.h).
const EXPERT_WARNING = 0x00600000;
const EXPERT_ERROR = 0x00800000;
const EXPERT_GROUP_SEQUENCE = 0x02000000;

/** A frame tshark found malformed or flagged: frame number, expert messages, summary line. */
export interface DissectionProblem {
  frame: number;
  messages: string[];
  info: string;
}

/** A running (or stopped) tcpdump writing to a pcap file. */
export class Capture {
  /** tcpdump's "N packets dropped by kernel", once stopped. */
  kernelDrops: number | undefined;

  private constructor(
    readonly file: string,
    readonly proc: NsProcess,
    private readonly vxlanPorts: readonly number[],
  ) {}

  /** Starts tcpdump and resolves once it is listening (it says so on stderr). */
  static async start(options: CaptureOptions): Promise<Capture> {
    const iface = options.iface ?? "any";
    const file = join(labTempDir(), `capture-${iface}.pcap`);
    const argv = ["tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-Z", "root", "-s", String(options.snaplen ?? 256), "-w", file];
    if (options.direction !== undefined) argv.push("-Q", options.direction);
    if (options.filter !== undefined) argv.push(options.filter);
    const proc = spawnIn(options.ns, argv);
    try {
      await proc.waitFor(/listening on/, { stream: "stderr", timeoutMs: 10_000 });
    } catch (error) {
      await proc.stop("SIGKILL");
      throw error;
    }
    return new Capture(file, proc, options.vxlanPorts ?? [4789]);
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** Stops tcpdump (SIGINT, so it flushes the file) and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.proc.running) return;
    await this.proc.stop("SIGINT", 5_000);
    const dropped = this.proc.stderr.match(/(\d+) packets? dropped by kernel/);
    this.kernelDrops = dropped?.[1] === undefined ? undefined : Number(dropped[1]);
  }

  /** Number of captured frames matching a tshark display filter (all frames if omitted). */
  async count(displayFilter?: string): Promise<number> {
    return (await this.fields(["frame.number"], displayFilter)).length;
  }

  /**
   * One row per frame matching `displayFilter`, with the given tshark fields. A field present
   * several times in a frame (e.g. ip.src, outer and inner) gives its first, outermost, value
   * unless `occurrence` says otherwise ("a" = all, comma-separated; "l" = last).
   */
  async fields(fields: readonly string[], displayFilter?: string, occurrence: "f" | "l" | "a" = "f"): Promise<string[][]> {
    const argv = ["tshark", "-r", this.file, "-n", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", ...this.decodeAs(), "-T", "fields", "-E", `occurrence=${occurrence}`, "-E", "separator=\t"];
    for (const field of fields) argv.push("-e", field);
    if (displayFilter !== undefined) argv.push("-Y", displayFilter);
    const stdout = await run(argv, { timeoutMs: 60_000 }).catch((error: unknown) => {
      // Reading while tcpdump still writes can end mid-packet (exit 2); keep the whole frames.
      if (this.running && error instanceof Error && "stdout" in error && typeof error.stdout === "string") return error.stdout;
      throw error;
    });
    return stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.split("\t"));
  }

  /** Counts frames by the values of some fields, e.g. outer ip.src/ip.dst: {"198.18.0.1 198.18.0.2": 3}. */
  async tally(fields: readonly string[], displayFilter?: string): Promise<Record<string, number>> {
    const tally: Record<string, number> = {};
    for (const row of await this.fields(fields, displayFilter)) {
      const key = row.join(" ");
      tally[key] = (tally[key] ?? 0) + 1;
    }
    return tally;
  }

  /** tshark's one-line summaries of matching frames, for failure messages and the demo. */
  async summary(displayFilter?: string, limit = 50): Promise<string> {
    const argv = ["tshark", "-r", this.file, "-n", ...this.decodeAs()];
    if (displayFilter !== undefined) argv.push("-Y", displayFilter);
    const lines = (await run(argv, { timeoutMs: 60_000 })).split("\n").filter((line) => line.trim() !== "");
    return lines.slice(0, limit).join("\n") + (lines.length > limit ? `\n... ${lines.length - limit} more` : "");
  }

  /**
   * Frames matching `restrict` (e.g. `ip.src == 198.18.0.1`) that tshark finds malformed or
   * flags with an expert warning or error, checksums verified (IP, UDP, TCP; GRE and ICMP always).
   * Not counted: TCP sequence analysis and its warnings (lost, out-of-order, window full, RST),
   * which describe how the traffic fared, not how the packets are built. `dataPorts` are TCP/UDP
   * ports decoded as plain data (iperf3's payload otherwise trips heuristic dissectors: Thrift).
   */
  async dissectionProblems(restrict: string, dataPorts: readonly number[] = [5201]): Promise<DissectionProblem[]> {
    const argv = ["tshark", "-r", this.file, "-n", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
      "-o", "tcp.analyze_sequence_numbers:FALSE", ...this.decodeAs()];
    for (const port of dataPorts) argv.push("-d", `tcp.port==${port},data`, "-d", `udp.port==${port},data`);
    argv.push("-Y", `(${restrict}) && (_ws.malformed || _ws.expert.severity >= warning)`, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
      "-E", "separator=\t", "-e", "frame.number", "-e", "_ws.expert.severity", "-e", "_ws.expert.group", "-e", "_ws.expert.message", "-e", "_ws.col.Info");
    const problems: DissectionProblem[] = [];
    for (const line of (await run(argv, { timeoutMs: 120_000 })).split("\n")) {
      if (line === "") continue;
      const [frame = "", severities = "", groups = "", messages = "", info = ""] = line.split("\t");
      const sev = severities.split("|").map(Number);
      const grp = groups.split("|").map(Number);
      const msg = messages.split("|");
      const kept = msg.filter((_, i) => (sev[i] ?? 0) >= EXPERT_WARNING && !((grp[i] ?? 0) === EXPERT_GROUP_SEQUENCE && (sev[i] ?? 0) < EXPERT_ERROR));
      if (kept.length > 0) problems.push({ frame: Number(frame), messages: kept, info });
    }
    return problems;
  }

  private decodeAs(): string[] {
    return this.vxlanPorts.flatMap((port) => ["-d", `udp.port==${port},vxlan`]);
  }
}
