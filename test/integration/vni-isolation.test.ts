// Two segments (VNI 1000 on br1000, VNI 2000 on br2000) on the same two hosts, started from a
// YAML config. All four containers share 10.42.0.0/24, so only the VNI keeps them apart.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { Lab, type LabContainer } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, expectNoReplies, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

describeLab("vxswitch keeps VNI 1000 and VNI 2000 apart (two hosts, one config file each)", () => {
  let lab: Lab;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  // a1/a2: VNI 1000 on h1/h2; b1/b2: VNI 2000 on h1/h2.
  let a1: LabContainer;
  let a2: LabContainer;
  let b1: LabContainer;
  let b2: LabContainer;
  const state = (): Promise<string> => switchState(switches);

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, containers: false, label: "vni" });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    a1 = await lab.addContainer(h1, { bridge: "br1000", cidr: "10.42.0.1/24" });
    b1 = await lab.addContainer(h1, { bridge: "br2000", cidr: "10.42.0.3/24" });
    a2 = await lab.addContainer(h2, { bridge: "br1000", cidr: "10.42.0.2/24" });
    b2 = await lab.addContainer(h2, { bridge: "br2000", cidr: "10.42.0.4/24" });
    for (const host of [h1, h2]) {
      const vx = await VxswitchProcess.startWithConfig(host.ns, {
        local: host.underlayV4,
        port: 4789,
        peers: lab.remotesOf(host),
        segments: [
          { vni: 1000, tap: "vxtap1000", bridge: "br1000" },
          { vni: 2000, tap: "vxtap2000", bridge: "br2000" },
        ],
      });
      switches.push({ name: host.name, vx });
    }
  });

  afterAll(() => stopThenDestroy(lab, ...switches.map((s) => s.vx)));

  it("connects the VNI 1000 containers across hosts", async () => {
    await expectNoLoss(await ping(a1.ns, a2.address, { count: 3 }), `VNI 1000 h1 -> h2`, state);
  });

  it("connects the VNI 2000 containers across hosts", async () => {
    await expectNoLoss(await ping(b1.ns, b2.address, { count: 3 }), `VNI 2000 h1 -> h2`, state);
  });

  it("tags each segment's frames with its own VNI on the wire", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
    try {
      await expectNoLoss(await ping(a1.ns, a2.address, { count: 2 }), "VNI 1000");
      await expectNoLoss(await ping(b1.ns, b2.address, { count: 2 }), "VNI 2000");
    } finally {
      await capture.stop();
    }
    const vnisOf = async (address: string): Promise<string[]> =>
      [...new Set((await capture.fields(["vxlan.vni"], `icmp && ip.addr == ${address}`)).map((row) => row[0] ?? ""))].sort();
    const summary = await capture.summary();
    expect(await vnisOf(a1.address), summary).toEqual(["1000"]);
    expect(await vnisOf(b1.address), summary).toEqual(["2000"]);
  });

  it("does not let a VNI 1000 container reach a VNI 2000 container in the same subnet", async () => {
    // Watch both containers on h2: the ARP for b2's address must reach a2's segment only.
    const onA2 = await Capture.start({ ns: a2.ns, iface: "eth0", filter: "arp", direction: "in" });
    const onB2 = await Capture.start({ ns: b2.ns, iface: "eth0", filter: "arp", direction: "in" });
    try {
      await expectNoReplies(await ping(a1.ns, b2.address, { count: 3, timeout: 1 }), "VNI 1000 -> VNI 2000");
    } finally {
      await Promise.all([onA2.stop(), onB2.stop()]);
    }
    const whoHas = `arp.opcode == 1 && arp.dst.proto_ipv4 == ${b2.address} && arp.src.proto_ipv4 == ${a1.address}`;
    expect(await onA2.count(whoHas), `ARP seen by the VNI 1000 container on h2:\n${await onA2.summary()}`).toBeGreaterThan(0);
    const leaked = await onB2.count(`arp.src.proto_ipv4 == ${a1.address}`);
    expect(leaked, await because(leaked !== 0, async () => `ARP leaked into VNI 2000:\n${await onB2.summary()}\n${await state()}`)).toBe(0);
  });

  it("does not let a VNI 2000 container reach a VNI 1000 container in the same subnet", async () => {
    await expectNoReplies(await ping(b1.ns, a2.address, { count: 3, timeout: 1 }), "VNI 2000 -> VNI 1000");
  });

  it("learns each container MAC in its own VNI only", async () => {
    const h1 = switches[0]?.vx;
    expect(h1).toBeDefined();
    const fdb = (await h1?.fdbShow()) ?? [];
    const text = fdb.map((e) => e.line).join("\n");
    expect(fdb.find((e) => e.mac === a2.mac && e.dst !== undefined)?.vni, text).toBe(1000);
    expect(fdb.find((e) => e.mac === b2.mac && e.dst !== undefined)?.vni, text).toBe(2000);
    expect(fdb.filter((e) => e.mac === a2.mac && e.vni === 2000), text).toEqual([]);
    expect(fdb.filter((e) => e.mac === b2.mac && e.vni === 1000), text).toEqual([]);
  });
});
