// Packet captures in a lab namespace: tcpdump writes a pcap (started and stopped explicitly),
// tshark reads it back with display filters to count frames or pull out fields.
import { join } from "node:path";
import { CommandError, labTempDir, run, runLines, spawnIn, type NsProcess } from "./netns.js";

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
  /** tcpdump's capture buffer in KiB (-B), against kernel drops at high packet rates. */
  bufferKiB?: number;
  /** UDP ports that tshark should decode as VXLAN (default [4789]). */
  vxlanPorts?: readonly number[];
}

// tshark's expert severities and the group of TCP's sequence analysis (epan/proto.h).
const EXPERT_WARNING = 0x00600000;
const EXPERT_ERROR = 0x00800000;
const EXPERT_GROUP_SEQUENCE = 0x02000000;

/**
 * An expert item is a problem at warning severity or above (malformed, bad checksum, bad
 * length...), except TCP sequence-analysis warnings (lost, out-of-order, window full, RST): they
 * describe how the traffic fared, not how the packets are built. Nor is a TCP/UDP checksum of
 * 0xffff where 0x0000 was computed: the same number in ones' complement (RFC 1624), and what
 * Linux writes when it completes an offloaded checksum that folds to 0 (CSUM_MANGLED_0).
 */
function isProblem(severity: number, group: number, message: string): boolean {
  if (/^(TCP|UDP) Checksum 0xffff instead of 0x0000/.test(message)) return false;
  return severity >= EXPERT_ERROR || (severity >= EXPERT_WARNING && group !== EXPERT_GROUP_SEQUENCE);
}

/** One frame as tshark dissected it (Capture.inspect). */
export interface DissectedFrame {
  frame: number;
  /** Outermost IP source address. */
  src: string;
  /** The dissected stack, e.g. "sll:ethertype:ip:gre:eth:ethertype:ip:tcp:data". */
  protocols: string;
  /** Expert messages that count as problems; empty for a clean frame. */
  problems: string[];
  /** tshark's summary line. */
  info: string;
  /** The requested fields, all occurrences joined by "|", "" when absent. */
  fields: string[];
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
    if (options.bufferKiB !== undefined) argv.push("-B", String(options.bufferKiB));
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
    const rows: string[][] = [];
    await runLines(argv, (line) => {
      if (line !== "") rows.push(line.split("\t"));
    }, { timeoutMs: 120_000 }).catch((error: unknown) => {
      // Reading while tcpdump still writes can end mid-packet (exit 2); keep the whole frames.
      if (!this.running || !(error instanceof CommandError)) throw error;
    });
    return rows;
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
   * One tshark pass over the frames matching `restrict` (e.g. `ip.src == 198.18.0.1`): per frame
   * its outer source address, the protocol stack tshark dissected, what `fields` hold (all
   * occurrences, joined by "|"), and the expert complaints that count as problems (see
   * DissectedFrame.problems). Checksums are verified (IP, UDP, TCP; GRE and ICMP always).
   * `dataPorts` are TCP/UDP ports decoded as plain data: iperf3's payload otherwise trips
   * heuristic dissectors (Thrift) into false "malformed" verdicts.
   */
  async inspect(restrict: string, fields: readonly string[] = [], dataPorts: readonly number[] = [5201]): Promise<DissectedFrame[]> {
    const argv = ["tshark", "-r", this.file, "-n", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
      "-o", "tcp.analyze_sequence_numbers:FALSE", ...this.decodeAs()];
    for (const port of dataPorts) argv.push("-d", `tcp.port==${port},data`, "-d", `udp.port==${port},data`);
    argv.push("-Y", restrict, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=\t");
    for (const field of ["frame.number", "ip.src", "frame.protocols", "_ws.expert.severity", "_ws.expert.group", "_ws.expert.message", "_ws.col.Info", ...fields]) {
      argv.push("-e", field);
    }
    const frames: DissectedFrame[] = [];
    await runLines(argv, (line) => {
      if (line === "") return;
      const [frame = "", src = "", protocols = "", severities = "", groups = "", messages = "", info = "", ...extra] = line.split("\t");
      const sev = severities.split("|").map(Number);
      const grp = groups.split("|").map(Number);
      const problems = messages === "" ? [] : messages.split("|").filter((m, i) => isProblem(sev[i] ?? 0, grp[i] ?? 0, m));
      frames.push({ frame: Number(frame), src: src.split("|")[0] ?? "", protocols, problems, info, fields: extra });
    }, { timeoutMs: 300_000 });
    return frames;
  }

  private decodeAs(): string[] {
    return this.vxlanPorts.flatMap((port) => ["-d", `udp.port==${port},vxlan`]);
  }
}
