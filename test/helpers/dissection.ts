// The tshark verdict on what a host put on the underlay: every packet dissects, none flagged.
import { expect } from "vitest";
import type { Capture, DissectedFrame } from "../../lab/capture.js";

/** Frames whose outer source is one of `addresses`, grouped by it, from one tshark pass. */
export async function framesBySource(capture: Capture, addresses: readonly string[], fields: readonly string[] = []): Promise<Map<string, DissectedFrame[]>> {
  const frames = await capture.inspect(addresses.map((a) => `ip.src == ${a}`).join(" || "), fields);
  const bySource = new Map<string, DissectedFrame[]>(addresses.map((a) => [a, []]));
  for (const f of frames) bySource.get(f.src)?.push(f);
  return bySource;
}

/**
 * Asserts that tshark dissected every tunnel packet of `frames` (one sender's) down to the inner
 * Ethernet frame, and that none is malformed or carries an expert warning or error (bad
 * IP/UDP/TCP/ICMP/GRE checksum, bad length, ...). Returns how many packets were checked.
 */
export function expectCleanDissection(frames: readonly DissectedFrame[], who: string, tunnel: "gre" | "vxlan"): number {
  const tunnelled = frames.filter((f) => f.protocols.includes(`:${tunnel}`));
  const inner = tunnel === "gre" ? ":gre:eth:" : ":vxlan:eth:";
  const shallow = tunnelled.filter((f) => !f.protocols.includes(inner));
  expect(tunnelled.length, `${tunnel} packets from ${who} in the capture`).toBeGreaterThan(0);
  expect(shallow.map((f) => `frame ${f.frame}: ${f.protocols}`).slice(0, 10), `packets from ${who} not dissected down to the inner frame`).toEqual([]);
  const flagged = tunnelled.filter((f) => f.problems.length > 0);
  const listing = flagged.slice(0, 20).map((f) => `  frame ${f.frame}: ${f.problems.join("; ")} | ${f.info}`).join("\n");
  expect(flagged.length, `tshark flags ${flagged.length} of ${tunnelled.length} packets from ${who}:\n${listing}`).toBe(0);
  return tunnelled.length;
}

/** How many frames have each combination of the requested fields, e.g. {"0xb000 0x00000007": 12}. */
export function tallyFields(frames: readonly DissectedFrame[], pick: (f: DissectedFrame) => string[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const f of frames) {
    const key = pick(f).join(" ");
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}
