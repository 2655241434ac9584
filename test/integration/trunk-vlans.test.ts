// Trunk mode, after the OVS setup with tags 100/200 over one tunnel: on h1 one TAP (vxtrunk0)
// is a trunk port of a VLAN-aware switch and carries VLAN 100 as VNI 1000 and VLAN 200 as VNI
// 2000. The switch is Open vSwitch (userspace datapath) with the containers as access ports
// tag=100/200/300 and tag=1 sent untagged on the trunk (native VLAN): our kernels have neither
// 802.1Q interfaces nor VLAN filtering in the Linux bridge. h2 runs vxswitch with access
// segments VNI 1000 and 2000, h3 a kernel vxlan on VNI 1000. All containers share 10.42.0.0/24,
// so only VLAN and VNI keep them apart. Untagged and unmapped-VLAN frames are dropped and counted.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { OvsInstance } from "../../lab/ovs.js";
import { Lab, VXLAN_MTU_V4, type LabContainer, type LabHost } from "../../lab/topology.js";
import { EXPERIMENTAL_ETHERTYPE, iperfClient, ping, sendFrame, startIperfServer } from "../../lab/traffic.js";
import { VxswitchProcess, vxswitchCli, type VxswitchStats } from "../../lab/vxswitch-process.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, expectNoReplies, requireVxswitchBuilt, switchState } from "../helpers/lab.js";
import { expectHealthyTcp, OVS_PATH } from "../helpers/tcp-floors.js";
import { TRUNK_BRIDGE } from "../helpers/trunk.js";
import { waitFor } from "../helpers/wait.js";

cleanUpLabsAfterAll();

const TRUNK_TAP = "vxtrunk0";
describeLab("trunk mode: VLAN 100 -> VNI 1000, VLAN 200 -> VNI 2000 on one TAP", () => {
  let lab: Lab;
  let h1: LabHost;
  let ovs: OvsInstance | undefined;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = async (): Promise<string> =>
    `${await switchState(switches)}\n--- h1 Open vSwitch\n${ovs === undefined ? "" : `${await ovs.appctl(["fdb/show", TRUNK_BRIDGE]).catch(String)}\n${ovs.logTail(10)}`}`;
  const trunk = (): VxswitchProcess => switches[0]!.vx!;
  // h1 (trunk): v100 on VLAN 100, v200 on VLAN 200, untagged on VLAN 1 (the bridge default), v300 on unmapped VLAN 300.
  let v100: LabContainer;
  let v200: LabContainer;
  let untagged: LabContainer;
  let v300: LabContainer;
  // h2 (vxswitch access ports): a1000 on VNI 1000, a2000 on VNI 2000; h3 (kernel vxlan): k1000 on VNI 1000.
  let a1000: LabContainer;
  let a2000: LabContainer;
  let k1000: LabContainer;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, containers: false, label: "trunk" });
    h1 = lab.host(1);
    const [h2, h3] = [lab.host(2), lab.host(3)];
    v100 = await lab.addContainer(h1, { cidr: "10.42.0.1/24" });
    v200 = await lab.addContainer(h1, { cidr: "10.42.0.3/24" });
    untagged = await lab.addContainer(h1, { cidr: "10.42.0.5/24" });
    v300 = await lab.addContainer(h1, { cidr: "10.42.0.6/24" });
    ovs = await OvsInstance.start(h1.ns);
    await ovs.addBridge(TRUNK_BRIDGE);
    await ovs.attachContainer(TRUNK_BRIDGE, v100, 100);
    await ovs.attachContainer(TRUNK_BRIDGE, v200, 200);
    await ovs.attachContainer(TRUNK_BRIDGE, untagged, 1);
    await ovs.attachContainer(TRUNK_BRIDGE, v300, 300);
    a1000 = await lab.addContainer(h2, { bridge: "br1000", cidr: "10.42.0.2/24" });
    a2000 = await lab.addContainer(h2, { bridge: "br2000", cidr: "10.42.0.4/24" });
    k1000 = await lab.addContainer(h3, { bridge: "br0", cidr: "10.42.0.7/24" });

    const trunkSwitch = await VxswitchProcess.startWithConfig(h1.ns, {
      local: h1.underlayV4,
      peers: lab.remotesOf(h1),
      segments: [{ tap: TRUNK_TAP, trunk: true, vlans: { "100": 1000, "200": 2000 } }],
    });
    switches.push({ name: "h1 (trunk)", vx: trunkSwitch });
    // The TAP exists now: a trunk port for VLANs 100, 200 and 300 tagged, VLAN 1 untagged (native).
    await ovs.vsctl(["add-port", TRUNK_BRIDGE, TRUNK_TAP, "--", "set", "port", TRUNK_TAP, "vlan_mode=native-untagged", "tag=1", "trunks=1,100,200,300"]);

    const accessSwitch = await VxswitchProcess.startWithConfig(h2.ns, {
      local: h2.underlayV4,
      peers: lab.remotesOf(h2),
      segments: [
        { vni: 1000, tap: "vxtap1000", bridge: "br1000" },
        { vni: 2000, tap: "vxtap2000", bridge: "br2000" },
      ],
    });
    switches.push({ name: "h2 (access)", vx: accessSwitch });
    await addKernelVxlan(h3.ns, { vni: 1000, local: h3.underlayV4, remotes: lab.remotesOf(h3) });
  });

  afterAll(async () => {
    try {
      await Promise.all(switches.map(({ vx }) => vx?.stop()));
      await ovs?.stop();
    } finally {
      await lab?.destroy();
    }
  });

  it("shows one segment per VLAN of the trunk TAP in status", async () => {
    const status = await trunk().status();
    expect(status.segments, JSON.stringify(status)).toEqual([
      expect.objectContaining({ id: 1000, tap: TRUNK_TAP, vlan: 100, mtu: VXLAN_MTU_V4 }),
      expect.objectContaining({ id: 2000, tap: TRUNK_TAP, vlan: 200, mtu: VXLAN_MTU_V4 }),
    ]);
  });

  it("connects VLAN 100 on the trunk to the vxswitch access port on VNI 1000, both ways", async () => {
    await expectNoLoss(await ping(v100.ns, a1000.address, { count: 3 }), "VLAN 100 -> VNI 1000 (vxswitch)", state);
    await expectNoLoss(await ping(a1000.ns, v100.address, { count: 3 }), "VNI 1000 (vxswitch) -> VLAN 100", state);
  });

  it("connects VLAN 100 on the trunk to the kernel vxlan on VNI 1000, both ways", async () => {
    await expectNoLoss(await ping(v100.ns, k1000.address, { count: 3 }), "VLAN 100 -> VNI 1000 (kernel)", state);
    await expectNoLoss(await ping(k1000.ns, v100.address, { count: 3 }), "VNI 1000 (kernel) -> VLAN 100", state);
  });

  it("connects VLAN 200 on the trunk to VNI 2000", async () => {
    await expectNoLoss(await ping(v200.ns, a2000.address, { count: 3 }), "VLAN 200 -> VNI 2000", state);
    await expectNoLoss(await ping(a2000.ns, v200.address, { count: 3 }), "VNI 2000 -> VLAN 200", state);
  });

  it("carries full-size (1450-byte) packets through the trunk unfragmented", async () => {
    const size = VXLAN_MTU_V4 - 28;
    await expectNoLoss(await ping(v100.ns, a1000.address, { count: 2, size, dontFragment: true }), "1450 VLAN 100 -> VNI 1000", state);
    await expectNoLoss(await ping(a1000.ns, v100.address, { count: 2, size, dontFragment: true }), "1450 VNI 1000 -> VLAN 100", state);
  });

  // Only this direction here: toward the trunk, vxswitch (offloads on) writes coalesced TCP
  // super-frames into the TAP, which OVS userspace reads with AF_PACKET and cannot take. The GRE
  // trunk below runs without offloads and measures both directions.
  it("carries TCP from VLAN 100 to VNI 1000 above the floor (iperf3, 2 s)", async () => {
    const server = await startIperfServer(a1000.ns, a1000.address);
    try {
      const before = await ovs!.packetSocketDrops();
      const there = await iperfClient(v100.ns, a1000.address, { seconds: 2 });
      const accountedLosses = (await ovs!.packetSocketDrops()) - before;
      await expectHealthyTcp(there, { floor: OVS_PATH, what: "trunk (VXLAN, offloads on): VLAN 100 -> VNI 1000", context: state, accountedLosses });
    } finally {
      await server.stop();
    }
  });

  it("keeps VLAN 200 apart from VNI 1000 and VLAN 100 apart from VNI 2000", async () => {
    await expectNoReplies(await ping(v200.ns, a1000.address, { count: 2, timeout: 1 }), "VLAN 200 -> VNI 1000 host");
    await expectNoReplies(await ping(v200.ns, k1000.address, { count: 2, timeout: 1 }), "VLAN 200 -> kernel VNI 1000 host");
    await expectNoReplies(await ping(v100.ns, a2000.address, { count: 2, timeout: 1 }), "VLAN 100 -> VNI 2000 host");
    await expectNoReplies(await ping(a2000.ns, v100.address, { count: 2, timeout: 1 }), "VNI 2000 -> VLAN 100 host");
  });

  it("puts the VLAN's VNI on the wire and no 802.1Q tag inside the tunnel", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, iface: h1.name, filter: "udp port 4789", direction: "inout" });
    try {
      await expectNoLoss(await ping(v100.ns, a1000.address, { count: 2 }), "VLAN 100");
      await expectNoLoss(await ping(v200.ns, a2000.address, { count: 2 }), "VLAN 200");
      // tcpdump may not have written the last reply yet when ping has it (busy machine).
      await waitFor(() => capture.count("icmp"), (n) => n >= 8);
    } finally {
      await capture.stop();
    }
    const summary = await capture.summary();
    expect(await capture.tally(["ip.src", "vxlan.vni"], `icmp && ip.addr == ${v100.address}`), summary).toEqual({ "198.18.0.1 1000": 2, "198.18.0.2 1000": 2 });
    expect(await capture.tally(["ip.src", "vxlan.vni"], `icmp && ip.addr == ${v200.address}`), summary).toEqual({ "198.18.0.1 2000": 2, "198.18.0.2 2000": 2 });
    expect(await capture.count("vxlan && vlan"), `tagged frames inside VXLAN:\n${summary}`).toBe(0);
  });

  it("restores the VLAN tag on frames it writes into the trunk TAP", async () => {
    const capture = await Capture.start({ ns: h1.ns, iface: TRUNK_TAP, filter: "icmp or (vlan and icmp)", direction: "inout" });
    try {
      await expectNoLoss(await ping(a1000.ns, v100.address, { count: 2 }), "VNI 1000 -> VLAN 100");
      await expectNoLoss(await ping(a2000.ns, v200.address, { count: 2 }), "VNI 2000 -> VLAN 200");
      await waitFor(() => capture.count("icmp"), (n) => n >= 8);
    } finally {
      await capture.stop();
    }
    const summary = await capture.summary();
    const tags = await capture.tally(["eth.src", "vlan.id"], "icmp.type == 8");
    expect(tags, summary).toEqual({ [`${a1000.mac} 100`]: 2, [`${a2000.mac} 200`]: 2 });
  });

  it("learns remote MACs in the VLAN's VNI and shows local ones on TAP.VLAN ports", async () => {
    const fdb = await trunk().fdbShow();
    const text = fdb.map((e) => e.line).join("\n");
    expect(fdb.find((e) => e.mac === a1000.mac), text).toMatchObject({ vni: 1000, dst: "198.18.0.2", dev: `${TRUNK_TAP}.100` });
    expect(fdb.find((e) => e.mac === a2000.mac), text).toMatchObject({ vni: 2000, dst: "198.18.0.2", dev: `${TRUNK_TAP}.200` });
    expect(fdb.find((e) => e.mac === v100.mac), text).toMatchObject({ vni: 1000, dev: `${TRUNK_TAP}.100`, dst: undefined });
    expect(fdb.find((e) => e.mac === v200.mac), text).toMatchObject({ vni: 2000, dev: `${TRUNK_TAP}.200`, dst: undefined });
  });

  it("drops untagged frames from the trunk and counts them", async () => {
    const before = await trunk().stats();
    const underlay = await Capture.start({ ns: lab.switchNs, iface: h1.name, filter: "udp port 4789", direction: "in" });
    try {
      await sendFrame(untagged.ns, "eth0", { count: 3, payload: "untagged" });
      await waitFor(() => trunk().stats(), (st) => drops(st, "untagged") - drops(before, "untagged") >= 3);
    } finally {
      await underlay.stop();
    }
    const after = await trunk().stats();
    expect(drops(after, "untagged") - drops(before, "untagged"), await because(true, async () => JSON.stringify(after.egress))).toBe(3);
    expect(await underlay.count(`eth.type == 0x${EXPERIMENTAL_ETHERTYPE.toString(16)}`), await underlay.summary()).toBe(0);
  });

  it("drops frames of a VLAN without a VNI (300) and counts them", async () => {
    const before = await trunk().stats();
    await sendFrame(v300.ns, "eth0", { count: 2, payload: "vlan 300" });
    const after = await waitFor(() => trunk().stats(), (st) => drops(st, "unmappedVlan") - drops(before, "unmappedVlan") >= 2);
    expect(drops(after, "unmappedVlan") - drops(before, "unmappedVlan"), JSON.stringify(after.egress)).toBe(2);
  });

  it("accepts the same trunk from the command line (--trunk --vlan 100:1000 --vlan 200:2000)", async () => {
    const out = await vxswitchCli(h1.ns, ["up", "--local", h1.underlayV4, "--tap", "vxtrunk9", "--trunk", "--vlan", "100:1000", "--vlan", "200:2000", "--dry-run"]);
    expect(out).toMatch(/open trunk TAP vxtrunk9/);
    expect(out).toMatch(/VLAN 100 <-> VNI 1000/);
    expect(out).toMatch(/VLAN 200 <-> VNI 2000/);
  });

  it("keeps running through all of it", () => {
    for (const { name, vx } of switches) expect(vx?.running, `${name}: ${vx?.transcript()}`).toBe(true);
  });
});

function drops(stats: VxswitchStats, reason: string): number {
  const n = stats.egress.drops[reason];
  return typeof n === "number" ? n : 0;
}

describeLab("trunk mode over GRE: VLAN 100 -> key 1000, VLAN 200 -> key 2000 on one tunnel", () => {
  let lab: Lab;
  let ovs: OvsInstance | undefined;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = (): Promise<string> => switchState(switches);
  let v100: LabContainer;
  let v200: LabContainer;
  let a1000: LabContainer;
  let a2000: LabContainer;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, containers: false, label: "trunkgre" });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    v100 = await lab.addContainer(h1, { cidr: "10.42.0.1/24" });
    v200 = await lab.addContainer(h1, { cidr: "10.42.0.3/24" });
    ovs = await OvsInstance.start(h1.ns);
    await ovs.addBridge(TRUNK_BRIDGE);
    await ovs.attachContainer(TRUNK_BRIDGE, v100, 100);
    await ovs.attachContainer(TRUNK_BRIDGE, v200, 200);
    a1000 = await lab.addContainer(h2, { bridge: "br1000", cidr: "10.42.0.2/24" });
    a2000 = await lab.addContainer(h2, { bridge: "br2000", cidr: "10.42.0.4/24" });
    // Offloads off: the OVS userspace bridge on the TAP takes no TCP super-frames (see above).
    const trunkSwitch = await VxswitchProcess.startWithConfig(h1.ns, {
      local: h1.underlayV4,
      encap: "gre",
      offloads: false,
      peers: lab.remotesOf(h1),
      segments: [{ tap: TRUNK_TAP, trunk: true, vlans: { "100": 1000, "200": 2000 } }],
    });
    switches.push({ name: "h1 (trunk)", vx: trunkSwitch });
    await ovs.vsctl(["add-port", TRUNK_BRIDGE, TRUNK_TAP, "--", "set", "port", TRUNK_TAP, "trunks=100,200"]);
    const accessSwitch = await VxswitchProcess.startWithConfig(h2.ns, {
      local: h2.underlayV4,
      encap: "gre",
      peers: lab.remotesOf(h2),
      segments: [
        { key: 1000, tap: "gretap1000", bridge: "br1000" },
        { key: 2000, tap: "gretap2000", bridge: "br2000" },
      ],
    });
    switches.push({ name: "h2 (access)", vx: accessSwitch });
  });

  afterAll(async () => {
    try {
      await Promise.all(switches.map(({ vx }) => vx?.stop()));
      await ovs?.stop();
    } finally {
      await lab?.destroy();
    }
  });

  it("connects VLAN 100 to key 1000 and VLAN 200 to key 2000, both ways", async () => {
    await expectNoLoss(await ping(v100.ns, a1000.address, { count: 3 }), "VLAN 100 -> key 1000", state);
    await expectNoLoss(await ping(a1000.ns, v100.address, { count: 3 }), "key 1000 -> VLAN 100", state);
    await expectNoLoss(await ping(v200.ns, a2000.address, { count: 3 }), "VLAN 200 -> key 2000", state);
    await expectNoLoss(await ping(a2000.ns, v200.address, { count: 3 }), "key 2000 -> VLAN 200", state);
  });

  for (const reverse of [false, true]) {
    const what = reverse ? "key 1000 -> VLAN 100" : "VLAN 100 -> key 1000";
    it(`carries TCP ${what} above the floor (iperf3, 2 s)`, async () => {
      const server = await startIperfServer(a1000.ns, a1000.address);
      try {
        const before = await ovs!.packetSocketDrops();
        const result = await iperfClient(v100.ns, a1000.address, { seconds: 2, reverse });
        const accountedLosses = (await ovs!.packetSocketDrops()) - before;
        await expectHealthyTcp(result, { floor: OVS_PATH, what: `trunk (GRE, offloads off): ${what}`, context: state, accountedLosses });
      } finally {
        await server.stop();
      }
    });
  }

  it("keeps VLAN 100 and key 2000 apart", async () => {
    await expectNoReplies(await ping(v100.ns, a2000.address, { count: 2, timeout: 1 }), "VLAN 100 -> key 2000 host");
    await expectNoReplies(await ping(a2000.ns, v100.address, { count: 2, timeout: 1 }), "key 2000 -> VLAN 100 host");
  });

  it("carries each VLAN in its own GRE key, untagged inside", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, iface: lab.host(1).name, filter: "ip proto 47", direction: "inout" });
    try {
      await expectNoLoss(await ping(v100.ns, a1000.address, { count: 2 }), "VLAN 100");
      await expectNoLoss(await ping(v200.ns, a2000.address, { count: 2 }), "VLAN 200");
      // tcpdump may not have written the last reply yet when ping has it (busy machine).
      await waitFor(() => capture.count("icmp"), (n) => n >= 8);
    } finally {
      await capture.stop();
    }
    const summary = await capture.summary();
    // tshark prints GRE keys in hex: 1000 = 0x000003e8, 2000 = 0x000007d0.
    expect(await capture.tally(["ip.src", "gre.key"], `icmp && ip.addr == ${v100.address}`), summary).toEqual({ "198.18.0.1 0x000003e8": 2, "198.18.0.2 0x000003e8": 2 });
    expect(await capture.tally(["ip.src", "gre.key"], `icmp && ip.addr == ${v200.address}`), summary).toEqual({ "198.18.0.1 0x000007d0": 2, "198.18.0.2 0x000007d0": 2 });
    expect(await capture.count("gre && vlan"), `tagged frames inside GRE:\n${summary}`).toBe(0);
  });
});
