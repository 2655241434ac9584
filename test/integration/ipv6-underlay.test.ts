// VXLAN over an IPv6 underlay (2001:2::/48, RFC 5180): vxswitch on h1 and h2, kernel vxlan on h3,
// a full unicast mesh, overlay MTU 1430 on a 1500-byte underlay, and UDP checksums that are
// present and correct (mandatory over IPv6). Then group mode with an IPv6 group (ff05::42).
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { nsExec, nsExecResult } from "../../lab/netns.js";
import { Lab, VXLAN_MTU_V6 } from "../../lab/topology.js";
import { iperfClient, ping, sendFrame, startIperfServer, EXPERIMENTAL_ETHERTYPE } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";
import { expectHealthyTcp, FAST_PATH } from "../helpers/tcp-floors.js";
import { partialUdp6Checksum } from "../helpers/partial-checksum.js";
import { waitFor } from "../helpers/wait.js";

cleanUpLabsAfterAll();

const pairsOf = (hosts: number[]): Array<[number, number]> => hosts.flatMap((a) => hosts.filter((b) => b !== a).map((b): [number, number] => [a, b]));

/**
 * Rows of (checksum, status) of the outer UDP headers sent by `src`, with tshark verifying them.
 * Status "partial" is a field holding exactly the pseudo-header sum: the sender's veth (default
 * offloads) left it for a NIC to finish, and the receiver's stack takes it as such.
 */
async function udpChecksums(capture: Capture, src: string): Promise<{ checksum: string; status: string }[]> {
  const rows = await capture.fields(["udp.checksum", "udp.checksum.status", "ipv6.dst", "udp.length"], `ipv6.src == ${src} && vxlan`);
  return rows.map(([checksum = "", status = "", dst = "", length = ""]) => {
    const partial = status === "0" && Number(checksum) === partialUdp6Checksum(src, dst, Number(length));
    return { checksum, status: partial ? "partial" : status };
  });
}

const okStatus = (status: string): boolean => status === "1" || status === "partial";

describeLab("VXLAN over an IPv6 underlay: vxswitch on h1, h2; kernel vxlan on h3", () => {
  let lab: Lab;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = (): Promise<string> => switchState(switches);

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, ipv6: true, label: "v6" });
    await lab.checkUnderlay(6);
    for (const i of [1, 2]) {
      const host = lab.host(i);
      // No --mtu: the overlay MTU must come out as 1500 - 70 = 1430 by itself.
      const vx = await VxswitchProcess.start(host.ns, { local: lab.localOf(host, 6), remotes: lab.remotesOf(host, 6), vni: 42, tap: "vxtap42", bridge: "br0" });
      switches.push({ name: host.name, vx });
    }
    const h3 = lab.host(3);
    await addKernelVxlan(h3.ns, { vni: 42, local: lab.localOf(h3, 6), remotes: lab.remotesOf(h3, 6) });
  });

  afterAll(() => stopThenDestroy(lab, ...switches.map((s) => s.vx)));

  it("uses addresses from 2001:2::/48 on the underlay", () => {
    expect(lab.hosts.map((h) => h.underlayV6)).toEqual(["2001:2::1", "2001:2::2", "2001:2::3"]);
  });

  it("derives overlay MTU 1430 from the 1500-byte IPv6 underlay", async () => {
    const status = await switches[0]!.vx!.status();
    expect(status.segments, JSON.stringify(status)).toEqual([expect.objectContaining({ id: 42, mtu: VXLAN_MTU_V6 })]);
    const link: unknown = JSON.parse(await nsExec(lab.host(1).ns, ["ip", "-j", "link", "show", "dev", "vxtap42"]));
    expect(link).toEqual([expect.objectContaining({ mtu: VXLAN_MTU_V6 })]);
  });

  it.each(pairsOf([1, 2, 3]))("answers pings from the container on h%i to the container on h%i", async (from, to) => {
    await expectNoLoss(await ping(lab.container(from).ns, lab.container(to).address, { count: 2 }), `c${from} -> c${to}`, state);
  });

  it.each([
    [1, 2],
    [2, 1],
    [1, 3],
    [3, 1],
  ])("carries full 1430-byte overlay packets unfragmented from h%i to h%i", async (from, to) => {
    const result = await ping(lab.container(from).ns, lab.container(to).address, { count: 2, size: VXLAN_MTU_V6 - 28, dontFragment: true });
    await expectNoLoss(result, `1430-byte DF ping c${from} -> c${to}`, state);
  });

  it("puts a non-zero, correct UDP checksum on every VXLAN packet (vxswitch and kernel alike)", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in", snaplen: 65535 });
    try {
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3 }), "c1 -> c2");
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(3).address, { count: 3 }), "c1 -> c3");
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2, size: VXLAN_MTU_V6 - 28 }), "c1 -> c2 full size");
    } finally {
      await capture.stop();
    }
    for (const src of ["2001:2::1", "2001:2::2", "2001:2::3"]) {
      const rows = await udpChecksums(capture, src);
      const summary = `${src}: ${JSON.stringify(rows)}\n${await capture.summary()}`;
      expect(rows.length, summary).toBeGreaterThan(0);
      // tshark: udp.checksum.status 1 = good, 0 = bad, 2 = unverified (a zero checksum shows as 2).
      expect(rows.filter((r) => r.checksum === "0x0000" || !okStatus(r.status)), summary).toEqual([]);
    }
  });

  it("carries TCP both ways between the vxswitch hosts above the floor (iperf3, 2 s each)", async () => {
    const server = await startIperfServer(lab.container(2).ns, lab.container(2).address);
    try {
      const there = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 2 });
      const back = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 2, reverse: true });
      await expectHealthyTcp(there, { floor: FAST_PATH, what: "IPv6 underlay: vxswitch h1 -> vxswitch h2", context: state });
      await expectHealthyTcp(back, { floor: FAST_PATH, what: "IPv6 underlay: vxswitch h2 -> vxswitch h1", context: state });
    } finally {
      await server.stop();
    }
  });

  it("puts correct UDP checksums on TCP traffic too (1 s at 20 Mbit/s, every packet checked)", async () => {
    const server = await startIperfServer(lab.container(2).ns, lab.container(2).address);
    const capture = await Capture.start({ ns: lab.switchNs, iface: "h1", filter: "udp port 4789", direction: "in", snaplen: 65535 });
    try {
      // Rate-limited so the full-length capture stays small enough to verify quickly.
      const run = await nsExecResult(lab.container(1).ns, ["iperf3", "-c", lab.container(2).address, "-t", "1", "-b", "20M", "--connect-timeout", "3000"], { timeoutMs: 20_000 });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    } finally {
      await capture.stop();
      await server.stop();
    }
    const rows = await udpChecksums(capture, "2001:2::1");
    const bad = rows.filter((r) => r.checksum === "0x0000" || !okStatus(r.status));
    expect(rows.length).toBeGreaterThan(100);
    expect(bad.length, `${bad.length} of ${rows.length} packets from h1 with a zero or bad UDP checksum\n${await capture.summary("udp.checksum.status == 0", 10)}`).toBe(0);
  });

  it("keeps running through all of it", () => {
    for (const { name, vx } of switches) expect(vx?.running, `${name}: ${vx?.transcript()}`).toBe(true);
  });
});

describeLab("multicast group mode over IPv6 (group ff05::42): vxswitch on h1, h2; kernel vxlan on h3", () => {
  const GROUP6 = "ff05::42";
  let lab: Lab;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = (): Promise<string> => switchState(switches);

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, ipv6: true, label: "v6mc" });
    for (const i of [1, 2]) {
      const host = lab.host(i);
      const vx = await VxswitchProcess.start(host.ns, {
        local: lab.localOf(host, 6),
        remotes: [],
        vni: 42,
        tap: "vxtap42",
        bridge: "br0",
        io: i === 2 ? "dgram" : "batch",
        extraArgs: ["--group", GROUP6, "--dev", "u0"],
      });
      switches.push({ name: host.name, vx });
    }
    const h3 = lab.host(3);
    await addKernelVxlan(h3.ns, { vni: 42, local: lab.localOf(h3, 6), remotes: [], group: GROUP6 });
  });

  afterAll(() => stopThenDestroy(lab, ...switches.map((s) => s.vx)));

  it.each(pairsOf([1, 2, 3]))("answers pings from the container on h%i to the container on h%i", async (from, to) => {
    await expectNoLoss(await ping(lab.container(from).ns, lab.container(to).address, { count: 2, timeout: 2 }), `c${from} -> c${to}`, state);
  });

  it("sends a broadcast once, to the IPv6 group, with hop limit 1 and a correct checksum", async () => {
    const ether = `0x${EXPERIMENTAL_ETHERTYPE.toString(16)}`;
    const capture = await Capture.start({ ns: lab.switchNs, iface: "h1", filter: "udp port 4789", direction: "in", snaplen: 65535 });
    try {
      await sendFrame(lab.container(1).ns, "eth0", { payload: "v6 group broadcast" });
      await waitFor(() => capture.count(`eth.type == ${ether}`), (n) => n >= 1);
    } finally {
      await capture.stop();
    }
    const rows = await capture.fields(["ipv6.dst", "ipv6.hlim", "udp.checksum.status", "udp.checksum", "udp.length"], `eth.type == ${ether}`);
    // A partial checksum (default offloads) counts as correct when it is the pseudo-header sum.
    const seen = rows.map(([dst = "", hlim = "", status = "", checksum = "", length = ""]) =>
      [dst, hlim, status === "0" && Number(checksum) === partialUdp6Checksum("2001:2::1", dst, Number(length)) ? "1" : status]);
    expect(seen, await capture.summary()).toEqual([[GROUP6, "1", "1"]]);
  });

  it("learns both other hosts as peers", async () => {
    for (const i of [1, 2]) {
      const learned = (await switches[i - 1]!.vx!.peers()).filter((p) => p.dynamic).map((p) => p.address).sort();
      expect(learned).toEqual(lab.remotesOf(lab.host(i), 6).sort());
    }
  });
});

describeLab("Ethernet-over-GRE over an IPv6 underlay: vxswitch on h1 and h2, key 42", () => {
  let lab: Lab;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = (): Promise<string> => switchState(switches);
  // IPv6 40 + GRE with key 8 + inner Ethernet 14 = 62 bytes of a 1500-byte underlay.
  const GRE_V6_KEYED_MTU = 1500 - 62;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, ipv6: true, label: "v6gre" });
    for (const host of lab.hosts) {
      const vx = await VxswitchProcess.startWithConfig(host.ns, {
        local: lab.localOf(host, 6),
        encap: "gre",
        peers: lab.remotesOf(host, 6),
        segments: [{ key: 42, tap: "gretap42", bridge: "br0" }],
      });
      switches.push({ name: host.name, vx });
    }
  });

  afterAll(() => stopThenDestroy(lab, ...switches.map((s) => s.vx)));

  it("derives the overlay MTU from IPv6 + keyed GRE overhead (1438)", async () => {
    const status = await switches[0]!.vx!.status();
    expect(status.segments, JSON.stringify(status)).toEqual([expect.objectContaining({ id: 42, mtu: GRE_V6_KEYED_MTU })]);
  });

  it.each(pairsOf([1, 2]))("answers pings from the container on h%i to the container on h%i", async (from, to) => {
    await expectNoLoss(await ping(lab.container(from).ns, lab.container(to).address, { count: 3 }), `c${from} -> c${to}`, state);
  });

  it("carries full 1430-byte container packets unfragmented both ways", async () => {
    const size = VXLAN_MTU_V6 - 28;
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2, size, dontFragment: true }), "1430 c1 -> c2", state);
    await expectNoLoss(await ping(lab.container(2).ns, lab.container(1).address, { count: 2, size, dontFragment: true }), "1430 c2 -> c1", state);
  });

  it("puts IPv6 next header 47, protocol 0x6558 and key 42 (tshark: 0x0000002a) on the wire", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "ip6 proto 47", direction: "in" });
    try {
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2");
    } finally {
      await capture.stop();
    }
    const tally = await capture.tally(["ipv6.src", "ipv6.nxt", "gre.proto", "gre.key"], "icmp");
    expect(tally, await capture.summary()).toEqual({ "2001:2::1 47 0x6558 0x0000002a": 2, "2001:2::2 47 0x6558 0x0000002a": 2 });
  });
});
