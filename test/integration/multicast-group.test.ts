// Multicast group mode (VNI 42, group 239.1.1.1): three vxswitch hosts and one kernel vxlan host
// with no peer lists at all. A broadcast goes to the group once; peers are learned from what
// arrives, and known unicast goes straight to the learned peer. A second lab checks the cap on
// learned peers and their ageing.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { nsExec } from "../../lab/netns.js";
import { Lab, UNDERLAY_BRIDGE } from "../../lab/topology.js";
import { EXPERIMENTAL_ETHERTYPE, ping, sendFrame } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, switchState } from "../helpers/lab.js";
import { waitFor } from "../helpers/wait.js";

cleanUpLabsAfterAll();

const GROUP = "239.1.1.1";

/** `vxswitch up` flags of group mode on the lab underlay. */
function groupArgs(extra: string[] = []): string[] {
  return ["--group", GROUP, "--dev", "u0", ...extra];
}

function peerCounters(stats: Record<string, unknown>): Record<string, number> {
  const peers = stats.peers;
  if (typeof peers !== "object" || peers === null) throw new Error(`stats has no peers counters: ${JSON.stringify(stats)}`);
  return peers as Record<string, number>;
}

describeLab("multicast group mode: vxswitch on h1..h3 (h2 on node:dgram), kernel vxlan on h4, group 239.1.1.1", () => {
  let lab: Lab;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = (): Promise<string> => switchState(switches);
  const vx = (i: number): VxswitchProcess => switches[i - 1]!.vx!;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 4, label: "mcast" });
    await lab.checkUnderlay();
    for (const i of [1, 2, 3]) {
      const host = lab.host(i);
      // h1 sends group traffic with TTL 4 so the capture can tell that --ttl is applied; h2 runs
      // on node:dgram, whose group join is a different code path.
      const started = await VxswitchProcess.start(host.ns, {
        local: host.underlayV4,
        remotes: [],
        vni: 42,
        tap: "vxtap42",
        bridge: "br0",
        io: i === 2 ? "dgram" : "batch",
        extraArgs: groupArgs(i === 1 ? ["--ttl", "4"] : []),
      });
      switches.push({ name: host.name, vx: started });
    }
    const h4 = lab.host(4);
    await addKernelVxlan(h4.ns, { vni: 42, local: h4.underlayV4, remotes: [], group: GROUP });
  });

  afterAll(async () => {
    try {
      await Promise.all(switches.map(({ vx: v }) => v?.stop()));
    } finally {
      await lab?.destroy();
    }
  });

  it("runs on an underlay bridge that floods multicast (snooping off)", async () => {
    const snooping = await nsExec(lab.switchNs, ["cat", `/sys/class/net/${UNDERLAY_BRIDGE}/bridge/multicast_snooping`]);
    expect(snooping.trim()).toBe("0");
  });

  const pairs: Array<[number, number]> = [];
  for (const a of [1, 2, 3, 4]) for (const b of [1, 2, 3, 4]) if (a !== b) pairs.push([a, b]);

  it.each(pairs)("answers pings from the container on h%i to the container on h%i", async (from, to) => {
    const result = await ping(lab.container(from).ns, lab.container(to).address, { count: 2, timeout: 2 });
    await expectNoLoss(result, `c${from} -> c${to}`, state);
  });

  it("has learned every other host as a peer, and configured none", async () => {
    for (const i of [1, 2, 3]) {
      const peers = await vx(i).peers();
      const learned = peers.filter((p) => p.dynamic).map((p) => p.address).sort();
      const others = lab.remotesOf(lab.host(i)).sort();
      expect(learned, `h${i} peers: ${JSON.stringify(peers)}`).toEqual(others);
      expect(peers.filter((p) => !p.dynamic), `h${i} configured peers`).toEqual([]);
    }
  });

  it("sends one copy of a broadcast to the group, with the configured TTL, and every other host delivers it once", async () => {
    const ether = `0x${EXPERIMENTAL_ETHERTYPE.toString(16)}`;
    // On h1's port of the underlay bridge: "any" would also see the copy the bridge passes up to itself.
    const underlay = await Capture.start({ ns: lab.switchNs, iface: lab.host(1).name, filter: "udp port 4789", direction: "in" });
    const receivers = await Promise.all(
      [1, 2, 3, 4].map((i) => Capture.start({ ns: lab.container(i).ns, iface: "eth0", filter: `ether proto ${ether}`, direction: "in" })),
    );
    const captures = [underlay, ...receivers];
    try {
      await sendFrame(lab.container(1).ns, "eth0", { payload: "group broadcast" });
      await waitFor(() => Promise.all(receivers.map((c) => c.count())), (counts) => counts.reduce((a, b) => a + b, 0) >= 3);
    } finally {
      await Promise.all(captures.map((c) => c.stop()));
    }
    const filter = `eth.type == ${ether}`;
    const copies = await underlay.tally(["ip.src", "ip.dst", "ip.ttl"], filter);
    const why = await because(JSON.stringify(copies) !== JSON.stringify({ [`198.18.0.1 ${GROUP} 4`]: 1 }), async () => `${await underlay.summary()}\n${await state()}`);
    expect(copies, why).toEqual({ [`198.18.0.1 ${GROUP} 4`]: 1 });
    expect(await Promise.all(receivers.map((c) => c.count())), "copies delivered to the containers on h1..h4").toEqual([0, 1, 1, 1]);
  });

  it("sends known unicast to the learned peer's own address, not to the group", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
    try {
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3 }), "c1 -> c2", state);
      await expectNoLoss(await ping(lab.container(3).ns, lab.container(4).address, { count: 3 }), "c3 -> c4 (kernel)", state);
    } finally {
      await capture.stop();
    }
    const tally = await capture.tally(["ip.src", "ip.dst"], "icmp");
    expect(tally, await capture.summary("icmp")).toEqual({
      "198.18.0.1 198.18.0.2": 3,
      "198.18.0.2 198.18.0.1": 3,
      "198.18.0.3 198.18.0.4": 3,
      "198.18.0.4 198.18.0.3": 3,
    });
  });

  it("does not hear its own group traffic (loop off) and refuses nothing", async () => {
    for (const i of [1, 2, 3]) {
      const stats = await vx(i).stats();
      const peers = peerCounters(stats);
      expect(peers.refused, `h${i} ${JSON.stringify(stats)}`).toBe(0);
      expect(peers.learnedNow, `h${i} ${JSON.stringify(stats)}`).toBe(3);
      expect(stats.ingress.drops.unknownPeer ?? 0, `h${i} ${JSON.stringify(stats)}`).toBe(0);
    }
  });

  it("keeps running through all of it", () => {
    for (const { name, vx: v } of switches) expect(v?.running, `${name}: ${v?.transcript()}`).toBe(true);
  });
});

describeLab("multicast group mode: at most N learned peers, idle ones age out", () => {
  let lab: Lab;
  const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
  const state = (): Promise<string> => switchState(switches);
  const AGEING_S = 8;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, label: "mcage" });
    for (const i of [1, 2, 3]) {
      const host = lab.host(i);
      // h1 learns one peer at most and forgets it after 5 s of silence.
      const extra = i === 1 ? groupArgs(["--max-learned-peers", "1", "--ageing", String(AGEING_S)]) : groupArgs();
      const started = await VxswitchProcess.start(host.ns, { local: host.underlayV4, remotes: [], vni: 42, tap: "vxtap42", bridge: "br0", extraArgs: extra });
      switches.push({ name: host.name, vx: started });
    }
  });

  afterAll(async () => {
    try {
      await Promise.all(switches.map(({ vx: v }) => v?.stop()));
    } finally {
      await lab?.destroy();
    }
  });

  const h1 = (): VxswitchProcess => switches[0]!.vx!;
  const learnedBy1 = async (): Promise<string[]> => (await h1().peers()).filter((p) => p.dynamic).map((p) => p.address);
  // Raw broadcast frames, not pings: ARP and neighbour probes would keep a peer alive by themselves.
  const announce = (i: number): Promise<void> => sendFrame(lab.container(i).ns, "eth0", { payload: `hello from c${i}` });

  it("learns the first peer that talks to it, and the sender's MAC behind it", async () => {
    await announce(2);
    expect(await waitFor(learnedBy1, (learned) => learned.length > 0), await state()).toEqual(["198.18.0.2"]);
    const fdb = await h1().fdbShow();
    expect(fdb.filter((e) => e.dst === "198.18.0.2").map((e) => e.mac), await h1().fdbShowText()).toEqual([lab.container(2).mac]);
  });

  it("refuses a second peer beyond --max-learned-peers 1, and counts the refusals", async () => {
    // The learned peer must not age out before c3 speaks (a busy machine takes seconds between
    // steps): c2 speaks again first, and c3 right after it, well inside the ageing time.
    await announce(2);
    await announce(3);
    const stats = await waitFor(() => h1().stats(), (st) => peerCounters(st).refused >= 1);
    const peers = peerCounters(stats);
    expect(await learnedBy1()).toEqual(["198.18.0.2"]);
    expect(peers.learnedNow, JSON.stringify(stats)).toBe(1);
    expect(peers.refused, JSON.stringify(stats)).toBe(1);
    expect(stats.ingress.drops.unknownPeer, JSON.stringify(stats)).toBe(1);
  });

  it("removes the idle peer and its FDB entries after the ageing time", async () => {
    const learned = await waitFor(learnedBy1, (peers) => peers.length === 0, { timeoutMs: (AGEING_S + 10) * 1000, intervalMs: 250 });
    expect(learned, await state()).toEqual([]);
    expect((await h1().fdbShow()).filter((e) => e.mac === lab.container(2).mac), await h1().fdbShowText()).toEqual([]);
    expect(peerCounters(await h1().stats()).aged).toBe(1);
  });

  it("then has room for the peer it refused before, and forwards to it", async () => {
    await expectNoLoss(await ping(lab.container(3).ns, lab.container(1).address, { count: 2, timeout: 2 }), "c3 -> c1 after ageing", state);
    expect(await learnedBy1()).toEqual(["198.18.0.3"]);
  });
});
