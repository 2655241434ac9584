// Raw IPPROTO_GRE sockets between two namespaces (the kernel here has no gretap; raw GRE works).
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent, describeNetns, NetnsSet } from "../helpers/native-netns.js";

const A = "198.18.72.1";
const B = "198.18.72.2";

interface Received {
  length: number;
  src: string;
  indices: number[];
}

/** Starts tshark in a namespace and resolves once it is capturing; `done()` yields its lines. */
function tshark(ns: string, args: string[]): Promise<{ done: () => Promise<string[]> }> {
  const child = spawn("ip", ["netns", "exec", ns, "tshark", "-l", "-n", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tshark did not start: ${err}`));
    }, 20_000);
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      err += c;
      if (err.includes("Capturing on")) {
        clearTimeout(timer);
        resolve({
          done: async () => {
            const stop = setTimeout(() => child.kill("SIGINT"), 5000);
            await exit;
            clearTimeout(stop);
            return out.trim().split("\n").filter((l) => l.length > 0);
          },
        });
      }
    });
  });
}

describeNetns("native raw GRE sockets", () => {
  const namespaces = new NetnsSet("ng");
  let nsA = "";
  let nsB = "";

  beforeAll(async () => {
    nsA = await namespaces.add();
    nsB = await namespaces.add();
    await namespaces.veth(nsA, "g0", `${A}/24`, nsB, "g1", `${B}/24`);
  });

  afterAll(async () => {
    await namespaces.cleanup();
  });

  it("sends GRE (proto 0x6558) packets from one namespace and receives them in the other with the IP header stripped", async () => {
    const capture = await tshark(nsB, ["-i", "g1", "-c", "8", "-f", "ip proto 47", "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "gre.proto"]);
    const rx = Agent.spawn(nsB, "receive", { io: "gre", family: 4, address: B, expect: 8, skip: 4 });
    try {
      await rx.next("ready");
      const tx = Agent.spawn(nsA, "send", { io: "gre", family: 4, address: A, to: B, count: 8, size: 300, skip: 4 });
      const sent = await tx.next("result");
      expect(await tx.exited()).toBe(0);
      const recv = await rx.next("result");
      expect(await rx.exited()).toBe(0);

      expect(sent.sent).toBe(8);
      const received = recv.received as Received[];
      expect(received.flatMap((r) => r.indices).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(received.every((r) => r.length === 300 && r.src === A)).toBe(true);
      // The payload starts at the GRE header: flags/version 0, protocol 0x6558.
      expect(recv.firstBytes).toEqual([0x00, 0x00, 0x65, 0x58]);

      const lines = await capture.done();
      expect(lines).toHaveLength(8);
      expect(lines.every((l) => l === `${A}\t${B}\t0x6558`), lines.join("\n")).toBe(true);
    } finally {
      rx.kill();
    }
  });

  it("receives only GRE for its own address: a socket bound elsewhere sees nothing", async () => {
    const rx = Agent.spawn(nsB, "receive", { io: "gre", family: 4, address: "127.0.0.1", expect: 1, skip: 4, timeoutMs: 1500 });
    try {
      await rx.next("ready");
      const tx = Agent.spawn(nsA, "send", { io: "gre", family: 4, address: A, to: B, count: 4, size: 100, skip: 4 });
      expect((await tx.next("result")).sent).toBe(4);
      expect(await tx.exited()).toBe(0);
      const recv = await rx.next("result");
      expect(await rx.exited()).toBe(0);
      expect(recv.received).toEqual([]);
    } finally {
      rx.kill();
    }
  });
});
