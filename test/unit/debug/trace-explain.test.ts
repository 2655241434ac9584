// explain(): the read-only replay of learnAndDecide behind `trace --packet` says what the forwarder does, and why.
import { describe, expect, it } from "vitest";
import { Fdb } from "../../../src/switch/fdb.js";
import { DROP_NO_TARGET, DROP_SAME_PORT, DROP_SPLIT_HORIZON, DROP_UNKNOWN_VNI, FLOOD, Forwarder } from "../../../src/switch/forwarder.js";
import { SwitchModel } from "../../../src/switch/model.js";
import { explain, type ExplainEntry, type ExplainInput } from "../../../src/switch/explain.js";
import { MAC_BROADCAST, formatMac, parseMac } from "../../../src/wire/mac.js";

const VNI = 42;
const A = parseMac("52:54:00:00:00:0a");
const B = parseMac("52:54:00:00:00:0b");
const R = parseMac("52:54:00:00:01:01");
const UNKNOWN = parseMac("52:54:00:00:ee:ee");

/** A switch with two TAPs and two peers on VNI 42, and the input explain() gets from its tables. */
function world() {
  const fdb = new Fdb({ ageingMs: 300_000, now: () => 0 });
  const model = new SwitchModel(fdb, { family: 4, local: "198.18.0.1", peerPort: 4789 });
  const endpoints = model.endpoints;
  const forwarder = new Forwarder(fdb, endpoints);
  model.addSegment({ id: VNI });
  const tap0 = model.addPort(model.addTap("vxtap42", false), VNI);
  const tap1 = model.addPort(model.addTap("vxtap42b", false), VNI);
  const peer1 = model.addPeer("198.18.0.2").id;
  const peer2 = model.addPeer("198.18.0.3").id;
  const segmentOf = (vni: number) => model.tables.current.segments.get(vni);
  const entry = (mac: number): ExplainEntry | undefined => {
    for (const e of fdb.entries(VNI)) if (e.mac === formatMac(mac)) return { endpoint: e.endpoint, isStatic: e.isStatic, ageSeconds: e.ageSeconds };
    return undefined;
  };
  const input = (vni: number, from: number, src: number, dst: number): ExplainInput => ({
    vni,
    from,
    fromTunnel: endpoints.isTunnel(from),
    srcMac: src,
    dstMac: dst,
    segment: segmentOf(vni),
    srcEntry: entry(src),
    dstEntry: entry(dst),
    isTunnel: (id) => endpoints.isTunnel(id),
    moveHoldMs: fdb.moveHoldMs,
  });
  return { fdb, forwarder, input, segmentOf, tap0, tap1, peer1, peer2 };
}

describe("explain", () => {
  it("forwards to the learned endpoint and names the entry it hit", () => {
    const w = world();
    w.fdb.learn(VNI, R, w.peer1);
    const x = explain(w.input(VNI, w.tap0, A, R));
    expect(x.decision).toBe(w.peer1);
    expect(x.lookup).toBe("hit");
    expect(x.dstEntry).toMatchObject({ endpoint: w.peer1, isStatic: false });
    expect(x.learn).toBe("new");
  });

  it("floods a broadcast from a TAP to the other TAP and every peer", () => {
    const w = world();
    const x = explain(w.input(VNI, w.tap0, A, MAC_BROADCAST));
    expect(x.decision).toBe(FLOOD);
    expect(x.lookup).toBe("group");
    expect(x.targets.sort()).toEqual([w.tap1, w.peer1, w.peer2].sort());
    expect(x.splitHorizon).toBe(false);
  });

  it("keeps a flood from a tunnel to local ports (split horizon)", () => {
    const w = world();
    const x = explain(w.input(VNI, w.peer1, R, UNKNOWN));
    expect(x.decision).toBe(FLOOD);
    expect(x.lookup).toBe("miss");
    expect(x.targets.sort()).toEqual([w.tap0, w.tap1].sort());
    expect(x.splitHorizon).toBe(true);
  });

  it("drops tunnel-to-tunnel unicast for split horizon", () => {
    const w = world();
    w.fdb.learn(VNI, B, w.peer2);
    const x = explain(w.input(VNI, w.peer1, R, B));
    expect(x.decision).toBe(DROP_SPLIT_HORIZON);
    expect(x.splitHorizon).toBe(true);
  });

  it("drops a frame whose destination is behind the port it came from (hairpin)", () => {
    const w = world();
    w.fdb.learn(VNI, B, w.tap0);
    expect(explain(w.input(VNI, w.tap0, A, B)).decision).toBe(DROP_SAME_PORT);
  });

  it("says a known source would be refreshed or moved, never learned twice", () => {
    const w = world();
    w.fdb.learn(VNI, A, w.tap0);
    expect(explain(w.input(VNI, w.tap0, A, B)).learn).toBe("refresh");
    expect(explain(w.input(VNI, w.tap1, A, B)).learn).toBe("move");
  });

  it("drops an unknown VNI before learning anything", () => {
    const w = world();
    const x = explain(w.input(7, w.peer1, R, A));
    expect(x.decision).toBe(DROP_UNKNOWN_VNI);
    expect(x.learn).toBe("none");
  });

  it("drops a flood with nobody to flood to", () => {
    const model = new SwitchModel(new Fdb(), { family: 4, local: "198.18.0.1", peerPort: 4789 });
    model.addSegment({ id: VNI });
    const tap = model.addPort(model.addTap("t", false), VNI);
    const x = explain({ vni: VNI, from: tap, fromTunnel: false, srcMac: A, dstMac: MAC_BROADCAST, segment: model.tables.current.segments.get(VNI), srcEntry: undefined, dstEntry: undefined, isTunnel: () => false, moveHoldMs: 1000 });
    expect(x.decision).toBe(DROP_NO_TARGET);
  });

  it("agrees with Forwarder.learnAndDecide on every combination of source, destination and state", () => {
    const macs = [A, B, R, UNKNOWN, MAC_BROADCAST, parseMac("01:00:5e:00:00:fb")];
    let cases = 0;
    for (const fromKey of ["tap0", "tap1", "peer1", "peer2"] as const) {
      for (const src of macs) {
        for (const dst of macs) {
          for (const state of [0, 1, 2]) {
            const w = world();
            // Some state: B behind tap1 or peer2, R behind peer1.
            if (state >= 1) w.fdb.learn(VNI, B, state === 1 ? w.tap1 : w.peer2);
            if (state === 2) w.fdb.learn(VNI, R, w.peer1);
            const from = w[fromKey];
            const predicted = explain(w.input(VNI, from, src, dst)).decision;
            expect(w.forwarder.learnAndDecide(w.segmentOf(VNI)!, from, src, dst), `${fromKey} ${formatMac(src)} > ${formatMac(dst)} state ${state}`).toBe(predicted);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(4 * 6 * 6 * 3);
  });

  it("changes nothing: the FDB is the same after explaining", () => {
    const w = world();
    w.fdb.learn(VNI, B, w.tap1);
    const before = [...w.fdb.entries()].map((e) => `${e.mac}/${e.endpoint}`);
    explain(w.input(VNI, w.peer1, R, B));
    explain(w.input(VNI, w.tap0, A, MAC_BROADCAST));
    expect([...w.fdb.entries()].map((e) => `${e.mac}/${e.endpoint}`)).toEqual(before);
  });
});
