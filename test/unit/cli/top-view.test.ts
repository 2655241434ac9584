import { describe, expect, it } from "vitest";
import { computeTop, humanRate, renderTop, type TopSample } from "../../../src/cli/top-view.js";

const dir = (frames: number, bytes: number, batches: number, drops: Record<string, number> = {}, flooded = 0) => ({ frames, bytes, batches, flooded, drops });

function sample(at: number, f: { eg: number; in: number; peerRx: number; peerTx: number; learned: number; drops?: Record<string, number> }): TopSample {
  return {
    at,
    stats: {
      egress: dir(f.eg, f.eg * 1000, f.eg / 10),
      ingress: dir(f.in, f.in * 1500, f.in / 20, f.drops ?? {}),
      fdb: { entries: 3, learned: f.learned, moved: 0, aged: 0, evicted: 0 },
      segments: [{ id: 42, tap: "vxtap42", fdbEntries: 3, egress: { frames: f.eg, bytes: f.eg * 1000 }, ingress: { frames: f.in, bytes: f.in * 1500 } }],
    },
    status: {
      encap: "vxlan", io: "batch", local: "198.18.0.1", port: 4789, uptimeSeconds: 12,
      segments: [{ id: 42, tap: "vxtap42", mtu: 1450 }],
      peers: [{ address: "198.18.0.2", dynamic: false, rxFrames: f.peerRx, txFrames: f.peerTx, rxBytes: f.peerRx * 1500, txBytes: f.peerTx * 1000, txErrors: 0 }],
    },
  };
}

describe("vxswitch top", () => {
  it("computes rates per direction and peer, batch fill and drops per second from two samples", () => {
    const v = computeTop(
      sample(0, { eg: 1000, in: 2000, peerRx: 2000, peerTx: 1000, learned: 1, drops: { unknownPeer: 5 } }),
      sample(2000, { eg: 3000, in: 6000, peerRx: 6000, peerTx: 3000, learned: 3, drops: { unknownPeer: 9, runt: 1 } }),
    );
    expect(v.seconds).toBe(2);
    expect(v.directions.map((d) => [d.framesPerSecond, d.mbitPerSecond, d.batchFill])).toEqual([[1000, 8, 10], [2000, 24, 20]]);
    expect(v.peers).toEqual([{ address: "198.18.0.2", kind: "flood", rxPerSecond: 2000, txPerSecond: 1000, rxMbitPerSecond: 24, txMbitPerSecond: 8, rx: 6000, tx: 3000 }]);
    expect(v.drops).toEqual([
      { direction: "ingress", reason: "unknownPeer", perSecond: 2, total: 9 },
      { direction: "ingress", reason: "runt", perSecond: 0.5, total: 1 },
    ]);
    expect(v.fdb.learnedPerSecond).toBe(1);
    expect(v.segments).toEqual([
      { id: 42, tap: "vxtap42", mtu: 1450, fdbEntries: 3, egress: { framesPerSecond: 1000, mbitPerSecond: 8 }, ingress: { framesPerSecond: 2000, mbitPerSecond: 24 } },
    ]);
  });

  it("counts from zero when the counters went backwards (the switch restarted between samples)", () => {
    const v = computeTop(sample(0, { eg: 5000, in: 0, peerRx: 0, peerTx: 5000, learned: 0 }), sample(1000, { eg: 100, in: 0, peerRx: 0, peerTx: 100, learned: 0 }));
    expect(v.directions[0]!.framesPerSecond).toBe(100);
    expect(v.peers[0]!.txPerSecond).toBe(100);
  });

  it("renders one screen with a header, the tables and the FDB line", () => {
    const text = renderTop(computeTop(sample(0, { eg: 0, in: 0, peerRx: 0, peerTx: 0, learned: 0 }), sample(1000, { eg: 10, in: 20, peerRx: 20, peerTx: 10, learned: 0 })));
    const lines = text.split("\n");
    expect(lines[0]).toBe("vxswitch vxlan local 198.18.0.1:4789 io batch up 12s, rates over 1.0 s");
    expect(text).toMatch(/^egress {2}tap -> tunnel\s+10\.0\s+0\.1\s+10\.0\s+0$/m);
    expect(text).toMatch(/^198\.18\.0\.2\s+flood\s+20\.0\s+0\.2\s+10\.0\s+0\.1\s+20\s+10$/m);
    expect(text).toMatch(/^42\s+vxtap42\s+1450\s+3\s+10\.0\s+0\.1\s+20\.0\s+0\.2$/m);
    expect(text).toContain("DROPS: none");
    expect(lines.at(-1)).toBe("FDB 3 entries; learned 0/s, moved 0/s, aged 0/s, evicted 0/s");
  });

  it("shows '-' for a segment's rates when the switch does not count per segment (an older version)", () => {
    const old = (at: number): TopSample => {
      const s = sample(at, { eg: 0, in: 0, peerRx: 0, peerTx: 0, learned: 0 });
      return { ...s, stats: { ...s.stats, segments: [{ id: 42, tap: "vxtap42", fdbEntries: 3 }] } };
    };
    expect(renderTop(computeTop(old(0), old(1000)))).toMatch(/^42\s+vxtap42\s+1450\s+3\s+-\s+-\s+-\s+-$/m);
  });

  it("shortens large rates", () => {
    expect([humanRate(0), humanRate(12.34), humanRate(950), humanRate(123_456), humanRate(2_500_000), humanRate(3e9)]).toEqual(["0", "12.3", "950", "123.5k", "2.50M", "3.00G"]);
  });
});
