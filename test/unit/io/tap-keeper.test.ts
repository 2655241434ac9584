// The TAP keeper: a deleted TAP (EBADFD on read, write or poll) is logged once and recreated with
// backoff; the loops never see a throw; recreation that keeps failing stops the segment cleanly.
import { describe, expect, it } from "vitest";
import { RxBatch, TxBatch } from "../../../src/io/batch.js";
import type { TapDevice } from "../../../src/io/tap-device.js";
import { MAX_ATTEMPTS, RETRY_FIRST_MS, TapKeeper } from "../../../src/io/tap-keeper.js";
import { hostIdentity, stableTapMac, tapMacFor } from "../../../src/io/tap-mac.js";

function ebadfd(): Error {
  return Object.assign(new Error("cannot read from TAP fd 27: EBADFD"), { code: "EBADFD" });
}

/** A TAP device stand-in: reads/writes work until `deleted`, then throw like the addon does. */
class FakeDevice {
  deleted = false;
  closed = false;
  setUp = 0;
  onError: ((err: Error) => void) | undefined;
  readable: (() => void) | undefined;
  constructor(readonly fd: number) {}
  readBatch(rx: RxBatch): number {
    if (this.deleted) throw ebadfd();
    rx.count = 0;
    return 0;
  }
  writeBatch(tx: TxBatch): number {
    if (this.deleted) throw ebadfd();
    return tx.count;
  }
  onReadable(cb: () => void, onError?: (err: Error) => void): void {
    this.readable = cb;
    this.onError = onError;
  }
  close(): void {
    this.closed = true;
  }
}

function rig(opts: { failOpens?: number } = {}) {
  const devices: FakeDevice[] = [];
  const logs: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let failOpens = opts.failOpens ?? 0;
  let isFirst = true;
  const keeper = TapKeeper.open("vxtap42", {
    open: () => {
      if (!isFirst && failOpens-- > 0) throw Object.assign(new Error("cannot attach"), { code: "ENODEV" });
      isFirst = false;
      const d = new FakeDevice(20 + devices.length);
      devices.push(d);
      return d as unknown as TapDevice;
    },
    setup: (d) => void (d as unknown as FakeDevice).setUp++,
    log: (line) => logs.push(line),
    later: (fn, ms) => timers.push({ fn, ms }),
  });
  const runTimers = (): number[] => {
    const delays: number[] = [];
    while (timers.length > 0) {
      const t = timers.shift()!;
      delays.push(t.ms);
      t.fn();
    }
    return delays;
  };
  return { keeper, devices, logs, timers, runTimers };
}

describe("TapKeeper", () => {
  const rx = new RxBatch(4, 2048);
  const tx = new TxBatch(4, Buffer.alloc(4096));

  it("turns a read error on a deleted TAP into an empty read, logs once, and recreates the TAP (set up again)", () => {
    const { keeper, devices, logs, runTimers } = rig();
    const cb = (): void => {};
    keeper.onReadable(cb);
    devices[0]!.deleted = true;
    expect(keeper.readBatch(rx)).toBe(0);
    expect(keeper.readBatch(rx)).toBe(0);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/TAP vxtap42: cannot read from it \(EBADFD\).*recreating/);
    expect(keeper.state).toBe("recreating");
    expect(devices[0]!.closed).toBe(true);
    expect(runTimers()).toEqual([RETRY_FIRST_MS]);
    expect(devices).toHaveLength(2);
    expect(devices[1]!.setUp).toBe(1);
    expect(devices[1]!.readable).toBe(cb);
    expect(keeper.state).toBe("up");
    expect(keeper.fd).toBe(21);
    expect(keeper.counters).toMatchObject({ failures: 1, recreated: 1 });
  });

  it("counts writes lost while the TAP is away and never throws from writeBatch", () => {
    const { keeper, devices } = rig();
    tx.count = 3;
    devices[0]!.deleted = true;
    expect(keeper.writeBatch(tx)).toBe(0);
    expect(keeper.writeBatch(tx)).toBe(0);
    expect(keeper.counters.lostWrites).toBe(6);
    expect(keeper.counters.failures).toBe(1);
  });

  it("recreates after a poll error reported by the watch", () => {
    const { keeper, devices, runTimers } = rig();
    keeper.onReadable(() => {});
    devices[0]!.onError!(new Error("poll: EBADFD"));
    runTimers();
    expect(keeper.state).toBe("up");
    expect(devices).toHaveLength(2);
  });

  it("backs off (doubling) while the TAP cannot be made again", () => {
    const { keeper, devices, runTimers, logs } = rig({ failOpens: 3 });
    devices[0]!.deleted = true;
    keeper.readBatch(rx);
    expect(runTimers()).toEqual([100, 200, 400, 800]);
    expect(keeper.state).toBe("up");
    expect(logs.filter((l) => /retrying with backoff/.test(l))).toHaveLength(1);
  });

  it("stops the segment cleanly, with one line saying so, when recreation keeps failing", () => {
    const { keeper, devices, runTimers, logs } = rig({ failOpens: 1000 });
    devices[0]!.deleted = true;
    keeper.readBatch(rx);
    const delays = runTimers();
    expect(delays).toHaveLength(MAX_ATTEMPTS);
    expect(Math.max(...delays)).toBe(5000);
    expect(keeper.state).toBe("stopped");
    expect(logs.at(-1)).toMatch(/its segments are stopped/);
    expect(keeper.readBatch(rx)).toBe(0);
  });

  it("does not recreate a TAP after close()", () => {
    const { keeper, devices, runTimers } = rig();
    devices[0]!.deleted = true;
    keeper.readBatch(rx);
    keeper.close();
    runTimers();
    expect(devices).toHaveLength(1);
  });
});

describe("stable TAP MAC", () => {
  it("is the same for the same host, local address and TAP, and differs when any of them differs", () => {
    const a = stableTapMac("0123456789abcdef0123456789abcdef", "198.18.0.1", "vxtap42");
    expect(stableTapMac("0123456789abcdef0123456789abcdef", "198.18.0.1", "vxtap42").equals(a)).toBe(true);
    expect(stableTapMac("0123456789abcdef0123456789abcdef", "198.18.0.2", "vxtap42").equals(a)).toBe(false);
    expect(stableTapMac("0123456789abcdef0123456789abcdef", "198.18.0.1", "vxtap43").equals(a)).toBe(false);
    expect(stableTapMac("fedcba9876543210fedcba9876543210", "198.18.0.1", "vxtap42").equals(a)).toBe(false);
  });

  it("is locally administered unicast, whatever the inputs", () => {
    for (let i = 0; i < 200; i++) {
      const mac = stableTapMac(`id${i}`, `198.18.0.${i}`, `vxtap${i}`);
      expect(mac).toHaveLength(6);
      expect(mac[0]! & 0x01).toBe(0);
      expect(mac[0]! & 0x02).toBe(2);
    }
  });

  it("takes a configured MAC as given", () => {
    expect(tapMacFor("02:aa:bb:cc:dd:ee", "198.18.0.1", "vxtap42").toString("hex")).toBe("02aabbccddee");
  });

  it("falls back to the hostname when no machine-id file exists", () => {
    expect(hostIdentity(["/nonexistent/machine-id"])).toMatch(/^hostname:/);
  });
});
