// `npm run bench:hops`: where a ping's round trip goes, hop by hop. Builds the two-host lab, runs
// one overlay (vxswitch in a given mode, or tinc), captures on every interface a ping crosses
// (container veth, overlay TAP, underlay u0, on both hosts) and pairs the kernel's capture
// timestamps of each echo request and reply. The crossings of the overlay daemon (TAP -> u0 and
// u0 -> TAP) come out separately from the kernel's own bridge and veth hops.
import { parseArgs } from "node:util";
import { Capture } from "../lab/capture.js";
import { startVxswitchMesh, stopMesh, type MeshMember } from "../lab/mesh.js";
import { sleep } from "../lab/netns.js";
import { startTincSwitch, stopTinc, type TincNode } from "../lab/tinc.js";
import { Lab } from "../lab/topology.js";
import { percentile, ping } from "../lab/traffic.js";
import { runMainIfEntry } from "../lab/run-main.js";

const USAGE = `usage: npm run bench:hops -- [--system batch|busy|dgram|tinc] [--interval S] [--count N]

Two hosts in network namespaces vxs-<pid>-..., one overlay, N pings (default 200) at S seconds
(default 0.01) from the container on h1 to the one on h2, captured on every interface on the way.
Prints the median and mean time of each hop for requests and replies. Needs root.`;

/** Capture points in path order on one host: container veth (bridge port), overlay TAP, underlay. */
type Point = "veth" | "tap" | "u0";

interface Stamped {
  /** "h1:veth" -> capture time in µs, per ICMP sequence number and type. */
  [point: string]: number;
}

export interface HopFigure {
  hop: string;
  medianUs: number;
  meanUs: number;
  samples: number;
}

/** Hop (a, b) per direction, in the order a request and its reply cross them. */
const REQUEST: Array<[string, string]> = [["h1:veth", "h1:tap"], ["h1:tap", "h1:u0"], ["h1:u0", "h2:u0"], ["h2:u0", "h2:tap"], ["h2:tap", "h2:veth"]];
const REPLY: Array<[string, string]> = [["h2:veth", "h2:tap"], ["h2:tap", "h2:u0"], ["h2:u0", "h1:u0"], ["h1:u0", "h1:tap"], ["h1:tap", "h1:veth"]];

const DAEMON_HOPS = new Set(["h1:tap -> h1:u0", "h2:u0 -> h2:tap", "h2:tap -> h2:u0", "h1:u0 -> h1:tap"]);

/** Pairs request and reply stamps per sequence number into per-hop figures. */
export function hopFigures(stamps: Map<string, Stamped>): HopFigure[] {
  const samples = new Map<string, number[]>();
  const add = (hop: string, us: number | undefined): void => {
    if (us === undefined || !Number.isFinite(us)) return;
    const list = samples.get(hop) ?? [];
    list.push(us);
    samples.set(hop, list);
  };
  const seqs = new Set([...stamps.keys()].map((k) => k.split("/")[0]!));
  for (const seq of seqs) {
    const request = stamps.get(`${seq}/8`);
    const reply = stamps.get(`${seq}/0`);
    if (request === undefined || reply === undefined) continue;
    for (const [a, b] of REQUEST) add(`request ${a} -> ${b}`, diff(request, a, b));
    // TAP to TAP: both daemons and the underlay, also where u0 is not dissected (tinc's UDP).
    add("request h1:tap -> h2:tap (daemon, wire, daemon)", diff(request, "h1:tap", "h2:tap"));
    add("h2 container answers (h2:veth request -> reply)", diff({ a: request["h2:veth"]!, b: reply["h2:veth"]! }, "a", "b"));
    for (const [a, b] of REPLY) add(`reply   ${a} -> ${b}`, diff(reply, a, b));
    add("reply   h2:tap -> h1:tap (daemon, wire, daemon)", diff(reply, "h2:tap", "h1:tap"));
    add("round trip at h1:veth", diff({ a: request["h1:veth"]!, b: reply["h1:veth"]! }, "a", "b"));
  }
  return [...samples].map(([hop, list]) => ({
    hop,
    medianUs: percentile(list, 50) ?? NaN,
    meanUs: list.reduce((s, v) => s + v, 0) / list.length,
    samples: list.length,
  }));
}

function diff(stamped: Stamped, a: string, b: string): number | undefined {
  const ta = stamped[a];
  const tb = stamped[b];
  return ta === undefined || tb === undefined ? undefined : tb - ta;
}

interface Settings {
  system: "batch" | "busy" | "dgram" | "tinc";
  interval: number;
  count: number;
}

function parseSettings(argv: string[]): Settings | undefined {
  const { values } = parseArgs({ args: argv, options: { system: { type: "string" }, interval: { type: "string" }, count: { type: "string" }, help: { type: "boolean" } } });
  if (values.help === true) return undefined;
  const system = values.system ?? "batch";
  if (system !== "batch" && system !== "busy" && system !== "dgram" && system !== "tinc") throw new Error(`--system ${system}: one of batch, busy, dgram, tinc`);
  const interval = Number(values.interval ?? "0.01");
  if (!(interval >= 0.002 && interval <= 1)) throw new Error(`--interval ${values.interval}: seconds between pings, 0.002..1`);
  const count = Number(values.count ?? "200");
  if (!Number.isInteger(count) || count < 10 || count > 2000) throw new Error(`--count ${values.count}: 10..2000 pings`);
  return { system, interval, count };
}

async function main(): Promise<number> {
  let settings: Settings | undefined;
  try {
    settings = parseSettings(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (settings === undefined) {
    console.log(USAGE);
    return 0;
  }
  const lab = await Lab.create({ hosts: 2, label: "hops" });
  let mesh: MeshMember[] | undefined;
  let tinc: TincNode[] | undefined;
  const captures: Array<{ host: string; point: Point; capture: Capture }> = [];
  try {
    await lab.checkUnderlay();
    let tap = "vxtap42";
    if (settings.system === "tinc") {
      tinc = await startTincSwitch(lab);
      tap = tinc[0]!.tap;
    } else {
      const io = settings.system === "dgram" ? "dgram" : "batch";
      mesh = await startVxswitchMesh(lab, { io, extraArgs: settings.system === "busy" ? ["--busy-poll", "20000"] : [] });
    }
    const [c1, c2] = [lab.container(1), lab.container(2)];
    await ping(c1.ns, c2.address, { count: 5, interval: 0.05 });
    for (const [i, host] of lab.hosts.entries()) {
      const container = lab.container(i + 1);
      const points: Array<[Point, string, string]> = [["veth", container.hostIf, "icmp"], ["tap", tap, "icmp"], ["u0", host.underlayIf, settings.system === "tinc" ? "udp port 655" : "udp port 4789"]];
      for (const [point, iface, filter] of points) {
        captures.push({ host: host.name, point, capture: await Capture.start({ ns: host.ns, iface, filter, snaplen: 256, vxlanPorts: [4789] }) });
      }
    }
    await sleep(300);
    const pinged = await ping(c1.ns, c2.address, { count: settings.count, interval: settings.interval });
    await sleep(300);
    const stamps = new Map<string, Stamped>();
    for (const { host, point, capture } of captures) {
      await capture.stop();
      // tinc's UDP payload is not dissected as Ethernet: on u0 only the VXLAN captures have ICMP fields.
      for (const [time, seq, type] of await capture.fields(["frame.time_epoch", "icmp.seq", "icmp.type"], "icmp", "l")) {
        const key = `${seq}/${type}`;
        const row = stamps.get(key) ?? {};
        row[`${host}:${point}`] = Number(time) * 1e6;
        stamps.set(key, row);
      }
    }
    console.log(`${settings.system}: ${pinged.received}/${pinged.transmitted} pings at ${settings.interval} s, ping's own median RTT ${percentile(pinged.rttsMs, 50)?.toFixed(3)} ms\n`);
    console.log(`${"hop".padEnd(52)} ${"median µs".padStart(10)} ${"mean µs".padStart(10)}  n`);
    for (const f of hopFigures(stamps)) {
      const mark = DAEMON_HOPS.has(f.hop.replace(/^(request|reply) +/, "")) ? "  <- overlay daemon" : "";
      console.log(`${f.hop.padEnd(52)} ${f.medianUs.toFixed(1).padStart(10)} ${f.meanUs.toFixed(1).padStart(10)}  ${f.samples}${mark}`);
    }
    return 0;
  } finally {
    for (const { capture } of captures) await capture.stop().catch(() => undefined);
    if (mesh !== undefined) await stopMesh(mesh);
    if (tinc !== undefined) await stopTinc(tinc);
    await lab.destroy();
  }
}

runMainIfEntry(import.meta.url, "hops", main);
