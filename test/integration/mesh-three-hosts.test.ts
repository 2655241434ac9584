// Three hosts in a full unicast mesh of vxswitch (VNI 42): every pair of containers talks, and a
// broadcast is head-end replicated once per peer and never re-sent by a peer (split horizon).
import { expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { sleep } from "../../lab/netns.js";
import { EXPERIMENTAL_ETHERTYPE, ping, sendFrame } from "../../lab/traffic.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss } from "../helpers/lab.js";
import { meshLabForAll } from "../helpers/mesh-lab.js";
import { waitFor } from "../helpers/wait.js";

cleanUpLabsAfterAll();

const pairs: Array<[number, number]> = [
  [1, 2],
  [1, 3],
  [2, 1],
  [2, 3],
  [3, 1],
  [3, 2],
];

describeLab("vxswitch full mesh of three hosts on VNI 42", () => {
  const net = meshLabForAll({ lab: { hosts: 3, label: "mesh" }, mesh: { vni: 42 } });

  it.each(pairs)("answers pings from the container on h%i to the container on h%i", async (from, to) => {
    const result = await ping(net.lab.container(from).ns, net.lab.container(to).address, { count: 3 });
    await expectNoLoss(result, `c${from} -> c${to}`, net.state);
  });

  it("replicates one broadcast frame once to each peer, and no peer sends it on (no loop)", async () => {
    const filter = `eth.type == 0x${EXPERIMENTAL_ETHERTYPE.toString(16)}`;
    const underlay = await Capture.start({ ns: net.lab.switchNs, filter: "udp port 4789", direction: "in" });
    const receivers = await Promise.all(
      [1, 2, 3].map((i) => Capture.start({ ns: net.lab.container(i).ns, iface: "eth0", filter: `ether proto 0x${EXPERIMENTAL_ETHERTYPE.toString(16)}`, direction: "in" })),
    );
    const captures = [underlay, ...receivers];
    try {
      await sendFrame(net.lab.container(1).ns, "eth0", { ethertype: EXPERIMENTAL_ETHERTYPE, payload: "net.mesh broadcast" });
      const expected = { "198.18.0.1 198.18.0.2": 1, "198.18.0.1 198.18.0.3": 1 };
      const first = await waitFor(() => underlay.tally(["ip.src", "ip.dst"], filter), (t) => Object.values(t).reduce((a, b) => a + b, 0) >= 2);
      const why = await because(JSON.stringify(first) !== JSON.stringify(expected), async () => `underlay copies (outer src dst: count) once two had arrived\n${await underlay.summary()}\n${await net.state()}`);
      expect(first, why).toEqual(expected);

      // Proving that no host sends it on takes a window: a loop would re-send within it.
      await sleep(2000);
      await Promise.all(captures.map((c) => c.stop()));
      const later = await underlay.tally(["ip.src", "ip.dst"], filter);
      expect(later, `underlay copies after 2.5 s: a loop re-sends the frame\n${await underlay.summary()}`).toEqual(expected);

      const delivered = await Promise.all(receivers.map((c) => c.count()));
      expect(delivered, "copies received by the containers on h1, h2, h3").toEqual([0, 1, 1]);
    } finally {
      await Promise.all(captures.map((c) => c.stop()));
    }
  });

  it("is still forwarding on every host afterwards", async () => {
    for (const member of net.mesh) expect(member.vx.running, member.vx.transcript()).toBe(true);
    await expectNoLoss(await ping(net.lab.container(3).ns, net.lab.container(1).address, { count: 2 }), `c3 -> c1 after the broadcast`, net.state);
  });
});
