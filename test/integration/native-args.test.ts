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

  it("takes a socket's family from its state array, not from a cache keyed by a reusable fd number", () => {
    const lo = parseAddress("127.0.0.1");
    const first = addon.udpOpen(4, lo, 0, {}).fd;
    // Closed behind the addon's back (as any fd can be): a cache by fd number would keep "IPv4".
    closeSync(first);
    const v6 = addon.udpOpen(6, parseAddress("::1"), 0, {}).fd;
    try {
      expect(v6, "the kernel hands the number out again").toBe(first);
      const tx = new TxBatch(1, Buffer.alloc(64));
      tx.push(0, 64, lo, 9);
      const before = addon.ioCounters().sendErrors;
      // The state says IPv6: the IPv4 destination is refused and counted, nothing is sent.
      expect(addon.udpSend(v6, tx.slab, tx.offsets, tx.lengths, tx.dstAddrs, tx.dstPorts, tx.segSizes, 1, Int32Array.of(6, 0), tx.status)).toBe(0);
      expect(tx.status[0]).toBe(1);
      expect(addon.ioCounters().sendErrors - before).toBe(1);
      expect(() => addon.udpSend(v6, tx.slab, tx.offsets, tx.lengths, tx.dstAddrs, tx.dstPorts, tx.segSizes, 1, Int32Array.of(5, 0), tx.status))
        .toThrow(/sockState must be an Int32Array \[family 4\|6, gso 0\|1\]/);
      expect(() => addon.udpSend(v6, tx.slab, tx.offsets, tx.lengths, tx.dstAddrs, tx.dstPorts, tx.segSizes, 1, Int32Array.of(6, 0), new Uint8Array(0)))
        .toThrow(/status holds fewer than count \(1\) entries/);
    } finally {
      addon.close(v6);
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
