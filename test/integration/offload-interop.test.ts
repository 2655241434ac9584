// TAP offloads against kernel vxlan: TSO super-frames split into VXLAN segments one way, tunnel
// trains coalesced into GSO super-frames the other; nothing arrives with a bad checksum and a
// 20 MB file crosses both ways bit for bit. For each I/O mode, and once with offloads off.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addKernelVxlan } from "../../src/lab/kernel-vxlan.js";
import { labTempDir, nsExec, spawnIn } from "../../src/lab/netns.js";
import { Lab } from "../../src/lab/topology.js";
import { iperfClient, ping, startIperfServer, type IperfServer } from "../../src/lab/traffic.js";
import { VxswitchProcess, type IoMode } from "../../src/lab/vxswitch-process.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const FILE_BYTES = 20 * 1024 * 1024;
const FILE_PORT = 7070;

/** Receives one TCP connection and prints its length and sha256. */
const RECEIVER_PY = `
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
print("received", n, h.hexdigest(), flush=True)
`;

/** Sends a file over one TCP connection (sendfile: the kernel hands the TAP TSO super-frames). */
const SENDER_PY = `
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
with open(sys.argv[3], "rb") as f:
    s.sendfile(f)
s.shutdown(socket.SHUT_WR)
s.close()
`;

/** Every *CsumErrors counter of a namespace (nstat: absolute, zeros too, history untouched). */
async function csumErrors(ns: string): Promise<Record<string, number>> {
  const parsed = JSON.parse(await nsExec(ns, ["nstat", "-asz", "--json"])) as { kernel?: Record<string, number> };
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(parsed.kernel ?? {})) if (/CsumErr/.test(name)) out[name] = value;
  return out;
}

function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) if (value !== (before[name] ?? 0)) out[name] = value - (before[name] ?? 0);
  return out;
}

interface Mode {
  io: IoMode;
  offloads: boolean;
}

const modes: Mode[] = [
  { io: "batch", offloads: true },
  { io: "dgram", offloads: true },
  { io: "batch", offloads: false },
];

describeLab("TAP offloads against kernel vxlan", () => {
  describe.each(modes)("vxswitch --io $io (offloads $offloads) on h1, kernel vxlan42 on h2", ({ io, offloads }) => {
    let lab: Lab;
    let vx: VxswitchProcess | undefined;
    let file: string;
    let fileHash: string;
    const state = (): Promise<string> => switchState([{ name: "h1 vxswitch", vx }]);

    beforeAll(async () => {
      requireVxswitchBuilt();
      file = join(labTempDir(), "random.bin");
      writeFileSync(file, randomBytes(FILE_BYTES));
      fileHash = createHash("sha256").update(readFileSync(file)).digest("hex");
      lab = await Lab.create({ hosts: 2, label: `of${io[0]}${offloads ? 1 : 0}` });
      const [h1, h2] = [lab.host(1), lab.host(2)];
      await addKernelVxlan(h2.ns, { vni: 42, local: h2.underlayV4, remotes: [h1.underlayV4] });
      vx = await VxswitchProcess.start(h1.ns, {
        local: h1.underlayV4,
        remotes: [h2.underlayV4],
        vni: 42,
        tap: "vxtap42",
        bridge: "br0",
        io,
        extraArgs: offloads ? [] : ["--no-offloads"],
      });
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "warm-up ping", state);
    });

    afterAll(async () => {
      try {
        await vx?.stop();
      } finally {
        await lab?.destroy();
      }
    });

    it(`says in status which TAP offloads are on`, async () => {
      const status = await vx!.status();
      const o = status.offloads as Record<string, unknown>;
      const want = offloads ? { tapVnetHdr: true, csum: true, tso4: true, tso6: true } : { tapVnetHdr: false, csum: false, tso4: false, tso6: false, uso: false };
      expect(o, JSON.stringify(status)).toMatchObject(want);
      expect(typeof o.uso).toBe("boolean");
    });

    describe("iperf3 (3 s each way) with nstat in the receiving namespaces", () => {
      let server: IperfServer;

      beforeAll(async () => {
        server = await startIperfServer(lab.container(2).ns, lab.container(2).address);
      });

      afterAll(async () => {
        await server?.stop();
      });

      for (const reverse of [false, true]) {
        const what = reverse ? "kernel vxlan -> vxswitch" : "vxswitch -> kernel vxlan";
        it(`carries TCP ${what} with no checksum errors at the receiver`, async () => {
          // The receiving container and the receiving host (outer UDP) must count no checksum error.
          const receivers = reverse ? [lab.container(1).ns, lab.host(1).ns] : [lab.container(2).ns, lab.host(2).ns];
          const before = await Promise.all(receivers.map(csumErrors));
          const result = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 3, reverse });
          const after = await Promise.all(receivers.map(csumErrors));
          console.log(`io ${io} offloads ${offloads}: ${what} ${(result.bitsPerSecond / 1e6).toFixed(0)} Mbit/s, ${result.retransmits} retransmits`);
          expect(result.bitsPerSecond, await because(!(result.bitsPerSecond > 0), state)).toBeGreaterThan(0);
          receivers.forEach((ns, k) => {
            expect(grown(before[k]!, after[k]!), `checksum error counters that grew in ${ns}`).toEqual({});
          });
        });
      }
    });

    for (const reverse of [false, true]) {
      const what = reverse ? "kernel vxlan side to the vxswitch side" : "vxswitch side to the kernel vxlan side";
      it(`delivers a 20 MB file from the ${what} with the same sha256`, async () => {
        const [from, to] = reverse ? [lab.container(2), lab.container(1)] : [lab.container(1), lab.container(2)];
        const receiver = spawnIn(to.ns, ["python3", "-c", RECEIVER_PY, to.address, String(FILE_PORT)]);
        try {
          await receiver.waitFor(/listening/, { stream: "stdout" });
          await nsExec(from.ns, ["python3", "-c", SENDER_PY, to.address, String(FILE_PORT), file], { timeoutMs: 60_000 });
          const [, bytes, hash] = await receiver.waitFor(/received (\d+) ([0-9a-f]{64})/, { stream: "stdout", timeoutMs: 30_000 });
          const why = await because(hash !== fileHash, state);
          expect(Number(bytes), why).toBe(FILE_BYTES);
          expect(hash, why).toBe(fileHash);
        } finally {
          await receiver.stop("SIGKILL");
        }
      });
    }

    it("keeps running through all of it, without errors counted by the native layer", async () => {
      expect(vx?.running, vx?.transcript()).toBe(true);
      const stats = await vx!.stats();
      const drops = { ...stats.egress.drops, ...stats.ingress.drops };
      // A dgram socket may drop sends when its ring is full; nothing else may be dropped.
      delete drops.txError;
      expect(drops, await vx!.statsText()).toEqual({});
    });
  });
});
