import { beforeEach, describe, expect, it } from "vitest";
import { Endpoints } from "../../../src/switch/endpoints.js";
import { Fdb } from "../../../src/switch/fdb.js";
import {
  DROP_NO_TARGET,
  DROP_REASONS,
  DROP_SAME_PORT,
  DROP_SPLIT_HORIZON,
  DROP_UNKNOWN_VNI,
  FLOOD,
  Forwarder,
  dropReasonName,
  isDrop,
} from "../../../src/switch/forwarder.js";
import { MAC_BROADCAST, parseMac } from "../../../src/wire/mac.js";
import { Segments } from "../../../src/switch/segments.js";

const VNI = 100;
const HOST_A = parseMac("52:54:00:00:00:0a");
const HOST_B = parseMac("52:54:00:00:00:0b");
const REMOTE_1 = parseMac("52:54:00:00:01:01");
const REMOTE_2 = parseMac("52:54:00:00:02:02");
const UNKNOWN = parseMac("52:54:00:00:ee:ee");
const MDNS = parseMac("01:00:5e:00:00:fb");

/** Sorted flood targets as the dataplane would use them: the list minus the source. */
function floodSet(fwd: Forwarder, vni: number, from: number): number[] {
  const targets = fwd.floodTargets(vni, from);
  const out: number[] = [];
  for (let i = 0; i < targets.length; i++) if (targets[i] !== from) out.push(targets[i]!);
  return out.sort((a, b) => a - b);
}

describe("Forwarder", () => {
  let endpoints: Endpoints;
  let segments: Segments;
  let fdb: Fdb;
  let fwd: Forwarder;
  let tap0: number;
  let tap1: number;
  let peer1: number;
  let peer2: number;

  beforeEach(() => {
    endpoints = new Endpoints();
    segments = new Segments(endpoints);
    fdb = new Fdb({ now: () => 0 });
    fwd = new Forwarder(fdb, endpoints, segments);
    tap0 = endpoints.addPort("vxs0");
    tap1 = endpoints.addPort("vxs1");
    peer1 = endpoints.addPeer("198.18.0.2");
    peer2 = endpoints.addPeer("198.18.0.3");
    segments.addSegment(VNI);
    segments.attachPort(VNI, tap0);
    segments.attachPort(VNI, tap1);
    segments.addMeshPeer(peer1);
    segments.addMeshPeer(peer2);
    fdb.learn(VNI, HOST_A, tap0);
    fdb.learn(VNI, HOST_B, tap1);
    fdb.learn(VNI, REMOTE_1, peer1);
    fdb.learn(VNI, REMOTE_2, peer2);
  });

  it("sends known unicast to exactly the endpoint the destination was learned behind", () => {
    expect(fwd.decide(VNI, tap0, HOST_B, false)).toBe(tap1);
    expect(fwd.decide(VNI, tap0, REMOTE_1, false)).toBe(peer1);
    expect(fwd.decide(VNI, peer1, HOST_A, false)).toBe(tap0);
  });

  it("floods broadcast to every local port and peer of the VNI except the source", () => {
    expect(fwd.decide(VNI, tap0, MAC_BROADCAST, true)).toBe(FLOOD);
    expect(floodSet(fwd, VNI, tap0)).toEqual([tap1, peer1, peer2].sort((a, b) => a - b));
  });

  it("floods multicast and unknown unicast the same way", () => {
    expect(fwd.decide(VNI, tap1, MDNS, true)).toBe(FLOOD);
    expect(fwd.decide(VNI, tap1, UNKNOWN, false)).toBe(FLOOD);
    expect(floodSet(fwd, VNI, tap1)).toEqual([tap0, peer1, peer2].sort((a, b) => a - b));
  });

  it("works out the group bit itself when the caller does not pass it", () => {
    expect(fwd.decide(VNI, tap0, MDNS)).toBe(FLOOD);
    expect(fwd.decide(VNI, tap0, HOST_B)).toBe(tap1);
  });

  it("applies split horizon: a flood from a tunnel reaches local ports only", () => {
    expect(fwd.decide(VNI, peer1, MAC_BROADCAST, true)).toBe(FLOOD);
    expect(floodSet(fwd, VNI, peer1)).toEqual([tap0, tap1]);
    expect(fwd.decide(VNI, peer2, UNKNOWN, false)).toBe(FLOOD);
    expect(floodSet(fwd, VNI, peer2)).toEqual([tap0, tap1]);
  });

  it("applies split horizon: unicast from a tunnel toward another tunnel is dropped", () => {
    const d = fwd.decide(VNI, peer1, REMOTE_2, false);
    expect(d).toBe(DROP_SPLIT_HORIZON);
    expect(dropReasonName(d)).toBe("splitHorizon");
  });

  it("drops a frame whose destination is learned behind its own source port (hairpin)", () => {
    expect(fwd.decide(VNI, tap0, HOST_A, false)).toBe(DROP_SAME_PORT);
    expect(fwd.decide(VNI, peer1, REMOTE_1, false)).toBe(DROP_SAME_PORT);
    expect(dropReasonName(DROP_SAME_PORT)).toBe("hairpin");
  });

  it("drops a frame of a VNI no segment carries", () => {
    expect(fwd.decide(999, tap0, HOST_B, false)).toBe(DROP_UNKNOWN_VNI);
    expect(fwd.decide(999, tap0, MAC_BROADCAST, true)).toBe(DROP_UNKNOWN_VNI);
    expect(fwd.floodTargets(999, tap0).length).toBe(0);
  });

  it("drops a flood that has nobody to reach", () => {
    segments.addSegment(300, { peers: [] });
    segments.attachPort(300, tap0, 30);
    expect(fwd.decide(300, tap0, MAC_BROADCAST, true)).toBe(DROP_NO_TARGET);
    // From a tunnel into a segment with no local port: split horizon leaves nothing.
    segments.addSegment(400);
    expect(fwd.decide(400, peer1, UNKNOWN, false)).toBe(DROP_NO_TARGET);
  });

  it("keeps VNIs apart: a MAC learned in one VNI is unknown in another", () => {
    segments.addSegment(200);
    segments.attachPort(200, tap0, 20);
    expect(fwd.decide(200, tap0, HOST_B, false)).toBe(FLOOD);
    expect(floodSet(fwd, 200, tap0)).toEqual([peer1, peer2]);
  });

  it("follows a MAC move on the next decision", () => {
    fdb.learn(VNI, HOST_B, peer2);
    expect(fwd.decide(VNI, tap0, HOST_B, false)).toBe(peer2);
  });

  it("floods to a destination whose entry has aged", () => {
    fdb.tick(301_000);
    expect(fwd.decide(VNI, tap0, HOST_B, false)).toBe(FLOOD);
  });

  it("sees a peer added later in the flood list, and loses a removed one", () => {
    const peer3 = endpoints.addPeer("198.18.0.4");
    segments.addMeshPeer(peer3);
    expect(floodSet(fwd, VNI, tap0)).toContain(peer3);
    segments.dropPeer(peer1);
    expect(floodSet(fwd, VNI, tap0)).not.toContain(peer1);
  });

  it("learns the source before deciding, in one step", () => {
    const newcomer = parseMac("52:54:00:00:0c:0c");
    expect(fwd.learnAndDecide(VNI, peer2, newcomer, HOST_A, false)).toBe(tap0);
    expect(fdb.lookup(VNI, newcomer)).toBe(peer2);
    expect(fwd.learnAndDecide(VNI, tap0, HOST_A, newcomer, false)).toBe(peer2);
  });

  it("learns nothing from a frame of an unknown VNI", () => {
    const stray = parseMac("52:54:00:00:0d:0d");
    expect(fwd.learnAndDecide(999, peer1, stray, HOST_A, false)).toBe(DROP_UNKNOWN_VNI);
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
    const endpoints = new Endpoints();
    const segments = new Segments(endpoints);
    const fdb = new Fdb({ now: () => 0 });
    const fwd = new Forwarder(fdb, endpoints, segments);
    const trunk = endpoints.addPort("vxs-trunk");
    const access = endpoints.addPort("vxs-access");
    const peer = endpoints.addPeer("198.18.0.2");
    segments.addSegment(1010);
    segments.addSegment(1020);
    segments.attachPort(1010, trunk, 10);
    segments.attachPort(1020, trunk, 20);
    segments.attachPort(1020, access);
    segments.addMeshPeer(peer);

    // A frame tagged 20 on the trunk belongs to VNI 1020.
    const vni = segments.vniForPort(trunk, 20);
    expect(vni).toBe(1020);
    fdb.learn(vni, HOST_A, trunk);
    expect(fwd.decide(vni, trunk, MAC_BROADCAST, true)).toBe(FLOOD);
    expect(floodSet(fwd, vni, trunk)).toEqual([access, peer]);

    // The reply from the peer goes to the trunk, re-tagged with VLAN 20.
    const to = fwd.decide(1020, peer, HOST_A, false);
    expect(to).toBe(trunk);
    expect(segments.vlanForPort(1020, to)).toBe(20);
    // Same MAC, other VLAN: unknown there.
    expect(fwd.decide(1010, peer, HOST_A, false)).toBe(FLOOD);
    expect(floodSet(fwd, 1010, peer)).toEqual([trunk]);
  });
});
