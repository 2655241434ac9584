// The dataplane loops on in-memory ports: encapsulation, learning, flooding, split horizon, counted drops.
import { describe, expect, it } from "vitest";
import { buildRig, frame, vxlan } from "../../helpers/dataplane-rig.js";
import { parseMac } from "../../../src/wire/mac.js";

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const C = "02:00:00:00:00:0c";
const BCAST = "ff:ff:ff:ff:ff:ff";

describe("egress (TAP -> tunnel)", () => {
  it("floods a broadcast to every peer with the VXLAN header written in front", () => {
    const rig = buildRig([42], ["198.18.0.2", "198.18.0.3"]);
    const f = frame(BCAST, A);
    rig.taps[0]!.inbox.push(f);
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent.map((s) => s.to)).toEqual(["198.18.0.2", "198.18.0.3"]);
    for (const s of rig.socket.sent) {
      expect(s.port).toBe(4789);
      expect(s.bytes.subarray(0, 8).toString("hex")).toBe("08000000" + "00002a00");
      expect(s.bytes.subarray(8).equals(f)).toBe(true);
    }
    expect(rig.stats.egress.flooded).toBe(1);
  });

  it("sends known unicast only to the peer the MAC was learned behind", () => {
    const rig = buildRig([42], ["198.18.0.2", "198.18.0.3"]);
    rig.socket.inbox.push({ from: "198.18.0.3", bytes: vxlan(42, frame(A, C)) });
    rig.ingress.onReadable();
    rig.taps[0]!.inbox.push(frame(C, A));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent.map((s) => s.to)).toEqual(["198.18.0.3"]);
  });

  it("does not send a frame into the tunnel when its destination was learned on the same TAP", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(frame(BCAST, B), frame(B, A));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    expect(rig.stats.egress.toJSON().drops).toEqual({ hairpin: 1 });
  });

  it("counts runts as drops", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(Buffer.alloc(10));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ runt: 1 });
  });
});

describe("ingress (tunnel -> TAP)", () => {
  it("decapsulates into the TAP of the packet's VNI and learns the sender", () => {
    const rig = buildRig([1000, 2000], ["198.18.0.2"]);
    const inner = frame(BCAST, B);
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(2000, inner) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(0);
    expect(rig.taps[1]!.written).toHaveLength(1);
    expect(rig.taps[1]!.written[0]!.equals(inner)).toBe(true);
    expect(rig.fdb.lookup(2000, parseMac(B))).toBe(rig.peers[0]!.id);
    expect(rig.fdb.lookup(1000, parseMac(B))).toBe(-1);
  });

  it("never floods a frame that came from a tunnel back into a tunnel (split horizon)", () => {
    const rig = buildRig([42], ["198.18.0.2", "198.18.0.3"]);
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, frame(BCAST, B)) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(1);
    expect(rig.socket.sent).toHaveLength(0);
  });

  it("drops a unicast from one peer toward a MAC behind another peer (split horizon)", () => {
    const rig = buildRig([42], ["198.18.0.2", "198.18.0.3"]);
    rig.socket.inbox.push({ from: "198.18.0.3", bytes: vxlan(42, frame(BCAST, C)) });
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, frame(C, B)) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(1);
    expect(rig.stats.ingress.toJSON().drops).toEqual({ splitHorizon: 1 });
  });

  it("drops a VXLAN packet whose I flag is clear", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, frame(BCAST, B), 0x00) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(0);
    expect(rig.stats.ingress.toJSON().drops).toEqual({ vxlanFlagI: 1 });
  });

  it("ignores the reserved bits of the VXLAN header", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    const pkt = vxlan(42, frame(BCAST, B), 0xff);
    pkt[1] = 0xff;
    pkt[7] = 0xff;
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: pkt });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(1);
  });

  it("counts packets for an unknown VNI, from an unknown sender, and runts as drops", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.socket.inbox.push(
      { from: "198.18.0.2", bytes: vxlan(43, frame(BCAST, B)) },
      { from: "198.18.9.9", bytes: vxlan(42, frame(BCAST, B)) },
      { from: "198.18.0.2", bytes: Buffer.from([0x08, 0, 0, 0, 0, 0, 42, 0, 1, 2]) },
    );
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(0);
    expect(rig.stats.ingress.toJSON().drops).toEqual({ unknownVni: 1, unknownPeer: 1, runt: 1 });
  });
});
