// Baseline with kernel vxlan on every host: what the lab and the tests expect of a correct
// VXLAN switch, shown by the kernel itself (and a check of the lab library).
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { sleep } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { EXPERIMENTAL_ETHERTYPE, iperfClient, neighbours, ping, sendFrame, startIperfServer } from "../../lab/traffic.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss } from "../helpers/lab.js";
import { expectHealthyTcp, FAST_PATH } from "../helpers/tcp-floors.js";
import { waitFor } from "../helpers/wait.js";

cleanUpLabsAfterAll();

describeLab("kernel vxlan baseline: two hosts on VNI 42, a container behind br0 on each", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({ hosts: 2, label: "kb2" });
    for (const host of lab.hosts) {
      await addKernelVxlan(host.ns, { vni: 42, local: host.underlayV4, remotes: lab.remotesOf(host) });
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("resolves the remote container's MAC by ARP across the tunnel", async () => {
    const [c1, c2] = [lab.container(1), lab.container(2)];
    await expectNoLoss(await ping(c1.ns, c2.address, { count: 1, timeout: 2 }), "c1 -> c2");
    const entry = (await neighbours(c1.ns, "eth0")).find((n) => n.dst === c2.address);
    expect(entry?.lladdr, JSON.stringify(entry)).toBe(c2.mac);
  });

  it("answers pings in both directions", async () => {
    const [c1, c2] = [lab.container(1), lab.container(2)];
    await expectNoLoss(await ping(c1.ns, c2.address, { count: 5 }), "c1 -> c2");
    await expectNoLoss(await ping(c2.ns, c1.address, { count: 5 }), "c2 -> c1");
  });

  it("carries a full 1450-byte overlay packet unfragmented", async () => {
    const [c1, c2] = [lab.container(1), lab.container(2)];
    await expectNoLoss(await ping(c1.ns, c2.address, { count: 2, size: 1450 - 28, dontFragment: true }), "1450-byte ping c1 -> c2");
  });

  it("carries TCP in both directions above the floor (iperf3, 2 s each way)", async () => {
    const [c1, c2] = [lab.container(1), lab.container(2)];
    const server = await startIperfServer(c2.ns, c2.address);
    try {
      const forward = await iperfClient(c1.ns, c2.address, { seconds: 2 });
      const reverse = await iperfClient(c1.ns, c2.address, { seconds: 2, reverse: true });
      await expectHealthyTcp(forward, { floor: FAST_PATH, what: "kernel vxlan c1 -> c2" });
      await expectHealthyTcp(reverse, { floor: FAST_PATH, what: "kernel vxlan c2 -> c1" });
    } finally {
      await server.stop();
    }
  });
});

describeLab("kernel vxlan baseline: three-host unicast mesh on VNI 42", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({ hosts: 3, label: "kb3" });
    for (const host of lab.hosts) {
      await addKernelVxlan(host.ns, { vni: 42, local: host.underlayV4, remotes: lab.remotesOf(host) });
    }
    await lab.checkUnderlay();
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("keeps the underlay silent while the containers are idle (no stray IGMP/IPv6 chatter)", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
    await sleep(2000);
    await capture.stop();
    expect(await capture.count(), await capture.summary()).toBe(0);
  });

  it("replicates one broadcast frame once to each peer, and no host sends it on", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
    try {
      await sendFrame(lab.container(1).ns, "eth0", { ethertype: EXPERIMENTAL_ETHERTYPE, payload: "baseline broadcast" });
      const filter = `eth.type == 0x${EXPERIMENTAL_ETHERTYPE.toString(16)}`;
      const first = await waitFor(() => capture.tally(["ip.src", "ip.dst"], filter), (t) => Object.values(t).reduce((a, b) => a + b, 0) >= 2);
      expect(first).toEqual({ "198.18.0.1 198.18.0.2": 1, "198.18.0.1 198.18.0.3": 1 });
      // Proving that no host sends it on takes a window: a loop would re-send within it.
      await sleep(2000);
      await capture.stop();
      expect(await capture.tally(["ip.src", "ip.dst"], filter)).toEqual(first);
    } finally {
      await capture.stop();
    }
  });

  it("sends a learned unicast flow only to the host behind which the destination MAC lives", async () => {
    const [c1, c2] = [lab.container(1), lab.container(2)];
    await expectNoLoss(await ping(c1.ns, c2.address, { count: 2 }), "warm-up c1 -> c2");
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
    try {
      await expectNoLoss(await ping(c1.ns, c2.address, { count: 20, interval: 0.05 }), "burst c1 -> c2");
    } finally {
      await capture.stop();
    }
    expect(await capture.count("ip.dst == 198.18.0.3")).toBe(0);
    expect(await capture.count("ip.src == 198.18.0.1 && ip.dst == 198.18.0.2 && icmp.type == 8")).toBeGreaterThanOrEqual(20);
  });
});

describeLab("kernel vxlan baseline: two hosts over an IPv6 underlay (2001:2::/64)", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({ hosts: 2, ipv6: true, label: "kb6" });
    for (const host of lab.hosts) {
      await addKernelVxlan(host.ns, { vni: 42, local: lab.localOf(host, 6), remotes: lab.remotesOf(host, 6) });
    }
    await lab.checkUnderlay(6);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("answers pings in both directions", async () => {
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3 }), "c1 -> c2");
    await expectNoLoss(await ping(lab.container(2).ns, lab.container(1).address, { count: 3 }), "c2 -> c1");
  });

  it("carries a full 1430-byte overlay packet unfragmented, and the tunnel packets are IPv6", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "ip6 and udp port 4789", direction: "in" });
    try {
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2, size: 1430 - 28, dontFragment: true }), "1430-byte ping");
    } finally {
      await capture.stop();
    }
    expect(await capture.count("ipv6.src == 2001:2::1 && icmp.type == 8 && ip.len == 1430")).toBe(2);
  });
});
