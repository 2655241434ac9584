// Learned peers of multicast group mode: admission up to a cap, refusals counted, idle peers aged out.
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/io/address.js";
import { LearnedPeers } from "../../../src/dataplane/learned-peers.js";
import { newPeer, type Peer } from "../../../src/switch/peer-table.js";

function setup(max = 2, ageingMs = 10_000, family: 4 | 6 = 4, local = "198.18.0.1") {
  const live = new Map<string, Peer>();
  const removed: string[] = [];
  let nextId = 10;
  const learned = new LearnedPeers(
    { family, local, max, ageingMs },
    (address) => {
      const peer = newPeer({ id: nextId++, address, addr16: parseAddress(address), port: 4789, dynamic: true });
      live.set(address, peer);
      return peer;
    },
    (peer) => {
      live.delete(peer.address);
      removed.push(peer.address);
    },
  );
  const from = (address: string): Peer | undefined => learned.learn(parseAddress(address), 0);
  return { learned, live, removed, from };
}

describe("LearnedPeers", () => {
  it("makes a new source a dynamic peer", () => {
    const { learned, live, from } = setup();
    const peer = from("198.18.0.2");
    expect(peer?.address).toBe("198.18.0.2");
    expect([...live.keys()]).toEqual(["198.18.0.2"]);
    expect(learned.size).toBe(1);
    expect(learned.counters).toEqual({ learned: 1, refused: 0, aged: 0 });
  });

  it("refuses sources beyond the cap and counts each refused packet", () => {
    const { learned, from } = setup(2);
    from("198.18.0.2");
    from("198.18.0.3");
    expect(from("198.18.0.4")).toBeUndefined();
    expect(from("198.18.0.4")).toBeUndefined();
    expect(learned.size).toBe(2);
    expect(learned.counters).toEqual({ learned: 2, refused: 2, aged: 0 });
  });

  it("never learns its own address, a multicast source or the other IP family", () => {
    const { learned, from } = setup();
    expect(from("198.18.0.1")).toBeUndefined();
    expect(from("239.1.1.1")).toBeUndefined();
    expect(from("2001:2::2")).toBeUndefined();
    expect(learned.counters.refused).toBe(3);
    const v6 = setup(2, 10_000, 6, "2001:2::1");
    expect(v6.from("2001:2::2")?.address).toBe("2001:2::2");
    expect(v6.from("ff05::42")).toBeUndefined();
    expect(v6.from("198.18.0.2")).toBeUndefined();
  });

  it("keeps a peer that keeps sending and removes one idle for longer than the ageing time", () => {
    const { learned, live, removed, from } = setup(4, 10_000);
    const t0 = Date.now();
    const talker = from("198.18.0.2")!;
    const quiet = from("198.18.0.3")!;
    learned.sweep(live.values(), t0 + 1_000); // first sweep after learning: both count as heard
    for (let t = 2_000; t <= 20_000; t += 1_000) {
      talker.rxFrames++;
      learned.sweep(live.values(), t0 + t);
    }
    expect(removed).toEqual(["198.18.0.3"]);
    expect([...live.keys()]).toEqual(["198.18.0.2"]);
    expect(quiet.lastSeenMs).toBe(t0 + 1_000);
    expect(learned.size).toBe(1);
    expect(learned.counters.aged).toBe(1);
  });

  it("makes room for a refused source once an idle peer aged out", () => {
    const { learned, live, from } = setup(1, 5_000);
    const t0 = Date.now();
    from("198.18.0.2");
    expect(from("198.18.0.3")).toBeUndefined();
    learned.sweep(live.values(), t0 + 1_000);
    learned.sweep(live.values(), t0 + 7_000);
    expect(from("198.18.0.3")?.address).toBe("198.18.0.3");
  });

  it("never ages peers out when the ageing time is 0", () => {
    const { learned, live, removed, from } = setup(2, 0);
    from("198.18.0.2");
    for (let t = 1; t < 100; t++) learned.sweep(live.values(), Date.now() + t * 60_000);
    expect(removed).toEqual([]);
  });
});
