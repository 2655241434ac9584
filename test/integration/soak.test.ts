// The soak benchmark's short version (30 s): TCP, pings and ARP churn through a three-host mesh lose no ping, leak no fd, and grow no memory to speak of.
import { expect, it } from "vitest";
import { formatSoak, soak } from "../../bench/soak.js";
import { cleanUpLabsAfterAll, describeLab, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

describeLab("soak, 30 s (npm run bench:soak for the long run)", () => {
  it("keeps every ping, every fd and its memory through 30 s of iperf3 TCP, pings and ARP churn", async () => {
    requireVxswitchBuilt();
    const r = await soak(30);
    const report = formatSoak(r);
    for (const p of r.pings) expect(p.received, report).toBe(p.transmitted);
    expect(r.iperfGbps, report).toBeGreaterThan(0.05);
    r.start.forEach((s, i) => {
      const e = r.end[i]!;
      expect(e.fds, report).toBe(s.fds);
      expect(e.rss - s.rss, report).toBeLessThan(48 * 2 ** 20);
      expect(e.heap - s.heap, report).toBeLessThan(24 * 2 ** 20);
    });
  }, 120_000);
});
