// UDP port 8472, the port of old Linux vxlan drivers: vxswitch --port 8472 on h1 against a kernel
// vxlan created with `dstport 8472` on h2. Both directions use 8472 and nothing goes to 4789.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { nsExec } from "../../lab/netns.js";
import { Lab, VXLAN_MTU_V4 } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

describeLab("vxswitch --port 8472 interoperates with kernel vxlan dstport 8472", () => {
  let lab: Lab;
  let vx: VxswitchProcess | undefined;
  const state = (): Promise<string> => switchState([{ name: "h1 vxswitch", vx }]);

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "p8472" });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    await addKernelVxlan(h2.ns, { vni: 42, local: h2.underlayV4, remotes: [h1.underlayV4], port: 8472 });
    vx = await VxswitchProcess.start(h1.ns, { local: h1.underlayV4, remotes: [h2.underlayV4], vni: 42, tap: "vxtap42", bridge: "br0", port: 8472 });
  });

  afterAll(() => stopThenDestroy(lab, vx));

  it("listens on UDP 8472 and not on 4789", async () => {
    const sockets = await nsExec(lab.host(1).ns, ["ss", "-Hnlu"]);
    expect(sockets).toMatch(/198\.18\.0\.1:8472\b/);
    expect(sockets).not.toMatch(/:4789\b/);
  });

  it("answers pings from the vxswitch side to the kernel side", async () => {
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3 }), "vxswitch -> kernel", state);
  });

  it("answers pings from the kernel side to the vxswitch side", async () => {
    await expectNoLoss(await ping(lab.container(2).ns, lab.container(1).address, { count: 3 }), "kernel -> vxswitch", state);
  });

  it("carries full 1450-byte overlay packets unfragmented both ways", async () => {
    const size = VXLAN_MTU_V4 - 28;
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2, size, dontFragment: true }), "1450 vxswitch -> kernel", state);
    await expectNoLoss(await ping(lab.container(2).ns, lab.container(1).address, { count: 2, size, dontFragment: true }), "1450 kernel -> vxswitch", state);
  });

  it("sends to 8472 in both directions, VNI 42, and nothing to 4789", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp", direction: "in", vxlanPorts: [8472] });
    try {
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2");
    } finally {
      await capture.stop();
    }
    const tally = await capture.tally(["ip.src", "udp.dstport", "vxlan.vni"], "icmp");
    expect(tally, await capture.summary()).toEqual({ "198.18.0.1 8472 42": 2, "198.18.0.2 8472 42": 2 });
    expect(await capture.count("udp.port == 4789"), await capture.summary()).toBe(0);
  });
});
