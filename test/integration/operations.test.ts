// Operating a running switch: peers added and removed at run time, fdb in iproute2's form, top,
// reload (verb and SIGHUP) applying only the difference under iperf3, a refused reload keeping
// the running state, hints logged once for a recurring problem, and `down`.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stopMesh, type MeshMember } from "../../lab/mesh.js";
import { labTempDir, nsExecResult, spawnIn, type NsProcess } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { iperfClient, ping, startIperfServer } from "../../lab/traffic.js";
import { VxswitchProcess, vxswitchArgv, vxswitchCli } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, expectNoReplies, requireVxswitchBuilt } from "../helpers/lab.js";
import { segmentsSent } from "../helpers/tcp-floors.js";

cleanUpLabsAfterAll();

describeLab("operations on a running vxswitch (three hosts, h1 started from a config file)", () => {
  let lab: Lab;
  const others: MeshMember[] = [];
  let h1: NsProcess | undefined;
  let file = "";
  let control = "";
  const H2 = "198.18.0.2";
  const H3 = "198.18.0.3";

  /** h1's config: VNI 42 on br0 with these peers (h2 and h3 always list every host). */
  const writeConfig = (extra: Record<string, unknown> = {}, peers = [H2]): void => {
    writeFileSync(file, stringify({ local: "198.18.0.1", peers, control, segments: [{ vni: 42, tap: "vxtap42", bridge: "br0" }], ...extra }));
  };
  const cli = (args: string[]): Promise<string> => vxswitchCli(lab.host(1).ns, [...args, "--control", control]);
  const cliResult = (args: string[]) => nsExecResult(lab.host(1).ns, vxswitchArgv([...args, "--control", control]), { timeoutMs: 20_000 });
  const peerAddresses = async (): Promise<string[]> => (JSON.parse(await cli(["peers", "-j"])) as { address: string }[]).map((p) => p.address).sort();
  const c = (i: number) => lab.container(i);

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, label: "ops" });
    await lab.checkUnderlay();
    const dir = labTempDir();
    file = join(dir, "vxswitch.yaml");
    control = join(dir, "h1.sock");
    writeConfig();
    h1 = spawnIn(lab.host(1).ns, vxswitchArgv(["up", "-c", file]));
    await h1.waitFor(/ready/, { stream: "stdout", timeoutMs: 15_000 });
    for (const i of [2, 3]) {
      const host = lab.host(i);
      others.push({ host, vx: await VxswitchProcess.start(host.ns, { local: lab.localOf(host), remotes: lab.remotesOf(host), vni: 42, tap: "vxtap42", bridge: "br0" }) });
    }
  });

  afterAll(async () => {
    try {
      await h1?.stop("SIGTERM", 5_000);
      await stopMesh(others);
    } finally {
      await lab?.destroy();
    }
  });

  it("drops h3 (not a peer of h1) and logs the first drop with a hint, once", async () => {
    await expectNoReplies(await ping(c(3).ns, c(1).address, { count: 3, interval: 0.2, timeout: 1 }), "c3 -> c1 while h3 is no peer of h1");
    await h1!.waitFor(/warning: packets from an address that is not a peer were dropped \(hint: add it with `vxswitch peers add ADDR`/, { timeoutMs: 5_000 });
    await ping(c(3).ns, c(1).address, { count: 3, interval: 0.2, timeout: 1 });
    expect(h1!.stderr.match(/not a peer were dropped \(hint/g), h1!.stderr).toHaveLength(1);
  });

  it("adds and removes a peer at run time: `peers add`, `peers del`, and the keyword form `vni 42`", async () => {
    await cli(["peers", "add", H3]);
    expect(await peerAddresses()).toEqual([H2, H3]);
    await expectNoLoss(await ping(c(1).ns, c(3).address, { count: 3, interval: 0.2 }), "c1 -> c3 after peers add");
    await cli(["peers", "del", H3]);
    expect(await peerAddresses()).toEqual([H2]);
    await expectNoReplies(await ping(c(1).ns, c(3).address, { count: 2, interval: 0.2, timeout: 1 }), "c1 -> c3 after peers del");
    await cli(["peers", "add", H3, "vni", "42"]);
    await expectNoLoss(await ping(c(1).ns, c(3).address, { count: 3, interval: 0.2 }), "c1 -> c3 after peers add vni 42");
    await cli(["peers", "del", H3, "--vni", "42"]);
    await cli(["peers", "del", H3]);
    const again = await cliResult(["peers", "del", H3]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`vxswitch: error: ${H3} is not a configured peer`);
    await expectNoLoss(await ping(c(1).ns, c(2).address, { count: 2, interval: 0.2 }), "c1 -> c2 untouched");
  });

  it("shows, adds and deletes FDB entries in iproute2's keyword form, rows shaped like bridge -j", async () => {
    await ping(c(1).ns, c(2).address, { count: 1 });
    const rows = JSON.parse(await cli(["fdb", "show", "dev", "vxtap42", "vni", "42", "-j"])) as Record<string, unknown>[];
    expect(rows).toContainEqual(expect.objectContaining({ mac: c(2).mac, ifname: "vxtap42", dst: H2, vni: 42, flags: ["self"], updated: expect.any(Number) }));
    await cli(["fdb", "add", "52:54:00:aa:bb:01", "dev", "vxtap42", "dst", H2, "vni", "42"]);
    const text = await cli(["fdb", "show", "-s"]);
    expect(text).toContain("52:54:00:aa:bb:01 dev vxtap42 dst 198.18.0.2 vni 42 self permanent\n");
    expect(text).toMatch(new RegExp(`^${c(2).mac} dev vxtap42 dst 198\\.18\\.0\\.2 vni 42 self updated \\d+$`, "m"));
    expect(await cli(["fdb", "show", "dev", "vxtap99"])).toBe("");
    await cli(["fdb", "del", "52:54:00:aa:bb:01", "dev", "vxtap42"]);
    expect(await cli(["fdb", "show"])).not.toContain("52:54:00:aa:bb:01");
  });

  it("prints a top snapshot with rates per direction and peer, segments and the FDB size", async () => {
    const pings = ping(c(1).ns, c(2).address, { count: 10, interval: 0.1 });
    const out = await cli(["top", "--once", "-d", "0.5"]);
    await pings;
    expect(out).toMatch(/^vxswitch vxlan local 198\.18\.0\.1:4789 io \w+ up \d+s, rates over 0\.5 s$/m);
    expect(out).toMatch(/^egress {2}tap -> tunnel\s+\S+/m);
    expect(out).toMatch(/^198\.18\.0\.2\s+flood\s+/m);
    expect(out).toMatch(/^42\s+vxtap42\s+1450\s+\d+\s+\S+/m);
    expect(out).toMatch(/^FDB \d+ entries;/m);
  });

  it("reloads under iperf3: h3 and a static entry added, the c1 -> c2 flow loses no ping and does not stall", async () => {
    const server = await startIperfServer(c(2).ns, c(2).address);
    try {
      const baseline = await iperfClient(c(1).ns, c(2).address, { seconds: 4 });
      const pings = ping(c(1).ns, c(2).address, { count: 40, interval: 0.1 });
      const flow = iperfClient(c(1).ns, c(2).address, { seconds: 4 });
      await new Promise((r) => setTimeout(r, 1500));
      writeConfig({ ageing: 120, fdb: [{ mac: "52:54:00:aa:bb:02", vni: 42, dst: H3 }] }, [H2, H3]);
      const out = await cli(["reload"]);
      const during = await flow;
      await expectNoLoss(await pings, "c1 -> c2 pings across the reload");
      expect(out.trim().split("\n")).toEqual([`peer ${H3} added`, `fdb 52:54:00:aa:bb:02 vni 42 dst ${H3} added`, "ageing 300 s -> 120 s"]);
      console.log(`iperf3 c1 -> c2: baseline ${(baseline.bitsPerSecond / 1e9).toFixed(2)} Gbit/s ${baseline.retransmits} retransmits; across the reload ${(during.bitsPerSecond / 1e9).toFixed(2)} Gbit/s ${during.retransmits} retransmits`);
      expect(during.bitsPerSecond, "no stall: the flow keeps at least a third of its baseline").toBeGreaterThan(baseline.bitsPerSecond / 3);
      // Retransmissions vary run to run (45 vs 2, 46 vs 13 here: a few in millions of segments); the
      // reload must not add a burst of them: at most 0.1 % of the segments sent across it.
      expect(during.retransmits, "retransmissions across the reload").toBeLessThanOrEqual(Math.max(20, 0.001 * segmentsSent(during)));
    } finally {
      await server.stop();
    }
    expect(await peerAddresses()).toEqual([H2, H3]);
    expect(await cli(["fdb", "show"])).toContain(`52:54:00:aa:bb:02 dev vxtap42 dst ${H3} vni 42 self permanent`);
    await expectNoLoss(await ping(c(1).ns, c(3).address, { count: 3, interval: 0.2 }), "c1 -> c3 after the reload added h3");
  });

  it("refuses a config that does not validate, or that needs a restart, with the reason, and keeps the running state", async () => {
    writeConfig({ brige: "br0" }, [H2, "not-an-address"]);
    const invalid = await cliResult(["reload"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim()).toMatch(/^vxswitch: error: reload refused, the running state is kept: invalid configuration in \S+vxswitch\.yaml: peers\[1\]: must be an IPv4 or IPv6 address; brige: unknown key$/);
    writeFileSync(file, stringify({ local: "198.18.0.1", peers: [H2], control, segments: [{ vni: 42, tap: "vxtap42", bridge: "br0" }, { vni: 43, tap: "vxtap43" }] }));
    const restart = await cliResult(["reload"]);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toMatch(/segments changed \(segments .* need new devices\); restart vxswitch to change it/);
    expect(await peerAddresses()).toEqual([H2, H3]);
    await expectNoLoss(await ping(c(1).ns, c(3).address, { count: 2, interval: 0.2 }), "c1 -> c3 after the refused reloads");
  });

  it("reloads on SIGHUP: h3 removed again, logged per change", async () => {
    writeConfig({ ageing: 120, fdb: [{ mac: "52:54:00:aa:bb:02", vni: 42, dst: H3 }] }, [H2]);
    process.kill(h1!.child.pid!, "SIGHUP");
    await h1!.waitFor(/SIGHUP: peer 198\.18\.0\.3 removed/, { timeoutMs: 5_000 });
    // The static entry still names h3: it stays as an FDB-only (unicast) peer.
    const peers = JSON.parse(await cli(["peers", "-j"])) as { address: string; unicastOnly?: boolean }[];
    expect(peers.find((p) => p.address === H3)?.unicastOnly).toBe(true);
  });

  it("stops through `vxswitch down`: exit 0, socket and TAP gone", async () => {
    const down = await cliResult(["down"]);
    expect(down.code, down.stderr).toBe(0);
    const status = await h1!.exited;
    expect(status.code, h1!.stdout + h1!.stderr).toBe(0);
    expect(h1!.stdout).toMatch(/down \(control socket\): stopping, removing TAPs/);
    expect(existsSync(control)).toBe(false);
    expect((await nsExecResult(lab.host(1).ns, ["ip", "link", "show", "vxtap42"])).code).not.toBe(0);
  });
});
