// Shared glue for the netns integration tests: when they may run, cleanup, readable assertions.
import { afterAll, describe, expect } from "vitest";
import { cleanupAll } from "../../lab/netns.js";
import type { Lab } from "../../lab/topology.js";
import type { PingResult } from "../../lab/traffic.js";
import { vxswitchBuilt, type VxswitchProcess } from "../../lab/vxswitch-process.js";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const inCi = process.env.CI === "true";

/** Lab tests need root; in CI they always run (and fail loudly without root), never skip. */
export const labTestsEnabled = isRoot || inCi;

/** `describe` for tests that build network namespaces. */
export const describeLab = describe.skipIf(!labTestsEnabled);

/**
 * Safety net on top of each file's own teardown: removes whatever this test process created
 * (namespaces, processes, temp dirs). netns.ts also does this on exit, SIGINT and SIGTERM.
 */
export function cleanUpLabsAfterAll(): void {
  afterAll(async () => {
    await cleanupAll();
  });
}

/**
 * A suite's teardown: stops everything it started (undefined entries are what never started), all
 * at once, then removes the lab; the lab goes also when a stop fails, and the first failure is
 * thrown after it.
 */
export async function stopThenDestroy(lab: Lab | undefined, ...running: ReadonlyArray<{ stop(): Promise<unknown> } | undefined>): Promise<void> {
  const stops = await Promise.allSettled(running.map((r) => r?.stop()));
  await lab?.destroy();
  const failed = stops.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

/** Fails with a message naming what is missing when the vxswitch CLI is not built. */
export function requireVxswitchBuilt(): void {
  if (!vxswitchBuilt()) {
    throw new Error("vxswitch CLI is not built (dist/src/cli/main.js missing): run `npm run build` first");
  }
}

/**
 * Asserts that every echo request was answered once, quoting ping's output otherwise, plus
 * `context()` (e.g. the switches' FDB and counters), which is only gathered on failure.
 */
export async function expectNoLoss(result: PingResult, what: string, context?: () => Promise<string>): Promise<void> {
  const ok = result.transmitted > 0 && result.received === result.transmitted && result.duplicates === 0;
  const extra = ok || context === undefined ? "" : `\n${await context()}`;
  const message = `${what}: ${result.received}/${result.transmitted} replies, ${result.duplicates} duplicates\n${result.output}${extra}`;
  expect(result.transmitted, message).toBeGreaterThan(0);
  expect(result.received, message).toBe(result.transmitted);
  expect(result.duplicates, message).toBe(0);
}

/** Asserts that no echo request was answered. */
export async function expectNoReplies(result: PingResult, what: string, context?: () => Promise<string>): Promise<void> {
  const extra = result.received === 0 || context === undefined ? "" : `\n${await context()}`;
  expect(result.received, `${what}: expected no replies\n${result.output}${extra}`).toBe(0);
}

/** A failure message that is only built (it may query switches) when `failing` is true. */
export async function because(failing: boolean, message: () => Promise<string>): Promise<string | undefined> {
  return failing ? message() : undefined;
}

/** Stats and FDB of running switches, for failure messages (best effort). */
export async function switchState(switches: ReadonlyArray<{ name: string; vx: VxswitchProcess | undefined }>): Promise<string> {
  const parts: string[] = [];
  for (const { name, vx } of switches) {
    if (vx === undefined) continue;
    let state = `--- ${name} (${vx.running ? "running" : "not running"})\n`;
    try {
      state += `fdb:\n${await vx.fdbShowText()}\nstats:\n${await vx.statsText()}\n`;
    } catch (error) {
      state += `(query failed: ${error instanceof Error ? error.message : String(error)})\n${vx.transcript()}\n`;
    }
    parts.push(state);
  }
  return parts.join("\n");
}
