// Run-time changes reach the loops as whole new tables between batches: a peer added or removed
// changes the next batch's floods, never the one running, and counters carry over.
import { describe, expect, it } from "vitest";
import { buildRig, frame, vxlan } from "../../helpers/dataplane-rig.js";

const BCAST = "ff:ff:ff:ff:ff:ff";
const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";

describe("table swap between batches", () => {
  it("floods the next batch to a peer added at run time, and stops after it is removed", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent.map((s) => s.to)).toEqual(["198.18.0.2"]);
    const before = rig.core.model.tables.current;
    rig.core.model.addFloodPeer("198.18.0.3");
    expect(before.segments.get(42)!.peers.map((p) => p.address), "published tables never change").toEqual(["198.18.0.2"]);
    rig.socket.sent.length = 0;
    rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent.map((s) => s.to).sort()).toEqual(["198.18.0.2", "198.18.0.3"]);
    rig.core.model.removeFloodPeer("198.18.0.2");
    rig.socket.sent.length = 0;
    rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent.map((s) => s.to)).toEqual(["198.18.0.3"]);
  });

  it("accepts packets from a peer added at run time and refuses them once it is gone", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.socket.inbox.push({ from: "198.18.0.9", bytes: vxlan(42, frame(BCAST, B)) });
    rig.ingress.onReadable();
    expect(rig.stats.ingress.toJSON().drops).toEqual({ unknownPeer: 1 });
    rig.core.model.addFloodPeer("198.18.0.9");
    rig.socket.inbox.push({ from: "198.18.0.9", bytes: vxlan(42, frame(BCAST, B)) });
    rig.ingress.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(1);
    rig.core.model.removeFloodPeer("198.18.0.9");
    rig.socket.inbox.push({ from: "198.18.0.9", bytes: vxlan(42, frame(BCAST, B)) });
    rig.ingress.onReadable();
    expect(rig.stats.ingress.toJSON().drops).toEqual({ unknownPeer: 2 });
    expect(rig.fdb.size(42), "the peer's learned entry went with it").toBe(0);
  });

  it("grows the egress send batches when a run-time peer makes the fan-out larger than at start", () => {
    const rig = buildRig([42], [], 8);
    for (let i = 0; i < 6; i++) rig.core.model.addFloodPeer(`198.18.0.${10 + i}`);
    for (let i = 0; i < 8; i++) rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(8 * 6);
    expect(rig.stats.egress.toJSON().drops).toEqual({});
  });

  it("keeps a segment's counters across tables", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(frame(BCAST, A, 100));
    rig.egress[0]!.onReadable();
    rig.core.model.addFloodPeer("198.18.0.3");
    rig.taps[0]!.inbox.push(frame(BCAST, A, 100));
    rig.egress[0]!.onReadable();
    expect(rig.segment(42).traffic.egressFrames).toBe(2);
  });
});
