// Trunk ports on in-memory ports: one TAP carrying VLAN 100 as VNI 1000 and VLAN 200 as VNI 2000,
// through the real egress and ingress loops. The tag becomes the VNI and comes back from it.
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/io/address.js";
import { Endpoints } from "../../../src/switch/endpoints.js";
import { Fdb } from "../../../src/switch/fdb.js";
import { Forwarder } from "../../../src/switch/forwarder.js";
import { Segments } from "../../../src/switch/segments.js";
import { EgressLoop } from "../../../src/dataplane/egress.js";
import { IngressLoop } from "../../../src/dataplane/ingress.js";
import { VxlanEncap } from "../../../src/dataplane/vxlan-encap.js";
import { Observers } from "../../../src/dataplane/observers.js";
import { PeerTable, type Peer } from "../../../src/dataplane/peer-table.js";
import type { PortRuntime, SegmentRuntime, TapRuntime } from "../../../src/dataplane/runtime.js";
import { DataplaneStats } from "../../../src/dataplane/stats.js";
import { FakeTap, FakeTunnelSocket } from "../../helpers/fake-ports.js";
import { frame, vxlan } from "../../helpers/dataplane-rig.js";

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const BCAST = "ff:ff:ff:ff:ff:ff";
const PEER = "198.18.0.2";

/** An 802.1Q-tagged copy of an untagged frame. */
function tagged(untagged: Buffer, vlan: number): Buffer {
  const tag = Buffer.from([0x81, 0x00, vlan >> 8, vlan & 0xff]);
  return Buffer.concat([untagged.subarray(0, 12), tag, untagged.subarray(12)]);
}

/** A switch with one trunk TAP (VLAN -> VNI as given) and one peer. */
function trunkRig(vlans: Record<number, number>) {
  const endpoints = new Endpoints();
  const fdb = new Fdb({ ageingMs: 300_000, maxEntries: 1024 });
  const segments = new Segments(endpoints);
  const forwarder = new Forwarder(fdb, endpoints, segments);
  const peers = new PeerTable();
  const stats = new DataplaneStats();
  const socket = new FakeTunnelSocket();
  const peerId = endpoints.addPeer(PEER);
  segments.addMeshPeer(peerId);
  const peer: Peer = { id: peerId, address: PEER, addr16: parseAddress(PEER), port: 4789, dynamic: false, rxFrames: 0, txFrames: 0, txErrors: 0, lastSeenMs: 0 };
  peers.add(peer);
  const fakeTap = new FakeTap("vxtrunk0");
  const tap: TapRuntime = { device: fakeTap, trunk: true, index: 0, access: undefined, byVlan: new Map() };
  const segRuntimes = new Map<number, SegmentRuntime>();
  const portsById = new Map<number, PortRuntime>();
  for (const [vlanText, vni] of Object.entries(vlans)) {
    const vlan = Number(vlanText);
    const seg: SegmentRuntime = { id: vni, ports: [], peers: [peer], mtu: 1450 };
    segRuntimes.set(vni, seg);
    const portId = endpoints.addPort(`vxtrunk0.${vlan}`);
    const port: PortRuntime = { id: portId, tap, vlan, segment: seg };
    seg.ports.push(port);
    tap.byVlan.set(vlan, port);
    portsById.set(portId, port);
    segments.addSegment(vni, { mtu: 1450 });
    segments.attachPort(vni, portId, vlan);
  }
  const encap = new VxlanEncap();
  const observers = new Observers();
  const sockets = { main: socket, senders: [] };
  const egress = new EgressLoop(tap, [tap], portsById, sockets, encap, fdb, forwarder, peers, stats, observers, { batchSize: 16, slotSize: 2048, maxFrame: 1450 + 18, dstPort: 4789 });
  const ingress = new IngressLoop(socket, [tap], segRuntimes, portsById, encap, fdb, forwarder, peers, stats, observers, { batchSize: 16, slotSize: 2048, learnPeers: false, maxFrame: 1450 + 18 }, () => undefined);
  return { tap: fakeTap, socket, egress, ingress, stats, fdb };
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
