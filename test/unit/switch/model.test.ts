import { beforeEach, describe, expect, it } from "vitest";
import { Fdb } from "../../../src/switch/fdb.js";
import { SwitchModel } from "../../../src/switch/model.js";
import { installRemoteMac, localMacs, withdrawRemoteMac } from "../../../src/switch/remote-macs.js";
import type { Peer } from "../../../src/switch/peer-table.js";
import type { SegmentTable, SwitchTables } from "../../../src/switch/tables.js";
import { parseMac } from "../../../src/wire/mac.js";
import { DEFAULT_OVERLAY_MTU } from "../../../src/wire/overhead.js";

const LOCAL = "198.18.0.1";
const A1 = "198.18.0.2";
const A2 = "198.18.0.3";
const A3 = "198.18.0.4";
const MAC_1 = parseMac("52:54:00:00:00:01");
const MAC_2 = parseMac("52:54:00:00:00:02");
const MAC_3 = parseMac("52:54:00:00:00:03");

describe("SwitchModel", () => {
  let fdb: Fdb;
  let model: SwitchModel;
  let tap: number;
  let trunk: number;

  beforeEach(() => {
    fdb = new Fdb({ now: () => 0 });
    model = new SwitchModel(fdb, { family: 4, local: LOCAL, peerPort: 4789 });
    tap = model.addTap("vxs0", false);
    trunk = model.addTap("vxs-trunk", true);
  });

  const tables = (): SwitchTables => model.tables.current;
  const seg = (id: number): SegmentTable => {
    const s = tables().segments.get(id);
    if (s === undefined) throw new Error(`no segment ${id} in the current tables`);
    return s;
  };
  const peerIds = (id: number): number[] => seg(id).peers.map((p) => p.id);
  const addPeers = (...addresses: string[]): number[] => addresses.map((a) => model.addPeer(a).id);

  describe("segments and ports", () => {
    it("creates a segment with the VXLAN-over-IPv4 MTU unless told otherwise", () => {
      model.addSegment({ id: 100 });
      expect(seg(100).mtu).toBe(DEFAULT_OVERLAY_MTU);
      expect(seg(100).mtu).toBe(1450);
      expect(seg(100).greKeyed).toBe(false);
      model.addSegment({ id: 200, mtu: 1462 });
      expect(seg(200).mtu).toBe(1462);
      expect(() => model.addSegment({ id: 300, mtu: 67 })).toThrow(/invalid MTU 67 for segment 300/);
      expect(model.segmentIds()).toEqual([100, 200]);
    });

    it("refuses a duplicate segment, a VNI beyond 24 bits and a VLAN beyond 4094", () => {
      model.addSegment({ id: 100 });
      expect(() => model.addSegment({ id: 100 })).toThrow(/already exists/);
      expect(() => model.addSegment({ id: 0x1000000 })).toThrow(/invalid VNI/);
      expect(() => model.addPort(trunk, 100, 4095)).toThrow(/invalid VLAN/);
      expect(model.segmentIds()).toEqual([100]);
    });

    it("takes a 32-bit GRE key as the segment id of a GRE-keyed segment (the key names the segment itself)", () => {
      model.addSegment({ id: 0xdead_beef, greKeyed: true });
      expect(seg(0xdead_beef).greKeyed).toBe(true);
      expect(() => model.addSegment({ id: 0x1_0000_0000, greKeyed: true })).toThrow(/invalid segment id/);
      // The keyless GRE segment: id 0, frames go out without a key.
      model.addSegment({ id: 0 });
      expect(seg(0).greKeyed).toBe(false);
    });

    it("maps an access TAP's untagged frames to its segment and re-inserts no tag", () => {
      model.addSegment({ id: 100 });
      const id = model.addPort(tap, 100);
      const access = tables().taps[tap]!.access!;
      expect(access.id).toBe(id);
      expect(access.segment).toBe(seg(100));
      expect(access.vlan).toBe(0);
      expect(access.name).toBe("vxs0");
      expect(tables().taps[tap]!.byVlan.size).toBe(0);
      expect(tables().ports[id]).toBe(access);
      expect(model.endpoints.isPort(id)).toBe(true);
      expect(() => model.addPort(tap, 100, 10)).toThrow(/TAP vxs0 is an access port: VLAN 10 needs a trunk TAP/);
    });

    it("maps each VLAN of a trunk TAP to its own segment, and back for decapsulation", () => {
      model.addSegment({ id: 1010 });
      model.addSegment({ id: 1020 });
      const p10 = model.addPort(trunk, 1010, 10);
      const p20 = model.addPort(trunk, 1020, 20);
      const t = tables().taps[trunk]!;
      expect(t.trunk).toBe(true);
      expect(t.access).toBeUndefined();
      expect(t.byVlan.get(10)!.segment.id).toBe(1010);
      expect(t.byVlan.get(20)!.segment.id).toBe(1020);
      expect(t.byVlan.get(30)).toBeUndefined();
      expect(t.byVlan.get(0)).toBeUndefined();
      expect(tables().ports[p10]!.vlan).toBe(10);
      expect(tables().ports[p20]!.vlan).toBe(20);
      expect(tables().ports[p20]!.name).toBe("vxs-trunk.20");
      expect(seg(1010).ports.map((p) => p.id)).toEqual([p10]);
      expect(() => model.addPort(trunk, 1010)).toThrow(/trunk TAP vxs-trunk carries VLANs 1..4094, not untagged frames/);
    });

    it("refuses a VLAN of a TAP in two segments, two VLANs of a trunk in one segment, a TAP twice, and a TAP or segment that does not exist", () => {
      model.addSegment({ id: 1010 });
      model.addSegment({ id: 1020 });
      model.addPort(trunk, 1010, 10);
      expect(() => model.addPort(trunk, 1020, 10)).toThrow(/VLAN 10 of vxs-trunk is already in segment 1010/);
      expect(() => model.addPort(trunk, 1010, 11), "two VLANs of one trunk would be bridged together").toThrow(/vxs-trunk is already in segment 1010 \(VLAN 10\); one VLAN per segment/);
      model.addPort(tap, 1010);
      expect(() => model.addPort(tap, 1020)).toThrow(/TAP vxs0 is already in segment 1010/);
      expect(() => model.addTap("vxs0", false)).toThrow(/TAP vxs0 is already part of the switch/);
      expect(() => model.addPort(99, 1010)).toThrow(/no TAP with index 99/);
      expect(() => model.addPort(tap, 999)).toThrow(/no segment 999/);
    });

    it("removes a port with its VLAN mapping and the FDB entries behind it, static ones too", () => {
      model.addSegment({ id: 1010 });
      const p10 = model.addPort(trunk, 1010, 10, MAC_1);
      fdb.learn(1010, MAC_2, p10);
      expect(fdb.size(1010)).toBe(2);
      expect(model.removePort(p10)).toBe(true);
      expect(tables().taps[trunk]!.byVlan.get(10)).toBeUndefined();
      expect(tables().ports[p10]).toBeUndefined();
      expect(seg(1010).ports).toEqual([]);
      expect(seg(1010).floodAll.length).toBe(0);
      expect(fdb.size(1010)).toBe(0);
      expect(model.endpoints.has(p10)).toBe(false);
      expect(model.removePort(p10)).toBe(false);
      // The VLAN is free again.
      model.addPort(trunk, 1010, 10);
      expect(tables().taps[trunk]!.byVlan.get(10)!.segment.id).toBe(1010);
    });

    it("removes one VLAN of a trunk from its segment and keeps the others", () => {
      model.addSegment({ id: 1010 });
      model.addSegment({ id: 1020 });
      const p10 = model.addPort(trunk, 1010, 10);
      model.addPort(trunk, 1020, 20);
      model.removePort(p10);
      expect(tables().taps[trunk]!.byVlan.get(10)).toBeUndefined();
      expect(tables().taps[trunk]!.byVlan.get(20)!.segment.id).toBe(1020);
    });

    it("removes a segment with its ports and every FDB entry of it, and leaves the others", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 200 });
      const [p1] = addPeers(A1);
      const port = model.addPort(tap, 100, 0, MAC_1);
      fdb.learn(100, MAC_2, p1!);
      fdb.learn(200, MAC_3, p1!);
      expect(model.removeSegment(100)).toBe(true);
      expect(tables().segments.has(100)).toBe(false);
      expect(model.hasSegment(100)).toBe(false);
      expect(tables().taps[tap]!.access).toBeUndefined();
      expect(tables().ports[port]).toBeUndefined();
      expect(fdb.size(100)).toBe(0);
      expect(fdb.lookup(200, MAC_3)).toBe(p1);
      expect(model.removeSegment(100)).toBe(false);
      // The TAP can carry another segment now.
      model.addPort(tap, 200);
      expect(tables().taps[tap]!.access!.segment.id).toBe(200);
    });

    it("puts the TAP's own MAC in the FDB as a static entry on its port", () => {
      model.addSegment({ id: 100 });
      const port = model.addPort(tap, 100, 0, MAC_1);
      expect(fdb.lookup(100, MAC_1)).toBe(port);
      expect([...fdb.entries(100)].map((e) => e.isStatic)).toEqual([true]);
    });
  });

  describe("flood lists", () => {
    it("precomputes two flood lists: ports then peers, and local ports only", () => {
      model.addSegment({ id: 100 });
      const port = model.addPort(tap, 100);
      const [p1, p2] = addPeers(A1, A2);
      expect([...seg(100).floodAll]).toEqual([port, p1, p2]);
      expect([...seg(100).floodLocal]).toEqual([port]);
      expect(tables().maxFloodPeers).toBe(2);
    });

    it("gives every segment the mesh of peers, also a segment added later", () => {
      model.addSegment({ id: 100 });
      const [p1, p2] = addPeers(A1, A2);
      model.addSegment({ id: 300 });
      expect(peerIds(100)).toEqual([p1, p2]);
      expect(peerIds(300)).toEqual([p1, p2]);
    });

    it("adds a flood peer to one segment, which then keeps its own list starting from the mesh it had", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 200 });
      const [p1, p2] = addPeers(A1, A2);
      expect(model.addFloodPeer(A3, 200)).toBe("segment 200");
      const p3 = model.peerAt(A3)!.id;
      expect(peerIds(200)).toEqual([p1, p2, p3]);
      expect(peerIds(100)).toEqual([p1, p2]);
      // A configured peer added later joins the mesh only; segment 200 keeps its own list.
      const [p4] = addPeers("198.18.0.5");
      expect(peerIds(100)).toEqual([p1, p2, p4]);
      expect(peerIds(200)).toEqual([p1, p2, p3]);
      expect(() => model.addFloodPeer(A3, 200)).toThrow(/198.18.0.4 is already a peer of segment 200/);
      expect(() => model.addFloodPeer(A1, 999)).toThrow(/no segment 999 \(segments: 100, 200\)/);
    });

    it("adds a flood peer to every segment, those with their own list too", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 200 });
      const [p1] = addPeers(A1);
      model.addFloodPeer(A2, 200);
      const p2 = model.peerAt(A2)!.id;
      expect(model.addFloodPeer(A3)).toBe("every segment");
      const p3 = model.peerAt(A3)!.id;
      expect(peerIds(100)).toEqual([p1, p3]);
      expect(peerIds(200)).toEqual([p1, p2, p3]);
      // A2 floods in segment 200 only: adding it everywhere is not a duplicate.
      model.addFloodPeer(A2);
      expect(peerIds(100)).toEqual([p1, p3, p2]);
      expect(() => model.addFloodPeer(A2)).toThrow(/198.18.0.3 is already a peer of every segment/);
    });

    it("removes a flood peer from one segment only, with its learned entries there", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 200 });
      const [p1, p2] = addPeers(A1, A2);
      fdb.learn(100, MAC_1, p1!);
      fdb.addStatic(100, MAC_2, p1!);
      fdb.learn(200, MAC_3, p1!);
      expect(model.removeFloodPeer(A1, 100)).toEqual({ fdbEntriesRemoved: 1 });
      expect(peerIds(100)).toEqual([p2]);
      expect(peerIds(200)).toEqual([p1, p2]);
      expect(fdb.lookup(100, MAC_1)).toBe(-1);
      expect(fdb.lookup(100, MAC_2)).toBe(p1);
      expect(fdb.lookup(200, MAC_3)).toBe(p1);
      expect(model.peerAt(A1)).toBeDefined();
      expect(() => model.removeFloodPeer(A1, 100)).toThrow(/198.18.0.2 is not a flood peer of segment 100/);
      expect(() => model.removeFloodPeer(A1, 999)).toThrow(/no segment 999/);
    });

    it("removes a flood peer entirely without a segment: every list, every FDB entry (static too)", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 200 });
      const [p1, p2] = addPeers(A1, A2);
      model.addFloodPeer(A3, 200);
      fdb.learn(100, MAC_1, p1!);
      fdb.addStatic(200, MAC_2, p1!);
      expect(model.removeFloodPeer(A1)).toEqual({ fdbEntriesRemoved: 2 });
      expect(peerIds(100)).toEqual([p2]);
      expect(peerIds(200)).toEqual([p2, model.peerAt(A3)!.id]);
      expect(model.peerAt(A1)).toBeUndefined();
      expect(fdb.size()).toBe(0);
      expect(() => model.removeFloodPeer(A1)).toThrow(/198.18.0.2 is not a configured peer/);
    });

    it("removes a peer with its FDB entries, static ones too, before its id can be reused", () => {
      model.addSegment({ id: 100 });
      const peer = model.addPeer(A1);
      fdb.learn(100, MAC_1, peer.id);
      fdb.addStatic(100, MAC_2, peer.id);
      model.removePeer(peer);
      expect(fdb.size(100)).toBe(0);
      expect(peerIds(100)).toEqual([]);
      expect(tables().peers.size).toBe(0);
      expect(model.endpoints.has(peer.id)).toBe(false);
      // Removing it again changes nothing.
      const generation = tables().generation;
      model.removePeer(peer);
      expect(tables().generation).toBe(generation);
    });

    it("puts the multicast group first in every segment's peers and flood list (group mode)", () => {
      model.addSegment({ id: 100 });
      const port = model.addPort(tap, 100);
      const [p1] = addPeers(A1);
      const group = model.setGroup("239.1.1.1");
      model.addSegment({ id: 200 });
      expect(model.group).toBe(group);
      expect(peerIds(100)).toEqual([group.id, p1]);
      expect([...seg(100).floodAll]).toEqual([port, group.id, p1]);
      expect(peerIds(200)).toEqual([group.id, p1]);
      // Nothing comes from the group: it is no peer traffic is looked up by.
      expect(tables().peers.get(group.id)).toBeUndefined();
      expect(model.peers().map((p) => p.peer.id)).toEqual([p1]);
      expect(() => model.setGroup("239.1.1.2")).toThrow(/the multicast group is 239.1.1.1 already/);
    });

    it("never floods to a peer learned from traffic, but knows it by address", () => {
      model.addSegment({ id: 100 });
      const [p1] = addPeers(A1);
      const learned = model.addPeer(A2, { dynamic: true });
      expect(learned.dynamic).toBe(true);
      expect(peerIds(100)).toEqual([p1]);
      expect(tables().peers.lookup(learned.addr16, 0)).toBe(learned);
      expect(() => model.addFloodPeer(A2)).toThrow(/learned from traffic; it cannot also be configured/);
      expect(() => model.removeFloodPeer(A2)).toThrow(/198.18.0.3 is not a configured peer/);
    });
  });

  describe("static FDB entries", () => {
    it("removes a unicast-only peer whose entries went with their segment", () => {
      model.addSegment({ id: 100 });
      model.addStaticEntry(100, MAC_1, { dst: A3 });
      model.removeSegment(100);
      expect(model.peerAt(A3)).toBeUndefined();
      expect(tables().peers.size).toBe(0);
    });

    it("makes an unknown --dst a unicast-only peer, in no flood list, removed with its last entry", () => {
      model.addSegment({ id: 100 });
      const port = model.addPort(tap, 100);
      model.addStaticEntry(100, MAC_1, { dst: A3 });
      model.addStaticEntry(100, MAC_2, { dst: A3 });
      const peer = model.peerAt(A3)!;
      expect(fdb.lookup(100, MAC_1)).toBe(peer.id);
      expect(model.peers()).toEqual([{ peer, unicastOnly: true }]);
      expect(peerIds(100)).toEqual([]);
      expect([...seg(100).floodAll]).toEqual([port]);
      expect(tables().peers.get(peer.id)).toBe(peer);
      expect(model.removeFdbEntry(100, MAC_1)).toBe(true);
      expect(model.peerAt(A3)).toBe(peer);
      expect(model.removeFdbEntry(100, MAC_2)).toBe(true);
      expect(model.peerAt(A3)).toBeUndefined();
      expect(tables().peers.size).toBe(0);
      expect(model.removeFdbEntry(100, MAC_2)).toBe(false);
    });

    it("removes a unicast-only peer when its last entry is pointed elsewhere", () => {
      model.addSegment({ id: 100 });
      model.addStaticEntry(100, MAC_1, { dst: A3 });
      model.addStaticEntry(100, MAC_1, { dst: A2 });
      expect(model.peerAt(A3)).toBeUndefined();
      expect(fdb.lookup(100, MAC_1)).toBe(model.peerAt(A2)!.id);
    });

    it("points an entry at a configured peer without making it unicast-only, and keeps the peer with its last entry", () => {
      model.addSegment({ id: 100 });
      const [p1] = addPeers(A1);
      model.addStaticEntry(100, MAC_1, { dst: A1 });
      expect(fdb.lookup(100, MAC_1)).toBe(p1);
      expect(model.peers()[0]!.unicastOnly).toBe(false);
      model.removeFdbEntry(100, MAC_1);
      expect(model.peerAt(A1)!.id).toBe(p1);
      expect(peerIds(100)).toEqual([p1]);
    });

    it("turns a unicast-only peer into a flood peer when it is configured", () => {
      model.addSegment({ id: 100 });
      model.addStaticEntry(100, MAC_1, { dst: A3 });
      const id = model.peerAt(A3)!.id;
      model.addFloodPeer(A3);
      expect(peerIds(100)).toEqual([id]);
      expect(model.peers()[0]!.unicastOnly).toBe(false);
      model.removeFdbEntry(100, MAC_1);
      expect(model.peerAt(A3)!.id).toBe(id);
    });

    it("points an entry at a TAP of the segment with --dev, and refuses a TAP or segment that is not there", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 1010 });
      const port = model.addPort(tap, 100);
      const p10 = model.addPort(trunk, 1010, 10);
      model.addStaticEntry(100, MAC_1, { dev: "vxs0" });
      model.addStaticEntry(1010, MAC_2, { dev: "vxs-trunk.10" });
      expect(fdb.lookup(100, MAC_1)).toBe(port);
      expect(fdb.lookup(1010, MAC_2)).toBe(p10);
      expect(() => model.addStaticEntry(1010, MAC_3, { dev: "vxs0" })).toThrow(/vxs0 is not a TAP of segment 1010/);
      expect(() => model.addStaticEntry(999, MAC_3, { dev: "vxs0" })).toThrow(/no segment 999/);
      expect(() => model.addStaticEntry(100, MAC_3, {})).toThrow(/give --dst ADDR or --dev TAP/);
    });

    it("makes no unicast-only peer when the FDB refuses the entry", () => {
      model.addSegment({ id: 100 });
      expect(() => model.addStaticEntry(100, parseMac("ff:ff:ff:ff:ff:ff"), { dst: A3 })).toThrow(/group and all-zero addresses/);
      expect(model.peerAt(A3)).toBeUndefined();
      expect(tables().peers.size).toBe(0);
    });
  });

  describe("published tables", () => {
    it("publishes a new tables object on every change", () => {
      const g0 = tables().generation;
      model.addSegment({ id: 100 });
      model.addPort(tap, 100);
      addPeers(A1);
      expect(tables().generation).toBe(g0 + 3);
    });

    it("publishes the changes of a batch once, at its end (a nested batch too)", () => {
      const before = tables();
      const port = model.batch(() => {
        model.addSegment({ id: 100 });
        const id = model.addPort(tap, 100);
        model.batch(() => addPeers(A1, A2));
        expect(tables()).toBe(before);
        return id;
      });
      expect(tables().generation).toBe(before.generation + 1);
      expect([...seg(100).floodAll]).toEqual([port, model.peerAt(A1)!.id, model.peerAt(A2)!.id]);
    });

    it("never changes tables once published: a loop holding them sees the switch as it was", () => {
      model.addSegment({ id: 100 });
      model.addSegment({ id: 1010 });
      const port = model.addPort(tap, 100);
      const p10 = model.addPort(trunk, 1010, 10);
      const [p1] = addPeers(A1);
      const old = tables();
      const oldSeg = old.segments.get(100)!;
      const oldFlood = [...oldSeg.floodAll];

      const peer2: Peer = model.addPeer(A2);
      model.removePort(p10);
      model.removePeer(model.peerAt(A1)!);
      model.removeSegment(100);
      model.addSegment({ id: 300 });

      expect(old.segments.get(100)).toBe(oldSeg);
      expect([...old.segments.keys()]).toEqual([100, 1010]);
      expect([...oldSeg.floodAll]).toEqual(oldFlood);
      expect([...oldSeg.floodAll]).toEqual([port, p1]);
      expect(oldSeg.peers.map((p) => p.id)).toEqual([p1]);
      expect(oldSeg.ports.map((p) => p.id)).toEqual([port]);
      expect(old.taps[tap]!.access!.id).toBe(port);
      expect(old.taps[trunk]!.byVlan.get(10)!.id).toBe(p10);
      expect(old.ports[p10]!.segment.id).toBe(1010);
      expect(old.peers.size).toBe(1);
      expect(old.peers.get(p1!)!.address).toBe(A1);

      const now = tables();
      expect([...now.segments.keys()]).toEqual([1010, 300]);
      expect(now.peers.all()).toEqual([peer2]);
    });

    it("carries a segment's counters over to the next tables", () => {
      model.addSegment({ id: 100 });
      const traffic = seg(100).traffic;
      traffic.egress(1, 60);
      addPeers(A1);
      expect(seg(100).traffic).toBe(traffic);
      expect(seg(100).traffic.egressFrames).toBe(1);
    });
  });

  describe("peers", () => {
    it("refuses an address of the other family, a name, its own address and a peer twice", () => {
      expect(() => model.addPeer("2001:db8::2")).toThrow(/2001:db8::2 is not an IPv4 address \(the underlay is IPv4\)/);
      expect(() => model.addPeer("peer.example")).toThrow(/is not an IPv4 address/);
      expect(() => model.addPeer(LOCAL)).toThrow(/198.18.0.1 is this switch's own address/);
      model.addPeer(A1);
      expect(() => model.addPeer(A1)).toThrow(/198.18.0.2 is already a peer/);
      expect(model.peerCount).toBe(1);
    });

    it("checks IPv6 peers on an IPv6 underlay, its own address in any spelling", () => {
      const v6 = new SwitchModel(new Fdb(), { family: 6, local: "2001:db8::1", peerPort: 4789 });
      expect(() => v6.checkPeerAddress(A1)).toThrow(/198.18.0.2 is not an IPv6 address \(the underlay is IPv6\)/);
      expect(() => v6.checkPeerAddress("2001:db8:0::1")).toThrow(/this switch's own address/);
      expect(v6.addPeer("2001:db8::2").port).toBe(4789);
    });

    it("tells the owner when a peer is added and before it is removed", () => {
      const events: string[] = [];
      const m = new SwitchModel(new Fdb(), {
        family: 4,
        local: LOCAL,
        peerPort: 0,
        onPeerAdded: (p) => events.push(`+${p.address}`),
        onPeerRemoved: (p) => events.push(`-${p.address}`),
      });
      const peer = m.addPeer(A1);
      expect(peer.port).toBe(0);
      m.removePeer(peer);
      expect(events).toEqual([`+${A1}`, `-${A1}`]);
    });
  });

  describe("MACs other hosts publish", () => {
    it("installs a published MAC toward its host, never over a local one, and withdraws it only from that host", () => {
      model.addSegment({ id: 100 });
      const port = model.addPort(tap, 100, 0, MAC_1);
      const [p1] = addPeers(A1, A2);
      expect(installRemoteMac(model, fdb, 100, "52:54:00:00:00:02", A1)).toBe(true);
      expect(fdb.lookup(100, MAC_2)).toBe(p1);
      expect(installRemoteMac(model, fdb, 100, "52:54:00:00:00:01", A1)).toBe(false);
      expect(fdb.lookup(100, MAC_1)).toBe(port);
      expect(installRemoteMac(model, fdb, 100, "52:54:00:00:00:03", A3)).toBe(false);
      expect(installRemoteMac(model, fdb, 999, "52:54:00:00:00:03", A1)).toBe(false);
      expect(withdrawRemoteMac(model, fdb, 100, "52:54:00:00:00:02", A2)).toBe(false);
      expect(withdrawRemoteMac(model, fdb, 100, "52:54:00:00:00:02", A1)).toBe(true);
      expect(fdb.lookup(100, MAC_2)).toBe(-1);
    });

    it("lists the MACs behind local ports, at most max", () => {
      model.addSegment({ id: 100 });
      const port = model.addPort(tap, 100, 0, MAC_1);
      const [p1] = addPeers(A1);
      fdb.learn(100, MAC_2, port);
      fdb.learn(100, MAC_3, p1!);
      expect(localMacs(model, fdb, 100, 10).sort()).toEqual(["52:54:00:00:00:01", "52:54:00:00:00:02"]);
      expect(localMacs(model, fdb, 100, 1)).toHaveLength(1);
    });
  });
});
