// capture and trace against two running vxswitches (VNI 42): a capture of N pings holds exactly those frames for
// tshark (inner, and outer dissected as VXLAN VNI 42, also through `-w - | tshark -r -`); the live trace shows
// forward, flood and drops with their frames; `trace --packet` predicts what the switch then does.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startVxswitchMesh } from "../../lab/mesh.js";
import { labTempDir, nsExec, spawnIn, type NsProcess } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { vxswitchArgv, vxswitchCli, type VxswitchProcess } from "../../lab/vxswitch-process.js";
import { attachStream, tearDown } from "../helpers/cli-streams.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const PINGS = 5;

/** A VXLAN packet around a 60-byte broadcast frame from 02:00:00:aa:00:01 (flags 0x08 = I set). */
function vxlanPacket(vni: number, flags: number): Buffer {
  const packet = Buffer.alloc(8 + 60);
  packet[0] = flags;
  packet.writeUIntBE(vni, 4, 3);
  packet.fill(0xff, 8, 14);
  packet.write("020000aa0001", 14, "hex");
  packet.writeUInt16BE(0x88b5, 20);
  return packet;
}

describeLab("capture and trace on a running vxswitch (two hosts, VNI 42)", () => {
  let lab: Lab;
  const switches: VxswitchProcess[] = [];
  const running: NsProcess[] = [];
  let h1 = "";
  let control = "";
  let dir = "";

  const cli = (args: string[]): string[] => vxswitchArgv([...args, "--control", control]);
  const state = async (): Promise<string> => switches[0]!.statsText();

  /** Sends raw VXLAN payloads from h2's underlay address (a known peer) to h1. */
  async function inject(packets: Buffer[]): Promise<void> {
    const hex = JSON.stringify(packets.map((p) => p.toString("hex")));
    const send = `const s = require("node:dgram").createSocket("udp4"); s.bind(0, ${JSON.stringify(lab.localOf(lab.hosts[1]!))}, async () => {` +
      ` for (const h of ${hex}) await new Promise((r, j) => s.send(Buffer.from(h, "hex"), 4789, ${JSON.stringify(lab.localOf(lab.hosts[0]!))}, (e) => (e ? j(e) : r())));` +
      " s.close(); });";
    await nsExec(lab.hosts[1]!.ns, [process.execPath, "-e", send]);
  }

  /** Starts a CLI process on h1 and waits until it says it is attached. */
  const attach = (argv: string[], ready: RegExp): Promise<NsProcess> => attachStream(running, h1, argv, ready);

  async function tshark(file: string, args: string[]): Promise<string[]> {
    const out = await nsExec(h1, ["tshark", "-r", file, ...args], { timeoutMs: 30_000 });
    return out.split("\n").filter((l) => l.trim() !== "");
  }

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "capture" });
    await lab.checkUnderlay();
    switches.push(...(await startVxswitchMesh(lab, { vni: 42 })).map((m) => m.vx));
    h1 = lab.hosts[0]!.ns;
    control = switches[0]!.control;
    dir = labTempDir();
    // Learn both MACs and resolve ARP, so the captures below hold the pings only.
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "warm-up c1 -> c2", state);
  });

  afterAll(() => tearDown(running, switches, lab));

  it(`captures exactly ${PINGS} pings as ${2 * PINGS} inner frames that tshark reads`, async () => {
    const file = join(dir, "inner.pcap");
    const proc = await attach(cli(["capture", "--inner", "--vni", "42", "--mac", lab.container(2).mac, "-c", String(2 * PINGS), "-w", file]), /capturing inner/);
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: PINGS, interval: 0.05 }), "c1 -> c2", state);
    const status = await proc.exited;
    expect(status.code, proc.stderr).toBe(0);
    expect(proc.stderr).toContain(`${2 * PINGS} frames captured, 0 lost (reader too slow)`);
    const frames = await tshark(file, ["-T", "fields", "-e", "eth.src", "-e", "icmp.type"]);
    expect(frames, frames.join("\n")).toHaveLength(2 * PINGS);
    expect(frames.filter((f) => f === `${lab.container(1).mac}\t8`)).toHaveLength(PINGS);
    expect(frames.filter((f) => f === `${lab.container(2).mac}\t0`)).toHaveLength(PINGS);
  });

  it(`captures the same pings as outer VXLAN packets through -w - | tshark -r -, dissected as VNI 42`, async () => {
    const capture = cli(["capture", "--outer", "--mac", lab.container(2).mac, "-c", String(2 * PINGS), "-w", "-"]).map((a) => `'${a}'`).join(" ");
    const shell = `${capture} 2>${join(dir, "outer.err")} | tshark -r - -T fields -E occurrence=f -e ip.src -e ip.dst -e udp.dstport -e vxlan.vni -e icmp.type`;
    const proc = spawnIn(h1, ["sh", "-c", shell]);
    running.push(proc);
    // The pipe hides the "capturing" line: give the capture a moment to attach.
    for (let i = 0; i < 50; i++) {
      const err = await nsExec(h1, ["cat", join(dir, "outer.err")]).catch(() => "");
      if (err.includes("capturing")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: PINGS, interval: 0.05 }), "c1 -> c2", state);
    const status = await proc.exited;
    expect(status.code, proc.stderr).toBe(0);
    const lines = proc.stdout.split("\n").filter((l) => l.trim() !== "");
    expect(lines, lines.join("\n")).toHaveLength(2 * PINGS);
    expect(lines.filter((l) => l === "198.18.0.1\t198.18.0.2\t4789\t42\t8")).toHaveLength(PINGS);
    expect(lines.filter((l) => l === "198.18.0.2\t198.18.0.1\t4789\t42\t0")).toHaveLength(PINGS);
  });

  it("traces forward, flood and drops (unknown VNI, VXLAN I flag clear) with their frames", async () => {
    const proc = await attach(cli(["trace"]), /tracing/);
    // A broadcast ARP first (c1 forgets c2), then the pings it resolves.
    await nsExec(lab.container(1).ns, ["ip", "neigh", "flush", "all"]);
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2, interval: 0.05 }), "c1 -> c2", state);
    await inject([vxlanPacket(99, 0x08), vxlanPacket(42, 0x00)]);
    await proc.waitFor(/drop: VXLAN I flag clear/, { timeoutMs: 5000 }).catch(() => undefined);
    await proc.stop("SIGINT");
    const out = proc.stdout;
    const c1 = lab.container(1).mac;
    const c2 = lab.container(2).mac;
    expect(out).toMatch(new RegExp(`^rx tap vxtap42 vni 42 ${c1} > ff:ff:ff:ff:ff:ff ARP who-has ${lab.container(2).address.replaceAll(".", "\\.")}  flood -> 198\\.18\\.0\\.2$`, "m"));
    expect(out).toMatch(new RegExp(`^rx tap vxtap42 vni 42 ${c1} > ${c2} IPv4 .* icmp  forward -> 198\\.18\\.0\\.2$`, "m"));
    expect(out).toMatch(new RegExp(`^rx 198\\.18\\.0\\.2 vni 42 ${c2} > ${c1} IPv4 .* icmp  forward -> tap vxtap42$`, "m"));
    expect(out).toMatch(/^rx 198\.18\.0\.2 vni 99 02:00:00:aa:00:01 > ff:ff:ff:ff:ff:ff 0x88b5 {2}drop: unknown VNI$/m);
    expect(out).toMatch(/^rx 198\.18\.0\.2 vni 42 02:00:00:aa:00:01 > ff:ff:ff:ff:ff:ff 0x88b5 {2}drop: VXLAN I flag clear$/m);
    expect(proc.stderr).toMatch(/\d+ frames traced, 0 lost/);
  });

  it("predicts with trace --packet what the switch then does, learning nothing", async () => {
    const c1 = lab.container(1).mac;
    const c2 = lab.container(2).mac;
    const fdbBefore = await vxswitchCli(h1, ["fdb", "show", "--control", control]);
    const unicast = await vxswitchCli(h1, ["trace", "--packet", `vni 42 src ${c1} dst ${c2} from tap`, "--control", control]);
    expect(unicast).toMatch(new RegExp(`lookup: ${c2} -> 198\\.18\\.0\\.2 \\(learned, updated \\d+s ago\\)`));
    expect(unicast).toMatch(/^decision: forward -> 198\.18\.0\.2$/m);
    const back = await vxswitchCli(h1, ["trace", "--packet", `vni 42 src ${c2} dst ${c1} from 198.18.0.2`, "--control", control]);
    expect(back).toMatch(/^decision: forward -> tap vxtap42$/m);
    const stranger = "52:54:00:99:99:99";
    const unknown = await vxswitchCli(h1, ["trace", "--packet", `vni 42 src ${stranger} dst ff:ff:ff:ff:ff:ff from 198.18.0.2`, "--control", control]);
    expect(unknown).toMatch(/split horizon: it came from a tunnel/);
    expect(unknown).toMatch(/^decision: flood -> tap vxtap42$/m);
    const badVni = await vxswitchCli(h1, ["trace", "--packet", `vni 99 src ${c2} dst ${c1} from 198.18.0.2`, "--control", control]);
    expect(badVni).toMatch(/^decision: drop: unknown VNI$/m);
    // Nothing learned: the stranger is not in the table.
    expect(await vxswitchCli(h1, ["fdb", "show", "--control", control])).not.toContain(stranger);
    expect(fdbBefore).not.toContain(stranger);
    // What the switch then does with the same frame: the live trace shows the predicted decision.
    const proc = await attach(cli(["trace", "--mac", c2, "-c", "2"]), /tracing/);
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 1 }), "c1 -> c2", state);
    await proc.exited;
    expect(proc.stdout).toMatch(new RegExp(`^rx tap vxtap42 vni 42 ${c1} > ${c2} IPv4 .*  forward -> 198\\.18\\.0\\.2$`, "m"));
    expect(proc.stdout).toMatch(new RegExp(`^rx 198\\.18\\.0\\.2 vni 42 ${c2} > ${c1} IPv4 .*  forward -> tap vxtap42$`, "m"));
  });
});
