// Trunk ports on in-memory ports: one TAP carrying VLAN 100 as VNI 1000 and VLAN 200 as VNI 2000,
// through the real egress and ingress loops. The tag becomes the VNI and comes back from it.
import { describe, expect, it } from "vitest";
import { SwitchCore } from "../../../src/dataplane/core.js";
import { VxlanEncap } from "../../../src/dataplane/vxlan-encap.js";
import { FakeTap, FakeTunnelSocket } from "../../helpers/fake-ports.js";
import { frame, vxlan } from "../../helpers/dataplane-rig.js";
import { tagged } from "../../helpers/offload-frames.js";

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const BCAST = "ff:ff:ff:ff:ff:ff";
const PEER = "198.18.0.2";

/** A switch with one trunk TAP (VLAN -> VNI as given) and one peer, built as `up` builds one. */
function trunkRig(vlans: Record<number, number>) {
  const core = new SwitchCore({ family: 4, local: "198.18.0.1", peerPort: 4789, ageingMs: 300_000, maxEntries: 1024 });
  const socket = new FakeTunnelSocket();
  core.model.addPeer(PEER);
  const tap = new FakeTap("vxtrunk0");
  core.addSegments(Object.entries(vlans).map(([vlan, vni]) => ({ id: vni, tap: tap.name, vlan: Number(vlan), mtu: 1450 })));
  const loops = core.wire([tap], { main: socket, senders: [] }, new VxlanEncap(), { batchSize: 16, tapSlot: 2048, tunnelSlot: 2048, maxFrame: 1450 + 18, dstPort: 4789, vnetHdr: false, family: 4 });
  return { tap, socket, egress: loops.egress[0]!, ingress: loops.ingress, stats: core.stats, fdb: core.fdb };
}

describe("trunk TAP (VLAN 100 -> VNI 1000, VLAN 200 -> VNI 2000)", () => {
  it("sends a VLAN 100 frame as VNI 1000 with the tag removed", () => {
    const rig = trunkRig({ 100: 1000, 200: 2000 });
    const inner = frame(BCAST, A);
    rig.tap.inbox.push(tagged(inner, 100));
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    const sent = rig.socket.sent[0]!;
    expect(sent.bytes.readUIntBE(4, 3)).toBe(1000);
    expect(sent.bytes.subarray(8).equals(inner)).toBe(true);
  });

  it("maps the VLAN id and ignores the priority bits of the tag", () => {
    const rig = trunkRig({ 100: 1000, 200: 2000 });
    const withPcp = tagged(frame(BCAST, A), 200);
    withPcp.writeUInt16BE((5 << 13) | 200, 14);
    rig.tap.inbox.push(withPcp);
    rig.egress.onReadable();
    expect(rig.socket.sent.map((s) => s.bytes.readUIntBE(4, 3))).toEqual([2000]);
  });

  it("drops and counts untagged frames and frames of an unmapped VLAN", () => {
    const rig = trunkRig({ 100: 1000 });
    rig.tap.inbox.push(frame(BCAST, A), tagged(frame(BCAST, A), 300), tagged(frame(BCAST, A), 300));
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ untagged: 1, unmappedVlan: 2 });
  });

  it("writes a VNI 2000 frame into the trunk TAP tagged with VLAN 200", () => {
    const rig = trunkRig({ 100: 1000, 200: 2000 });
    const inner = frame(BCAST, B);
    rig.socket.inbox.push({ from: PEER, bytes: vxlan(2000, inner) });
    rig.ingress.onReadable();
    expect(rig.tap.written).toHaveLength(1);
    expect(rig.tap.written[0]!.equals(tagged(inner, 200))).toBe(true);
  });

  it("learns per VNI: a reply on VLAN 100 goes to the peer the MAC was learned from, as VNI 1000", () => {
    const rig = trunkRig({ 100: 1000, 200: 2000 });
    rig.socket.inbox.push({ from: PEER, bytes: vxlan(1000, frame(BCAST, B)) });
    rig.ingress.onReadable();
    rig.tap.inbox.push(tagged(frame(B, A), 100));
    rig.egress.onReadable();
    expect(rig.socket.sent.map((s) => [s.to, s.bytes.readUIntBE(4, 3)])).toEqual([[PEER, 1000]]);
    expect(rig.stats.egress.flooded).toBe(0);
    // The same MAC is unknown in VNI 2000.
    rig.tap.inbox.push(tagged(frame(B, A), 200));
    rig.egress.onReadable();
    expect(rig.stats.egress.flooded).toBe(1);
  });
});
