import { beforeEach, describe, expect, it } from "vitest";
import { Endpoints } from "../../../src/switch/endpoints.js";
import { DEFAULT_SEGMENT_MTU, Segments } from "../../../src/switch/segments.js";

describe("Segments", () => {
  let endpoints: Endpoints;
  let segments: Segments;
  let tap: number;
  let trunk: number;
  let p1: number;
  let p2: number;
  let p3: number;

  beforeEach(() => {
    endpoints = new Endpoints();
    segments = new Segments(endpoints);
    tap = endpoints.addPort("vxs0");
    trunk = endpoints.addPort("vxs-trunk");
    p1 = endpoints.addPeer("198.18.0.2");
    p2 = endpoints.addPeer("198.18.0.3");
    p3 = endpoints.addPeer("198.18.0.4");
  });

  it("creates a segment with the VXLAN-over-IPv4 MTU unless told otherwise", () => {
    const seg = segments.addSegment(100, { name: "blue" });
    expect(seg.mtu).toBe(DEFAULT_SEGMENT_MTU);
    expect(seg.mtu).toBe(1450);
    expect(seg.name).toBe("blue");
    expect(segments.get(100)).toBe(seg);
    expect(segments.addSegment(200, { mtu: 1462 }).mtu).toBe(1462);
  });

  it("refuses a duplicate VNI, a VNI beyond 24 bits and a VLAN beyond 4094", () => {
    segments.addSegment(100);
    expect(() => segments.addSegment(100)).toThrow(/already exists/);
    expect(() => segments.addSegment(0x1000000)).toThrow(/invalid VNI/);
    expect(() => segments.attachPort(100, trunk, 4095)).toThrow(/invalid VLAN/);
  });

  it("maps an access port's untagged frames to its VNI and re-inserts no tag", () => {
    segments.addSegment(100);
    segments.attachPort(100, tap);
    expect(segments.vniForPort(tap, 0)).toBe(100);
    expect(segments.vniForPort(tap, 10)).toBe(-1);
    expect(segments.vlanForPort(100, tap)).toBe(0);
  });

  it("maps each VLAN of a trunk port to its own VNI, and back for decapsulation", () => {
    segments.addSegment(1010);
    segments.addSegment(1020);
    segments.attachPort(1010, trunk, 10);
    segments.attachPort(1020, trunk, 20);
    expect(segments.vniForPort(trunk, 10)).toBe(1010);
    expect(segments.vniForPort(trunk, 20)).toBe(1020);
    expect(segments.vniForPort(trunk, 30)).toBe(-1);
    expect(segments.vniForPort(trunk, 0)).toBe(-1);
    expect(segments.vlanForPort(1010, trunk)).toBe(10);
    expect(segments.vlanForPort(1020, trunk)).toBe(20);
  });

  it("refuses to map one VLAN of a port to two VNIs, or a port twice into one VNI", () => {
    segments.addSegment(1010);
    segments.addSegment(1020);
    segments.attachPort(1010, trunk, 10);
    expect(() => segments.attachPort(1020, trunk, 10)).toThrow(/VLAN 10 of port vxs-trunk already maps to VNI 1010/);
    expect(() => segments.attachPort(1010, trunk, 11)).toThrow(/already in VNI 1010/);
  });

  it("refuses to attach a peer as a port, or add a port as a peer", () => {
    segments.addSegment(100);
    expect(() => segments.attachPort(100, p1)).toThrow(/not a local port/);
    expect(() => segments.addMeshPeer(tap)).toThrow(/not a peer/);
    expect(() => segments.addPeer(100, tap)).toThrow(/not a peer/);
  });

  it("detaches a port and forgets its VLAN mapping", () => {
    segments.addSegment(1010);
    segments.attachPort(1010, trunk, 10);
    expect(segments.dropPort(trunk)).toBe(1);
    expect(segments.vniForPort(trunk, 10)).toBe(-1);
    expect(segments.get(1010)!.ports).toEqual([]);
    expect(segments.get(1010)!.floodAll.length).toBe(0);
  });

  it("gives every segment the mesh of peers unless the segment lists its own", () => {
    const a = segments.addSegment(100);
    const b = segments.addSegment(200, { peers: [p3] });
    segments.addMeshPeer(p1);
    segments.addMeshPeer(p2);
    expect(a.peers).toEqual([p1, p2]);
    expect(a.ownPeers).toBe(false);
    expect(b.peers).toEqual([p3]);
    expect(b.ownPeers).toBe(true);
    const c = segments.addSegment(300);
    expect(c.peers).toEqual([p1, p2]);
  });

  it("adds a peer to one segment only, which then stops following the mesh", () => {
    const a = segments.addSegment(100);
    segments.addMeshPeer(p1);
    segments.addPeer(100, p2);
    expect(a.peers).toEqual([p2]);
    segments.addMeshPeer(p3);
    expect(a.peers).toEqual([p2]);
    expect(segments.meshPeers).toEqual([p1, p3]);
  });

  it("drops a peer from the mesh and from every segment's own list", () => {
    const a = segments.addSegment(100);
    const b = segments.addSegment(200, { peers: [p1, p2] });
    segments.addMeshPeer(p1);
    expect(segments.dropPeer(p1)).toBe(true);
    expect(a.peers).toEqual([]);
    expect(b.peers).toEqual([p2]);
    expect([...b.floodAll]).toEqual([p2]);
    expect(segments.dropPeer(p1)).toBe(false);
  });

  it("removes a peer from one segment's own list only", () => {
    const a = segments.addSegment(100, { peers: [p1, p2] });
    const b = segments.addSegment(200, { peers: [p1] });
    expect(segments.removePeer(100, p1)).toBe(true);
    expect(a.peers).toEqual([p2]);
    expect(b.peers).toEqual([p1]);
    expect(segments.removePeer(100, p1)).toBe(false);
  });

  it("detaches a port from one segment and keeps it in the others", () => {
    segments.addSegment(1010);
    segments.addSegment(1020);
    segments.attachPort(1010, trunk, 10);
    segments.attachPort(1020, trunk, 20);
    expect(segments.detachPort(1010, trunk)).toBe(true);
    expect(segments.vniForPort(trunk, 10)).toBe(-1);
    expect(segments.vniForPort(trunk, 20)).toBe(1020);
    expect(segments.detachPort(1010, trunk)).toBe(false);
  });

  it("precomputes two flood lists: ports and peers, and local ports only", () => {
    const seg = segments.addSegment(100);
    segments.attachPort(100, tap);
    segments.addMeshPeer(p1);
    segments.addMeshPeer(p2);
    expect([...seg.floodAll]).toEqual([tap, p1, p2]);
    expect([...seg.floodLocal]).toEqual([tap]);
  });

  it("replaces a flood list on change instead of changing it under a running batch", () => {
    const seg = segments.addSegment(100);
    segments.attachPort(100, tap);
    const before = seg.floodAll;
    segments.addMeshPeer(p1);
    expect([...before]).toEqual([tap]);
    expect([...seg.floodAll]).toEqual([tap, p1]);
  });

  it("finds a segment by GRE key, and keyless GRE frames in the one segment without a key", () => {
    segments.addSegment(100, { greKey: 100 });
    segments.addSegment(200);
    expect(segments.vniForGreKey(100)).toBe(100);
    expect(segments.vniForGreKey(7)).toBe(-1);
    expect(segments.vniForGreKey(-1)).toBe(200);
    segments.addSegment(300);
    expect(segments.vniForGreKey(-1)).toBe(-1); // two keyless segments: ambiguous
    expect(() => segments.addSegment(400, { greKey: 100 })).toThrow(/GRE key 100 is already used by VNI 100/);
  });

  it("removes a segment with its port mappings", () => {
    segments.addSegment(100);
    segments.attachPort(100, tap);
    expect(segments.removeSegment(100)).toBe(true);
    expect(segments.get(100)).toBeUndefined();
    expect(segments.vniForPort(tap, 0)).toBe(-1);
    segments.addSegment(200);
    segments.attachPort(200, tap);
    expect(segments.vniForPort(tap, 0)).toBe(200);
  });
});
