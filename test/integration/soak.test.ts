// The soak benchmark's short version (30 s): TCP, pings and ARP churn through a three-host mesh lose no ping beyond congestion, leak no fd, and grow no memory to speak of.
import { expect, it } from "vitest";
import { formatSoak, soak } from "../../bench/soak.js";
import { cleanUpLabsAfterAll, describeLab, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

describeLab("soak, 30 s (npm run bench:soak for the long run)", () => {
  it("keeps its pings (at most 1 % lost to the TCP flow's congestion), every fd and its memory through 30 s of iperf3 TCP, pings and ARP churn", async () => {
    requireVxswitchBuilt();
    const r = await soak(30);
    const report = formatSoak(r);
    // The pings share the path with an iperf3 flow that fills it: a queue it overflows may take a
    // ping with it (congestion, TCP's own doing). More than 1 % lost is not that.
    for (const p of r.pings) expect(p.transmitted - p.received, report).toBeLessThanOrEqual(Math.floor(p.transmitted / 100));
    expect(r.iperfGbps, report).toBeGreaterThan(0.05);
    r.start.forEach((s, i) => {
      const e = r.end[i]!;
      expect(e.fds, report).toBe(s.fds);
      expect(e.rss - s.rss, report).toBeLessThan(48 * 2 ** 20);
      expect(e.heap - s.heap, report).toBeLessThan(24 * 2 ** 20);
    });
  }, 120_000);
});
