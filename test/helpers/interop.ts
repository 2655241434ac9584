// Shared specs for two-host overlay tests: ping and iperf3 both ways, and a capture of the
// underlay that tshark dissects once at the end.
import { it } from "vitest";
import { Capture, type DissectedFrame } from "../../lab/capture.js";
import type { Lab, LabContainer, LabHost } from "../../lab/topology.js";
import { iperfClient, ping, startIperfServer } from "../../lab/traffic.js";
import type { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { expectCleanDissection, framesBySource } from "./dissection.js";
import { expectNoLoss } from "./lab.js";
import { expectHealthyTcp, type TcpFloor } from "./tcp-floors.js";

export type Switches = Array<{ name: string; vx: VxswitchProcess | undefined }>;

/** GRE fields the wire checks read, in DissectedFrame.fields order (see GRE_FIELD). */
export const GRE_FIELDS = ["gre.flags_and_version", "gre.proto", "gre.key", "gre.sequence_number", "gre.checksum.status", "ip.addr", "vxlan.vni"];
export const GRE_FIELD = { flags: 0, proto: 1, key: 2, seq: 3, checksumStatus: 4, ipAddr: 5, vni: 6 } as const;

/**
 * Every tunnel packet entering the underlay switch (or crossing its port toward `towardHost`),
 * whole (so tshark can verify the inner checksums), with a 64 MiB buffer so tcpdump keeps up.
 */
export function underlayCapture(lab: Lab, tunnel: "gre" | "vxlan", towardHost?: LabHost): Promise<Capture> {
  const filter = tunnel === "gre" ? "ip proto 47" : "udp port 4789";
  if (towardHost === undefined) return Capture.start({ ns: lab.switchNs, filter, direction: "in", snaplen: 2000, bufferKiB: 65536 });
  // On the underlay switch's port toward one host, both ways: what that host sends, and what it
  // receives after the port finished any checksum a same-host sender left partial.
  return Capture.start({ ns: lab.switchNs, iface: towardHost.name, filter, direction: "inout", snaplen: 2000, bufferKiB: 65536 });
}

export type Wire = () => Promise<Map<string, DissectedFrame[]>>;

/**
 * Stops the capture once and dissects it once (a memo), grouped by outer source address: a
 * capture of a few seconds of iperf3 holds ~10^5 packets, and tshark takes a while over them.
 */
export function wireOf(lab: () => Lab, capture: () => Capture | undefined): Wire {
  let memo: Promise<Map<string, DissectedFrame[]>> | undefined;
  return () => {
    memo ??= (async () => {
      const c = capture();
      if (c === undefined) throw new Error("no capture was started");
      await c.stop();
      const frames = await framesBySource(c, lab().hosts.map((h) => h.underlayV4), GRE_FIELDS);
      console.log(`capture: ${[...frames.values()].reduce((n, f) => n + f.length, 0)} packets, tcpdump dropped ${c.kernelDrops ?? "?"}`);
      return frames;
    })();
    return memo;
  };
}

export interface TrafficContext {
  c1: LabContainer;
  c2: LabContainer;
  /** Overlay MTU: the full-size ping is mtu - 28 bytes of ICMP payload with DF set. */
  mtu: number;
  state: () => Promise<string>;
  label: string;
  /** Goodput floor and retransmission ceiling of both iperf3 runs. */
  floor: TcpFloor;
  /** A counter of segments the peer drops and counts itself (read before and after each run). */
  peerDrops?: () => Promise<number>;
}

/** Ping both ways (5 each), a full-MTU DF ping both ways, and iperf3 (2 s) each way above a floor. */
export function trafficSpecs(get: () => TrafficContext): void {
  it("answers pings both ways", async () => {
    const { c1, c2, state, label } = get();
    await expectNoLoss(await ping(c1.ns, c2.address, { count: 5, timeout: 2 }), `${label} h1 -> h2`, state);
    await expectNoLoss(await ping(c2.ns, c1.address, { count: 5, timeout: 2 }), `${label} h2 -> h1`, state);
  });

  it("carries full-MTU packets unfragmented both ways", async () => {
    const { c1, c2, mtu, state, label } = get();
    const size = mtu - 28;
    await expectNoLoss(await ping(c1.ns, c2.address, { count: 2, size, dontFragment: true }), `${label} ${mtu}-byte h1 -> h2`, state);
    await expectNoLoss(await ping(c2.ns, c1.address, { count: 2, size, dontFragment: true }), `${label} ${mtu}-byte h2 -> h1`, state);
  });

  for (const reverse of [false, true]) {
    it(`carries TCP ${reverse ? "h2 -> h1" : "h1 -> h2"} above the floor (iperf3, 2 s)`, async () => {
      const { c1, c2, state, label, floor, peerDrops } = get();
      const server = await startIperfServer(c2.ns, c2.address);
      try {
        const before = (await peerDrops?.()) ?? 0;
        const result = await iperfClient(c1.ns, c2.address, { seconds: 2, reverse });
        const accountedLosses = ((await peerDrops?.()) ?? 0) - before;
        await expectHealthyTcp(result, { floor, what: `${label} ${reverse ? "h2 -> h1" : "h1 -> h2"}`, context: state, accountedLosses });
      } finally {
        await server.stop();
      }
    });
  }
}

/** tshark finds nothing wrong with any tunnel packet the given hosts sent (vxswitch's, typically). */
export function wireSpecs(wire: Wire, senders: () => Array<{ name: string; address: string }>, tunnel: "gre" | "vxlan", label: string): void {
  it("puts only packets on the wire that tshark dissects without a complaint", async () => {
    const frames = await wire();
    const counts = senders().map((s) => expectCleanDissection(frames.get(s.address) ?? [], `${s.name} (${s.address})`, tunnel));
    console.log(`${label}: tshark checked ${counts.join(" + ")} packets`);
  }, 400_000);
}

/** Drops that mean the two ends disagree about the wire format (not load: txFull, socket queues). */
const FORMAT_DROPS = ["runt", "vxlanFlagI", "unknownVni", "unknownPeer", "greHeader", "greChecksum", "oversize"];

/** The format drops among a direction's drop counters (empty when there are none). */
export function formatDrops(drops: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(drops).filter(([name, n]) => FORMAT_DROPS.includes(name) && n > 0));
}
