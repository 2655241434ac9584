// Faults under a running switch: its TAP deleted, a restart (stable TAP MAC), a spoofed VXLAN
// packet claiming a local MAC, a peer killed and restarted. Real switches in network namespaces.
import { expect, it } from "vitest";
import { ipIn, nsExec, sleep } from "../../lab/netns.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss } from "../helpers/lab.js";
import { meshLabForAll } from "../helpers/mesh-lab.js";

cleanUpLabsAfterAll();

const TAP = "vxtap42";

/** Sends `count` VXLAN packets (VNI 42) from `from` (a peer's underlay address) to `to`:4789, inner source `srcMac`. */
const SPOOF_PY = `
import socket, sys, time
src, dst, mac, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
inner = bytes.fromhex("ffffffffffff") + bytes.fromhex(mac.replace(":", "")) + b"\\x88\\xb5" + b"spoof".ljust(46, b"\\0")
pkt = bytes([0x08, 0, 0, 0, 0, 0, 42, 0]) + inner
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for _ in range(count):
    s.sendto(pkt, (dst, 4789))
    time.sleep(0.02)
`;

async function tapMac(ns: string): Promise<string> {
  const parsed = JSON.parse(await ipIn(ns, ["-j", "link", "show", "dev", TAP])) as { address: string }[];
  return parsed[0]!.address;
}

describeLab("faults under a running switch (three-host mesh, VNI 42)", () => {
  const net = meshLabForAll({
    lab: { hosts: 3, label: "faults" },
    mesh: { vni: 42 },
    ready: async ({ lab, state }) => expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2 before the faults", state),
  });

  const startOn = (index: number, extraArgs: string[] = []): Promise<VxswitchProcess> => {
    const host = net.lab.host(index);
    return VxswitchProcess.start(host.ns, { local: net.lab.localOf(host), remotes: net.lab.remotesOf(host), vni: 42, tap: TAP, bridge: "br0", extraArgs });
  };

  it("survives its TAP being deleted while pinging: it stays up, recreates the TAP on br0 with the same MAC, pings resume", async () => {
    const h1 = net.mesh[0]!;
    const macBefore = await tapMac(h1.host.ns);
    const during = ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 30, interval: 0.1, timeout: 1 });
    await sleep(1000);
    await ipIn(h1.host.ns, ["link", "del", TAP]);
    const result = await during;
    expect(h1.vx.running, h1.vx.transcript()).toBe(true);
    expect(h1.vx.transcript()).toMatch(/TAP vxtap42: cannot .* recreating/);
    expect(h1.vx.transcript()).toMatch(/TAP vxtap42: recreated and re-attached/);
    expect(await tapMac(h1.host.ns)).toBe(macBefore);
    const master = JSON.parse(await ipIn(h1.host.ns, ["-j", "link", "show", "dev", TAP])) as { master?: string }[];
    expect(master[0]!.master).toBe("br0");
    // Replies came back after the deletion, within the same ping run.
    expect(result.received, result.output).toBeGreaterThan(15);
    await expectNoLoss(await ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 5, interval: 0.1 }), "c1 -> c2 after the TAP was recreated", net.state);
    const status = await h1.vx.status();
    expect(status.taps).toEqual([expect.objectContaining({ name: TAP, state: "up", recreated: 1, failures: 1 })]);
  });

  it("does not let a spoofed VXLAN packet from a peer's address steal h1's container MAC (0% loss meanwhile)", async () => {
    const h1 = net.mesh[0]!;
    const before = Number((await h1.vx.stats()).fdb.moveRefused ?? 0);
    const victim = net.lab.container(1);
    const pings = ping(net.lab.container(2).ns, victim.address, { count: 30, interval: 0.1, timeout: 1 });
    await sleep(300);
    // From h3's namespace with h3's underlay address as source: a configured peer of h1.
    await nsExec(net.lab.host(3).ns, ["python3", "-c", SPOOF_PY, net.lab.localOf(net.lab.host(3)), net.lab.localOf(h1.host), victim.mac, "50"]);
    await expectNoLoss(await pings, "c2 -> c1 while h3's address claims c1's MAC", net.state);
    const fdb = await h1.vx.fdbShow();
    expect(fdb.find((e) => e.mac === victim.mac)?.dst, fdb.map((e) => e.line).join("\n")).toBeUndefined();
    expect(Number((await h1.vx.stats()).fdb.moveRefused)).toBeGreaterThan(before);
  });

  it("keeps its TAP's MAC across a restart: a neighbour's old ARP entry works again within 1 s", async () => {
    // h2's switch with an address on its TAP (no bridge), so c1 holds an ARP entry for the TAP's MAC.
    const i2 = net.mesh.findIndex((m) => m.host.index === 2);
    await net.mesh[i2]!.vx.stop();
    const args = ["--address", "10.42.0.202/24"];
    const h2 = net.lab.host(2);
    const start = (): Promise<VxswitchProcess> =>
      VxswitchProcess.start(h2.ns, { local: net.lab.localOf(h2), remotes: net.lab.remotesOf(h2), vni: 42, tap: TAP, extraArgs: args });
    let vx = await start();
    net.mesh[i2] = { host: h2, vx };
    await expectNoLoss(await ping(net.lab.container(1).ns, "10.42.0.202", { count: 2 }), "c1 -> h2's TAP", net.state);
    const mac = await tapMac(h2.ns);
    await vx.stop();
    vx = await start();
    net.mesh[i2] = { host: h2, vx };
    expect(await tapMac(h2.ns)).toBe(mac);
    const neigh = await nsExec(net.lab.container(1).ns, ["ip", "neigh", "show", "10.42.0.202"]);
    expect(neigh).toContain(mac);
    const t0 = Date.now();
    const again = await ping(net.lab.container(1).ns, "10.42.0.202", { count: 5, interval: 0.2, timeout: 1 });
    await expectNoLoss(again, `c1 -> h2's TAP right after the restart (${Date.now() - t0} ms)`, net.state);
    expect(again.rttsMs[0]).toBeLessThan(1000);
    // Back to the mesh member the other tests expect.
    await vx.stop();
    net.mesh[i2] = { host: h2, vx: await startOn(2) };
  });

  it("keeps traffic between h1 and h2 flowing while h3's switch is killed, and reaches h3 within 1 s of its restart", async () => {
    const i3 = net.mesh.findIndex((m) => m.host.index === 3);
    // c1 keeps c3's MAC while h3 is down (a permanent neighbour entry): what is measured after the
    // restart is the switches, not how long c1's ARP waits after failed resolutions.
    const c1 = net.lab.container(1);
    const c3 = net.lab.container(3);
    await nsExec(c1.ns, ["ip", "neigh", "replace", c3.address, "lladdr", c3.mac, "dev", c1.ifname, "nud", "permanent"]);
    await net.mesh[i3]!.vx.proc.stop("SIGKILL");
    // Sends toward the dead peer (floods, and unicast to c3) get ICMP port unreachable back.
    const toDead = ping(net.lab.container(1).ns, net.lab.container(3).address, { count: 20, interval: 0.1, timeout: 1 });
    await expectNoLoss(await ping(net.lab.container(1).ns, net.lab.container(2).address, { count: 30, interval: 0.1 }), "c1 -> c2 while h3 is down", net.state);
    await toDead;
    const h3 = await startOn(3);
    net.mesh[i3] = { host: net.lab.host(3), vx: h3 };
    const t0 = Date.now();
    const back = await ping(net.lab.container(1).ns, net.lab.container(3).address, { count: 5, interval: 0.2, timeout: 1 });
    await expectNoLoss(back, `c1 -> c3 after h3's restart (${Date.now() - t0} ms)`, net.state);
    expect(back.rttsMs[0]).toBeLessThan(1000);
    const peers = await net.mesh[0]!.vx.status();
    expect(peers.peers).toEqual(expect.arrayContaining([expect.objectContaining({ address: net.lab.localOf(net.lab.host(3)) })]));
  });
});
