// MAC learning in a three-host vxswitch mesh: once h1 has heard from h2's container, frames to
// that container go to h2's underlay address only, never flooded to h3.
import { expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { ping } from "../../lab/traffic.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss } from "../helpers/lab.js";
import { meshLabForAll } from "../helpers/mesh-lab.js";

cleanUpLabsAfterAll();

describeLab("vxswitch learns where MACs live (three-host mesh, VNI 42)", () => {
  const net = meshLabForAll({ lab: { hosts: 3, label: "learn" }, mesh: { vni: 42 } });

  it("answers a first exchange between the containers on h1 and h2", async () => {
    await expectNoLoss(await ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 2 }), `c1 -> c2`, net.state);
  });

  it("lists h2's container MAC in h1's FDB behind 198.18.0.2, and h1's own container on the TAP", async () => {
    const fdb = await net.member(1).vx.fdbShow();
    const text = fdb.map((e) => e.line).join("\n");
    const remote = fdb.find((e) => e.mac === net.lab.container(2).mac);
    expect(remote?.dst, `h1 fdb show:\n${text}`).toBe("198.18.0.2");
    expect(remote?.vni, `h1 fdb show:\n${text}`).toBe(42);
    const local = fdb.find((e) => e.mac === net.lab.container(1).mac);
    expect(local?.dst, `h1 fdb show:\n${text}`).toBeUndefined();
    expect(local?.dev, `h1 fdb show:\n${text}`).toBe("vxtap42");
  });

  it("sends a unicast burst (20 pings at 50 ms) only to h2's underlay address, none to h3", async () => {
    const capture = await Capture.start({ ns: net.lab.switchNs, filter: "udp port 4789", direction: "in" });
    const result = await ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 20, interval: 0.05 }).finally(() => capture.stop());
    await expectNoLoss(result, `burst c1 -> c2`, net.state);
    const toH3 = await capture.count("ip.dst == 198.18.0.3");
    const why = await because(toH3 !== 0, async () => `packets to 198.18.0.3 during the burst:\n${await capture.summary("ip.dst == 198.18.0.3")}\n${await net.state()}`);
    expect(toH3, why).toBe(0);
    const requestsToH2 = await capture.count("ip.src == 198.18.0.1 && ip.dst == 198.18.0.2 && icmp.type == 8");
    expect(requestsToH2, `echo requests 198.18.0.1 -> 198.18.0.2:\n${await capture.summary()}`).toBeGreaterThanOrEqual(20);
  });
});
