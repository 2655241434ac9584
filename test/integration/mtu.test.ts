// A container left at MTU 1500 behind a 1450-byte VXLAN overlay: with --tap-mtu 1500 the bridge
// hands vxswitch full-size frames, which it answers with ICMP "fragmentation needed" (mtu 1450)
// toward the sender, so path MTU discovery works instead of a black hole.
import { expect, it } from "vitest";
import { iperfClient, ping, startIperfServer } from "../../lab/traffic.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss } from "../helpers/lab.js";
import { meshLabForAll } from "../helpers/mesh-lab.js";

cleanUpLabsAfterAll();

describeLab("containers at MTU 1500 behind a 1450-byte overlay (--tap-mtu 1500)", () => {
  const net = meshLabForAll({
    lab: { hosts: 2, label: "mtu", overlayMtu: 1500 },
    mesh: { vni: 42, extraArgs: ["--tap-mtu", "1500"] },
    ready: async ({ lab, state }) => expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2 small pings", state),
  });

  it("answers a 1472-byte DF ping with fragmentation needed, mtu 1450 (ping reports it), and counts it", async () => {
    const result = await ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 3, size: 1472, dontFragment: true, interval: 0.2 });
    expect(result.received, result.output).toBe(0);
    expect(result.output).toMatch(/Frag needed and DF set \(mtu = 1450\)|message too long, mtu=1450/);
    const stats = await net.mesh[0]!.vx.stats();
    expect(stats.egress.drops.tooBig, JSON.stringify(stats.egress)).toBeGreaterThan(0);
  });

  it("carries a 1422-byte DF ping (exactly 1450 bytes of IP) across", async () => {
    await expectNoLoss(await ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 3, size: 1422, dontFragment: true }), "1422-byte DF ping", net.state);
  });

  it("completes an iperf3 TCP run both ways: path MTU discovery works", async () => {
    const server = await startIperfServer(net.lab.container(2).ns, net.lab.container(2).address);
    try {
      const up = await iperfClient(net.lab.container(1).ns, net.lab.container(2).address, { seconds: 3 });
      expect(up.bitsPerSecond).toBeGreaterThan(10e6);
      const down = await iperfClient(net.lab.container(1).ns, net.lab.container(2).address, { seconds: 3, reverse: true });
      expect(down.bitsPerSecond).toBeGreaterThan(10e6);
      console.log(`MTU 1500 containers over a 1450 overlay: ${(up.bitsPerSecond / 1e9).toFixed(2)} Gbit/s up (${up.retransmits} retransmits), ${(down.bitsPerSecond / 1e9).toFixed(2)} Gbit/s down (${down.retransmits})`);
    } finally {
      await server.stop();
    }
  });
});
