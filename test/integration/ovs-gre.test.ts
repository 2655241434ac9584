// vxswitch against Open vSwitch's userspace GRE (an independent implementation: the kernel here
// has no gretap): keyless, keyed, checksums, sequence numbers, both ways; tshark checks every
// packet vxswitch sends. Also pins down an OVS quirk with checksum + sequence together.
import { expect, it } from "vitest";
import { tallyFields } from "../helpers/dissection.js";
import { GRE_FIELD } from "../helpers/interop.js";
import { cleanUpLabsAfterAll, describeLab } from "../helpers/lab.js";
import { describeOvsInterop, type OvsRig } from "../helpers/ovs-interop.js";
import { ping } from "../../lab/traffic.js";

cleanUpLabsAfterAll();

/** The GRE flags/key/checksum-status combinations a host put on the wire, e.g. {"0xa000 0x0000002a 1": 40}. */
async function greHeadersFrom(rig: OvsRig, host: 1 | 2): Promise<string[]> {
  const frames = (await rig.wire()).get(rig.lab.host(host).underlayV4) ?? [];
  const tally = tallyFields(frames.filter((f) => f.protocols.includes(":gre")), (f) =>
    [f.fields[GRE_FIELD.flags]!, f.fields[GRE_FIELD.key] || "-", f.fields[GRE_FIELD.checksumStatus] || "-"]);
  return Object.keys(tally).sort();
}

/** vxswitch's and OVS's GRE headers are what each was told to send (and both sides took them). */
function headerSpecs(vxswitch: string[], ovs: string[]): (rig: () => OvsRig) => void {
  return (rig) => {
    it(`sends GRE headers ${vxswitch.join(", ")} (flags, key, checksum status)`, async () => {
      expect(await greHeadersFrom(rig(), 1)).toEqual(vxswitch);
    });
    it(`receives OVS's GRE headers ${ovs.join(", ")}`, async () => {
      expect(await greHeadersFrom(rig(), 2)).toEqual(ovs);
    });
  };
}

describeLab("vxswitch <-> Open vSwitch (userspace datapath) over GRE", () => {
  describeOvsInterop({ label: "without a key (MTU 1462)", tunnel: "gre", mtu: 1462 }, headerSpecs(["0x0000 - -"], ["0x0000 - -"]));

  describeOvsInterop({ label: "key 42 (MTU 1458)", tunnel: "gre", key: 42, mtu: 1458 }, headerSpecs(["0x2000 0x0000002a -"], ["0x2000 0x0000002a -"]));

  // OVS verifies the checksum of every GRE packet that has one and drops those that fail, so
  // traffic from vxswitch getting through proves vxswitch's checksums right.
  describeOvsInterop(
    { label: "key 42, checksums both ways (MTU 1454)", tunnel: "gre", key: 42, vxswitch: { csum: true }, ovs: { csum: true }, mtu: 1454 },
    headerSpecs(["0xa000 0x0000002a 1"], ["0xa000 0x0000002a 1"]),
  );

  describeOvsInterop(
    { label: "key 42, sequence numbers both ways (MTU 1454)", tunnel: "gre", key: 42, vxswitch: { seq: true }, ovs: { seq: true }, mtu: 1454 },
    headerSpecs(["0x3000 0x0000002a -"], ["0x3000 0x0000002a -"]),
  );

  describeOvsInterop(
    { label: "key 42, vxswitch sends checksum + sequence, OVS checksums (MTU 1450)", tunnel: "gre", key: 42, vxswitch: { csum: true, seq: true }, ovs: { csum: true }, mtu: 1450 },
    headerSpecs(["0xb000 0x0000002a 1"], ["0xa000 0x0000002a 1"]),
  );
});

// OVS 3.1's netdev_gre_push_header() computes the checksum before it writes the sequence number
// into the header, so its packets with both options carry a wrong checksum unless the sequence
// number is 0. vxswitch must drop exactly those (counted greChecksum) and deliver the others.
describeLab("vxswitch checks Open vSwitch's GRE checksums with sequence numbers", () => {
  describeOvsInterop({ label: "OVS options:csum=true options:seq=true", tunnel: "gre", key: 42, ovs: { csum: true, seq: true }, mtu: 1458, onlySetup: true }, (rig) => {
    it("drops exactly the packets tshark finds with a bad GRE checksum, delivers the rest", async () => {
      const { lab, vx } = rig();
      const result = await ping(lab.container(2).ns, lab.container(1).address, { count: 10, interval: 0.1, timeout: 1 });
      const stats = await vx.stats();
      const frames = (await rig().wire()).get(lab.host(2).underlayV4) ?? [];
      const bad = frames.filter((f) => f.fields[GRE_FIELD.checksumStatus] === "0").length;
      const good = frames.filter((f) => f.fields[GRE_FIELD.checksumStatus] === "1").length;
      console.log(`OVS csum+seq: ${good} good and ${bad} bad GRE checksums from OVS; vxswitch dropped ${stats.ingress.drops.greChecksum ?? 0}, ping ${result.received}/${result.transmitted}`);
      expect(stats.ingress.drops.greChecksum ?? 0, JSON.stringify(stats)).toBe(bad);
      expect(stats.ingress.frames, JSON.stringify(stats)).toBe(good);
    });
  });
});
