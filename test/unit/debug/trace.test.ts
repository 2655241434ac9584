// Live trace lines from the loops' hooks (decision or the drop the loop counted), and the `trace --packet` spec.
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/io/address.js";
import { DropReason } from "../../../src/dataplane/stats.js";
import { Fdb } from "../../../src/switch/fdb.js";
import { DROP_SPLIT_HORIZON, FLOOD } from "../../../src/switch/forwarder.js";
import { TraceObserver, type TraceEvent } from "../../../src/debug/trace-session.js";
import { parsePacketSpec, tracePacket } from "../../../src/debug/trace-packet.js";
import { parseCaptureFilter } from "../../../src/debug/capture-filter.js";
import { parseMac } from "../../../src/wire/mac.js";
import { debugViewOf } from "../../helpers/debug-view.js";

const SRC = "52:54:00:00:00:01";

function arp(src = SRC): Buffer {
  const b = Buffer.alloc(42);
  b.fill(0xff, 0, 6);
  Buffer.from(src.replaceAll(":", ""), "hex").copy(b, 6);
  b.writeUInt16BE(0x0806, 12);
  b.writeUInt16BE(1, 20);
  b.set([10, 42, 0, 2], 38);
  return b;
}

function world() {
  const w = debugViewOf(["198.18.0.2", "198.18.0.3"], { fdb: new Fdb({ now: () => 0 }) });
  return { v: w.v, tap: w.tap, portId: w.portId, p2: w.peers[0]!, p3: w.peers[1]!, stats: w.stats, fdb: w.fdb };
}

function vxlanHeader(vni: number, flags = 0x08): Buffer {
  const h = Buffer.alloc(8);
  h[0] = flags;
  h.writeUIntBE(vni, 4, 3);
  return h;
}

describe("live trace", () => {
  it("writes the flood set for a broadcast from the TAP", () => {
    const w = world();
    const events: TraceEvent[] = [];
    const t = new TraceObserver(w.v, {}, (e) => events.push(e));
    const f = arp();
    t.egressFrame(f, 0, f.length, w.tap);
    t.decided("egress", FLOOD, 42, w.portId);
    t.batchEnd();
    expect(events.map((e) => e.line)).toEqual([`rx tap vxtap42 vni 42 ${SRC} > ff:ff:ff:ff:ff:ff ARP who-has 10.42.0.2  flood -> 198.18.0.2, 198.18.0.3`]);
  });

  it("names the drop the loop counted for a frame that got no decision (unknown peer)", () => {
    const w = world();
    const events: TraceEvent[] = [];
    const t = new TraceObserver(w.v, {}, (e) => events.push(e));
    const pkt = Buffer.concat([vxlanHeader(42), arp()]);
    t.ingressFrame(parseAddress("198.18.0.9"), 0, pkt, 0, pkt, -1, pkt.length, 1);
    w.stats.ingress.drop(DropReason.unknownPeer);
    t.batchEnd();
    expect(events[0]!.line).toBe(`rx 198.18.0.9 vni 42 ${SRC} > ff:ff:ff:ff:ff:ff ARP who-has 10.42.0.2  drop: unknown peer`);
    expect(events[0]!.drops).toEqual(["unknownPeer"]);
  });

  it("gives each frame of a batch its own outcome: a VXLAN I flag drop, then a split-horizon drop", () => {
    const w = world();
    const events: TraceEvent[] = [];
    const t = new TraceObserver(w.v, {}, (e) => events.push(e));
    const bad = Buffer.concat([vxlanHeader(42, 0x00), arp()]);
    t.ingressFrame(w.p2.addr16, 0, bad, 0, bad, -1, bad.length, 1);
    w.stats.ingress.drop(DropReason.vxlanFlagI);
    const good = Buffer.concat([vxlanHeader(42), arp()]);
    t.ingressFrame(w.p2.addr16, 0, good, 0, good, 8, good.length - 8, 1);
    t.decided("ingress", DROP_SPLIT_HORIZON, 42, w.p2.id);
    w.stats.ingress.drop(DropReason.splitHorizon);
    t.batchEnd();
    expect(events.map((e) => e.drops)).toEqual([["vxlanFlagI"], ["splitHorizon"]]);
    expect(events[0]!.line).toMatch(/^rx 198\.18\.0\.2 vni 42 .* drop: VXLAN I flag clear$/);
    expect(events[1]!.line).toMatch(/drop: split horizon/);
  });

  it("forwards to a named port and keeps only frames the filter wants", () => {
    const w = world();
    const events: TraceEvent[] = [];
    const t = new TraceObserver(w.v, parseCaptureFilter({ mac: "52:54:00:00:00:77" }), (e) => events.push(e));
    const f = arp();
    t.ingressFrame(w.p2.addr16, 0, f, 0, f, 0, f.length, 1);
    t.decided("ingress", w.portId, 42, w.p2.id);
    const g = arp("52:54:00:00:00:77");
    t.ingressFrame(w.p2.addr16, 0, g, 0, g, 0, g.length, 3);
    t.decided("ingress", w.portId, 42, w.p2.id);
    t.batchEnd();
    expect(events.map((e) => e.line)).toEqual(["rx 198.18.0.2 vni 42 52:54:00:00:00:77 > ff:ff:ff:ff:ff:ff ARP who-has 10.42.0.2 (3 packets)  forward -> tap vxtap42"]);
  });
});

describe("trace --packet", () => {
  it("parses 'vni 42 src MAC dst MAC from PEER'", () => {
    expect(parsePacketSpec("vni 42 src 52:54:00:00:00:01 dst ff:ff:ff:ff:ff:ff from 198.18.0.2")).toEqual({ vni: 42, src: SRC, dst: "ff:ff:ff:ff:ff:ff", from: "198.18.0.2" });
    expect(parsePacketSpec("vni 7 src 52:54:00:00:00:01 dst 52:54:00:00:00:02 from tap vxtap7").from).toBe("tap vxtap7");
  });

  it("takes the MACs from a hex frame", () => {
    const spec = parsePacketSpec("vni 42 from tap", arp().toString("hex"));
    expect(spec).toMatchObject({ src: SRC, dst: "ff:ff:ff:ff:ff:ff", from: "tap" });
  });

  it("refuses a spec it cannot read, saying what it expects", () => {
    expect(() => parsePacketSpec("vni 42 src 52:54:00:00:00:01")).toThrow(/src and dst MACs are needed/);
    expect(() => parsePacketSpec("vni x src a dst b")).toThrow(/vni must be a whole number/);
    expect(() => parsePacketSpec("vni 42 src 52:54:00:00:00:01 dst 52:54:00:00:00:02 from h2")).toThrow(/from must be/);
  });

  it("explains a hit with the entry's age, and an unknown peer as a drop", () => {
    const w = world();
    w.fdb.learn(42, parseMac("52:54:00:00:00:02"), w.p3.id);
    const hit = tracePacket(w.v, parsePacketSpec(`vni 42 src ${SRC} dst 52:54:00:00:00:02 from tap`));
    expect(hit.action).toBe("forward");
    expect(hit.targets).toEqual(["198.18.0.3"]);
    expect(hit.lines.join("\n")).toMatch(/lookup: 52:54:00:00:00:02 -> 198\.18\.0\.3 \(learned, updated 0s ago\)/);
    const stranger = tracePacket(w.v, parsePacketSpec(`vni 42 src ${SRC} dst 52:54:00:00:00:02 from 198.18.0.9`));
    expect(stranger).toMatchObject({ action: "drop", reason: "unknownPeer" });
    const fromPeer = tracePacket(w.v, parsePacketSpec(`vni 42 src 52:54:00:00:00:05 dst ff:ff:ff:ff:ff:ff from 198.18.0.2`));
    expect(fromPeer).toMatchObject({ action: "flood", targets: ["tap vxtap42"], splitHorizon: true });
    // Nothing was learned.
    expect(w.fdb.size(42)).toBe(1);
  });
});
