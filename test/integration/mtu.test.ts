// A container left at MTU 1500 behind a 1450-byte VXLAN overlay: with --tap-mtu 1500 the bridge
// hands vxswitch full-size frames, which it answers with ICMP "fragmentation needed" (mtu 1450)
// toward the sender, so path MTU discovery works instead of a black hole.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startVxswitchMesh, stopMesh, type MeshMember } from "../../lab/mesh.js";
import { Lab } from "../../lab/topology.js";
import { iperfClient, ping, startIperfServer } from "../../lab/traffic.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

describeLab("containers at MTU 1500 behind a 1450-byte overlay (--tap-mtu 1500)", () => {
  let lab: Lab;
  let mesh: MeshMember[] = [];
  const state = (): Promise<string> => switchState(mesh.map((m) => ({ name: m.host.name, vx: m.vx })));

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "mtu", overlayMtu: 1500 });
    await lab.checkUnderlay();
    mesh = await startVxswitchMesh(lab, { vni: 42, extraArgs: ["--tap-mtu", "1500"] });
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2 small pings", state);
  });

  afterAll(async () => {
    try {
      await stopMesh(mesh);
    } finally {
      await lab?.destroy();
    }
  });

  it("answers a 1472-byte DF ping with fragmentation needed, mtu 1450 (ping reports it), and counts it", async () => {
    const result = await ping(lab.container(1).ns, lab.container(2).address, { count: 3, size: 1472, dontFragment: true, interval: 0.2 });
    expect(result.received, result.output).toBe(0);
    expect(result.output).toMatch(/Frag needed and DF set \(mtu = 1450\)|message too long, mtu=1450/);
    const stats = await mesh[0]!.vx.stats();
    expect(stats.egress.drops.tooBig, JSON.stringify(stats.egress)).toBeGreaterThan(0);
  });

  it("carries a 1422-byte DF ping (exactly 1450 bytes of IP) across", async () => {
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3, size: 1422, dontFragment: true }), "1422-byte DF ping", state);
  });

  it("completes an iperf3 TCP run both ways: path MTU discovery works", async () => {
    const server = await startIperfServer(lab.container(2).ns, lab.container(2).address);
    try {
      const up = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 3 });
      expect(up.bitsPerSecond).toBeGreaterThan(10e6);
      const down = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 3, reverse: true });
      expect(down.bitsPerSecond).toBeGreaterThan(10e6);
      console.log(`MTU 1500 containers over a 1450 overlay: ${(up.bitsPerSecond / 1e9).toFixed(2)} Gbit/s up (${up.retransmits} retransmits), ${(down.bitsPerSecond / 1e9).toFixed(2)} Gbit/s down (${down.retransmits})`);
    } finally {
      await server.stop();
    }
  });
});
