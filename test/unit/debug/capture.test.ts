// Capture: which frames the filters keep, the outer packets written back for --outer, what a capture observer takes from
// the loops' batches, and a bounded queue that loses (and counts) rather than slows the switch.
import { describe, expect, it } from "vitest";
import { RxBatch, TxBatch } from "../../../src/io/batch.js";
import { parseAddress } from "../../../src/io/address.js";
import type { TunnelSocket } from "../../../src/io/tunnel-socket.js";
import type { TapTable } from "../../../src/switch/tables.js";
import { debugViewOf } from "../../helpers/debug-view.js";
import { matchesFrame, matchesPeer, parseCaptureFilter } from "../../../src/debug/capture-filter.js";
import { outerPacket } from "../../../src/debug/capture-outer.js";
import { CaptureObserver, captureStream, type CapturedFrame } from "../../../src/debug/capture-session.js";
import type { DebugView } from "../../../src/debug/trace-view.js";
import { decodePacket } from "../../../src/debug/decode.js";
import type { StreamSink } from "../../../src/control/stream.js";
import { ObserverStream } from "../../../src/control/observer-stream.js";
import { parseMac } from "../../../src/wire/mac.js";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapReader, PcapWriter } from "../../../src/wire/pcap.js";

const SRC = "52:54:00:00:00:01";
const DST = "52:54:00:00:00:02";

function frame(dst = DST, src = SRC, size = 46): Buffer {
  const b = Buffer.alloc(14 + size, 0xab);
  Buffer.from(dst.replaceAll(":", ""), "hex").copy(b, 0);
  Buffer.from(src.replaceAll(":", ""), "hex").copy(b, 6);
  b.writeUInt16BE(0x88b5, 12);
  return b;
}

function vxlan(vni: number, inner: Buffer, flags = 0x08): Buffer {
  const h = Buffer.alloc(8);
  h[0] = flags;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, inner]);
}

function view(vnetHdr = false): DebugView & { tap: TapTable } {
  const w = debugViewOf(["198.18.0.2"], { vnetHdr });
  return { ...w.v, tap: w.tap };
}

function rxOf(packets: Buffer[], srcAddr = "198.18.0.2", headroom = 64): RxBatch {
  const rx = new RxBatch(packets.length, 2048, headroom);
  packets.forEach((p, i) => {
    p.copy(rx.slab, rx.offsetOf(i));
    rx.lengths[i] = p.length;
    rx.srcAddrs.set(parseAddress(srcAddr), i * 16);
    rx.srcPorts[i] = 40000 + i;
  });
  rx.count = packets.length;
  return rx;
}

describe("capture filters", () => {
  it("keeps a frame whose VNI and source or destination MAC match", () => {
    const f = parseCaptureFilter({ vni: 42, mac: DST });
    expect(matchesFrame(f, 42, frame(), 0, 60)).toBe(true);
    expect(matchesFrame(parseCaptureFilter({ mac: SRC }), 7, frame(), 0, 60)).toBe(true);
  });

  it("drops a frame of another VNI or with neither MAC", () => {
    expect(matchesFrame(parseCaptureFilter({ vni: 42 }), 43, frame(), 0, 60)).toBe(false);
    expect(matchesFrame(parseCaptureFilter({ mac: "52:54:00:00:00:99" }), 42, frame(), 0, 60)).toBe(false);
  });

  it("matches a peer by its underlay address only", () => {
    const f = parseCaptureFilter({ peer: "198.18.0.2" });
    expect(matchesPeer(f, parseAddress("198.18.0.2"))).toBe(true);
    expect(matchesPeer(f, parseAddress("198.18.0.3"))).toBe(false);
    expect(matchesPeer(f, undefined)).toBe(false);
    expect(matchesPeer(parseCaptureFilter({}), undefined)).toBe(true);
  });

  it("refuses a bad VNI, peer or MAC with a reason", () => {
    expect(() => parseCaptureFilter({ vni: -1 })).toThrow(/vni must be a whole number/);
    expect(() => parseCaptureFilter({ peer: "h2" })).toThrow(/peer must be an IPv4 or IPv6 address/);
    expect(() => parseCaptureFilter({ mac: "zz" })).toThrow();
  });
});

describe("outer packets for --outer", () => {
  it("writes IPv4/UDP around a VXLAN payload that decode reads as VXLAN VNI 42 with the inner frame", () => {
    const payload = vxlan(42, frame());
    const pkt = outerPacket({ src: parseAddress("198.18.0.1"), srcOff: 0, dst: parseAddress("198.18.0.2"), dstOff: 0, srcPort: 50000, dstPort: 4789, gre: false }, payload, 0, payload.length);
    expect(pkt.length).toBe(20 + 8 + payload.length);
    const decoded = decodePacket(pkt, "ip", { number: 1 });
    expect(decoded.problems).toEqual([]);
    expect(decoded.layers.map((l) => l.name)).toEqual(expect.arrayContaining(["ip", "udp", "vxlan", "eth"]));
    const vx = decoded.layers.find((l) => l.name === "vxlan");
    expect(JSON.stringify(vx)).toContain("42");
  });

  it("writes IPv6 with a valid UDP checksum (IPv6 must carry one)", () => {
    const payload = vxlan(42, frame());
    const pkt = outerPacket({ src: parseAddress("2001:2::1"), srcOff: 0, dst: parseAddress("2001:2::2"), dstOff: 0, srcPort: 50000, dstPort: 4789, gre: false }, payload, 0, payload.length);
    expect(pkt[0]! >> 4).toBe(6);
    expect(decodePacket(pkt, "ip", { number: 1 }).problems).toEqual([]);
  });

  it("writes IP protocol 47 and no UDP header for GRE", () => {
    const gre = Buffer.concat([Buffer.from([0x20, 0x00, 0x65, 0x58, 0, 0, 0, 42]), frame()]);
    const pkt = outerPacket({ src: parseAddress("198.18.0.1"), srcOff: 0, dst: parseAddress("198.18.0.2"), dstOff: 0, srcPort: 0, dstPort: 0, gre: true }, gre, 0, gre.length);
    expect(pkt[9]).toBe(47);
    expect(pkt.length).toBe(20 + gre.length);
    expect(decodePacket(pkt, "ip", { number: 1 }).problems).toEqual([]);
  });
});

describe("CaptureObserver", () => {
  it("takes TAP frames without their virtio-net header, as on the wire", () => {
    const v = view(true);
    const got: CapturedFrame[] = [];
    const obs = new CaptureObserver(v, {}, false, (f) => got.push(f));
    const f = frame();
    obs.egressBatch(rxOf([Buffer.concat([Buffer.alloc(10), f])]), 1, v.tap);
    expect(got.map((g) => g.data)).toEqual([f]);
  });

  it("cuts a received GRO train into its packets and strips the VXLAN header (inner)", () => {
    const v = view();
    const got: CapturedFrame[] = [];
    const p1 = vxlan(42, frame(DST, SRC, 50));
    const p2 = vxlan(42, frame(SRC, DST, 50));
    const rx = rxOf([Buffer.concat([p1, p2])]);
    rx.segSizes[0] = p1.length;
    new CaptureObserver(v, {}, false, (f) => got.push(f)).ingressBatch(rx, 1);
    expect(got.map((g) => g.data)).toEqual([p1.subarray(8), p2.subarray(8)]);
  });

  it("keeps only the filtered VNI and writes outer packets from the sender to this switch", () => {
    const v = view();
    const got: CapturedFrame[] = [];
    const rx = rxOf([vxlan(42, frame()), vxlan(7, frame())]);
    new CaptureObserver(v, parseCaptureFilter({ vni: 42 }), true, (f) => got.push(f)).ingressBatch(rx, 2);
    expect(got).toHaveLength(1);
    const ip = got[0]!.data;
    expect([...ip.subarray(12, 20)]).toEqual([198, 18, 0, 2, 198, 18, 0, 1]);
    expect(ip.readUInt16BE(20)).toBe(40000);
    expect(ip.readUInt16BE(22)).toBe(4789);
  });

  it("writes each segment of a GSO send as its own outer packet, from the sending socket's port", () => {
    const v = view();
    const got: CapturedFrame[] = [];
    const p1 = vxlan(42, frame(DST, SRC, 60));
    const p2 = vxlan(42, frame(DST, SRC, 20));
    const slab = Buffer.concat([p1, p2]);
    const tx = new TxBatch(4, slab);
    tx.push(0, slab.length, parseAddress("198.18.0.2"), 4789, p1.length);
    const socket = { localPort: 51234 } as TunnelSocket;
    new CaptureObserver(v, {}, true, (f) => got.push(f)).egressSend(tx, socket);
    expect(got.map((g) => g.data.length)).toEqual([28 + p1.length, 28 + p2.length]);
    expect(got[0]!.data.readUInt16BE(20)).toBe(51234);
  });
});

/** A client that takes `room` lines, then stops reading (and never reads again). */
function stalledSink(room: number): StreamSink & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write(line) {
      lines.push(line);
      return lines.length < room;
    },
    writable: () => new Promise<void>(() => {}),
    closed: false,
  };
}

describe("capture stream", () => {
  it("stops after COUNT frames and sends each as base64 with its time", async () => {
    const v = view();
    const stream = captureStream(v, { count: 2 });
    const sink = stalledSink(100);
    const done = stream.run(sink);
    expect(v.observers.active).toBe(true);
    const rx = rxOf([vxlan(42, frame()), vxlan(42, frame()), vxlan(42, frame())]);
    v.observers.ingressBatch(rx, 3);
    const summary = await done;
    expect(summary).toEqual({ captured: 2, lost: 0, reason: "count" });
    expect(v.observers.active).toBe(false);
    const items = sink.lines.map((l) => (JSON.parse(l) as { item: { d: string; t: number } }).item);
    expect(items).toHaveLength(2);
    expect(Buffer.from(items[0]!.d, "base64")).toEqual(frame());
    expect(items[0]!.t).toBeGreaterThan(1.6e15);
  });

  it("never makes the loop wait for a stalled reader, and detaches from the loops when stopped", () => {
    const v = view();
    const stream = captureStream(v, {}, { maxItems: 3, maxBytes: 1 << 20 });
    void stream.run(stalledSink(1));
    const rx = rxOf(Array.from({ length: 10 }, () => vxlan(42, frame())));
    const started = performance.now();
    for (let i = 0; i < 100; i++) v.observers.ingressBatch(rx, 10);
    expect(performance.now() - started).toBeLessThan(1000);
    stream.stop();
    expect(v.observers.active).toBe(false);
  });

  it("counts lost frames in the summary when the reader catches up at the end", async () => {
    let resume: () => void = () => {};
    const lines: string[] = [];
    let full = true;
    const sink: StreamSink = {
      write(line) {
        lines.push(line);
        return !full;
      },
      writable: () => new Promise<void>((r) => (resume = r)),
      closed: false,
    };
    const v = view();
    const stream = new ObserverStream<CapturedFrame>({
      header: {}, count: undefined, durationMs: undefined, limits: { maxItems: 4, maxBytes: 1 << 20 },
      sizeOf: (f) => f.data.length, encode: (f) => f.data.length,
      attach: (push) => v.observers.add(new CaptureObserver(v, {}, false, push)),
    });
    const done = stream.run(sink);
    const rx = rxOf(Array.from({ length: 10 }, () => vxlan(42, frame())));
    v.observers.ingressBatch(rx, 10);
    await new Promise((r) => setImmediate(r));
    stream.stop();
    full = false;
    resume();
    const summary = await done;
    expect(summary.captured + summary.lost).toBe(10);
    expect(summary.lost).toBeGreaterThan(0);
    expect(lines).toHaveLength(summary.captured);
  });
});

describe("pcap framing of captured frames", () => {
  it("reads back the frames with the link type the capture header names", () => {
    const chunks: Buffer[] = [];
    const w = new PcapWriter({ write: (c) => chunks.push(c) }, LINKTYPE_ETHERNET);
    const frames = [frame(), frame(SRC, DST, 100)];
    frames.forEach((f, i) => w.write(f, 0, f.length, 1_700_000_000_000_000 + i));
    const reader = new PcapReader(Buffer.concat(chunks));
    expect(reader.header.linktype).toBe(LINKTYPE_ETHERNET);
    expect([...reader].map((r) => r.data)).toEqual(frames);
    expect(LINKTYPE_RAW).toBe(101);
    expect(parseMac(SRC)).toBeGreaterThan(0);
  });
});
