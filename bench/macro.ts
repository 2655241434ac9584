// `npm run bench`: the netns macro benchmark. Builds the same two-host lab for each system in
// turn (raw underlay, kernel vxlan, vxswitch's modes, Open vSwitch userspace, tinc), measures TCP,
// 64-byte UDP, ping RTT, daemon CPU per GB and RSS, prints ratios to kernel vxlan, and records
// the run. Underlays keep the offloads a new veth has; only Open vSwitch turns TX checksum
// offload off, on its own side, as its userspace datapath needs.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, release } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { cleanupAll, cleanupAllSync } from "../lab/netns.js";
import { tincVersion } from "../lab/tinc.js";
import { Lab } from "../lab/topology.js";
import { repoRoot } from "../lab/vxswitch-process.js";
import { machineBusyPercent, measure, type MeasureOptions } from "./measure.js";
import {
  checkTargets,
  counterLines,
  markdownTable,
  offloadLines,
  svgChart,
  targetLines,
  targetMarkdown,
  textTable,
  type BenchRecord,
  type FdbFigure,
  type MachineInfo,
  type RoundRecord,
  type SystemRecord,
} from "./report.js";
import { combineRounds } from "./rounds.js";
import { counterDelta, SYSTEM_IDS, SYSTEMS, type RunningSystem, type SwitchCounters, type SystemId } from "./systems.js";
import { runMain } from "../lab/run-main.js";

/** Below this much CPU use (percent of all CPUs) the machine counts as quiet. */
const QUIET_PERCENT = 20;

const USAGE = `usage: npm run bench -- [--quick] [--only ${SYSTEM_IDS.join(",")}] [--repeat N] [--tcp-seconds N]
                       [--udp-seconds N] [--pings N] [--udp-rate RATE] [--wait-quiet S] [--no-record]

For each system builds two hosts as network namespaces vxs-<pid>-... behind an underlay bridge
(198.18.0.0/24, veths with the offloads the kernel gives them; only the Open vSwitch systems turn
TX checksum offload off, on OVS's own side) with a container behind each host's br0 (10.42.0.N/24),
then measures container to container: ping RTT (avg, p99), iperf3 TCP
with 1 and 4 streams, iperf3 UDP with 64-byte payloads (delivered frames/s and loss), the CPU
seconds per delivered GB of the overlay daemons during the 1-stream run, and their peak RSS.
Prints a table with ratios to kernel vxlan, writes bench/out/<date>.json and .svg and appends the
table to bench/RESULTS.md (not with --no-record). Needs root; bench/setup.sh installs iperf3 and tinc.

  --quick           shorter runs (2 s TCP/UDP, 100 pings)
  --only LIST       systems to run, comma-separated: ${SYSTEM_IDS.join(", ")} (default all)
  --repeat N        N rounds over all systems, interleaved; each test reports its median round
                    (default 1; about 2 minutes a round, 1 with --quick)
  --udp-rate RATE   iperf3 -b for the UDP run (default 0: as fast as the sender goes)
  --wait-quiet S    before each round wait up to S seconds for the machine to be under ${QUIET_PERCENT}% busy
                    (other builds and tests on a shared machine skew every figure; default 0)`;

/** Hard limit per round: whatever hangs, the lab is removed before this. */
const ROUND_TIME_LIMIT_MS = 570_000;

interface Settings {
  systems: SystemId[];
  measure: MeasureOptions;
  record: boolean;
  quick: boolean;
  repeat: number;
  waitQuietSeconds: number;
}

function parseSettings(argv: string[]): Settings | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "tcp-seconds": { type: "string" },
      "udp-seconds": { type: "string" },
      pings: { type: "string" },
      repeat: { type: "string" },
      "wait-quiet": { type: "string" },
      "udp-rate": { type: "string", default: "0" },
      "no-record": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick;
  const systems = values.only === undefined ? [...SYSTEM_IDS] : values.only.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of systems) {
    if (!(SYSTEM_IDS as readonly string[]).includes(s)) throw new Error(`--only: unknown system "${s}" (choose from ${SYSTEM_IDS.join(", ")})`);
  }
  const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: ${min}..${max}, not ${value}`);
    return n;
  };
  const rate = values["udp-rate"];
  if (!/^\d+(\.\d+)?[KMG]?$/.test(rate)) throw new Error(`--udp-rate: an iperf3 bitrate such as 0, 200M or 1G, not ${rate}`);
  return {
    systems: SYSTEM_IDS.filter((id) => systems.includes(id)),
    quick,
    record: !values["no-record"],
    repeat: int("repeat", values.repeat, 1, 1, 5),
    waitQuietSeconds: int("wait-quiet", values["wait-quiet"], 0, 0, 600),
    measure: {
      tcpSeconds: int("tcp-seconds", values["tcp-seconds"], quick ? 2 : 5, 1, 30),
      udpSeconds: int("udp-seconds", values["udp-seconds"], quick ? 2 : 5, 1, 30),
      udpLength: 64,
      udpRate: rate,
      pings: int("pings", values.pings, quick ? 100 : 200, 10, 1000),
      pingInterval: 0.01,
      warmupSeconds: quick ? 1 : 2,
    },
  };
}

function firstLine(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).split("\n")[0]!.trim();
  } catch {
    return "";
  }
}

async function machineInfo(): Promise<MachineInfo> {
  const cpuModel = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  return {
    cpus: Number(firstLine(["nproc"])) || 0,
    cpuModel,
    kernel: release(),
    node: process.version,
    iperf3: firstLine(["iperf3", "--version"]).replace(/\s*\(cJSON.*$/, "") || "not installed",
    tinc: (await tincVersion()) ?? null,
    loadAverage: loadavg()[0] ?? 0,
  };
}

function gitInfo(root: string): { commit: string; modifiedFiles: number } {
  const commit = firstLine(["git", "-C", root, "rev-parse", "--short", "HEAD"]) || "unknown";
  let modifiedFiles = 0;
  try {
    modifiedFiles = execFileSync("git", ["-C", root, "status", "--porcelain"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")
      .filter((l) => l.trim() !== "").length;
  } catch {
    // Not a git checkout.
  }
  return { commit, modifiedFiles };
}

/** The FDB lookup figure of the newest `npm run bench:micro` record, if there is one. */
function newestFdbFigure(outDir: string): FdbFigure | undefined {
  if (!existsSync(outDir)) return undefined;
  const files = readdirSync(outDir).filter((f) => /^micro-.*\.json$/.test(f)).sort();
  const file = files[files.length - 1];
  if (file === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(outDir, file), "utf8"));
    const suites = typeof parsed === "object" && parsed !== null && "suites" in parsed ? parsed.suites : undefined;
    const fdb = typeof suites === "object" && suites !== null && "fdb" in suites ? suites.fdb : undefined;
    if (!Array.isArray(fdb)) return undefined;
    const lookups: { task: string; nsPerOp: number }[] = [];
    for (const r of fdb as unknown[]) {
      if (typeof r !== "object" || r === null || !("task" in r) || !("nsPerOp" in r)) continue;
      if (typeof r.task === "string" && typeof r.nsPerOp === "number" && /^lookup .*1M entries/.test(r.task)) lookups.push({ task: r.task, nsPerOp: r.nsPerOp });
    }
    const main = lookups.find((l) => l.task === "lookup hit, random, 1M entries");
    if (main !== undefined) return { nsPerLookup: main.nsPerOp, task: main.task, file: `bench/out/${file}`, others: lookups.filter((l) => l !== main) };
  } catch {
    // An unreadable record is as good as none.
  }
  return undefined;
}

async function runRound(id: SystemId, round: number, settings: Settings, log: (line: string) => void): Promise<RoundRecord> {
  const spec = SYSTEMS[id];
  let backgroundBusyPercent = await machineBusyPercent(settings.quick ? 500 : 1000);
  const quietBy = Date.now() + settings.waitQuietSeconds * 1000;
  if (backgroundBusyPercent >= QUIET_PERCENT && settings.waitQuietSeconds > 0) log(`waiting up to ${settings.waitQuietSeconds} s for the machine to be under ${QUIET_PERCENT}% busy`);
  while (backgroundBusyPercent >= QUIET_PERCENT && Date.now() < quietBy) backgroundBusyPercent = await machineBusyPercent(1000);
  const t0 = Date.now();
  const done = (r: Omit<RoundRecord, "round" | "wallSeconds" | "backgroundBusyPercent">): RoundRecord => ({ round, wallSeconds: (Date.now() - t0) / 1000, backgroundBusyPercent, ...r });
  const unavailable = await spec.unavailable();
  if (unavailable !== undefined) return done({ status: "skipped", reason: unavailable });
  if (backgroundBusyPercent >= QUIET_PERCENT) log(`warning: the machine was ${backgroundBusyPercent.toFixed(0)}% busy before this round: figures will be skewed`);
  let lab: Lab | undefined;
  let running: RunningSystem | undefined;
  try {
    lab = await Lab.create({ hosts: 2, label: `bench-${id}` });
    await lab.checkUnderlay();
    running = await spec.start(lab);
    const sys = running;
    let before: SwitchCounters[] | undefined;
    let tcp1Counters: SwitchCounters[] | undefined;
    const results = await measure(lab.container(1), lab.container(2), sys.daemons, settings.measure, {
      log,
      beforeTcp1: async () => {
        before = await sys.counters?.();
      },
      afterTcp1: async () => {
        const after = await sys.counters?.();
        if (before !== undefined && after !== undefined) tcp1Counters = counterDelta(before, after);
      },
    });
    return done({ status: "ok", results, tcp1Counters, info: sys.info });
  } catch (error) {
    return done({ status: "failed", reason: error instanceof Error ? error.message : String(error), info: running?.info });
  } finally {
    await running?.stop().catch(() => undefined);
    await lab?.destroy().catch((error: unknown) => log(`teardown: ${error instanceof Error ? error.message : String(error)}`));
  }
}

function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
}

function commandLine(argv: string[]): string {
  const base = process.env.npm_lifecycle_event === "bench" ? "npm run bench" : "node dist/bench/macro.js";
  if (argv.length === 0) return base;
  return base.startsWith("npm") ? `${base} -- ${argv.join(" ")}` : `${base} ${argv.join(" ")}`;
}

function resultsHeader(): string {
  return `# vxswitch benchmark results

Recorded by \`npm run bench\` (bench/macro.ts): one section per run, newest last. Each run builds the
same two-host network-namespace lab for every system and measures container to container; the
ratios in parentheses are to kernel vxlan **of the same run and lab** (absolute numbers drift between
machines and runs, ratios within a run hold). Raw figures per run are written to
bench/out/<date>.json and a bar chart to bench/out/<date>.svg on the machine that ran it. Columns:

- TCP: iperf3 goodput at the receiver, 1 stream and 4 streams (-P 4).
- UDP 64 B: iperf3 -u -l 64 at the given -b; frames/s delivered to the receiver, loss = 1 - delivered/sent.
- RTT: ping -i 0.01, average, median and 99th percentile of the per-packet times.
- daemon CPU s/GB: user+system CPU seconds of the overlay daemons (vxswitch or tincd, both
  hosts) during the TCP 1-stream run per 10^9 bytes delivered; n/a where the datapath is the kernel's.
- daemon RSS MB: VmHWM of the largest overlay daemon after the load.
`;
}

function backgroundSummary(systems: readonly SystemRecord[]): string {
  return systems.map((s) => `${s.id} ${s.backgroundBusyPercent.map((p) => `${p.toFixed(0)}%`).join("/")}`).join(", ");
}

function recordMarkdown(record: BenchRecord, jsonFile: string, svgFile: string, settings: Settings): string {
  const m = record.machine;
  const o = settings.measure;
  const lines = [
    "",
    `## ${record.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`,
    "",
    `- command: \`${record.command}\``,
    `- machine: ${m.cpus} CPUs (nproc), ${m.cpuModel}, Linux ${m.kernel}, node ${m.node}, ${m.iperf3}, ${m.tinc ?? "tinc not installed"}; load average ${m.loadAverage.toFixed(2)} at start`,
    `- vxswitch under test: the working tree at git ${record.git.commit}${record.git.modifiedFiles > 0 ? ` + ${record.git.modifiedFiles} uncommitted changes` : ""}`,
    `- settings: ${settings.repeat === 1 ? "1 round" : `${settings.repeat} interleaved rounds (each test: its median round)`}, TCP ${o.tcpSeconds} s per run after ${o.warmupSeconds} s of warm-up, UDP ${o.udpLength}-byte payloads at -b ${o.udpRate} for ${o.udpSeconds} s, ${o.pings} pings at ${o.pingInterval} s; underlay veths with the offloads a new veth has; only the Open vSwitch systems turn TX checksum offload off, on their own side (the switch port toward the OVS host and its containers' veths), as OVS's userspace datapath needs`,
    `- other work on the machine (CPU busy just before each round, all CPUs): ${backgroundSummary(record.systems)}`,
    ...offloadLines(record.systems).map((l) => `- ${l}`),
    `- raw data (kept locally, bench/out/ is git-ignored): [${jsonFile}](${jsonFile.replace(/^bench\//, "")}), chart: [${svgFile}](${svgFile.replace(/^bench\//, "")})`,
    "",
    "Underlay as users have it (default veth offloads); ratios to kernel vxlan on it:",
    "",
    markdownTable(record.systems),
    "",
    "Targets:",
    "",
    ...targetMarkdown(record.targets),
  ];
  const counters = counterLines(record.systems);
  if (counters.length > 0) lines.push("", "Where the time goes (TCP 1-stream run):", "", ...counters.map((l) => `- ${l}`));
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const settings = parseSettings(args);
  if (settings === undefined) {
    console.log(USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    console.error("the benchmark builds network namespaces: run it as root (or with CAP_NET_ADMIN and CAP_SYS_ADMIN)");
    return 1;
  }
  if (firstLine(["iperf3", "--version"]) === "") {
    console.error("iperf3 is not installed: run bench/setup.sh");
    return 1;
  }
  const timeLimitMs = (ROUND_TIME_LIMIT_MS + settings.waitQuietSeconds * 1000 * settings.systems.length) * settings.repeat;
  const watchdog = setTimeout(() => {
    console.error(`\nbenchmark exceeded ${timeLimitMs / 1000} s: removing the lab and giving up`);
    cleanupAllSync();
    process.exit(1);
  }, timeLimitMs);
  watchdog.unref();

  const root = repoRoot();
  const outDir = join(root, "bench", "out");
  const started = new Date();
  const machine = await machineInfo();
  const o = settings.measure;
  console.log(`vxswitch macro benchmark: ${settings.systems.join(", ")}; TCP ${o.tcpSeconds} s, UDP ${o.udpLength} B at -b ${o.udpRate} for ${o.udpSeconds} s, ${o.pings} pings`);
  console.log(`machine: ${machine.cpus} CPUs, ${machine.cpuModel}, Linux ${machine.kernel}, ${machine.iperf3}, load ${machine.loadAverage.toFixed(2)}`);

  const rounds = new Map<SystemId, RoundRecord[]>(settings.systems.map((id) => [id, []]));
  try {
    // Rounds interleave the systems, so a burst of other work on the machine hits them all alike.
    for (let round = 1; round <= settings.repeat; round++) {
      if (settings.repeat > 1) console.log(`\n== round ${round} of ${settings.repeat}`);
      for (const id of settings.systems) {
        const tag = settings.repeat > 1 ? `${id} ${round}` : id;
        console.log(`\n[${tag}] ${SYSTEMS[id].label}: ${SYSTEMS[id].setup}`);
        const r = await runRound(id, round, settings, (line) => console.log(`[${tag}]   ${line}`));
        rounds.get(id)!.push(r);
        if (r.status !== "ok") console.log(`[${tag}] ${r.status}: ${r.reason ?? ""}`);
        else console.log(`[${tag}] done in ${r.wallSeconds.toFixed(1)} s (machine ${r.backgroundBusyPercent.toFixed(0)}% busy before)`);
      }
    }
  } finally {
    await cleanupAll();
  }
  const systems: SystemRecord[] = settings.systems.map((id) => combineRounds(SYSTEMS[id], rounds.get(id)!));

  const record: BenchRecord = {
    date: started.toISOString(),
    command: commandLine(args),
    machine,
    git: gitInfo(root),
    options: { ...settings.measure, systems: settings.systems, quick: settings.quick, repeat: settings.repeat },
    systems,
    targets: checkTargets(systems, newestFdbFigure(outDir)),
  };
  console.log(`\nResults, underlay as users have it (ratios to kernel vxlan of this run on it):\n\n${textTable(systems)}\n`);
  console.log(targetLines(record.targets).join("\n"));
  console.log(`\nother work on the machine (CPU busy before each round): ${backgroundSummary(systems)}`);
  const offloads = offloadLines(systems);
  if (offloads.length > 0) console.log(offloads.join("\n"));
  const counters = counterLines(systems);
  if (counters.length > 0) console.log(`\n${counters.join("\n")}`);

  mkdirSync(outDir, { recursive: true });
  const name = stamp(started);
  const jsonPath = join(outDir, `${name}.json`);
  const svgPath = join(outDir, `${name}.svg`);
  writeFileSync(jsonPath, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(svgPath, svgChart(record));
  const rel = (p: string): string => relative(root, p);
  console.log(`\nwrote ${rel(jsonPath)} and ${rel(svgPath)}`);
  if (settings.record) {
    const resultsPath = join(root, "bench", "RESULTS.md");
    if (!existsSync(resultsPath)) writeFileSync(resultsPath, resultsHeader());
    appendFileSync(resultsPath, recordMarkdown(record, rel(jsonPath), rel(svgPath), settings));
    console.log(`appended the table to ${rel(resultsPath)}`);
  }
  clearTimeout(watchdog);
  return systems.some((s) => s.status === "failed") ? 1 : 0;
}

runMain("benchmark", main);
