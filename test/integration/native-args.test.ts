// The addon checks arguments before any syscall: wrong types and slabs that do not fit throw clearly.
import { closeSync, openSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RxBatch, TxBatch } from "../../src/io/batch.js";
import { parseAddress } from "../../src/io/address.js";
import { loadNative } from "../../src/io/native.js";

describe("native addon argument checks", () => {
  const addon = loadNative();

  it("exports every function of the NativeAddon contract", () => {
    for (const name of [
      "tapOpen", "tapSetOffload", "tapSetVnetHdrSize", "close", "linkIndex", "linkMac", "linkSetMac",
      "linkGetMtu", "linkSetMtu", "linkSetUp", "linkSetMaster", "bridgeAdd", "bridgeDel", "linkAddAddress",
      "readFrames", "writeFrames", "pollStart", "pollStop", "pollSetRef", "udpOpen", "udpJoinGroup",
      "udpRecv", "udpSend", "greOpen", "greRecv", "greSend", "ioCounters", "spinReadable",
    ]) {
      expect(typeof (addon as unknown as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("rejects a slab too small for max slots", () => {
    const rx = new RxBatch(4, 256);
    expect(() => addon.readFrames(0, rx.slab, 256, 64, rx.lengths, 8)).toThrow(
      /slab of 1024 bytes holds fewer than 8 slots of 256 bytes/,
    );
    expect(() => addon.readFrames(0, rx.slab, 256, 256, rx.lengths, 4)).toThrow(/headroom \(256\) must be smaller than slotSize/);
  });

  it("bounds a busy-poll spin: 1..32 fds, at most 1 s, and reports a ready fd at once", () => {
    expect(() => addon.spinReadable(new Uint32Array(2), 0, 10)).toThrow(/count must be 1\.\.32 and at most fds\.length \(2\), got 0/);
    expect(() => addon.spinReadable(new Uint32Array(40), 33, 10)).toThrow(/got 33/);
    expect(() => addon.spinReadable(new Uint32Array(1), 1, 2_000_000)).toThrow(/budgetUs must be at most 1000000/);
    // /dev/null always polls readable; a bound UDP socket nobody sends to never does (nothing is
    // sent anywhere: the socket only exists for its fd).
    const devNull = openSync("/dev/null", "r");
    const quiet = addon.udpOpen(4, parseAddress("127.0.0.1"), 0, {}).fd;
    try {
      const t0 = performance.now();
      expect(addon.spinReadable(Uint32Array.of(quiet), 1, 2000)).toBe(0);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1.9);
      expect(addon.spinReadable(Uint32Array.of(quiet, devNull), 2, 1000)).toBe(0b10);
    } finally {
      closeSync(devNull);
      addon.close(quiet);
    }
  });

  it("rejects a send region outside the slab", () => {
    const tx = new TxBatch(2, Buffer.alloc(100));
    tx.pushFrame(90, 20);
    expect(() => addon.writeFrames(0, tx.slab, tx.offsets, tx.lengths, tx.count)).toThrow(
      /message 0 \(offset 90, length 20\) lies outside the 100-byte slab/,
    );
  });

  it("names the argument of the wrong type", () => {
    const call = addon.readFrames as unknown as (...args: unknown[]) => number;
    expect(() => call("3", Buffer.alloc(64), 64, 0, new Uint32Array(1), 1)).toThrow(/fd must be a number/);
    expect(() => call(3, Buffer.alloc(64), 64, 0, new Uint16Array(1), 1)).toThrow(/lengths must be a Uint32Array/);
    expect(() => call(3, Buffer.alloc(64), 64, 0)).toThrow(/expected 6 arguments, got 4/);
    expect(() => addon.readFrames(-1, Buffer.alloc(64), 64, 0, new Uint32Array(1), 1)).toThrow(/fd must be >= 0/);
  });

  it("checks interface names and 16-byte addresses", () => {
    expect(() => addon.linkIndex("")).toThrow(/name must be 1\.\.15 characters/);
    expect(() => addon.linkIndex("a-name-far-too-long")).toThrow(/name must be 1\.\.15 characters, got 19/);
    expect(() => addon.linkIndex("a/b")).toThrow(/not a valid interface name/);
    expect(() => addon.greOpen(4, new Uint8Array(4))).toThrow(/addr16 must be 16 bytes/);
    expect(() => addon.udpOpen(5 as 4, new Uint8Array(16), 0, {})).toThrow(/family must be 4 or 6/);
  });

  it("refuses a poll handle that pollStart did not make", () => {
    expect(() => addon.pollStop({})).toThrow(/handle must be a value returned by pollStart/);
  });

  it("reports its counters with the most recent error", () => {
    const c = addon.ioCounters();
    expect(Object.keys(c).sort()).toEqual(
      ["badChecksumOffsets", "gsoDisabled", "gsoFallbacks", "lastError", "malformed", "readErrors", "recvErrors", "sendErrors",
        "truncated", "writeErrors"],
    );
  });
});
