import { describe, expect, it } from "vitest";
import { prng } from "../../../bench/micro-fdb.js";
import { MacTable } from "../../../src/switch/mac-table.js";
import { parseMac } from "../../../src/wire/mac.js";

/** Oldest-first list of [mac, endpoint, stamp] read through the table's links. */
function contents(table: MacTable): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let slot = table.oldest; slot >= 0; slot = table.newerThan(slot)) out.push([table.macAt(slot), table.endpointAt(slot), table.stampAt(slot)]);
  return out;
}

describe("MacTable", () => {
  it("finds what was inserted, with its endpoint and stamp, and nothing else", () => {
    const table = new MacTable(8);
    const a = parseMac("02:00:00:00:00:01");
    const b = parseMac("fe:ff:ff:ff:ff:fe");
    table.insert(a, 3, 100);
    table.insert(b, 7, 200);
    expect(table.size).toBe(2);
    expect(table.endpointAt(table.find(a))).toBe(3);
    expect(table.stampAt(table.find(b))).toBe(200);
    expect(table.macAt(table.find(b))).toBe(b);
    expect(table.find(parseMac("02:00:00:00:00:02"))).toBe(-1);
    // Same low 32 bits, other high 16 bits: a different MAC.
    expect(table.find(parseMac("03:00:00:00:00:01"))).toBe(-1);
  });

  it("keeps the order of last learning: touch moves an entry to the newest end", () => {
    const table = new MacTable(8);
    for (const [i, mac] of [1, 2, 3].entries()) table.insert(mac, i, i);
    table.touch(table.find(1), 10);
    expect(contents(table).map(([mac]) => mac)).toEqual([2, 3, 1]);
    expect(table.macAt(table.newest)).toBe(1);
    expect(table.macAt(table.olderThan(table.newest))).toBe(3);
  });

  it("refuses an insert into a full table", () => {
    const table = new MacTable(2);
    table.insert(1, 0, 0);
    table.insert(2, 0, 0);
    expect(() => table.insert(3, 0, 0)).toThrow(/full \(2 entries\)/);
  });

  it("rejects a size that is not a positive integer", () => {
    expect(() => new MacTable(0)).toThrow(/invalid MAC table size 0/);
    expect(() => new MacTable(1.5)).toThrow(/invalid MAC table size/);
  });

  it("grows to keep at most half its slots taken, and clear() shrinks it back", () => {
    const table = new MacTable(1000);
    for (let i = 1; i <= 1000; i++) table.insert(i * 7919, i, i);
    expect(table.capacity).toBe(2048);
    expect(contents(table).map(([mac]) => mac)).toEqual(Array.from({ length: 1000 }, (_, i) => (i + 1) * 7919));
    table.clear();
    expect(table.size).toBe(0);
    expect(table.capacity).toBe(64);
    expect(table.oldest).toBe(-1);
  });

  it("agrees with a reference model over 50 000 random inserts, touches and removals", () => {
    const next = prng(42);
    const max = 300;
    const table = new MacTable(max);
    // Reference: Map in insertion order = order of last learning (delete + set to move).
    const model = new Map<number, [number, number]>();
    // A small key space, so removals and re-inserts hit present keys and probe runs get long.
    const keys = Array.from({ length: 500 }, () => ((next() & 0xffff) * 0x1_0000_0000 + next()) || 1);
    for (let step = 0; step < 50_000; step++) {
      const mac = keys[next() % keys.length]!;
      const op = next() % 3;
      const slot = table.find(mac);
      expect(slot >= 0, `step ${step}: presence of ${mac}`).toBe(model.has(mac));
      if (op === 0 && slot < 0) {
        if (table.size === max) {
          const oldest = table.macAt(table.oldest);
          expect(oldest).toBe(model.keys().next().value);
          table.removeAt(table.oldest);
          model.delete(oldest);
        }
        table.insert(mac, step & 0xff, step);
        model.set(mac, [step & 0xff, step]);
      } else if (op === 1 && slot >= 0) {
        table.touch(slot, step);
        const [endpoint] = model.get(mac)!;
        model.delete(mac);
        model.set(mac, [endpoint, step]);
      } else if (op === 2 && slot >= 0) {
        expect(table.remove(mac)).toBe(true);
        model.delete(mac);
      }
      expect(table.size).toBe(model.size);
    }
    expect(contents(table)).toEqual([...model].map(([mac, [endpoint, stamp]]) => [mac, endpoint, stamp]));
    for (const mac of keys) {
      const slot = table.find(mac);
      expect(slot < 0 ? undefined : table.endpointAt(slot)).toBe(model.get(mac)?.[0]);
    }
  });
});
