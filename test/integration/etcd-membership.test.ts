// Membership through etcd (running in the lab's switch namespace): hosts join one by one and
// converge per VNI, a killed host drops out within its lease and comes back, an etcd restart
// under traffic loses nothing, and published MACs are unicast from the first frame.
import { afterAll, beforeAll, expect, it } from "vitest";
import { controlRequest } from "../../src/control/control-client.js";
import { EtcdCluster } from "../../lab/etcd.js";
import { nsExec, sleep } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping, sendFrame, EXPERIMENTAL_ETHERTYPE } from "../../lab/traffic.js";
import { VxswitchProcess, type VxswitchConfig } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const ETCD = "198.18.0.250";
const LEASE_SECONDS = 3;
const H = ["198.18.0.1", "198.18.0.2", "198.18.0.3"];

interface PeerRow { address: string; membership?: { vnis: number[] }; txFrames: number }
interface Status { membership: { state: string; floodPeers: Record<string, string[]>; hosts: number }; peers: PeerRow[] }

describeLab("membership through etcd", () => {
  let lab: Lab;
  let etcd: EtcdCluster;
  const vx: (VxswitchProcess | undefined)[] = [undefined, undefined, undefined];

  /** Hosts 1 and 2 serve VNIs 42 and 43, host 3 only 42. */
  const configOf = (i: number): VxswitchConfig => ({
    local: H[i]!,
    peers: [],
    segments: [{ vni: 42, tap: "vx42", bridge: "br0" }, ...(i < 2 ? [{ vni: 43, tap: "vx43" }] : [])],
    membership: { etcd: { endpoints: etcd.endpoints, leaseSeconds: LEASE_SECONDS, publishMacs: true } },
  });
  const start = async (i: number): Promise<VxswitchProcess> => (vx[i] = await VxswitchProcess.startWithConfig(lab.host(i + 1).ns, configOf(i)));
  const status = async (i: number): Promise<Status> => (await controlRequest(vx[i]!.control, { cmd: "status" })) as Status;
  const peerAddresses = async (i: number): Promise<string[]> => ((await controlRequest(vx[i]!.control, { cmd: "peers" })) as PeerRow[]).map((p) => p.address).sort();
  /** Polls until cond holds; returns the ms it took, or throws with the last state. */
  const within = async (ms: number, what: string, cond: () => Promise<boolean>): Promise<number> => {
    const t0 = Date.now();
    while (!(await cond())) {
      if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms; status: ${JSON.stringify(await Promise.all(vx.map((v, i) => (v?.running ? status(i) : null))), null, 1)}`);
      await sleep(50);
    }
    return Date.now() - t0;
  };
  const running = (): number[] => [0, 1, 2].filter((i) => vx[i]?.running === true);
  /** Every running switch floods each of its VNIs to exactly the other running switches serving it. */
  const converged = async (): Promise<boolean> => {
    for (const i of running()) {
      const s = await status(i);
      const want: Record<string, string[]> = { "42": running().filter((j) => j !== i).map((j) => H[j]!) };
      if (i < 2) want["43"] = running().filter((j) => j !== i && j < 2).map((j) => H[j]!);
      if (JSON.stringify(s.membership.floodPeers) !== JSON.stringify(want) || s.membership.state !== "connected") return false;
    }
    return true;
  };

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, label: "etcd" });
    etcd = await EtcdCluster.start({ ns: lab.switchNs, addresses: [ETCD] });
    await lab.checkUnderlay();
  }, 60_000);

  afterAll(async () => {
    for (const v of vx) await v?.stop().catch(() => undefined);
    await etcd?.destroy();
    await lab?.destroy();
  });

  it("three hosts join one by one and converge: flood lists per VNI match who serves it, every pair pings", async () => {
    for (const i of [0, 1, 2]) {
      await start(i);
      await within(3000, `convergence after h${i + 1} joined`, converged);
    }
    const s1 = await status(0);
    expect(s1.membership.floodPeers).toEqual({ "42": [H[1], H[2]], "43": [H[1]] });
    expect(s1.peers.find((p) => p.address === H[2])?.membership?.vnis).toEqual([42]);
    for (const [a, b] of [[1, 2], [1, 3], [2, 3], [2, 1], [3, 1], [3, 2]] as const) {
      await expectNoLoss(await ping(lab.container(a).ns, lab.container(b).address, { count: 2 }), `c${a} -> c${b}`);
    }
  }, 60_000);

  it("a host killed with SIGKILL leaves the others' peer lists within its lease; restarted, it is back within a second", async () => {
    await vx[2]!.proc.stop("SIGKILL");
    const gone = await within(LEASE_SECONDS * 1000 + 1000, "h3 dropped", async () => !(await peerAddresses(0)).includes(H[2]!) && !(await peerAddresses(1)).includes(H[2]!));
    expect(gone).toBeLessThanOrEqual(LEASE_SECONDS * 1000 + 1000);
    await start(2);
    const back = await within(1000, "h3 back", async () => (await peerAddresses(0)).includes(H[2]!) && (await peerAddresses(1)).includes(H[2]!));
    expect(back).toBeLessThan(1000);
    await within(2000, "convergence after the restart", converged);
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(3).address, { count: 2 }), "c1 -> c3 after h3's restart");
  }, 30_000);

  it("etcd stopped for 10 s and restarted under ping traffic: no reply lost, status says since when and why", async () => {
    const pinging = ping(lab.container(1).ns, lab.container(2).address, { count: 80, interval: 0.2 });
    await sleep(1500);
    await etcd.stopMember(0, true);
    await within(5000, "h1 reports etcd unreachable", async () => (await status(0)).membership.state === "unreachable");
    const down = await status(0);
    expect(down.membership).toMatchObject({ state: "unreachable" });
    expect((down.membership as unknown as { reason?: string }).reason ?? "").not.toBe("");
    expect(down.peers.find((p) => p.address === H[1])).toMatchObject({ membership: { held: { reason: expect.any(String) } } });
    await sleep(10_000 - 1500);
    await etcd.startMember(0);
    await expectNoLoss(await pinging, "c1 -> c2 across the etcd outage");
    await within(8000, "every host connected again", converged);
  }, 60_000);

  it("a MAC published by its host is unicast to that host from the first frame, not flooded", async () => {
    // h1 leaves; c3 makes itself known on h3 (h1 hears nothing of it); h1 comes back and learns it from etcd only.
    await vx[0]!.stop();
    await sendFrame(lab.container(3).ns, "eth0", { ethertype: EXPERIMENTAL_ETHERTYPE, payload: "hello from c3" });
    await sleep(600);
    await start(0);
    await within(3000, "h1 converged", converged);
    const c1 = lab.container(1);
    const c3 = lab.container(3);
    await within(2000, "h1 holds c3's MAC toward h3", async () => (await vx[0]!.fdbShow()).some((e) => e.mac === c3.mac && e.dst === H[2]));
    // Static neighbours: the ping request is the first frame c1 sends, with no ARP broadcast before it.
    await nsExec(c1.ns, ["ip", "neigh", "replace", c3.address, "lladdr", c3.mac, "dev", "eth0", "nud", "permanent"]);
    await nsExec(c3.ns, ["ip", "neigh", "replace", c1.address, "lladdr", c1.mac, "dev", "eth0", "nud", "permanent"]);
    const before = await status(0);
    const statsBefore = await vx[0]!.stats();
    await expectNoLoss(await ping(c1.ns, c3.address, { count: 1 }), "c1 -> c3 by the published MAC");
    const after = await status(0);
    const statsAfter = await vx[0]!.stats();
    const tx = (s: Status, a: string): number => s.peers.find((p) => p.address === a)?.txFrames ?? 0;
    expect(tx(after, H[2]!) - tx(before, H[2]!), "frames h1 sent to h3").toBe(1);
    expect(tx(after, H[1]!) - tx(before, H[1]!), "frames h1 sent to h2").toBe(0);
    expect(Number(statsAfter.egress.flooded) - Number(statsBefore.egress.flooded), "frames h1 flooded").toBe(0);
  }, 30_000);

  it("a MAC that moves to another host is withdrawn by the old one and followed by the FDB within a second", async () => {
    const c3 = lab.container(3);
    await nsExec(c3.ns, ["ip", "link", "set", "eth0", "down"]);
    await sleep(1200);
    const moved = await lab.addContainer(lab.host(2), { cidr: "10.42.0.33/24", mac: c3.mac });
    await sendFrame(moved.ns, "eth0", { ethertype: EXPERIMENTAL_ETHERTYPE, payload: "c3 moved to h2" });
    const t = await within(1000, "h1's FDB follows the move", async () => (await vx[0]!.fdbShow()).some((e) => e.mac === c3.mac && e.dst === H[1]));
    expect(t).toBeLessThan(1000);
    await within(1500, "h3 withdrew it (h2 publishes it)", async () => {
      const m = (await status(2)).membership as unknown as { macsPublished: number };
      const h3Local = (await vx[2]!.fdbShow()).some((e) => e.mac === c3.mac && e.dst === undefined);
      return !h3Local && m.macsPublished >= 1;
    });
  }, 30_000);
});
