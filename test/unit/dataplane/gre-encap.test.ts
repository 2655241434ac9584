// Ethernet over GRE as the dataplane's Encapsulation: header bytes, key -> segment, counted drops.
import { describe, expect, it } from "vitest";
import { GRE_ICMP } from "../wire/vectors.js";
import { dropOf } from "../../../src/dataplane/encap.js";
import { GRE_KEYLESS_ID, GreEncap } from "../../../src/dataplane/gre-encap.js";
import type { SegmentTable } from "../../../src/switch/tables.js";
import { SegmentTraffic } from "../../../src/switch/segment-traffic.js";
import { DropReason } from "../../../src/dataplane/stats.js";
import { validateConfig } from "../../../src/control/config.js";
import { plan } from "../../../src/control/plan.js";
import { encapOverhead, greOptionCount, overlayMtu } from "../../../src/wire/overhead.js";
import { parseMac } from "../../../src/wire/mac.js";
import { buildRig, frame } from "../../helpers/dataplane-rig.js";

const GRE = 34; // GRE header offset in GRE_ICMP (Ethernet 14 + IPv4 20)
const GRE_LEN = GRE_ICMP.length - GRE;
const PLAIN = { checksum: false, sequence: false };
const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const BCAST = "ff:ff:ff:ff:ff:ff";

/** A segment as the tables hold it; keyed unless it is the keyless one. */
const segment = (id: number, greKeyed = id !== GRE_KEYLESS_ID): SegmentTable => ({
  id, mtu: 1450, greKeyed, ports: [], peers: [], floodAll: new Int32Array(0), floodLocal: new Int32Array(0), traffic: new SegmentTraffic(), floodLimit: undefined,
});

/** The header GreEncap writes for `segment` in front of `inner`, as one buffer (header + inner). */
function encapsulate(encap: GreEncap, seg: SegmentTable, inner: Buffer): Buffer {
  const headroom = 64;
  const buf = Buffer.alloc(headroom + inner.length, 0xee);
  inner.copy(buf, headroom);
  const hlen = encap.headerLength(seg);
  encap.writeHeader(buf, headroom, inner.length, seg);
  return buf.subarray(headroom - hlen);
}

/** A GRE packet: flags word, protocol, then the 32-bit option words given, then the inner frame. */
function gre(flags: number, protocol: number, options: number[], inner: Buffer): Buffer {
  const h = Buffer.alloc(4 + 4 * options.length);
  h.writeUInt16BE(flags, 0);
  h.writeUInt16BE(protocol, 2);
  options.forEach((o, i) => h.writeUInt32BE(o >>> 0, 4 + 4 * i));
  return Buffer.concat([h, inner]);
}

describe("GRE encapsulation: sending", () => {
  it("writes the header tshark decoded (C, K 42, S 1, checksum 0x3ad0) on a segment's second frame", () => {
    const encap = new GreEncap({ checksum: true, sequence: true });
    const seg = segment(42);
    const inner = GRE_ICMP.subarray(GRE + 16);
    expect(encap.headerLength(seg)).toBe(16);
    const first = encapsulate(encap, seg, inner);
    expect(first.readUInt32BE(12)).toBe(0); // sequence numbers count from 0
    const second = encapsulate(encap, seg, inner);
    expect(second.toString("hex")).toBe(GRE_ICMP.subarray(GRE).toString("hex"));
  });

  it("writes a bare 4-byte header for the keyless segment and 8 bytes for a keyed one", () => {
    const encap = new GreEncap(PLAIN);
    const inner = frame(BCAST, A);
    const keyless = encapsulate(encap, segment(GRE_KEYLESS_ID), inner);
    expect(keyless.subarray(0, 4).toString("hex")).toBe("00006558");
    expect(keyless.subarray(4).equals(inner)).toBe(true);
    const keyed = encapsulate(encap, segment(0xdeadbeef), inner);
    expect(keyed.subarray(0, 8).toString("hex")).toBe("20006558deadbeef");
    expect(keyed.subarray(8).equals(inner)).toBe(true);
  });

  it("sends key 0 when key 0 is configured (a gretap with `key 0` expects it)", () => {
    const encap = new GreEncap(PLAIN);
    expect(encapsulate(encap, segment(0, true), frame(BCAST, A)).subarray(0, 8).toString("hex")).toBe("2000655800000000");
  });

  it("counts sequence numbers per segment", () => {
    const encap = new GreEncap({ checksum: false, sequence: true });
    const inner = frame(BCAST, A);
    const seqs = [1, 1, 2, 1].map((id) => encapsulate(encap, segment(id), inner).readUInt32BE(8));
    expect(seqs).toEqual([0, 1, 0, 2]);
  });

  it("writes a checksum that verifies over header and frame, of any frame length", () => {
    const encap = new GreEncap({ checksum: true, sequence: false });
    for (const size of [46, 47, 1449]) {
      const packet = encapsulate(encap, segment(GRE_KEYLESS_ID), frame(BCAST, A, size));
      expect(packet.subarray(0, 2).toString("hex")).toBe("8000");
      expect(encap.decap(packet, 0, packet.length), `size ${size}`).toBe(8);
    }
  });
});

describe("GRE encapsulation: receiving", () => {
  const encap = new GreEncap(PLAIN);
  const inner = frame(BCAST, B);

  it("accepts the tshark-verified packet and names its segment by the key", () => {
    expect(encap.decap(GRE_ICMP, GRE, GRE_LEN)).toBe(GRE + 16);
    expect(encap.decapId).toBe(42);
  });

  it("takes the full 32-bit key as the segment id", () => {
    const packet = gre(0x2000, 0x6558, [0xfffffffe], inner);
    expect(encap.decap(packet, 0, packet.length)).toBe(8);
    expect(encap.decapId).toBe(0xfffffffe);
  });

  it("puts a packet without a key, or with key 0, in the keyless segment", () => {
    const keyless = gre(0x0000, 0x6558, [], inner);
    encap.decapId = 99;
    expect(encap.decap(keyless, 0, keyless.length)).toBe(4);
    expect(encap.decapId).toBe(GRE_KEYLESS_ID);
    const key0 = gre(0x2000, 0x6558, [0], inner);
    encap.decapId = 99;
    expect(encap.decap(key0, 0, key0.length)).toBe(8);
    expect(encap.decapId).toBe(GRE_KEYLESS_ID);
  });

  it("accepts sequence numbers in any order (they are not enforced)", () => {
    for (const seq of [5, 3, 0xffffffff, 0]) {
      const packet = gre(0x3000, 0x6558, [42, seq], inner);
      expect(encap.decap(packet, 0, packet.length)).toBe(12);
    }
  });

  it("drops a packet whose checksum does not verify as greChecksum", () => {
    const bad = Buffer.from(GRE_ICMP.subarray(GRE));
    bad[bad.length - 1]! ^= 1;
    expect(dropOf(encap.decap(bad, 0, bad.length))).toBe(DropReason.greChecksum);
  });

  it("drops GRE version 1 (PPTP's enhanced GRE) as greHeader", () => {
    const packet = gre(0x2001, 0x6558, [42], inner);
    expect(dropOf(encap.decap(packet, 0, packet.length))).toBe(DropReason.greHeader);
  });

  it("drops a payload that is not Ethernet (protocol 0x0800, plain IP over GRE) as greHeader", () => {
    const packet = gre(0x0000, 0x0800, [], inner);
    expect(dropOf(encap.decap(packet, 0, packet.length))).toBe(DropReason.greHeader);
  });

  it("drops RFC 1701 routing (R flag) as greHeader", () => {
    const packet = gre(0x4000, 0x6558, [0], inner);
    expect(dropOf(encap.decap(packet, 0, packet.length))).toBe(DropReason.greHeader);
  });

  it("drops a header cut short by its own options, or an inner frame under 14 bytes, as runt", () => {
    const cut = gre(0xb000, 0x6558, [], Buffer.alloc(4));
    expect(dropOf(encap.decap(cut, 0, cut.length))).toBe(DropReason.runt);
    const tiny = gre(0x0000, 0x6558, [], Buffer.alloc(13));
    expect(dropOf(encap.decap(tiny, 0, tiny.length))).toBe(DropReason.runt);
  });
});

describe("GRE through the loops (in-memory ports)", () => {
  it("sends each keyed segment's frames with its own key and delivers received ones by key", () => {
    const rig = buildRig([1000, 2000], ["198.18.0.2"], 64, new GreEncap(PLAIN));
    rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    rig.taps[1]!.inbox.push(frame(BCAST, A));
    rig.egress[1]!.onReadable();
    expect(rig.socket.sent.map((s) => s.bytes.subarray(0, 8).toString("hex"))).toEqual(["20006558000003e8", "20006558000007d0"]);

    const inner = frame(BCAST, B);
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: gre(0x2000, 0x6558, [2000], inner) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(0);
    expect(rig.taps[1]!.written.map((w) => w.equals(inner))).toEqual([true]);
    expect(rig.fdb.lookup(2000, parseMac(B))).toBe(rig.peers[0]!.id);
    expect(rig.fdb.lookup(1000, parseMac(B))).toBe(-1);
  });

  it("counts an unknown key as unknownVni and a bad checksum as greChecksum", () => {
    const rig = buildRig([7], ["198.18.0.2"], 64, new GreEncap(PLAIN));
    const bad = gre(0xa000, 0x6558, [0x1234, 7], frame(BCAST, B));
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: gre(0x2000, 0x6558, [8], frame(BCAST, B)) }, { from: "198.18.0.2", bytes: bad });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(0);
    expect(rig.stats.ingress.toJSON().drops).toEqual({ unknownVni: 1, greChecksum: 1 });
  });
});

describe("GRE configuration", () => {
  const base = { local: "198.18.0.1", peers: ["198.18.0.2"], encap: "gre" };

  it("has an overlay MTU of 1462 plain, 1458 keyed, 1450 keyed with checksum and sequence (IPv4, 1500)", () => {
    expect(encapOverhead("gre", 4)).toBe(38);
    expect(overlayMtu(1500, "gre", 4, greOptionCount(false, PLAIN))).toBe(1462);
    expect(overlayMtu(1500, "gre", 4, greOptionCount(true, PLAIN))).toBe(1458);
    expect(overlayMtu(1500, "gre", 4, greOptionCount(true, { checksum: true, sequence: true }))).toBe(1450);
    expect(overlayMtu(1500, "gre", 6, greOptionCount(false, PLAIN))).toBe(1442);
  });

  it("reads keyed and keyless segments and the send options", () => {
    const cfg = validateConfig({ ...base, greChecksum: true, segments: [{ tap: "g0" }, { key: 7, tap: "g7" }] });
    expect(plan(cfg).segments.map((s) => ({ id: s.id, keyed: s.greKeyed }))).toEqual([{ id: GRE_KEYLESS_ID, keyed: false }, { id: 7, keyed: true }]);
    expect([cfg.greChecksum, cfg.greSequence]).toEqual([true, false]);
  });

  it("refuses two segments without a key, or one without a key next to key 0", () => {
    expect(() => validateConfig({ ...base, segments: [{ tap: "g0" }, { tap: "g1" }] })).toThrow(/GRE key 0 is used twice \(segments\.0 without a key and segments\.1 without a key\)/);
    expect(() => validateConfig({ ...base, segments: [{ tap: "g0" }, { key: 0, tap: "g1" }] })).toThrow(/GRE key 0 is used twice/);
  });

  it("refuses GRE options on VXLAN, a key on a VXLAN segment and node:dgram for GRE", () => {
    const vxlan = { local: "198.18.0.1", peers: ["198.18.0.2"] };
    expect(() => validateConfig({ ...vxlan, greChecksum: true, segments: [{ vni: 42, tap: "v" }] })).toThrow(/greChecksum is a GRE option/);
    expect(() => validateConfig({ ...vxlan, segments: [{ vni: 42, key: 42, tap: "v" }] })).toThrow(/key is GRE's/);
    expect(() => validateConfig({ ...base, io: "dgram", segments: [{ tap: "g" }] })).toThrow(/io dgram is UDP \(VXLAN\) only/);
  });
});
