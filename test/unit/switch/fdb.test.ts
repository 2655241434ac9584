import { describe, expect, it } from "vitest";
import { Fdb, IGNORED, LEARNED, MOVED, REFRESHED, STATIC, learnResultName } from "../../../src/switch/fdb.js";
import { MAC_BROADCAST, parseMac } from "../../../src/wire/mac.js";

const A = parseMac("52:54:00:00:00:0a");
const B = parseMac("52:54:00:00:00:0b");
const C = parseMac("52:54:00:00:00:0c");
const S = 1000; // ms

/** An FDB on a hand-set clock starting at 0: at(ms) sets the clock and ticks, as a batch does. */
function fdbAt0(options: { maxEntries?: number; ageingMs?: number } = {}): { fdb: Fdb; at: (ms: number) => void } {
  let t = 0;
  const fdb = new Fdb({ ...options, now: () => t });
  return {
    fdb,
    at: (ms) => {
      t = ms;
      fdb.tick();
    },
  };
}

describe("Fdb learning and lookup", () => {
  it("learns a source MAC and looks it up in the same VNI", () => {
    const { fdb } = fdbAt0();
    expect(fdb.learn(100, A, 3)).toBe(LEARNED);
    expect(fdb.lookup(100, A)).toBe(3);
    expect(fdb.counters.learned).toBe(1);
  });

  it("returns -1 for an unknown MAC and for a VNI it has never seen", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 3);
    expect(fdb.lookup(100, B)).toBe(-1);
    expect(fdb.lookup(200, A)).toBe(-1);
  });

  it("keeps the same MAC in two VNIs independent", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.learn(200, A, 2);
    expect(fdb.lookup(100, A)).toBe(1);
    expect(fdb.lookup(200, A)).toBe(2);
    fdb.remove(100, A);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.lookup(200, A)).toBe(2);
  });

  it("reports a refresh when the MAC is learned again behind the same endpoint", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    expect(fdb.learn(100, A, 1)).toBe(REFRESHED);
    expect(fdb.counters.learned).toBe(1);
    expect(fdb.counters.refreshed).toBe(1);
  });

  it("moves a MAC that shows up behind another endpoint and counts the move", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    expect(fdb.learn(100, A, 2)).toBe(MOVED);
    expect(fdb.lookup(100, A)).toBe(2);
    expect(fdb.counters.moved).toBe(1);
    expect(fdb.size(100)).toBe(1);
  });

  it("never learns a broadcast, multicast or all-zero source MAC, and counts them", () => {
    const { fdb } = fdbAt0();
    expect(fdb.learn(100, MAC_BROADCAST, 1)).toBe(IGNORED);
    expect(fdb.learn(100, parseMac("01:00:5e:00:00:fb"), 1)).toBe(IGNORED);
    expect(fdb.learn(100, parseMac("33:33:00:00:00:01"), 1)).toBe(IGNORED);
    expect(fdb.learn(100, 0, 1)).toBe(IGNORED);
    expect(fdb.size()).toBe(0);
    expect(fdb.lookup(100, MAC_BROADCAST)).toBe(-1);
    expect(fdb.counters.ignored).toBe(4);
  });

  it("names learn results for traces", () => {
    expect(learnResultName(MOVED)).toBe("moved");
    expect(learnResultName(IGNORED)).toBe("ignored");
  });
});

describe("Fdb ageing", () => {
  it("ages an entry out after the kernel default of 300 s: present at 299 s, gone at 301 s", () => {
    const { fdb, at } = fdbAt0();
    expect(fdb.ageingMs).toBe(300 * S);
    fdb.learn(100, A, 1);
    at(299 * S);
    expect(fdb.lookup(100, A)).toBe(1);
    at(301 * S);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.counters.aged).toBe(1);
    expect(fdb.size(100)).toBe(0);
  });

  it("restarts the ageing time when the MAC is learned again", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(100, A, 1);
    at(200 * S);
    expect(fdb.learn(100, A, 1)).toBe(REFRESHED);
    at(499 * S);
    expect(fdb.lookup(100, A)).toBe(1);
    at(501 * S);
    expect(fdb.lookup(100, A)).toBe(-1);
  });

  it("learns anew (not a move) a MAC whose entry aged out before a sweep", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(100, A, 1);
    at(301 * S);
    expect(fdb.learn(100, A, 2)).toBe(LEARNED);
    expect(fdb.lookup(100, A)).toBe(2);
    expect(fdb.counters.moved).toBe(0);
    expect(fdb.counters.aged).toBe(1);
  });

  it("uses a configured ageing time", () => {
    const { fdb, at } = fdbAt0({ ageingMs: 10 * S });
    fdb.learn(100, A, 1);
    at(9 * S);
    expect(fdb.lookup(100, A)).toBe(1);
    at(11 * S);
    expect(fdb.lookup(100, A)).toBe(-1);
  });

  it("never ages entries when the ageing time is 0", () => {
    const { fdb, at } = fdbAt0({ ageingMs: 0 });
    fdb.learn(100, A, 1);
    at(365 * 24 * 3600 * S);
    expect(fdb.sweep()).toBe(0);
    expect(fdb.lookup(100, A)).toBe(1);
  });

  it("reads the injected clock on tick() without an argument", () => {
    let t = 0;
    const fdb = new Fdb({ now: () => t });
    fdb.learn(100, A, 1);
    t = 301 * S;
    expect(fdb.lookup(100, A)).toBe(1); // the clock only moves on tick
    fdb.tick();
    expect(fdb.now).toBe(301 * S);
    expect(fdb.lookup(100, A)).toBe(-1);
  });

  it("takes the batch clock from tick(ms) when the caller already has the time", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.tick(301 * S);
    expect(fdb.lookup(100, A)).toBe(-1);
  });

  it("sweeps on the current clock, so entries age while no frames arrive", () => {
    let t = 0;
    const fdb = new Fdb({ now: () => t });
    fdb.learn(100, A, 1);
    t = 301 * S; // no tick: no batch has run since
    expect(fdb.sweep()).toBe(1);
    expect(fdb.size()).toBe(0);
  });

  it("sweeps aged entries and keeps live ones", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.learn(200, B, 1);
    at(100 * S);
    fdb.learn(100, C, 2);
    at(350 * S);
    expect(fdb.sweep()).toBe(2);
    expect(fdb.size()).toBe(1);
    expect(fdb.lookup(100, C)).toBe(2);
    expect(fdb.counters.aged).toBe(2);
  });

  it("sweeps an entry that was refreshed late only when it has itself aged", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.learn(100, B, 1);
    at(250 * S);
    fdb.learn(100, A, 1); // A is now the most recently learned
    at(320 * S);
    expect(fdb.sweep()).toBe(1);
    expect(fdb.lookup(100, A)).toBe(1);
    expect(fdb.lookup(100, B)).toBe(-1);
  });
});

describe("Fdb size limit", () => {
  it("evicts the least recently learned entry when a VNI is full, and counts it", () => {
    const { fdb } = fdbAt0({ maxEntries: 2 });
    fdb.learn(100, A, 1);
    fdb.learn(100, B, 1);
    fdb.learn(100, A, 1); // A is active again: B is now the least recently learned
    expect(fdb.learn(100, C, 1)).toBe(LEARNED);
    expect(fdb.lookup(100, B)).toBe(-1);
    expect(fdb.lookup(100, A)).toBe(1);
    expect(fdb.lookup(100, C)).toBe(1);
    expect(fdb.counters.evicted).toBe(1);
    expect(fdb.size(100)).toBe(2);
  });

  it("applies the limit per VNI", () => {
    const { fdb } = fdbAt0({ maxEntries: 1 });
    fdb.learn(100, A, 1);
    fdb.learn(200, B, 1);
    expect(fdb.size()).toBe(2);
    expect(fdb.counters.evicted).toBe(0);
  });

  it("does not count removals, flushes or ageing as evictions", () => {
    const { fdb, at } = fdbAt0({ maxEntries: 2 });
    fdb.learn(100, A, 1);
    fdb.learn(100, B, 1);
    fdb.remove(100, A);
    fdb.flush(100);
    fdb.learn(100, C, 1);
    at(400 * S);
    fdb.sweep();
    expect(fdb.counters.evicted).toBe(0);
  });

  it("rejects a size that is not a positive integer", () => {
    expect(() => new Fdb({ maxEntries: 0 })).toThrow(/maxEntries/);
  });
});

describe("Fdb static entries", () => {
  it("never ages a static entry", () => {
    const { fdb, at } = fdbAt0();
    fdb.addStatic(100, A, 5);
    at(10_000 * S);
    expect(fdb.sweep()).toBe(0);
    expect(fdb.lookup(100, A)).toBe(5);
  });

  it("never moves a static entry when the MAC is seen behind another endpoint", () => {
    const { fdb } = fdbAt0();
    fdb.addStatic(100, A, 5);
    expect(fdb.learn(100, A, 6)).toBe(STATIC);
    expect(fdb.lookup(100, A)).toBe(5);
    expect(fdb.counters.staticConflicts).toBe(1);
    expect(fdb.learn(100, A, 5)).toBe(STATIC);
    expect(fdb.counters.staticConflicts).toBe(1);
  });

  it("replaces a learned entry with the static one", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.addStatic(100, A, 5);
    expect(fdb.lookup(100, A)).toBe(5);
    expect(fdb.size(100)).toBe(1);
  });

  it("never evicts a static entry to make room for learned ones", () => {
    const { fdb } = fdbAt0({ maxEntries: 1 });
    fdb.addStatic(100, A, 5);
    fdb.learn(100, B, 1);
    fdb.learn(100, C, 1);
    expect(fdb.lookup(100, A)).toBe(5);
    expect(fdb.lookup(100, C)).toBe(1);
  });

  it("refuses a static entry for a group address", () => {
    const { fdb } = fdbAt0();
    expect(() => fdb.addStatic(100, MAC_BROADCAST, 1)).toThrow(/ff:ff:ff:ff:ff:ff.*flooded/);
  });

  it("removes a static entry on request", () => {
    const { fdb } = fdbAt0();
    fdb.addStatic(100, A, 5);
    expect(fdb.remove(100, A)).toBe(true);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.remove(100, A)).toBe(false);
  });
});

describe("Fdb flush", () => {
  it("flushes every entry of one endpoint, in all VNIs, and leaves the others", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.learn(100, B, 2);
    fdb.learn(200, C, 1);
    expect(fdb.flush(undefined, 1)).toBe(2);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.lookup(200, C)).toBe(-1);
    expect(fdb.lookup(100, B)).toBe(2);
  });

  it("flushes one VNI only", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.learn(200, A, 1);
    expect(fdb.flush(100)).toBe(1);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.lookup(200, A)).toBe(1);
  });

  it("keeps static entries unless asked to remove them too", () => {
    const { fdb } = fdbAt0();
    fdb.addStatic(100, A, 1);
    fdb.learn(100, B, 1);
    expect(fdb.flush(undefined, 1)).toBe(1);
    expect(fdb.lookup(100, A)).toBe(1);
    expect(fdb.flush(undefined, 1, true)).toBe(1);
    expect(fdb.lookup(100, A)).toBe(-1);
  });
});

describe("Fdb consistency after repeated frames", () => {
  it("forgets an entry at once when it is removed, right after it was looked up", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    expect(fdb.lookup(100, A)).toBe(1);
    fdb.remove(100, A);
    expect(fdb.lookup(100, A)).toBe(-1);
  });

  it("forgets an entry at once when it is flushed, right after it was learned", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    fdb.flush(undefined, 1);
    expect(fdb.learn(100, A, 1)).toBe(LEARNED);
    expect(fdb.counters.learned).toBe(2);
  });

  it("forgets an evicted entry even if it was the last one looked up", () => {
    const { fdb } = fdbAt0({ maxEntries: 1 });
    fdb.learn(100, A, 1);
    expect(fdb.lookup(100, A)).toBe(1);
    fdb.learn(100, B, 2);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.learn(100, A, 1)).toBe(LEARNED);
  });

  it("sees a static entry that replaced the last looked-up learned one", () => {
    const { fdb } = fdbAt0();
    fdb.learn(100, A, 1);
    expect(fdb.lookup(100, A)).toBe(1);
    fdb.addStatic(100, A, 9);
    expect(fdb.lookup(100, A)).toBe(9);
    expect(fdb.learn(100, A, 1)).toBe(STATIC);
  });

  it("tells apart the same MAC in another VNI on consecutive frames", () => {
    const { fdb } = fdbAt0();
    expect(fdb.learn(100, A, 1)).toBe(LEARNED);
    expect(fdb.learn(200, A, 2)).toBe(LEARNED);
    expect(fdb.learn(200, A, 2)).toBe(REFRESHED);
    expect(fdb.lookup(100, A)).toBe(1);
    expect(fdb.lookup(200, A)).toBe(2);
  });

  it("ages the last looked-up entry like any other", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(100, A, 1);
    expect(fdb.lookup(100, A)).toBe(1);
    at(300 * S);
    expect(fdb.lookup(100, A)).toBe(-1);
    expect(fdb.size(100)).toBe(0);
  });

  it("keeps LRU order by learning when the same source repeats", () => {
    const { fdb } = fdbAt0({ maxEntries: 2 });
    fdb.learn(100, A, 1);
    fdb.learn(100, B, 1);
    fdb.learn(100, A, 1);
    fdb.learn(100, A, 1); // repeated source
    fdb.learn(100, C, 1); // evicts B, the least recently learned
    expect(fdb.lookup(100, A)).toBe(1);
    expect(fdb.lookup(100, B)).toBe(-1);
  });
});

describe("Fdb show", () => {
  it("lists entries with MAC text, VNI, endpoint, static flag and age in seconds", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(200, B, 2);
    fdb.addStatic(100, C, 7);
    at(5 * S);
    fdb.learn(100, A, 1);
    at(12 * S);
    expect([...fdb.entries()]).toEqual([
      { mac: "52:54:00:00:00:0c", vni: 100, endpoint: 7, isStatic: true, ageSeconds: 0 },
      { mac: "52:54:00:00:00:0a", vni: 100, endpoint: 1, isStatic: false, ageSeconds: 7 },
      { mac: "52:54:00:00:00:0b", vni: 200, endpoint: 2, isStatic: false, ageSeconds: 12 },
    ]);
    expect([...fdb.entries(200)].map((e) => e.mac)).toEqual(["52:54:00:00:00:0b"]);
  });

  it("leaves out entries that have aged", () => {
    const { fdb, at } = fdbAt0();
    fdb.learn(100, A, 1);
    at(300 * S);
    expect([...fdb.entries()]).toEqual([]);
  });
});
