// No allocation per packet: both loops with TAP offloads (TSO split, partial checksums, GRO
// coalescing) run millions of packets in a child with --expose-gc; the heap must not grow and
// young-generation GCs must stay rare (a few per-batch leftovers, nothing per packet).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { AllocResult } from "../../fixtures/alloc-scenario.js";

const run = promisify(execFile);
const AGENT = fileURLToPath(new URL("../../fixtures/alloc-agent.mjs", import.meta.url));

async function scenario(options: { rounds: number; gso: boolean; encap?: "vxlan" | "gre" }): Promise<AllocResult> {
  // A 1 MiB young generation: every MiB allocated shows up as a scavenge.
  const { stdout } = await run(process.execPath, ["--expose-gc", "--max-semi-space-size=1", AGENT, JSON.stringify(options)], { timeout: 90_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as AllocResult;
}

/** The same bounds for every variant: frames all through, no drops, a flat heap, rare scavenges. */
function expectNoAllocationPerPacket(r: AllocResult, rounds: number): void {
  const facts = JSON.stringify(r);
  expect(r.controlGcs, `the GC observer saw nothing while garbage was made: ${facts}`).toBeGreaterThan(0);
  // Per round out: 2 super-frames of 47 segments, 1 partial-checksum ACK, 1 plain frame;
  // in: 40 segments of one flow, 2 ACKs, 1 ARP.
  expect(r.egressFrames, facts).toBe(rounds * (2 * 47 + 2));
  expect(r.ingressFrames, facts).toBe(rounds * 43);
  expect(r.drops, facts).toBe(0);
  expect(r.heapAfter - r.heapBefore, `heap growth: ${facts}`).toBeLessThan(512 * 1024);
  // 2.8 million packets: 8 bytes each would be over 20 scavenges; per-batch leftovers make ~7.
  expect(r.minorGcs, `young-generation GCs: ${facts}`).toBeLessThanOrEqual(20);
  expect(r.majorGcs, facts).toBe(0);
}

describe("the offload dataplane allocates nothing per packet", () => {
  for (const gso of [true, false]) {
    it(`keeps the heap flat over 20000 batches each way (${gso ? "UDP_SEGMENT socket" : "one datagram per segment"})`, async () => {
      expectNoAllocationPerPacket(await scenario({ rounds: 20_000, gso }), 20_000);
    });
  }

  it("keeps the heap flat over 20000 batches each way over GRE (coalesced ingress, one datagram per segment out)", async () => {
    expectNoAllocationPerPacket(await scenario({ rounds: 20_000, gso: false, encap: "gre" }), 20_000);
  });
});
