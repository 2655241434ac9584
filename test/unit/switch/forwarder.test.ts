import { beforeEach, describe, expect, it } from "vitest";
import { Fdb } from "../../../src/switch/fdb.js";
import {
  DROP_NO_TARGET,
  DROP_REASONS,
  DROP_SAME_PORT,
  DROP_SPLIT_HORIZON,
  FLOOD,
  Forwarder,
  dropReasonName,
  isDrop,
} from "../../../src/switch/forwarder.js";
import { SwitchModel } from "../../../src/switch/model.js";
import type { Peer } from "../../../src/switch/peer-table.js";
import type { SegmentTable } from "../../../src/switch/tables.js";
import { MAC_BROADCAST, parseMac } from "../../../src/wire/mac.js";

const VNI = 100;
const HOST_A = parseMac("52:54:00:00:00:0a");
const HOST_B = parseMac("52:54:00:00:00:0b");
const REMOTE_1 = parseMac("52:54:00:00:01:01");
const REMOTE_2 = parseMac("52:54:00:00:02:02");
const UNKNOWN = parseMac("52:54:00:00:ee:ee");
const MDNS = parseMac("01:00:5e:00:00:fb");

function newModel(fdb: Fdb): SwitchModel {
  return new SwitchModel(fdb, { family: 4, local: "198.18.0.1", peerPort: 4789 });
}

/** The segment as the loops see it now: read again after every change of the model. */
function segmentOf(model: SwitchModel, vni: number): SegmentTable {
  const seg = model.tables.current.segments.get(vni);
  if (seg === undefined) throw new Error(`no segment ${vni} in the current tables`);
  return seg;
}

/** Sorted flood targets as the dataplane would use them: the list minus the source. */
function floodSet(fwd: Forwarder, seg: SegmentTable, from: number): number[] {
  const targets = fwd.floodTargets(seg, from);
  const out: number[] = [];
  for (let i = 0; i < targets.length; i++) if (targets[i] !== from) out.push(targets[i]!);
  return out.sort((a, b) => a - b);
}

describe("Forwarder", () => {
  let model: SwitchModel;
  let fdb: Fdb;
  let fwd: Forwarder;
  let tap0: number;
  let tap1: number;
  let peer1: Peer;
  let p1: number;
  let p2: number;
  const seg = (vni = VNI): SegmentTable => segmentOf(model, vni);

  beforeEach(() => {
    fdb = new Fdb({ now: () => 0 });
    model = newModel(fdb);
    fwd = new Forwarder(fdb, model.endpoints);
    model.addSegment({ id: VNI });
    tap0 = model.addPort(model.addTap("vxs0", false), VNI);
    tap1 = model.addPort(model.addTap("vxs1", false), VNI);
    peer1 = model.addPeer("198.18.0.2");
    p1 = peer1.id;
    p2 = model.addPeer("198.18.0.3").id;
    fdb.learn(VNI, HOST_A, tap0);
    fdb.learn(VNI, HOST_B, tap1);
    fdb.learn(VNI, REMOTE_1, p1);
    fdb.learn(VNI, REMOTE_2, p2);
  });

  it("sends known unicast to exactly the endpoint the destination was learned behind", () => {
    expect(fwd.decide(seg(), tap0, HOST_B, false)).toBe(tap1);
    expect(fwd.decide(seg(), tap0, REMOTE_1, false)).toBe(p1);
    expect(fwd.decide(seg(), p1, HOST_A, false)).toBe(tap0);
  });

  it("floods broadcast to every local port and peer of the VNI except the source", () => {
    expect(fwd.decide(seg(), tap0, MAC_BROADCAST, true)).toBe(FLOOD);
    expect(floodSet(fwd, seg(), tap0)).toEqual([tap1, p1, p2].sort((a, b) => a - b));
  });

  it("floods multicast and unknown unicast the same way", () => {
    expect(fwd.decide(seg(), tap1, MDNS, true)).toBe(FLOOD);
    expect(fwd.decide(seg(), tap1, UNKNOWN, false)).toBe(FLOOD);
    expect(floodSet(fwd, seg(), tap1)).toEqual([tap0, p1, p2].sort((a, b) => a - b));
  });

  it("works out the group bit itself when the caller does not pass it", () => {
    expect(fwd.decide(seg(), tap0, MDNS)).toBe(FLOOD);
    expect(fwd.decide(seg(), tap0, HOST_B)).toBe(tap1);
  });

  it("applies split horizon: a flood from a tunnel reaches local ports only", () => {
    expect(fwd.decide(seg(), p1, MAC_BROADCAST, true)).toBe(FLOOD);
    expect(floodSet(fwd, seg(), p1)).toEqual([tap0, tap1]);
    expect(fwd.decide(seg(), p2, UNKNOWN, false)).toBe(FLOOD);
    expect(floodSet(fwd, seg(), p2)).toEqual([tap0, tap1]);
  });

  it("applies split horizon: unicast from a tunnel toward another tunnel is dropped", () => {
    const d = fwd.decide(seg(), p1, REMOTE_2, false);
    expect(d).toBe(DROP_SPLIT_HORIZON);
    expect(dropReasonName(d)).toBe("splitHorizon");
  });

  it("drops a frame whose destination is learned behind its own source port (hairpin)", () => {
    expect(fwd.decide(seg(), tap0, HOST_A, false)).toBe(DROP_SAME_PORT);
    expect(fwd.decide(seg(), p1, REMOTE_1, false)).toBe(DROP_SAME_PORT);
    expect(dropReasonName(DROP_SAME_PORT)).toBe("hairpin");
  });

  it("drops a flood that has nobody to reach", () => {
    model.addSegment({ id: 300 });
    const t30 = model.addPort(model.addTap("vxs-t", true), 300, 30);
    // Segment 300 keeps a list of its own, emptied of both mesh peers.
    model.removeFloodPeer("198.18.0.2", 300);
    model.removeFloodPeer("198.18.0.3", 300);
    expect(seg(300).peers).toEqual([]);
    expect(fwd.decide(seg(300), t30, MAC_BROADCAST, true)).toBe(DROP_NO_TARGET);
    // From a tunnel into a segment with no local port: split horizon leaves nothing.
    model.addSegment({ id: 400 });
    expect(fwd.decide(seg(400), p1, UNKNOWN, false)).toBe(DROP_NO_TARGET);
  });

  it("keeps VNIs apart: a MAC learned in one VNI is unknown in another", () => {
    model.addSegment({ id: 200 });
    const t20 = model.addPort(model.addTap("vxs-t", true), 200, 20);
    expect(fwd.decide(seg(200), t20, HOST_B, false)).toBe(FLOOD);
    expect(floodSet(fwd, seg(200), t20)).toEqual([p1, p2]);
  });

  it("follows a MAC move on the next decision", () => {
    fdb.learn(VNI, HOST_B, p2);
    expect(fwd.decide(seg(), tap0, HOST_B, false)).toBe(p2);
  });

  it("floods to a destination whose entry has aged", () => {
    fdb.tick(301_000);
    expect(fwd.decide(seg(), tap0, HOST_B, false)).toBe(FLOOD);
  });

  it("sees a peer added later in the new tables' flood list, and loses a removed one; tables it holds stay as they were", () => {
    const before = seg();
    const p3 = model.addPeer("198.18.0.4").id;
    const withP3 = seg();
    expect(withP3).not.toBe(before);
    expect(floodSet(fwd, withP3, tap0)).toContain(p3);
    expect(withP3.peers.map((p) => p.id)).toEqual([p1, p2, p3]);
    // A loop still in a batch over the old tables floods as before.
    expect(floodSet(fwd, before, tap0)).toEqual([tap1, p1, p2].sort((a, b) => a - b));
    expect(before.peers.map((p) => p.id)).toEqual([p1, p2]);

    model.removePeer(peer1);
    expect(floodSet(fwd, seg(), tap0)).not.toContain(p1);
    expect(seg().peers.map((p) => p.id)).toEqual([p2, p3]);
    expect(floodSet(fwd, withP3, tap0)).toContain(p1);
    expect([...withP3.floodAll]).toEqual([tap0, tap1, p1, p2, p3]);
    // Its FDB entries went with it.
    expect(fwd.decide(seg(), tap0, REMOTE_1, false)).toBe(FLOOD);
  });

  it("learns the source before deciding, in one step", () => {
    const newcomer = parseMac("52:54:00:00:0c:0c");
    expect(fwd.learnAndDecide(seg(), p2, newcomer, HOST_A, false)).toBe(tap0);
    expect(fdb.lookup(VNI, newcomer)).toBe(p2);
    expect(fwd.learnAndDecide(seg(), tap0, HOST_A, newcomer, false)).toBe(p2);
  });

  it("has no segment for a VNI no segment carries, so the loops drop its frames (unknownVni) and nothing is learned", () => {
    const tables = model.tables.current;
    expect(tables.segments.get(999)).toBeUndefined();
    expect([...tables.segments.keys()]).toEqual([VNI]);
    expect(fdb.size(999)).toBe(0);
    expect(fdb.vnis()).toEqual([VNI]);
  });

  it("names every drop reason, and tells drops from endpoints and flood", () => {
    expect(DROP_REASONS.map(dropReasonName)).toEqual(["hairpin", "splitHorizon", "unknownVni", "noTarget", "moveRefused"]);
    DROP_REASONS.forEach((code, i) => expect(-2 - code).toBe(i));
    expect(dropReasonName(FLOOD)).toBe("flood");
    expect(dropReasonName(3)).toBe("unicast");
    expect(isDrop(DROP_SPLIT_HORIZON)).toBe(true);
    expect(isDrop(FLOOD)).toBe(false);
    expect(isDrop(0)).toBe(false);
  });
});

describe("Forwarder with a trunk port", () => {
  it("maps each VLAN of a trunk port to its VNI and floods within that VNI only", () => {
    const fdb = new Fdb({ now: () => 0 });
    const model = newModel(fdb);
    const fwd = new Forwarder(fdb, model.endpoints);
    const trunkTap = model.addTap("vxs-trunk", true);
    const accessTap = model.addTap("vxs-access", false);
    model.addSegment({ id: 1010 });
    model.addSegment({ id: 1020 });
    const trunk10 = model.addPort(trunkTap, 1010, 10);
    const trunk20 = model.addPort(trunkTap, 1020, 20);
    const access = model.addPort(accessTap, 1020);
    const peer = model.addPeer("198.18.0.2").id;
    const tables = model.tables.current;

    // A frame tagged 20 on the trunk belongs to VNI 1020, through that VLAN's port.
    const port = tables.taps[trunkTap]!.byVlan.get(20)!;
    expect(port.id).toBe(trunk20);
    const seg = port.segment;
    expect(seg.id).toBe(1020);
    expect(seg).toBe(tables.segments.get(1020));
    fdb.learn(seg.id, HOST_A, trunk20);
    expect(fwd.decide(seg, trunk20, MAC_BROADCAST, true)).toBe(FLOOD);
    expect(floodSet(fwd, seg, trunk20)).toEqual([access, peer]);

    // The reply from the peer goes to the trunk, re-tagged with VLAN 20.
    const to = fwd.decide(seg, peer, HOST_A, false);
    expect(to).toBe(trunk20);
    expect(tables.ports[to]!.tap).toBe(trunkTap);
    expect(tables.ports[to]!.vlan).toBe(20);
    // Same MAC, other VLAN: unknown there.
    const seg1010 = tables.segments.get(1010)!;
    expect(fwd.decide(seg1010, peer, HOST_A, false)).toBe(FLOOD);
    expect(floodSet(fwd, seg1010, peer)).toEqual([trunk10]);
  });
});
