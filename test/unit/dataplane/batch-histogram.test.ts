// What the loops count beside frames and drops: per segment and direction, per peer in bytes, flood copies, batch sizes.
import { describe, expect, it } from "vitest";
import { buildRig, frame, vxlan } from "../../helpers/dataplane-rig.js";
import { BatchHistogram, batchBucket } from "../../../src/dataplane/batch-histogram.js";

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const BCAST = "ff:ff:ff:ff:ff:ff";

describe("segment and peer traffic counters", () => {
  it("counts frames and inner bytes per segment and direction, each segment on its own", () => {
    const rig = buildRig([1000, 2000], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(frame(BCAST, A, 100), frame(BCAST, A, 200));
    rig.egress[0]!.onReadable();
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(2000, frame(BCAST, B, 60)) });
    rig.ingress.onReadable();
    expect(rig.segment(1000).traffic.toJSON()).toEqual({ egress: { frames: 2, bytes: 114 + 214 }, ingress: { frames: 0, bytes: 0 } });
    expect(rig.segment(2000).traffic.toJSON()).toEqual({ egress: { frames: 0, bytes: 0 }, ingress: { frames: 1, bytes: 74 } });
  });

  it("counts inner bytes sent to and received from each peer", () => {
    const rig = buildRig([42], ["198.18.0.2", "198.18.0.3"]);
    rig.socket.inbox.push({ from: "198.18.0.3", bytes: vxlan(42, frame(A, B, 86)) });
    rig.ingress.onReadable();
    rig.taps[0]!.inbox.push(frame(B, A, 50), frame(BCAST, A, 46));
    rig.egress[0]!.onReadable();
    const [p2, p3] = rig.peers;
    expect([p2!.txFrames, p2!.txBytes, p2!.rxBytes]).toEqual([1, 60, 0]);
    expect([p3!.txFrames, p3!.txBytes, p3!.rxFrames, p3!.rxBytes]).toEqual([2, 64 + 60, 1, 100]);
  });

  it("counts the copies a flood makes: every peer and the other local ports (egress), the local ports only (ingress)", () => {
    const rig = buildRig([42], ["198.18.0.2", "198.18.0.3", "198.18.0.4"]);
    rig.taps[0]!.inbox.push(frame(BCAST, A), frame(BCAST, A));
    rig.egress[0]!.onReadable();
    rig.socket.inbox.push({ from: "198.18.0.2", bytes: vxlan(42, frame(BCAST, B)) });
    rig.ingress.onReadable();
    expect([rig.stats.egress.flooded, rig.stats.egress.floodCopies]).toEqual([2, 6]);
    expect([rig.stats.ingress.flooded, rig.stats.ingress.floodCopies]).toEqual([1, 1]);
  });

  it("records how many frames each batch read carried, once per batch", () => {
    const rig = buildRig([42], ["198.18.0.2"], 4);
    for (let i = 0; i < 7; i++) rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    rig.taps[0]!.inbox.push(frame(BCAST, A));
    rig.egress[0]!.onReadable();
    expect(rig.stats.egress.batches).toBe(3);
    expect(rig.stats.egress.toJSON().batchSizes).toEqual({ "1": 1, "3-4": 2 });
    expect(rig.stats.egress.batchSizes.sum).toBe(8);
  });
});

describe("batch size buckets", () => {
  it("puts n in the first power of two at or above it, and above 256 in the overflow bucket", () => {
    expect([1, 2, 3, 4, 5, 8, 9, 64, 65, 256, 257, 1024].map(batchBucket)).toEqual([0, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 9]);
    expect(batchBucket(0)).toBe(0);
  });

  it("names the buckets as ranges in stats --json", () => {
    const h = new BatchHistogram();
    for (const n of [1, 2, 5, 64, 300]) h.record(n);
    expect(h.toJSON()).toEqual({ "1": 1, "2": 1, "5-8": 1, "33-64": 1, ">256": 1 });
  });
});
