// The model under random sequences of run-time changes (fast-check): whatever the order, every
// published table is consistent with the model, never changes after it is published, and no FDB
// entry names an endpoint id the tables do not know.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Fdb } from "../../../src/switch/fdb.js";
import { SwitchModel } from "../../../src/switch/model.js";
import type { SwitchTables } from "../../../src/switch/tables.js";

const ADDRESSES = ["198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"];
const SEGMENTS = [42, 43, 44];
const MACS = [0x5254_0000_0001, 0x5254_0000_0002, 0x5254_0000_0003];

type Op =
  | { kind: "addFloodPeer"; address: string; vni?: number }
  | { kind: "removeFloodPeer"; address: string; vni?: number }
  | { kind: "addDynamic"; address: string }
  | { kind: "staticToPeer"; vni: number; mac: number; address: string }
  | { kind: "staticToTap"; vni: number; mac: number }
  | { kind: "removeEntry"; vni: number; mac: number }
  | { kind: "learn"; vni: number; mac: number; address: string }
  | { kind: "removeSegment"; vni: number };

const address = fc.constantFrom(...ADDRESSES);
const vni = fc.constantFrom(...SEGMENTS);
const mac = fc.constantFrom(...MACS);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("addFloodPeer" as const), address, vni: fc.option(vni, { nil: undefined }) }),
  fc.record({ kind: fc.constant("removeFloodPeer" as const), address, vni: fc.option(vni, { nil: undefined }) }),
  fc.record({ kind: fc.constant("addDynamic" as const), address }),
  fc.record({ kind: fc.constant("staticToPeer" as const), vni, mac, address }),
  fc.record({ kind: fc.constant("staticToTap" as const), vni, mac }),
  fc.record({ kind: fc.constant("removeEntry" as const), vni, mac }),
  fc.record({ kind: fc.constant("learn" as const), vni, mac, address }),
  fc.record({ kind: fc.constant("removeSegment" as const), vni }),
);

/** A serialisation of everything a loop reads from the tables. */
function snapshot(t: SwitchTables): string {
  const segs = [...t.segments.values()].map((s) => ({
    id: s.id, ports: s.ports.map((p) => [p.id, p.name, p.tap, p.vlan]), peers: s.peers.map((p) => [p.id, p.address]),
    all: [...s.floodAll], local: [...s.floodLocal],
  }));
  const taps = t.taps.map((tap) => ({ access: tap.access?.id, vlans: [...tap.byVlan.entries()].map(([v, p]) => [v, p.id]) }));
  return JSON.stringify({ g: t.generation, segs, taps, ports: t.ports.map((p) => p?.id ?? null), peers: t.peers.all().map((p) => p.id), max: t.maxFloodPeers });
}

function checkConsistent(model: SwitchModel, fdb: Fdb, t: SwitchTables): void {
  for (const seg of t.segments.values()) {
    const portIds = seg.ports.map((p) => p.id);
    // Flood lists: ports then peers; from a tunnel only ports (split horizon).
    expect([...seg.floodAll]).toEqual([...portIds, ...seg.peers.map((p) => p.id)]);
    expect([...seg.floodLocal]).toEqual(portIds);
    for (const p of seg.ports) {
      expect(t.ports[p.id]).toBe(p);
      expect(model.endpoints.isPort(p.id)).toBe(true);
    }
    for (const p of seg.peers) {
      expect(model.endpoints.isTunnel(p.id)).toBe(true);
      expect(p.dynamic, "a learned peer is never flooded to").toBe(false);
      expect(t.peers.get(p.id), "every flood peer is a peer traffic may come from").toBe(p);
    }
    expect(seg.peers.length).toBeLessThanOrEqual(t.maxFloodPeers);
  }
  const unicastOnly = new Set(model.peers().filter((p) => p.unicastOnly).map((p) => p.peer.id));
  for (const seg of t.segments.values()) for (const p of seg.peers) expect(unicastOnly.has(p.id), "an FDB-only peer is never flooded to").toBe(false);
  // Every FDB entry names a live endpoint of these tables: nothing points at a freed id.
  for (const e of fdb.entries()) {
    const known = t.ports[e.endpoint] !== undefined || t.peers.get(e.endpoint) !== undefined;
    expect(known, `FDB entry ${e.mac} in ${e.vni} -> endpoint ${e.endpoint}`).toBe(true);
    expect(t.segments.has(e.vni), `FDB entry in removed segment ${e.vni}`).toBe(true);
  }
  // A unicast-only peer lives exactly as long as a static entry names it.
  for (const id of unicastOnly) expect([...fdb.entries()].some((e) => e.endpoint === id && e.isStatic)).toBe(true);
}

function apply(model: SwitchModel, fdb: Fdb, o: Op): void {
  switch (o.kind) {
    case "addFloodPeer":
      model.addFloodPeer(o.address, o.vni);
      return;
    case "removeFloodPeer":
      model.removeFloodPeer(o.address, o.vni);
      return;
    case "addDynamic":
      model.addPeer(o.address, { dynamic: true });
      return;
    case "staticToPeer":
      model.addStaticEntry(o.vni, o.mac, { dst: o.address });
      return;
    case "staticToTap":
      model.addStaticEntry(o.vni, o.mac, { dev: `vxtap${o.vni}` });
      return;
    case "removeEntry":
      model.removeFdbEntry(o.vni, o.mac);
      return;
    case "learn": {
      const peer = model.peerAt(o.address);
      if (peer !== undefined && model.hasSegment(o.vni)) fdb.learn(o.vni, o.mac, peer.id, model.endpoints);
      return;
    }
    case "removeSegment":
      model.removeSegment(o.vni);
      return;
  }
}

describe("SwitchModel under random run-time changes", () => {
  it("publishes consistent tables after every change, and never changes tables it published", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const fdb = new Fdb({ now: () => 0 });
        const model = new SwitchModel(fdb, { family: 4, local: "198.18.0.1", peerPort: 4789 });
        model.batch(() => {
          for (const id of SEGMENTS) {
            model.addSegment({ id });
            model.addPort(model.addTap(`vxtap${id}`, false), id);
          }
          model.addPeer(ADDRESSES[0]!);
        });
        const published: [SwitchTables, string][] = [];
        for (const o of ops) {
          const before = model.tables.current;
          try {
            apply(model, fdb, o);
          } catch (err) {
            // A refused change is an error a person can read, and changes nothing.
            expect(err).toBeInstanceOf(Error);
            expect((err as Error).message.length).toBeGreaterThan(0);
            expect(model.tables.current, `${o.kind} was refused but new tables appeared`).toBe(before);
          }
          const t = model.tables.current;
          checkConsistent(model, fdb, t);
          published.push([t, snapshot(t)]);
        }
        for (const [t, snap] of published) expect(snapshot(t)).toBe(snap);
      }),
      { numRuns: 300, seed: 8 },
    );
  });
});
