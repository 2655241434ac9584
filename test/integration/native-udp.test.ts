// UDP tunnel sockets (recvmmsg/sendmmsg, UDP_GRO/UDP_SEGMENT, node:dgram) between two namespaces over a veth.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent, describeNetns, NetnsSet } from "../helpers/native-netns.js";

interface Received {
  length: number;
  src: string;
  srcPort: number;
  segSize: number;
  indices: number[];
}

const A = "198.18.71.1";
const B = "198.18.71.2";
const PORT = 4789;

/** All indices 0..n-1 once each, in any order. */
function everyIndex(received: Received[]): number[] {
  return received.flatMap((r) => r.indices).sort((x, y) => x - y);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describeNetns("native UDP sockets across a veth pair", () => {
  const namespaces = new NetnsSet("nu");
  let nsA = "";
  let nsB = "";

  beforeAll(async () => {
    nsA = await namespaces.add();
    nsB = await namespaces.add();
    await namespaces.veth(nsA, "u0", `${A}/24`, nsB, "u1", `${B}/24`);
  });

  afterAll(async () => {
    await namespaces.cleanup();
  });

  /** Starts a receiver in B, runs one sender in A, returns both reports. */
  async function exchange(receiver: object, sender: object): Promise<{ recv: Record<string, unknown>; sent: Record<string, unknown>; ready: Record<string, unknown> }> {
    const rx = Agent.spawn(nsB, "receive", { family: 4, address: B, port: PORT, timeoutMs: 5000, ...receiver });
    try {
      const ready = await rx.next("ready");
      const tx = Agent.spawn(nsA, "send", { family: 4, address: A, to: B, toPort: PORT, ...sender });
      const sent = await tx.next("result");
      expect(await tx.exited()).toBe(0);
      const recv = await rx.next("result");
      expect(await rx.exited(), "the receiver exits on its own (poll and socket released)").toBe(0);
      return { recv, sent, ready };
    } finally {
      rx.kill();
    }
  }

  it("sends a batch of 32 datagrams with one sendmmsg and receives them with their source address and port", async () => {
    const { recv, sent } = await exchange(
      { io: "batch", expect: 32 },
      { io: "batch", count: 32, size: 1200 },
    );
    expect(sent.sent).toBe(32);
    const received = recv.received as Received[];
    expect(everyIndex(received)).toEqual(range(32));
    for (const r of received) {
      expect(r.length).toBe(1200);
      expect(r.src).toBe(A);
      expect(r.srcPort).toBe(sent.localPort);
      expect(r.segSize).toBe(0);
    }
    expect(recv.wakeups as number, "a burst is read in few wakeups").toBeLessThanOrEqual(32);
  });

  it("sends a UDP_SEGMENT train that a UDP_GRO receiver gets back as one datagram with its segment size", async () => {
    const { recv, sent, ready } = await exchange(
      { io: "batch", gro: true, expect: 20 },
      { io: "batch", gso: true, count: 20, size: 1400, segSize: 1400 },
    );
    expect(ready.gro, "UDP_GRO is available on this kernel").toBe(true);
    expect(sent.gso, "UDP_SEGMENT is available on this kernel").toBe(true);
    expect(sent.sent, "the train counts as one message").toBe(1);
    const received = recv.received as Received[];
    expect(everyIndex(received)).toEqual(range(20));
    // veth hands the GSO packet through unsegmented, so the GRO socket sees the train whole.
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ length: 20 * 1400, segSize: 1400, src: A, srcPort: sent.localPort });
  });

  it("delivers a GSO train as separate datagrams to a socket without UDP_GRO", async () => {
    const { recv, sent } = await exchange(
      { io: "batch", gro: false, expect: 10 },
      { io: "batch", gso: true, count: 10, size: 1000, segSize: 1000 },
    );
    expect(sent.sent).toBe(1);
    const received = recv.received as Received[];
    expect(received).toHaveLength(10);
    expect(everyIndex(received)).toEqual(range(10));
    expect(received.every((r) => r.length === 1000 && r.segSize === 0)).toBe(true);
  });

  it("re-sends a train the kernel refuses (more segments than UDP_MAX_SEGMENTS) one segment at a time, and switches GSO off for that socket", async () => {
    const { recv, sent } = await exchange(
      { io: "batch", expect: 600 },
      { io: "batch", gso: true, count: 300, size: 64, segSize: 64, trains: 2 },
    );
    expect(sent.sent).toBe(2);
    expect(sent.status).toEqual([0, 0]);
    const counters = sent.counters as { gsoFallbacks: number; gsoDisabled: number };
    // The first refusal switches UDP_SEGMENT off: the second train goes split without asking again.
    expect(counters.gsoFallbacks, "one refusal, not one per train").toBe(1);
    expect(counters.gsoDisabled).toBe(1);
    expect(sent.gsoBefore).toBe(true);
    expect(sent.gso, "the socket reports gso off afterwards").toBe(false);
    expect(sent.gsoDisabled).toBe(true);
    const received = recv.received as Received[];
    expect(received.flatMap((r) => r.indices)).toHaveLength(600);
    expect(received.every((r) => r.length === 64 && r.src === A)).toBe(true);
  });

  it("reports which messages of a batch the kernel refused: an unroutable destination fails alone, the others are sent", async () => {
    const { recv, sent } = await exchange(
      { io: "batch", expect: 4 },
      // 198.19.255.1 has no route in namespace A: ENETUNREACH before anything leaves the namespace.
      { io: "batch", count: 4, size: 200, unroutable: "198.19.255.1" },
    );
    expect(sent.sent).toBe(4);
    expect(sent.status).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    expect((sent.counters as { sendErrors: number }).sendErrors).toBe(4);
    expect(everyIndex(recv.received as Received[])).toEqual(range(4));
  });

  it("interoperates with the node:dgram socket in both directions", async () => {
    const toDgram = await exchange({ io: "dgram", expect: 16 }, { io: "batch", count: 16, size: 900 });
    expect(toDgram.sent.sent).toBe(16);
    const atDgram = toDgram.recv.received as Received[];
    expect(everyIndex(atDgram)).toEqual(range(16));
    expect(atDgram.every((r) => r.src === A && r.srcPort === toDgram.sent.localPort && r.length === 900)).toBe(true);

    const fromDgram = await exchange({ io: "batch", expect: 16 }, { io: "dgram", count: 16, size: 900 });
    expect(fromDgram.sent.sent).toBe(16);
    const atBatch = fromDgram.recv.received as Received[];
    expect(everyIndex(atBatch)).toEqual(range(16));
    expect(atBatch.every((r) => r.src === A && r.srcPort === fromDgram.sent.localPort)).toBe(true);
  });

  it("joins a multicast group: group traffic sent out of the underlay reaches the member", async () => {
    const group = "239.1.1.1";
    const batch = await exchange(
      { io: "batch", address: "0.0.0.0", group, ifname: "u1", expect: 8 },
      { io: "batch", group, ifname: "u0", to: group, count: 8, size: 500 },
    );
    expect(batch.sent.sent).toBe(8);
    const atBatch = batch.recv.received as Received[];
    expect(everyIndex(atBatch)).toEqual(range(8));
    expect(atBatch.every((r) => r.src === A && r.srcPort === batch.sent.localPort)).toBe(true);

    const dgram = await exchange(
      { io: "dgram", address: "0.0.0.0", group, ifaddr: B, expect: 8 },
      { io: "batch", group, ifname: "u0", to: group, count: 8, size: 500 },
    );
    expect(everyIndex(dgram.recv.received as Received[])).toEqual(range(8));
  });

  it("runs IPv6 (v6-only) sockets, GSO/GRO and raw GRE over the namespace loopback", async () => {
    const agent = Agent.spawn(nsA, "loopback-v6");
    const result = await agent.next("result");
    expect(await agent.exited()).toBe(0);
    expect(result.sent, "8 datagrams and 1 train; the IPv4 destination is counted, not sent").toBe(9);
    expect(result.sendErrors).toBe(1);
    const udp = result.udp as Received[];
    expect(udp).toHaveLength(9);
    expect(udp.slice(0, 8).every((r) => r.length === 1000 && r.segSize === 0 && r.src === "::1")).toBe(true);
    expect(udp[8]).toMatchObject({ length: 8000, segSize: 1000, src: "::1" });
    const gre = result.gre as { length: number; src: string; protocol: number; index: number }[];
    expect(result.greSent).toBe(4);
    expect(gre.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(gre.every((g) => g.length === 100 && g.src === "::1" && g.protocol === 0x6558)).toBe(true);
  });

  it("calls back once per wakeup, survives stop inside the callback, and lets the process exit", async () => {
    const agent = Agent.spawn(nsA, "poll-lifecycle");
    const result = await agent.next("result");
    expect(await agent.exited(), "an unref'd poll does not hold the process").toBe(0);
    expect(result.calls, "stopped inside its first callback").toBe(1);
    expect(result.read).toBe(8);
    // make_callback drains process.nextTick and microtasks right after the callback.
    expect(result.order).toEqual(["callback", "tick", "microtask", "immediate"]);
    expect((result.duplicate as { code: string }).code).toBe("EEXIST");
    expect((result.badHandle as { code: string }).code).toBe("ERR_INVALID_ARG_TYPE");
    expect(result.uncaught, "a throw in the callback reaches uncaughtException").toBe("thrown in onReadable");
  });
});
