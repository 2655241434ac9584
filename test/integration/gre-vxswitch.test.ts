// vxswitch to vxswitch over Ethernet-over-GRE (raw IPPROTO_GRE, protocol 0x6558): a keyless
// segment from the command line, two keyed segments from config files kept apart by their keys,
// and checksums + sequence numbers. tshark checks every packet either side puts on the wire.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Capture } from "../../lab/capture.js";
import { Lab, type LabContainer, type LabHost } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { tallyFields } from "../helpers/dissection.js";
import { GRE_PATH } from "../helpers/tcp-floors.js";
import { formatDrops, GRE_FIELD, trafficSpecs, underlayCapture, wireOf, wireSpecs, type Switches, type Wire } from "../helpers/interop.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, expectNoReplies, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

interface GreMesh {
  lab: Lab;
  switches: Switches;
  state: () => Promise<string>;
  wire: Wire;
  /** Both hosts as wireSpecs wants them. */
  bothHosts: () => Array<{ name: string; address: string }>;
}

/**
 * Two lab hosts (overlay MTU `mtu`), the underlay captured from the start, `prepare` for extra
 * containers, then vxswitch started on each host by `start`; all removed afterwards.
 */
function greMesh(lab0: { mtu: number; label: string; containers?: boolean }, start: (host: LabHost, lab: Lab) => Promise<VxswitchProcess>, prepare: (lab: Lab) => Promise<void> = async () => undefined): () => GreMesh {
  let lab: Lab;
  let capture: Capture | undefined;
  const switches: Switches = [];
  const mesh: GreMesh = {
    get lab() {
      return lab;
    },
    switches,
    state: () => switchState(switches),
    wire: wireOf(() => lab, () => capture),
    bothHosts: () => lab.hosts.map((h) => ({ name: `${h.name} vxswitch`, address: h.underlayV4 })),
  };

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, containers: lab0.containers, overlayMtu: lab0.mtu, label: lab0.label });
    await prepare(lab);
    capture = await underlayCapture(lab, "gre");
    for (const host of lab.hosts) switches.push({ name: host.name, vx: await start(host, lab) });
  });

  afterAll(() => stopThenDestroy(lab, capture, ...switches.map((s) => s.vx)));
  return () => mesh;
}

describeLab("vxswitch <-> vxswitch over GRE", () => {
  describe("without a key (vxswitch up --encap gre, overlay MTU 1462)", () => {
    const mesh = greMesh({ mtu: 1462, label: "gre" }, (host, lab) =>
      VxswitchProcess.start(host.ns, { encap: "gre", local: host.underlayV4, remotes: lab.remotesOf(host), tap: "vxgre0", bridge: "br0" }));

    trafficSpecs(() => ({ c1: mesh().lab.container(1), c2: mesh().lab.container(2), mtu: 1462, state: mesh().state, label: "GRE keyless", floor: GRE_PATH }));

    it("derives the TAP MTU 1462 from the underlay (1500 - 38)", async () => {
      const status = await mesh().switches[0]!.vx!.status();
      expect(status.segments, JSON.stringify(status)).toEqual([{ id: 0, tap: "vxgre0", bridge: "br0", mtu: 1462 }]);
      expect(status.port).toBe(0);
    });

    it("counts no format drops on either side (runt, unknown key or peer, bad GRE header or checksum)", async () => {
      for (const { name, vx } of mesh().switches) {
        const stats = await vx!.stats();
        expect(stats.ingress.frames, name).toBeGreaterThan(0);
        expect({ ingress: formatDrops(stats.ingress.drops), egress: formatDrops(stats.egress.drops) }, `${name}: ${JSON.stringify(stats)}`).toEqual({ ingress: {}, egress: {} });
      }
    });

    wireSpecs(() => mesh().wire(), () => mesh().bothHosts(), "gre", "GRE keyless");

    it("sends version 0, protocol 0x6558, no key, no checksum, no sequence", async () => {
      const frames = await mesh().wire();
      for (const host of mesh().lab.hosts) {
        const flags = tallyFields(frames.get(host.underlayV4) ?? [], (f) => f.fields.slice(0, 3));
        expect(Object.keys(flags), `${host.name}: ${JSON.stringify(flags)}`).toEqual(["0x0000 0x6558 "]);
      }
    });
  });

  describe("two keyed segments, key 1000 on br1000 and key 2000 on br2000 (config files, MTU 1458)", () => {
    let a1: LabContainer;
    let a2: LabContainer;
    let b1: LabContainer;
    let b2: LabContainer;
    const mesh = greMesh(
      { mtu: 1458, label: "grekey", containers: false },
      (host, lab) =>
        VxswitchProcess.startWithConfig(host.ns, {
          local: host.underlayV4,
          encap: "gre",
          peers: lab.remotesOf(host),
          segments: [
            { key: 1000, tap: "vxgre1000", bridge: "br1000" },
            { key: 2000, tap: "vxgre2000", bridge: "br2000" },
          ],
        }),
      async (lab) => {
        const [h1, h2] = [lab.host(1), lab.host(2)];
        // Same subnet in both segments: only the key keeps them apart.
        a1 = await lab.addContainer(h1, { bridge: "br1000", cidr: "10.42.0.1/24" });
        b1 = await lab.addContainer(h1, { bridge: "br2000", cidr: "10.42.0.3/24" });
        a2 = await lab.addContainer(h2, { bridge: "br1000", cidr: "10.42.0.2/24" });
        b2 = await lab.addContainer(h2, { bridge: "br2000", cidr: "10.42.0.4/24" });
      },
    );
    const state = (): Promise<string> => mesh().state();

    trafficSpecs(() => ({ c1: a1, c2: a2, mtu: 1458, state, label: "GRE key 1000", floor: GRE_PATH }));

    it("connects the key 2000 containers across hosts", async () => {
      await expectNoLoss(await ping(b1.ns, b2.address, { count: 3 }), "key 2000 h1 -> h2", state);
    });

    it("does not let key 1000 reach key 2000 or the other way round", async () => {
      await expectNoReplies(await ping(a1.ns, b2.address, { count: 3, timeout: 1 }), "key 1000 -> key 2000", state);
      await expectNoReplies(await ping(b1.ns, a2.address, { count: 3, timeout: 1 }), "key 2000 -> key 1000", state);
    });

    it("learns each container MAC under its own key only", async () => {
      const fdb = await mesh().switches[0]!.vx!.fdbShow();
      const text = fdb.map((e) => e.line).join("\n");
      expect(fdb.find((e) => e.mac === a2.mac && e.dst !== undefined)?.vni, text).toBe(1000);
      expect(fdb.find((e) => e.mac === b2.mac && e.dst !== undefined)?.vni, text).toBe(2000);
      expect(fdb.filter((e) => e.mac === a2.mac && e.vni === 2000), text).toEqual([]);
    });

    wireSpecs(() => mesh().wire(), () => mesh().bothHosts(), "gre", "GRE keyed");

    it("tags each segment's frames with its own key on the wire", async () => {
      const frames = [...(await mesh().wire()).values()].flat();
      const keysOf = (address: string): string[] =>
        [...new Set(frames.filter((f) => f.protocols.includes(":icmp") && f.fields[GRE_FIELD.ipAddr]!.split("|").includes(address)).map((f) => f.fields[GRE_FIELD.key]))].sort();
      expect(keysOf(a1.address)).toEqual(["0x000003e8"]);
      expect(keysOf(b1.address)).toEqual(["0x000007d0"]);
    });
  });

  describe("key 7 with checksums and sequence numbers (--gre-csum --gre-seq, MTU 1450)", () => {
    const mesh = greMesh({ mtu: 1450, label: "grecs" }, (host, lab) =>
      VxswitchProcess.start(host.ns, {
        encap: "gre", key: 7, greChecksum: true, greSequence: true, local: host.underlayV4, remotes: lab.remotesOf(host), tap: "vxgre7", bridge: "br0",
      }));

    trafficSpecs(() => ({ c1: mesh().lab.container(1), c2: mesh().lab.container(2), mtu: 1450, state: mesh().state, label: "GRE key 7 csum seq", floor: GRE_PATH }));

    it("derives the TAP MTU 1450 (1500 - 38 - 12 for checksum, key and sequence)", async () => {
      const status = await mesh().switches[0]!.vx!.status();
      expect(status.segments, JSON.stringify(status)).toEqual([{ id: 7, tap: "vxgre7", bridge: "br0", mtu: 1450 }]);
      expect(status.gre).toEqual({ checksum: true, sequence: true });
    });

    it("verifies every checksum it receives (no greChecksum drops, no other drops)", async () => {
      for (const { name, vx } of mesh().switches) {
        const stats = await vx!.stats();
        expect(stats.ingress.frames, name).toBeGreaterThan(0);
        expect({ ingress: formatDrops(stats.ingress.drops), egress: formatDrops(stats.egress.drops) }, `${name}: ${JSON.stringify(stats)}`).toEqual({ ingress: {}, egress: {} });
      }
    });

    wireSpecs(() => mesh().wire(), () => mesh().bothHosts(), "gre", "GRE csum+seq");

    it("sends C, K and S with checksums tshark calls good and sequence numbers counting up from 0", async () => {
      const frames = await mesh().wire();
      for (const host of mesh().lab.hosts) {
        const mine = frames.get(host.underlayV4) ?? [];
        const flags = tallyFields(mine, (f) => [f.fields[GRE_FIELD.flags]!, f.fields[GRE_FIELD.key]!, f.fields[GRE_FIELD.checksumStatus]!]);
        expect(Object.keys(flags), `${host.name}: ${JSON.stringify(flags)}`).toEqual(["0xb000 0x00000007 1"]);
        const seqs = mine.map((f) => Number(f.fields[GRE_FIELD.seq]));
        expect(seqs[0], `${host.name}: first sequence number`).toBe(0);
        // tcpdump may miss packets under load, so gaps are allowed; going backwards is not.
        const backwards = seqs.filter((s, i) => i > 0 && s <= seqs[i - 1]!).length;
        expect(backwards, `${host.name}: sequence numbers that do not increase`).toBe(0);
      }
    });
  });
});
