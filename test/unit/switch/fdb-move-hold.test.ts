import { describe, expect, it } from "vitest";
import { Fdb, MOVED, MOVE_REFUSED, REFRESHED, STATIC, learnResultName } from "../../../src/switch/fdb.js";
import { DROP_MOVE_REFUSED, Forwarder, dropReasonName } from "../../../src/switch/forwarder.js";
import { SwitchModel } from "../../../src/switch/model.js";
import { parseMac } from "../../../src/wire/mac.js";

const VNI = 42;
const VICTIM = parseMac("52:54:00:00:00:0a");
const OTHER = parseMac("52:54:00:00:00:0b");

/** A segment with one TAP and two peers (built by the model), an FDB on a hand-set clock. */
function world(moveHoldMs?: number) {
  let t = 0;
  const fdb = new Fdb({ now: () => t, ...(moveHoldMs === undefined ? {} : { moveHoldMs }) });
  const model = new SwitchModel(fdb, { family: 4, local: "198.18.0.1", peerPort: 4789 });
  const endpoints = model.endpoints;
  const fwd = new Forwarder(fdb, endpoints);
  model.addSegment({ id: VNI });
  const tap = model.addPort(model.addTap("vxtap42", false), VNI);
  const peer1 = model.addPeer("198.18.0.2").id;
  const peer2 = model.addPeer("198.18.0.3").id;
  const seg = model.tables.current.segments.get(VNI)!;
  const at = (ms: number): void => {
    t = ms;
    fdb.tick();
  };
  return { endpoints, fdb, fwd, seg, tap, peer1, peer2, at };
}

describe("MAC move protection (a local MAC is not moved to a tunnel by a single frame)", () => {
  it("refuses a tunnel's claim on a MAC the local port sent from within the hold time, and counts it", () => {
    const { endpoints, fdb, tap, peer1, at } = world();
    at(0);
    fdb.learn(VNI, VICTIM, tap, endpoints);
    at(500);
    expect(fdb.learn(VNI, VICTIM, peer1, endpoints)).toBe(MOVE_REFUSED);
    expect(fdb.lookup(VNI, VICTIM)).toBe(tap);
    expect(fdb.counters.moveRefused).toBe(1);
    expect(fdb.counters.moved).toBe(0);
    expect(learnResultName(MOVE_REFUSED)).toBe("moveRefused");
  });

  it("keeps refusing a steady stream of spoofed frames while the local host keeps talking", () => {
    const { endpoints, fdb, tap, peer1, at } = world();
    for (let ms = 0; ms < 10_000; ms += 200) {
      at(ms);
      fdb.learn(VNI, VICTIM, tap, endpoints);
      at(ms + 100);
      expect(fdb.learn(VNI, VICTIM, peer1, endpoints)).toBe(MOVE_REFUSED);
    }
    expect(fdb.lookup(VNI, VICTIM)).toBe(tap);
    expect(fdb.counters.moveRefused).toBe(50);
  });

  it("does not refresh the local entry's age with a refused claim", () => {
    const { endpoints, fdb, tap, peer1, at } = world();
    at(0);
    fdb.learn(VNI, VICTIM, tap, endpoints);
    at(900);
    fdb.learn(VNI, VICTIM, peer1, endpoints);
    at(1000);
    expect(fdb.learn(VNI, VICTIM, peer1, endpoints)).toBe(MOVED);
  });

  it("moves the MAC once the local port has been quiet from it for the hold time (a host that migrated)", () => {
    const { endpoints, fdb, fwd, seg, tap, peer1, at } = world();
    at(0);
    fdb.learn(VNI, VICTIM, tap, endpoints);
    at(1000);
    expect(fdb.learn(VNI, VICTIM, peer1, endpoints)).toBe(MOVED);
    expect(fwd.decide(seg, tap, VICTIM, false)).toBe(peer1);
  });

  it("moves a MAC between peers and from a tunnel to the local port at once", () => {
    const { endpoints, fdb, tap, peer1, peer2, at } = world();
    at(0);
    fdb.learn(VNI, OTHER, peer1, endpoints);
    at(10);
    expect(fdb.learn(VNI, OTHER, peer2, endpoints)).toBe(MOVED);
    at(20);
    expect(fdb.learn(VNI, OTHER, tap, endpoints)).toBe(MOVED);
    expect(fdb.lookup(VNI, OTHER)).toBe(tap);
  });

  it("with a hold time of 0 behaves like the kernel: the last frame wins", () => {
    const { endpoints, fdb, tap, peer1, at } = world(0);
    at(0);
    fdb.learn(VNI, VICTIM, tap, endpoints);
    expect(fdb.learn(VNI, VICTIM, peer1, endpoints)).toBe(MOVED);
  });

  it("the forwarder applies the hold: a spoofed tunnel frame leaves unicast to the victim on the TAP", () => {
    const { fdb, fwd, seg, tap, peer1, at } = world();
    at(0);
    fwd.learnAndDecide(seg, tap, VICTIM, OTHER, false);
    at(10);
    // The spoofer's frame is dropped (delivering it would teach the host's bridge the same lie).
    expect(fwd.learnAndDecide(seg, peer1, VICTIM, OTHER, false)).toBe(DROP_MOVE_REFUSED);
    expect(fwd.learnAndDecide(seg, peer1, OTHER, VICTIM, false)).toBe(tap);
    expect(fdb.counters.moveRefused).toBe(1);
    expect(dropReasonName(DROP_MOVE_REFUSED)).toBe("moveRefused");
  });

  it("never moves a static entry (the switch's own TAP MAC); a tunnel's claim on it is refused", () => {
    const { endpoints, fdb, tap, peer1, at } = world();
    fdb.addStatic(VNI, VICTIM, tap);
    at(60_000);
    expect(fdb.learn(VNI, VICTIM, peer1, endpoints)).toBe(MOVE_REFUSED);
    expect(fdb.learn(VNI, VICTIM, peer1)).toBe(STATIC);
    expect(fdb.lookup(VNI, VICTIM)).toBe(tap);
    expect(fdb.counters.staticConflicts).toBe(2);
  });

  it("refreshes as before when the claim comes from where the MAC already is", () => {
    const { endpoints, fdb, tap, at } = world();
    at(0);
    fdb.learn(VNI, VICTIM, tap, endpoints);
    at(5);
    expect(fdb.learn(VNI, VICTIM, tap, endpoints)).toBe(REFRESHED);
  });

  it("rejects a negative hold time with a message naming it", () => {
    expect(() => new Fdb({ moveHoldMs: -1 })).toThrow(/move hold time/);
  });
});
