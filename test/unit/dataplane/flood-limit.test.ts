// The per-segment flood limit: a token bucket checked per flood decision, in both loops.
import { describe, expect, it } from "vitest";
import { buildRig, frame, vxlan } from "../../helpers/dataplane-rig.js";
import { pattern, tcpFrame } from "../../helpers/offload-frames.js";
import { FloodLimiter } from "../../../src/switch/flood-limit.js";
import { validateConfig } from "../../../src/control/config.js";
import { plan } from "../../../src/control/plan.js";

const BCAST = "ff:ff:ff:ff:ff:ff";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe("FloodLimiter", () => {
  it("lets a burst through at once, then pps per second, and never saves up more than the burst", () => {
    const c = clock();
    const limiter = new FloodLimiter({ pps: 100, burst: 10 }, c.now);
    const takes = (n: number): number => Array.from({ length: n }, () => limiter.take()).filter(Boolean).length;
    expect(takes(50)).toBe(10);
    c.advance(100); // 10 tokens
    expect(takes(50)).toBe(10);
    c.advance(60_000); // capped at the burst
    expect(takes(50)).toBe(10);
  });

  it("refuses a limit that could never pass a frame", () => {
    expect(() => new FloodLimiter({ pps: 0, burst: 1 })).toThrow(/invalid flood rate limit/);
    expect(() => new FloodLimiter({ pps: 10, burst: 0 })).toThrow(/burst >= 1/);
  });
});

describe("flood limit in the loops", () => {
  it("holds a broadcast storm on one segment to its burst, counts the rest floodLimited, and leaves the other segment and known unicast alone", () => {
    // Burst 6: the frame that teaches the host behind the tunnel floods to the TAP and takes one token.
    const rig = buildRig([42, 43], ["198.18.0.2"], 64, undefined, { floodLimits: { 42: { pps: 1, burst: 6 } }, now: clock().now });
    // A host behind the tunnel is known: unicast to it is not a flood and never limited.
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, frame("02:00:00:00:00:0a", "02:00:00:00:00:0b")) });
    rig.ingress.onReadable();
    for (let i = 0; i < 40; i++) rig.taps[0]!.inbox.push(frame(BCAST, "02:00:00:00:00:0a"));
    for (let i = 0; i < 40; i++) rig.taps[1]!.inbox.push(frame(BCAST, "02:00:00:00:00:0c"));
    rig.taps[0]!.inbox.push(frame("02:00:00:00:00:0b", "02:00:00:00:00:0a"));
    rig.egress[0]!.onReadable();
    rig.egress[1]!.onReadable();
    const vnis = rig.socket.sent.map((s) => s.bytes.readUIntBE(4, 3));
    expect(vnis.filter((v) => v === 42)).toHaveLength(5 + 1);
    expect(vnis.filter((v) => v === 43)).toHaveLength(40);
    expect(rig.stats.egress.toJSON().drops).toEqual({ floodLimited: 35 });
    expect(rig.stats.egress.flooded).toBe(45);
  });

  it("takes one token for an oversize frame from the tunnel that is cut into segments, and drops the next one", () => {
    const rig = buildRig([42], ["198.18.0.2"], 64, undefined, { floodLimits: { 42: { pps: 1, burst: 1 } }, now: clock().now });
    // A same-host sender's whole GSO packet: longer than the TAP's frames, cut for a plain TAP.
    const big = tcpFrame({ payload: pattern(1800) });
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, big) }, { from: "198.18.0.2", bytes: vxlan(42, big) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written.length, "the first frame's segments").toBeGreaterThan(1);
    expect(rig.stats.ingress.toJSON().drops).toEqual({ floodLimited: 1 });
  });

  it("limits floods arriving from the tunnel too", () => {
    const rig = buildRig([42], ["198.18.0.2"], 64, undefined, { floodLimits: { 42: { pps: 1, burst: 3 } }, now: clock().now });
    for (let i = 0; i < 10; i++) rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, frame(BCAST, "02:00:00:00:00:0b")) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(3);
    expect(rig.stats.ingress.toJSON().drops).toEqual({ floodLimited: 7 });
  });
});

describe("floodRateLimit in the configuration", () => {
  it("applies the global limit to segments without their own, a segment's own overrides it, burst defaults to pps", () => {
    const cfg = validateConfig({
      local: "198.18.0.1", underlayMtu: 1500, floodRateLimit: { pps: 1000 },
      segments: [{ vni: 42, tap: "vxtap42" }, { vni: 43, tap: "vxtap43", floodRateLimit: { pps: 50, burst: 200 } }],
    });
    expect(plan(cfg).segments.map((s) => s.floodRateLimit)).toEqual([{ pps: 1000, burst: 1000 }, { pps: 50, burst: 200 }]);
    const off = validateConfig({ local: "198.18.0.1", underlayMtu: 1500, segments: [{ vni: 42, tap: "vxtap42" }] });
    expect(plan(off).segments[0]!.floodRateLimit, "off by default").toBeUndefined();
  });

  it("names a misspelt or zero limit", () => {
    expect(() => validateConfig({ local: "198.18.0.1", floodRateLimit: { pps: 10, brust: 5 }, segments: [{ vni: 42, tap: "vxtap42" }] })).toThrow(/floodRateLimit\.brust: unknown key/);
    expect(() => validateConfig({ local: "198.18.0.1", segments: [{ vni: 42, tap: "vxtap42", floodRateLimit: { pps: 0 } }] })).toThrow(/segments\[0\]\.floodRateLimit\.pps/);
  });
});
