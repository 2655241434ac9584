// capture and trace on two vxswitches over Ethernet-over-GRE with key 42: an inner capture of N pings
// holds exactly those frames, the outer capture is dissected by tshark as GRE (protocol 0x6558, key 42)
// around them, and the live trace shows forward and flood.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startVxswitchMesh } from "../../lab/mesh.js";
import { labTempDir, nsExec, type NsProcess } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { vxswitchArgv, type VxswitchProcess } from "../../lab/vxswitch-process.js";
import { attachStream, tearDown } from "../helpers/cli-streams.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const PINGS = 5;
const KEY = 42;
/** An overlay address no container has. */
const NOBODY = "10.42.0.99";

describeLab(`capture and trace over GRE (two hosts, key ${KEY})`, () => {
  let lab: Lab;
  const switches: VxswitchProcess[] = [];
  const running: NsProcess[] = [];
  let h1 = "";
  let dir = "";

  const cli = (args: string[]): string[] => vxswitchArgv([...args, "--control", switches[0]!.control]);
  const state = async (): Promise<string> => switches[0]!.statsText();
  const pingC2 = async (count: number): Promise<void> =>
    expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count, interval: 0.05 }), "c1 -> c2", state);

  /** Starts a CLI process on h1 and waits until it says it is attached. */
  const attach = (argv: string[], ready: RegExp): Promise<NsProcess> => attachStream(running, h1, argv, ready);

  async function tsharkFields(file: string, fields: string[]): Promise<string[]> {
    const out = await nsExec(h1, ["tshark", "-r", file, "-T", "fields", "-E", "occurrence=f", ...fields.flatMap((f) => ["-e", f])], { timeoutMs: 30_000 });
    return out.split("\n").filter((l) => l.trim() !== "");
  }

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "capgre" });
    await lab.checkUnderlay();
    switches.push(...(await startVxswitchMesh(lab, { greKey: KEY, tap: "vxtap42" })).map((m) => m.vx));
    h1 = lab.hosts[0]!.ns;
    dir = labTempDir();
    // Learn both MACs and resolve ARP, so the captures below hold the pings only.
    await pingC2(2);
  });

  afterAll(() => tearDown(running, switches, lab));

  it(`captures exactly ${PINGS} pings as ${2 * PINGS} inner frames of segment ${KEY}`, async () => {
    const file = join(dir, "inner.pcap");
    const proc = await attach(cli(["capture", "--inner", "--vni", String(KEY), "--mac", lab.container(2).mac, "-c", String(2 * PINGS), "-w", file]), /capturing inner/);
    await pingC2(PINGS);
    const status = await proc.exited;
    expect(status.code, proc.stderr).toBe(0);
    expect(proc.stderr).toContain(`${2 * PINGS} frames captured, 0 lost (reader too slow)`);
    const frames = await tsharkFields(file, ["eth.src", "icmp.type"]);
    expect(frames, frames.join("\n")).toHaveLength(2 * PINGS);
    expect(frames.filter((f) => f === `${lab.container(1).mac}\t8`)).toHaveLength(PINGS);
    expect(frames.filter((f) => f === `${lab.container(2).mac}\t0`)).toHaveLength(PINGS);
  });

  it(`captures the same pings as outer packets that tshark dissects as GRE (0x6558) with key ${KEY}`, async () => {
    const file = join(dir, "outer.pcap");
    const proc = await attach(cli(["capture", "--outer", "--mac", lab.container(2).mac, "-c", String(2 * PINGS), "-w", file]), /capturing outer/);
    await pingC2(PINGS);
    const status = await proc.exited;
    expect(status.code, proc.stderr).toBe(0);
    const lines = await tsharkFields(file, ["ip.src", "ip.dst", "ip.proto", "gre.proto", "gre.key", "eth.src", "icmp.type"]);
    expect(lines, lines.join("\n")).toHaveLength(2 * PINGS);
    const c1 = lab.container(1).mac;
    const c2 = lab.container(2).mac;
    // tshark prints the key as 32-bit hex.
    const key = `0x${KEY.toString(16).padStart(8, "0")}`;
    expect(lines.filter((l) => l === `198.18.0.1\t198.18.0.2\t47\t0x6558\t${key}\t${c1}\t8`), lines.join("\n")).toHaveLength(PINGS);
    expect(lines.filter((l) => l === `198.18.0.2\t198.18.0.1\t47\t0x6558\t${key}\t${c2}\t0`), lines.join("\n")).toHaveLength(PINGS);
  });

  it("traces the ARP flood into the tunnel, the pings forwarded both ways, and a flood from the tunnel", async () => {
    const proc = await attach(cli(["trace", "--vni", String(KEY)]), /tracing/);
    // c1 forgets c2: a broadcast ARP (flood), then the pings it resolves (forward). A flood from the
    // tunnel: c2 asks for an address nobody has (its ARP broadcast reaches h1 through GRE).
    await nsExec(lab.container(1).ns, ["ip", "neigh", "flush", "all"]);
    await pingC2(2);
    await nsExec(lab.container(2).ns, ["ping", "-c", "1", "-W", "1", NOBODY]).catch(() => "");
    await proc.waitFor(/^rx 198\.18\.0\.2 .* {2}flood -> tap vxtap42$/m, { timeoutMs: 5000 }).catch(() => undefined);
    await proc.stop("SIGINT");
    const out = proc.stdout;
    const c1 = lab.container(1).mac;
    const c2 = lab.container(2).mac;
    const esc = (s: string): string => s.replaceAll(".", "\\.");
    expect(out).toMatch(new RegExp(`^rx tap vxtap42 vni ${KEY} ${c1} > ff:ff:ff:ff:ff:ff ARP who-has ${esc(lab.container(2).address)}  flood -> 198\\.18\\.0\\.2$`, "m"));
    expect(out).toMatch(new RegExp(`^rx tap vxtap42 vni ${KEY} ${c1} > ${c2} IPv4 .* icmp  forward -> 198\\.18\\.0\\.2$`, "m"));
    expect(out).toMatch(new RegExp(`^rx 198\\.18\\.0\\.2 vni ${KEY} ${c2} > ${c1} IPv4 .* icmp  forward -> tap vxtap42$`, "m"));
    expect(out).toMatch(new RegExp(`^rx 198\\.18\\.0\\.2 vni ${KEY} ${c2} > ff:ff:ff:ff:ff:ff ARP who-has ${esc(NOBODY)}  flood -> tap vxtap42$`, "m"));
    expect(proc.stderr).toMatch(/\d+ frames traced, 0 lost/);
  });
});
