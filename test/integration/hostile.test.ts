// Hostile traffic at running switches: live fuzzing of the VXLAN socket and the TAP, a MAC flood,
// a broadcast storm against a flood limit. Every packet is accounted for, valid traffic keeps flowing.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { processMemory } from "../../lab/cpu.js";
import { accounted, runFuzzer } from "../../lab/fuzz.js";
import { ipIn } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess, type VxswitchStats } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";
import { meshLabForAll } from "../helpers/mesh-lab.js";

cleanUpLabsAfterAll();

const TAP = "vxtap42";
/** Largest frame a 1450-byte overlay delivers: MTU + Ethernet header + one 802.1Q tag. */
const MAX_FRAME = 1450 + 18;

interface LinkCounters {
  rx: number;
  tx: number;
}

async function tapCounters(ns: string): Promise<LinkCounters> {
  const link = (JSON.parse(await ipIn(ns, ["-s", "-j", "link", "show", "dev", TAP])) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[])[0]!;
  return { rx: link.stats64.rx.packets, tx: link.stats64.tx.packets };
}

interface Io {
  truncated: number;
  malformed: number;
}

function ioOf(stats: VxswitchStats): Io {
  const io = stats.io as Io;
  return { truncated: io.truncated, malformed: io.malformed };
}

async function txTo(vx: VxswitchProcess, address: string): Promise<number> {
  return (await vx.peers()).find((p) => p.address === address)?.txFrames ?? 0;
}

describeLab("hostile traffic at a three-host VXLAN mesh", () => {
  const net = meshLabForAll({
    lab: { hosts: 3, label: "hostile" },
    mesh: { vni: 42, extraArgs: ["--max-addresses", "4096"] },
    ready: async ({ lab, state }) => expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2 before", state),
  });

  it("takes 20,000 random and mutated VXLAN packets from a peer's address while pinging: stays up, accounts for every packet, forwards nothing malformed", async () => {
    const [h1, h2, h3] = net.mesh;
    const target = net.lab.localOf(h1!.host);
    const before = await h1!.vx.stats();
    const legitBefore = (await txTo(h2!.vx, target)) + (await txTo(h3!.vx, target));
    const capture = await Capture.start({ ns: h1!.host.ns, iface: TAP, direction: "in", snaplen: 64 });
    const pings = ping(net.lab.container(2).ns, net.lab.container(1).address, { count: 30, interval: 0.1, timeout: 1 });
    const fuzz = await runFuzzer(net.lab.host(3).ns, { mode: "udp", count: 20_000, seed: 7, pps: 20_000, src: net.lab.localOf(net.lab.host(3)), dst: target });
    await expectNoLoss(await pings, "c2 -> c1 during the fuzz", net.state);
    await capture.stop();
    expect(h1!.vx.running, h1!.vx.transcript()).toBe(true);
    const after = await h1!.vx.stats();
    const legit = (await txTo(h2!.vx, target)) + (await txTo(h3!.vx, target)) - legitBefore;
    const io = ioOf(after);
    const ioBefore = ioOf(before);
    const received = fuzz.sent + legit;
    const seen = accounted(after.ingress) - accounted(before.ingress) + io.truncated - ioBefore.truncated;
    // Forwarded + dropped-by-reason is every datagram; a delivered frame the TAP then refused is
    // counted twice (forwarded, then txError), so the sum may exceed by those.
    const tapRefused = (after.ingress.drops.txError ?? 0) - (before.ingress.drops.txError ?? 0);
    expect(seen, JSON.stringify({ fuzz, legit, before: before.ingress, after: after.ingress })).toBeGreaterThanOrEqual(received);
    expect(seen - received).toBeLessThanOrEqual(tapRefused);
    expect(await capture.count(`frame.len < 14 or frame.len > ${MAX_FRAME}`), "frames written to the TAP that the switch should have dropped").toBe(0);
  });

  it("takes 20,000 random and mutated frames into its TAP while pinging: every frame the TAP handed up is forwarded or dropped with a reason", async () => {
    const h1 = net.mesh[0]!;
    const before = await h1.vx.stats();
    const tapBefore = await tapCounters(h1.host.ns);
    const capture = await Capture.start({ ns: net.lab.host(2).ns, iface: TAP, direction: "in", snaplen: 64 });
    const pings = ping(net.lab.container(2).ns, net.lab.container(1).address, { count: 30, interval: 0.1, timeout: 1 });
    const fuzz = await runFuzzer(net.lab.container(1).ns, { mode: "tap", count: 20_000, seed: 11, pps: 20_000, iface: net.lab.container(1).ifname });
    await expectNoLoss(await pings, "c2 -> c1 during the TAP fuzz", net.state);
    await capture.stop();
    expect(h1.vx.running, h1.vx.transcript()).toBe(true);
    expect(fuzz.sent).toBeGreaterThan(10_000);
    const after = await h1.vx.stats();
    const handedUp = (await tapCounters(h1.host.ns)).tx - tapBefore.tx;
    expect(accounted(after.egress) - accounted(before.egress), JSON.stringify({ fuzz, handedUp, egress: after.egress })).toBe(handedUp);
    expect(await capture.count(`frame.len < 14 or frame.len > ${MAX_FRAME}`)).toBe(0);
  });

  it("holds a flood of 100,000 distinct source MACs: the table stays at its maximum, evictions are counted, RSS stays bounded, established hosts keep connectivity", async () => {
    const h1 = net.mesh[0]!;
    const pid = h1.vx.proc.child.pid!;
    const rssBefore = processMemory(pid).rssBytes;
    const before = await h1.vx.stats();
    const pings = [
      ping(net.lab.container(2).ns, net.lab.container(1).address, { count: 110, interval: 0.1, timeout: 1 }),
      ping(net.lab.container(3).ns, net.lab.container(2).address, { count: 110, interval: 0.1, timeout: 1 }),
    ];
    const flood = await runFuzzer(net.lab.container(1).ns, { mode: "macflood", count: 100_000, pps: 10_000, iface: net.lab.container(1).ifname });
    // On this 2-core lab a few pings of 110 can be lost while three switches, two bridges and the
    // generator share the CPUs (the FDB cannot cause it: an evicted host is flooded to, not lost).
    for (const [i, what] of ["c2 -> c1", "c3 -> c2"].entries()) {
      const r = await pings[i]!;
      expect(r.received, `${what} during the MAC flood: ${r.received}/${r.transmitted}\n${await net.state()}`).toBeGreaterThanOrEqual(r.transmitted - 3);
    }
    const after = await h1.vx.stats();
    const fdb = after.fdb as { entries: number; evicted: number; learned: number };
    const fdbBefore = before.fdb as { evicted: number; learned: number };
    const learned = fdb.learned - fdbBefore.learned;
    expect(flood.sent).toBe(100_000);
    expect(learned, "most of the flood reached the switch").toBeGreaterThan(50_000);
    // 4096 learned at most, plus the TAP's own MAC (a static entry, outside the learned table).
    expect((after.segments as { fdbEntries: number }[])[0]!.fdbEntries).toBeLessThanOrEqual(4096 + 1);
    expect(fdb.evicted - fdbBefore.evicted).toBeGreaterThanOrEqual(learned - 4096);
    const grown = processMemory(pid).rssBytes - rssBefore;
    expect(grown, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(64 * 2 ** 20);
    await expectNoLoss(await ping(net.lab.container(1).ns, net.lab.container(3).address, { count: 3, interval: 0.1 }), "c1 -> c3 after the flood", net.state);
  });
});

describeLab("a broadcast storm against floodRateLimit (two segments, two hosts)", () => {
  let lab: Lab;
  const switches: VxswitchProcess[] = [];
  const state = (): Promise<string> => switchState(switches.map((vx, i) => ({ name: `h${i + 1}`, vx })));

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "storm" });
    await lab.checkUnderlay();
    for (const host of lab.hosts) await lab.addContainer(host, { bridge: "br1", cidr: `10.43.0.${host.index}/24`, mac: `52:54:00:43:00:0${host.index}` });
    for (const host of lab.hosts) {
      switches.push(await VxswitchProcess.startWithConfig(host.ns, {
        local: lab.localOf(host), peers: lab.remotesOf(host),
        segments: [
          { vni: 42, tap: "vxtap42", bridge: "br0", floodRateLimit: { pps: 500, burst: 500 } },
          { vni: 43, tap: "vxtap43", bridge: "br1" },
        ],
      }));
    }
  }, 120_000);

  afterAll(() => stopThenDestroy(lab, ...switches));

  it("limits the storm's segment to its rate and leaves the other segment's traffic alone", async () => {
    const before = await switches[0]!.stats();
    const d1 = lab.container(1, 1);
    const d2 = lab.container(2, 1);
    const other = ping(d1.ns, d2.address, { count: 30, interval: 0.1, timeout: 1 });
    const storm = await runFuzzer(lab.container(1).ns, { mode: "storm", count: 40_000, pps: 20_000, iface: lab.container(1).ifname });
    await expectNoLoss(await other, "d1 -> d2 (VNI 43) during the storm on VNI 42", state);
    const after = await switches[0]!.stats();
    const limited = (after.egress.drops.floodLimited ?? 0) - (before.egress.drops.floodLimited ?? 0);
    const flooded = (after.egress.flooded as number) - (before.egress.flooded as number);
    expect(storm.sent).toBe(40_000);
    // ~2 s of storm: the burst plus 500 per second (and the other segment's few ARP floods).
    expect(flooded, JSON.stringify({ storm, limited, flooded })).toBeLessThan(500 + 500 * (storm.seconds + 1) + 50);
    expect(limited).toBeGreaterThan(30_000);
  });
});
