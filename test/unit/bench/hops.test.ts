import { describe, expect, it } from "vitest";
import { hopFigures } from "../../../bench/hops.js";

describe("hopFigures", () => {
  it("pairs each echo request with its reply and gives per-hop medians in µs", () => {
    const stamps = new Map<string, Record<string, number>>();
    for (let seq = 1; seq <= 3; seq++) {
      const t = seq * 10_000;
      // Request: veth 0, tap +40, u0 +40+seq*100 (the daemon), peer u0 +20, peer tap +150, peer veth +20.
      stamps.set(`${seq}/8`, { "h1:veth": t, "h1:tap": t + 40, "h1:u0": t + 40 + seq * 100, "h2:u0": t + 60 + seq * 100, "h2:tap": t + 210 + seq * 100, "h2:veth": t + 230 + seq * 100 });
      stamps.set(`${seq}/0`, { "h2:veth": t + 260 + seq * 100, "h2:tap": t + 265 + seq * 100, "h2:u0": t + 365 + seq * 100, "h1:u0": t + 385 + seq * 100, "h1:tap": t + 485 + seq * 100, "h1:veth": t + 505 + seq * 100 });
    }
    // A request whose reply was lost is left out.
    stamps.set("4/8", { "h1:veth": 1, "h1:tap": 2 });
    const byHop = Object.fromEntries(hopFigures(stamps).map((f) => [f.hop, f]));
    expect(byHop["request h1:tap -> h1:u0"]).toMatchObject({ medianUs: 200, meanUs: 200, samples: 3 });
    expect(byHop["request h2:u0 -> h2:tap"]).toMatchObject({ medianUs: 150, samples: 3 });
    expect(byHop["h2 container answers (h2:veth request -> reply)"]?.medianUs).toBe(30);
    expect(byHop["reply   h1:u0 -> h1:tap"]?.medianUs).toBe(100);
    expect(byHop["request h1:tap -> h2:tap (daemon, wire, daemon)"]?.medianUs).toBe(370);
    expect(byHop["round trip at h1:veth"]).toMatchObject({ medianUs: 705, samples: 3 });
  });

  it("skips hops whose capture point saw nothing (tinc's UDP on u0 is not dissected)", () => {
    const stamps = new Map<string, Record<string, number>>([
      ["1/8", { "h1:veth": 0, "h1:tap": 30, "h2:tap": 330, "h2:veth": 350 }],
      ["1/0", { "h2:veth": 380, "h2:tap": 385, "h1:tap": 685, "h1:veth": 700 }],
    ]);
    const hops = hopFigures(stamps).map((f) => f.hop);
    expect(hops).not.toContain("request h1:tap -> h1:u0");
    expect(hops).toContain("request h1:tap -> h2:tap (daemon, wire, daemon)");
  });
});
