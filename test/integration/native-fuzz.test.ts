// The C fuzz harness (native/fuzz/) for the TSO split, the GRO coalescer, the partial-checksum
// pass and the checksum primitive, built with AddressSanitizer + UBSan: a bounded run per test
// suite; `npm run fuzz:native -- <iterations> [seed]` runs longer.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const RUN = fileURLToPath(new URL("../../native/fuzz/run.sh", import.meta.url));
const ITERATIONS = 200_000;

describe("native offload fuzz harness (gcc -fsanitize=address,undefined)", () => {
  it("has gcc to build it", () => {
    expect(spawnSync("gcc", ["--version"]).status, "gcc is needed to build native/fuzz").toBe(0);
  });

  it(`survives ${ITERATIONS} random and mutated frames: exit 0, no sanitizer report`, () => {
    const r = spawnSync("sh", [RUN, String(ITERATIONS), "1"], { encoding: "utf8", timeout: 120_000 });
    const output = `${r.stdout}${r.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|check failed/);
    expect(r.status, output).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${ITERATIONS} iterations .*all checks held`));
  }, 180_000);
});
