// TAP offloads against kernel vxlan: TSO super-frames split into VXLAN segments one way, tunnel
// trains coalesced into GSO super-frames the other; nothing arrives with a bad checksum and a
// 20 MB file crosses both ways bit for bit. For each I/O mode, and once with offloads off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { Lab } from "../../lab/topology.js";
import { iperfClient, ping, startIperfServer, type IperfServer } from "../../lab/traffic.js";
import { VxswitchProcess, type IoMode } from "../../lab/vxswitch-process.js";
import { csumErrors, grown, randomFile, sendFile, type RandomFile } from "../helpers/file-transfer.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, switchState } from "../helpers/lab.js";
import { DGRAM_PATH, expectHealthyTcp, FAST_PATH, PLAIN_PATH, type TcpFloor } from "../helpers/tcp-floors.js";

cleanUpLabsAfterAll();

const FILE_BYTES = 20 * 1024 * 1024;

interface Mode {
  io: IoMode;
  offloads: boolean;
  floor: TcpFloor;
}

const modes: Mode[] = [
  { io: "batch", offloads: true, floor: FAST_PATH },
  { io: "dgram", offloads: true, floor: DGRAM_PATH },
  { io: "batch", offloads: false, floor: PLAIN_PATH },
];

describeLab("TAP offloads against kernel vxlan", () => {
  describe.each(modes)("vxswitch --io $io (offloads $offloads) on h1, kernel vxlan42 on h2", ({ io, offloads, floor }) => {
    let lab: Lab;
    let vx: VxswitchProcess | undefined;
    let file: RandomFile;
    const state = (): Promise<string> => switchState([{ name: "h1 vxswitch", vx }]);

    beforeAll(async () => {
      requireVxswitchBuilt();
      file = randomFile(FILE_BYTES);
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
        it(`carries TCP ${what} above the floor with no checksum errors at the receiver`, async () => {
          // The receiving container and the receiving host (outer UDP) must count no checksum error.
          const receivers = reverse ? [lab.container(1).ns, lab.host(1).ns] : [lab.container(2).ns, lab.host(2).ns];
          const before = await Promise.all(receivers.map(csumErrors));
          const result = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 3, reverse });
          const after = await Promise.all(receivers.map(csumErrors));
          receivers.forEach((ns, k) => {
            expect(grown(before[k]!, after[k]!), `checksum error counters that grew in ${ns}`).toEqual({});
          });
          await expectHealthyTcp(result, { floor, what: `io ${io} offloads ${offloads}: ${what}`, context: state });
        });
      }
    });

    for (const reverse of [false, true]) {
      const what = reverse ? "kernel vxlan side to the vxswitch side" : "vxswitch side to the kernel vxlan side";
      it(`delivers a 20 MB file from the ${what} with the same sha256`, async () => {
        const [from, to] = reverse ? [lab.container(2), lab.container(1)] : [lab.container(1), lab.container(2)];
        const got = await sendFile(from, to, file);
        const why = await because(got.sha256 !== file.sha256, state);
        expect(got.bytes, why).toBe(file.bytes);
        expect(got.sha256, why).toBe(file.sha256);
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
