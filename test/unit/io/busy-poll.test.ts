import { afterEach, describe, expect, it } from "vitest";
import { BusyPoll } from "../../../src/io/busy-poll.js";
import type { NativeAddon } from "../../../src/io/native.js";

/** An addon whose spinReadable returns scripted masks (0 once the script runs out). */
function scriptedAddon(masks: number[]): { addon: NativeAddon; calls: Array<{ count: number; budgetUs: number }> } {
  const calls: Array<{ count: number; budgetUs: number }> = [];
  const addon = {
    spinReadable(_fds: Uint32Array, count: number, budgetUs: number): number {
      calls.push({ count, budgetUs });
      return masks.shift() ?? 0;
    },
  } as unknown as NativeAddon;
  return { addon, calls };
}

const turns = (n: number): Promise<void> => new Promise((resolve) => {
  let left = n;
  const step = (): void => {
    if (--left <= 0) resolve();
    else setImmediate(step);
  };
  setImmediate(step);
});

let running: BusyPoll | undefined;
afterEach(() => running?.stop());

describe("BusyPoll", () => {
  it("does nothing until kicked, then calls the handlers of the fds the spin found ready", async () => {
    const { addon, calls } = scriptedAddon([0b01, 0, 0b11]);
    const seen: string[] = [];
    const bp = (running = new BusyPoll(addon, [{ fd: 7, onReadable: () => seen.push("tap") }, { fd: 9, onReadable: () => seen.push("udp") }], 1_000_000));
    await turns(3);
    expect(calls).toEqual([]);
    bp.kick();
    await turns(5);
    // Masks 0b01, 0, 0b11: the TAP, nothing, then both (in fd order).
    expect(seen).toEqual(["tap", "tap", "udp"]);
    expect(bp.counters.hits).toBe(2);
    expect(calls[0]).toEqual({ count: 2, budgetUs: 200 });
  });

  it("stops spinning when the window passes without traffic", async () => {
    const { addon, calls } = scriptedAddon([]);
    const bp = (running = new BusyPoll(addon, [{ fd: 3, onReadable: () => undefined }], 2_000));
    bp.kick();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const spins = calls.length;
    expect(spins).toBeGreaterThan(0);
    expect(calls.every((c) => c.budgetUs <= 2_000)).toBe(true);
    await turns(20);
    expect(calls.length).toBe(spins);
    expect(bp.counters.spins).toBe(spins);
  });

  it("stop() ends a running spin loop for good", async () => {
    const { addon, calls } = scriptedAddon([]);
    const bp = new BusyPoll(addon, [{ fd: 3, onReadable: () => undefined }], 1_000_000);
    bp.kick();
    await turns(3);
    bp.stop();
    const spins = calls.length;
    bp.kick();
    await turns(10);
    expect(calls.length).toBe(spins);
  });

  it("rejects no fds, more than 32, and a window below 1 µs", () => {
    const { addon } = scriptedAddon([]);
    const src = { fd: 1, onReadable: () => undefined };
    expect(() => new BusyPoll(addon, [], 10)).toThrow(/1\.\.32 fds, got 0/);
    expect(() => new BusyPoll(addon, Array.from({ length: 33 }, () => src), 10)).toThrow(/got 33/);
    expect(() => new BusyPoll(addon, [src], 0)).toThrow(/invalid busy-poll window 0/);
  });
});
